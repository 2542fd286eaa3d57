from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "gongyi.matching"
    verbose_name = "配捐"
