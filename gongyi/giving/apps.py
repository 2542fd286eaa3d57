from django.apps import AppConfig


class GivingConfig(AppConfig):
    name = "gongyi.giving"
    verbose_name = "捐赠"
