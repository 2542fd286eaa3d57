from django.apps import AppConfig


class TranslogConfig(AppConfig):
    name = "gongyi.ledger.translog"
    label = "translog"
    verbose_name = "公开日志"
