"""Federation staff manage back-office memberships in the Django admin (outside organisations never see it)."""

from __future__ import annotations

from django.contrib import admin

from gongyi.backoffice import services
from gongyi.backoffice.models import OfficeEvent, OrganisationMembership, ProgressUpdate, UnitMembership


@admin.register(OrganisationMembership)
class OrganisationMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role", "organisation")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("user",)
    fields = ("user", "organisation", "role")

    def save_model(self, request, obj, form, change):
        saved = services.grant_organisation_membership(
            user=obj.user, organisation=obj.organisation, role=obj.role, actor=request.user
        )
        obj.pk = saved.pk


@admin.register(UnitMembership)
class UnitMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "created_at")
    search_fields = ("user__username", "unit__name", "unit__code")
    autocomplete_fields = ("user",)
    fields = ("user", "unit")

    def save_model(self, request, obj, form, change):
        saved = services.grant_unit_membership(user=obj.user, unit=obj.unit, actor=request.user)
        obj.pk = saved.pk


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "published_at", "withdrawn_at")
    list_filter = ("project__organisation",)
    readonly_fields = [f.name for f in ProgressUpdate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OfficeEvent)
class OfficeEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "actor", "organisation", "unit", "project")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in OfficeEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
