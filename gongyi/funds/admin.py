"""Named funds in the admin: read-only; funds, contributions and grants are made on the staff pages
(``/funds/staff/``) so that every change goes through the services and the ledger."""

from django.contrib import admin

from gongyi.funds.models import FundContribution, FundEvent, FundGrant, NamedFund


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = FundEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "kind", "actor", "details")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NamedFund)
class NamedFundAdmin(ReadOnlyAdmin):
    list_display = ("name", "founder_name", "kind", "minimum_fen", "yearly_commitment_fen", "status", "established_on")
    list_filter = ("status", "kind")
    search_fields = ("name", "founder_name")
    inlines = [EventInline]


@admin.register(FundContribution)
class FundContributionAdmin(ReadOnlyAdmin):
    list_display = ("fund", "amount_fen", "to_principal", "source", "reference", "contributed_on", "status")
    list_filter = ("source", "status")


@admin.register(FundGrant)
class FundGrantAdmin(ReadOnlyAdmin):
    list_display = ("fund", "project", "amount_fen", "status", "proposed_by", "decided_by")
    list_filter = ("status",)
