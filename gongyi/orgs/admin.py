from django.contrib import admin, messages

from gongyi.orgs.models import Organisation, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "uscc", "uscc_check_ok", "has_public_fundraising", "contact_phone")
    list_filter = ("kind", "has_public_fundraising", "uscc_check_ok")
    search_fields = ("name", "uscc")
    readonly_fields = ("uscc_check_ok", "created_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.uscc_warning:
            # A failed check character warns and keeps the code: some legal pilot codes fail it.
            messages.warning(request, obj.uscc_warning)
