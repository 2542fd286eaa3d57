from django.apps import AppConfig


class DonorsConfig(AppConfig):
    name = "gongyi.donors"
    verbose_name = "捐赠人账户"
