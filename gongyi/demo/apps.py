from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gongyi.demo"
    verbose_name = "演示数据"
