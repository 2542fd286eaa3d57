from django.apps import AppConfig


class InkindConfig(AppConfig):
    name = "gongyi.inkind"
    verbose_name = "物资捐赠"
