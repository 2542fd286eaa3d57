from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "gongyi.offline"
    verbose_name = "线下捐赠"
