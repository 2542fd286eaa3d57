from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "gongyi.dashboard"
    verbose_name = "大屏"
    default_auto_field = "django.db.models.BigAutoField"
