"""Spending in the admin: read-only; expenditures are recorded and approved on the staff pages
(``/accounts/staff/``) so that every change goes through the services and their rules."""

from django.contrib import admin

from gongyi.spending.models import Expenditure, ExpenditureApproval, ExpenditureEvent, Voucher


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalInline(admin.TabularInline):
    model = ExpenditureApproval
    extra = 0
    can_delete = False
    fields = readonly_fields = ("approver", "note", "approved_at")

    def has_add_permission(self, request, obj=None):
        return False


class VoucherInline(admin.TabularInline):
    model = Voucher
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "description", "content_type", "size_bytes", "sha256", "publication")

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ExpenditureEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "kind", "actor", "details")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Expenditure)
class ExpenditureAdmin(ReadOnlyAdmin):
    list_display = ("id", "project", "category", "amount_fen", "payee", "spent_on", "status", "recorded_by")
    list_select_related = ("project", "recorded_by")
    list_filter = ("status", "category")
    search_fields = ("payee", "purpose", "aid_case_ref")
    inlines = [ApprovalInline, VoucherInline, EventInline]


@admin.register(ExpenditureEvent)
class ExpenditureEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "expenditure", "kind", "actor")
    list_filter = ("kind",)
