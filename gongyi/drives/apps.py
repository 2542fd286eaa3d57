from django.apps import AppConfig


class DrivesConfig(AppConfig):
    name = "gongyi.drives"
    verbose_name = "慈善一日捐"
