from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "gongyi.backoffice"
    verbose_name = "机构后台"
