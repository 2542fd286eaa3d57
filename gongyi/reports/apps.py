from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "gongyi.reports"
    verbose_name = "日报"
    default_auto_field = "django.db.models.BigAutoField"
