"""Offline gifts in the admin: donation boxes are edited here; gifts are read-only (entered and checked on
the staff pages, ``/offline/staff/``, so every change goes through the services and their rules)."""

from django.contrib import admin

from gongyi.offline.models import DonationBox, OfflineEvent, OfflineGift, OfflineReceipt, OfflineVoucher


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


class VoucherInline(ReadOnlyInline):
    model = OfflineVoucher
    fields = readonly_fields = ("kind", "content_type", "size_bytes", "sha256", "uploaded_by", "uploaded_at")


class EventInline(ReadOnlyInline):
    model = OfflineEvent
    fields = readonly_fields = ("at", "kind", "actor", "details")


@admin.register(DonationBox)
class DonationBoxAdmin(admin.ModelAdmin):
    list_display = ("code", "location", "project", "placed_on", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "location")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OfflineGift)
class OfflineGiftAdmin(ReadOnlyAdmin):
    list_display = ("number", "method", "donor_name", "amount_fen", "received_on", "project", "fund", "status")
    list_filter = ("status", "method", "donor_kind")
    search_fields = ("number", "donor_name", "bank_reference")
    inlines = [VoucherInline, EventInline]


@admin.register(OfflineReceipt)
class OfflineReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "gift", "payer_name", "total_fen", "status", "receipt_no")
    list_filter = ("status", "kind")
    search_fields = ("number", "payer_name", "receipt_no")
