"""In-kind gifts in the admin: warehouses are edited here; gifts, stock and hand-outs are read-only
(registered, checked, accepted and handed out on the staff pages, ``/inkind/staff/``)."""

from django.contrib import admin

from gongyi.inkind.models import Handout, InKindEvent, InKindGift, InKindItem, Stock, Warehouse


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ItemInline(ReadOnlyInline):
    model = InKindItem
    fields = readonly_fields = (
        "name",
        "spec",
        "unit",
        "quantity",
        "valuation_fen",
        "quality_status",
        "in_stock_quantity",
        "stock_value_fen",
        "handed_out_quantity",
        "handed_out_value_fen",
    )


class EventInline(ReadOnlyInline):
    model = InKindEvent
    fields = readonly_fields = ("at", "kind", "actor", "details")


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "keeper", "is_active")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InKindGift)
class InKindGiftAdmin(ReadOnlyAdmin):
    list_display = ("number", "donor_name", "received_on", "project", "organisation", "status")
    list_filter = ("status",)
    search_fields = ("number", "donor_name")
    inlines = [ItemInline, EventInline]


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ("warehouse", "item", "quantity")


@admin.register(Handout)
class HandoutAdmin(ReadOnlyAdmin):
    list_display = (
        "item",
        "warehouse",
        "quantity",
        "value_fen",
        "recipient_kind",
        "recipient_name",
        "handed_on",
        "status",
    )
    list_filter = ("status", "recipient_kind")
