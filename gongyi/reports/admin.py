"""Daily reports in the admin: read only (generate them on ``/reports/daily/`` or with ``gongyi daily_report``)."""

from __future__ import annotations

from django.contrib import admin

from gongyi.reports.models import DailyReport


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = (
        "campaign",
        "day",
        "version",
        "trigger",
        "gifts",
        "givers",
        "amount_fen",
        "matched_fen",
        "generated_at",
    )
    list_filter = ("campaign", "trigger")
    date_hierarchy = "day"
    readonly_fields = [f.name for f in DailyReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
