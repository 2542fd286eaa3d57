from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "gongyi.oversight"
    verbose_name = "信息公开与监督"
