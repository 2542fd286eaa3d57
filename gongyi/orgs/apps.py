from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gongyi.orgs"
    verbose_name = "慈善组织"
