from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "gongyi.payments"
    verbose_name = "支付"
