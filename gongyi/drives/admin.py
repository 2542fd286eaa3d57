"""Admin for drives: drives are edited here (through ``save_drive``); the rest is read-only here and
changed on the staff pages (``/drives/staff/``), which go through the services."""

from __future__ import annotations

from django.contrib import admin, messages

from gongyi.drives.models import (
    Drive,
    DriveEvent,
    GiftCredit,
    LeagueTally,
    ReceiptRequest,
    Team,
    Unit,
    UnitImport,
    UnitOfflineGift,
)
from gongyi.drives.services import DriveInputError, hide_team, save_drive


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Drive)
class DriveAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "campaign", "starts_at", "ends_at", "is_public")
    fields = ("slug", "name", "campaign", "organiser", "starts_at", "ends_at", "is_public")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = save_drive(
                slug=obj.slug,
                name=obj.name,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                campaign=obj.campaign,
                organiser=obj.organiser,
                is_public=obj.is_public,
                actor=request.user,
            )
        except DriveInputError as error:
            messages.error(request, f"未保存：{error.message}（{error.field}）")
            return
        obj.pk = saved.pk


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "kind", "district", "status", "source", "headcount", "uscc_check_ok")
    list_filter = ("status", "kind", "district", "source")
    search_fields = ("name", "code", "uscc")


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "leader_name", "goal_fen", "is_visible", "created_at")
    list_filter = ("is_visible",)
    search_fields = ("name", "leader_name")
    actions = ["hide"]

    @admin.action(description="隐藏所选团队页面", permissions=["hide"])
    def hide(self, request, queryset):
        for team in queryset:
            hide_team(team=team, reason="工作人员在后台隐藏", actor=request.user)

    def has_hide_permission(self, request):
        return request.user.has_perm("drives.change_team")


@admin.register(GiftCredit)
class GiftCreditAdmin(ReadOnlyAdmin):
    list_display = ("gift", "unit", "team", "drive", "as_unit", "amount_fen", "status", "credited_at")
    list_filter = ("status", "as_unit", "drive")
    raw_id_fields = ("gift",)


@admin.register(UnitOfflineGift)
class UnitOfflineGiftAdmin(ReadOnlyAdmin):
    list_display = ("unit", "project", "amount_fen", "received_on", "bank_reference", "status", "entered_by")
    list_filter = ("status",)
    search_fields = ("bank_reference", "unit__name")


@admin.register(LeagueTally)
class LeagueTallyAdmin(ReadOnlyAdmin):
    list_display = ("board", "key", "givers", "gifts", "amount_fen", "unit_gifts", "unit_amount_fen", "total_fen")
    list_filter = ("board",)


@admin.register(ReceiptRequest)
class ReceiptRequestAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "status", "payer_name", "total_fen", "line_count", "requested_at")
    list_filter = ("status", "kind")
    search_fields = ("number", "payer_name", "receipt_no")


@admin.register(UnitImport)
class UnitImportAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "status", "total_rows", "created_units", "created_by", "created_at")


@admin.register(DriveEvent)
class DriveEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "actor", "unit", "team", "receipt")
    list_filter = ("action",)
