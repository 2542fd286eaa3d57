from django.contrib import admin

from gongyi.campaigns.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_at", "ends_at", "host", "sponsor", "is_public")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("co_hosts",)
    search_fields = ("name",)
