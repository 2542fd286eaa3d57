from django.contrib import admin

from gongyi.ledger.admin import ReadOnlyAdmin
from gongyi.payments.models import Order, PaymentNotification


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("out_trade_no", "project", "amount_fen", "gateway", "status", "created_at", "paid_at")
    list_filter = ("status", "gateway")
    search_fields = ("out_trade_no", "provider_txn_id")


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "gateway", "order", "provider_txn_id", "outcome", "received_at")
    list_filter = ("gateway", "outcome")
