from django.contrib import admin

from gongyi.ledger.models import Account, JournalEntry, JournalLine


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is written only by services; the admin shows it and changes nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    can_delete = False
    readonly_fields = ("account", "amount_fen")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "debits_fen", "credits_fen", "balance_fen")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "memo", "occurred_at", "posted_at", "is_posted")
    list_filter = ("kind",)
    search_fields = ("memo", "idempotency_key")
    inlines = [LineInline]
