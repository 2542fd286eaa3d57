"""Admin: the network, roles and programmes (review chains inline) are edited here; cases, people and
logs are read-only lists of their plain columns — personal data is never shown in the admin (the sealed
fields are not editable and not listed), only on the logged case pages."""

from __future__ import annotations

from django.contrib import admin

from gongyi.aid.models import (
    AccessLog,
    AidCalendarDay,
    AidCase,
    AidProgramme,
    AidRole,
    Beneficiary,
    CaseEvent,
    Disbursement,
    Notice,
    Objection,
    ReviewStep,
    Station,
)
from gongyi.aid.selectors import region_path_of


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "region", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("name", "region__code", "region__name")
    autocomplete_fields = ()
    raw_id_fields = ("region",)

    def save_model(self, request, obj, form, change):
        obj.region_path = region_path_of(obj.region)
        super().save_model(request, obj, form, change)


@admin.register(AidRole)
class AidRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region", "station", "is_active", "granted_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "region__name", "station__name")
    raw_id_fields = ("user", "region", "station")
    readonly_fields = ("granted_by",)

    def save_model(self, request, obj, form, change):
        # The same rules as services.grant_role: a station's staff hold its region; the federation and
        # the regulator hold everything.
        if obj.station_id:
            obj.region = obj.station.region
        if obj.role in ("federation_staff", "regulator"):
            obj.region = None
            obj.station = None
        obj.region_path = region_path_of(obj.region) if obj.region_id else ""
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


class ReviewStepInline(admin.TabularInline):
    model = ReviewStep
    extra = 0


@admin.register(AidProgramme)
class AidProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "project", "notice_length", "per_case_cap_fen", "per_year_cap_fen", "is_active")
    inlines = [ReviewStepInline]


@admin.register(AidCalendarDay)
class AidCalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "is_working", "note")


@admin.register(AidCase)
class AidCaseAdmin(ReadOnlyAdmin):
    list_display = ("case_number", "programme", "status", "region", "calculated_fen", "approved_fen", "disbursed_fen")
    list_filter = ("status", "programme")
    search_fields = ("case_number",)
    fields = (
        "case_number",
        "programme",
        "region",
        "station",
        "status",
        "current_step",
        "review_round",
        "hardship_class",
        "total_cost_fen",
        "calculated_fen",
        "approved_fen",
        "disbursed_fen",
        "submitted_at",
        "decided_at",
        "finished_at",
        "retention_until",
        "anonymised_at",
    )


@admin.register(Beneficiary)
class BeneficiaryAdmin(ReadOnlyAdmin):
    list_display = ("id", "masked_name", "region", "created_at", "anonymised_at")
    fields = ("masked_name", "region", "created_at", "anonymised_at")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("case", "masked_name", "place", "amount_fen", "starts_on", "ends_on", "status")
    list_filter = ("status", "programme")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("tracking_number", "case", "status", "created_at", "resolved_at")
    fields = (
        "tracking_number",
        "case",
        "notice",
        "status",
        "created_at",
        "resolved_by",
        "resolved_at",
        "public_answer",
    )


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    list_display = ("case", "amount_fen", "method", "paid_on", "entry")
    fields = ("case", "amount_fen", "method", "account_last4", "hospital_name", "paid_on", "entry", "recorded_by")


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "actor", "at")
    list_filter = ("kind",)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "roles", "case", "fields", "reason", "channel")
    list_filter = ("reason", "channel")
    search_fields = ("user__username", "case__case_number")
