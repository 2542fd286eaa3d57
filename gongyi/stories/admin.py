"""Stories in the admin: read only. Staff write and publish them on ``/stories/staff/`` (through the services)."""

from __future__ import annotations

from django.contrib import admin

from gongyi.stories.models import Story, StoryEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Story)
class StoryAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "status", "campaign", "project", "published_at")
    list_filter = ("kind", "status", "campaign")
    search_fields = ("title", "subject_name", "aid_case_number")
    readonly_fields = [f.name for f in Story._meta.fields]


@admin.register(StoryEvent)
class StoryEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "story", "kind", "actor")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in StoryEvent._meta.fields]
