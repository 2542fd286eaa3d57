"""Read-only views of donor accounts for federation staff (phones shown masked; changes go through services)."""

from __future__ import annotations

from django.contrib import admin

from gongyi.donors.models import DonorEvent, DonorMessage, DonorProfile, GiftClaim
from gongyi.donors.phones import masked


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DonorProfile)
class DonorProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "masked_phone", "phone_verified", "name_display", "origin", "created_at", "closed_at")
    list_filter = ("phone_verified", "origin", "name_display")
    fields = ("user", "masked_phone", "phone_verified", "name_display", "wants_thanks", "wants_progress", "closed_at")

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return masked(obj.phone)


@admin.register(GiftClaim)
class GiftClaimAdmin(ReadOnlyAdmin):
    list_display = ("gift", "user", "claimed_at")


@admin.register(DonorMessage)
class DonorMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "channel", "status", "user", "attempts")
    list_filter = ("kind", "channel", "status")
    exclude = ("params",)


@admin.register(DonorEvent)
class DonorEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "user")
    list_filter = ("kind",)
