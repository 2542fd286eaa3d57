from django.contrib import admin

from gongyi.giving.models import Gift
from gongyi.ledger.admin import ReadOnlyAdmin


@admin.register(Gift)
class GiftAdmin(ReadOnlyAdmin):
    list_display = (
        "certificate_no",
        "project",
        "amount_fen",
        "matched_fen",
        "public_name",
        "status",
        "paid_at",
    )
    list_filter = ("status", "gateway", "project")
    search_fields = ("certificate_no", "provider_txn_id", "order__out_trade_no")
