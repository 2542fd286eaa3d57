"""Oversight in the admin: implementation periods are edited here; items, reports and reminders are
read-only (reports are filed on ``/oversight/``, items follow the schedule)."""

from django.contrib import admin

from gongyi.oversight.models import DisclosureItem, DisclosureReminder, DisclosureReport, ProjectTimeline


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
