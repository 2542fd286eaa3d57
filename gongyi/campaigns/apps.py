from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "gongyi.campaigns"
    verbose_name = "活动"
