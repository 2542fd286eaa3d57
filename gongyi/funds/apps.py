from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "gongyi.funds"
    verbose_name = "冠名基金"
