from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "gongyi.ledger"
    verbose_name = "账簿"
