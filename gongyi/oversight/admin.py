"""Oversight in the admin: implementation periods and finance limits are edited here (limit changes are
recorded with their before and after); items, reports, reminders, complaints and every event table are
read-only (reports are filed and complaints handled on ``/oversight/``)."""

from django.contrib import admin

from gongyi.oversight.models import (
    Complaint,
    ComplaintEvent,
    DisclosureItem,
    DisclosureReminder,
    DisclosureReport,
    FinanceLimit,
    ProjectTimeline,
    RuleChangeEvent,
)
from gongyi.oversight.services import delete_finance_limit, save_finance_limit


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProjectTimeline)
class ProjectTimelineAdmin(admin.ModelAdmin):
    list_display = ("project", "implementation_starts_on", "implementation_ends_on", "response_ends_on")
    raw_id_fields = ("project",)


@admin.register(DisclosureItem)
class DisclosureItemAdmin(ReadOnlyAdmin):
    list_display = ("project", "kind", "period_start", "period_end", "due_on", "status", "done_on")
    list_select_related = ("project",)
    list_filter = ("status", "kind")


@admin.register(DisclosureReport)
class DisclosureReportAdmin(ReadOnlyAdmin):
    list_display = ("title", "project", "published_at", "filed_by")


@admin.register(DisclosureReminder)
class DisclosureReminderAdmin(ReadOnlyAdmin):
    list_display = ("on", "kind", "item", "message")
    list_filter = ("kind",)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("tracking_number", "subject_kind", "subject_label", "status", "answer_due_on", "overdue_flagged_at")
    list_filter = ("status", "subject_kind", "outcome")
    search_fields = ("tracking_number", "subject_label")
    # The text, the sealed contact and the attachments are read on the handler's page, where reads are logged.
    fields = (
        "tracking_number",
        "subject_kind",
        "subject_ref",
        "subject_label",
        "status",
        "received_at",
        "answer_due_on",
        "handler",
        "outcome",
        "answer_is_public",
        "overdue_flagged_at",
    )


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "complaint", "kind", "actor", "from_status", "to_status", "note")
    list_filter = ("kind",)
    list_select_related = ("complaint", "actor")


@admin.register(RuleChangeEvent)
class RuleChangeEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "subject_type", "subject_id", "subject_label", "actor", "changed_fields")
    list_filter = ("subject_type",)


@admin.register(FinanceLimit)
class FinanceLimitAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "min_charity_spending_bp",
        "max_management_bp",
        "max_fundraising_cost_bp",
        "warning_margin_bp",
        "management_exemption_fen",
        "updated_at",
    )
    raw_id_fields = ("organisation",)

    def save_model(self, request, obj, form, change):
        save_finance_limit(limit=obj, actor=request.user)

    def delete_model(self, request, obj):
        delete_finance_limit(limit=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for limit in queryset:
            delete_finance_limit(limit=limit, actor=request.user)
