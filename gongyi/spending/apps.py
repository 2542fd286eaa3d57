from django.apps import AppConfig


class SpendingConfig(AppConfig):
    name = "gongyi.spending"
    verbose_name = "支出与公开账目"
