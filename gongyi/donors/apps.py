from django.apps import AppConfig


class DonorsConfig(AppConfig):
    name = "gongyi.donors"
    verbose_name = "捐赠人账户"

    def ready(self):
        from gongyi.donors import checks  # noqa: F401 - registers the system checks
