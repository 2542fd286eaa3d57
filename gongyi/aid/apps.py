from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class AidConfig(AppConfig):
    name = "gongyi.aid"
    verbose_name = "救助"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from gongyi.aid.keys import current_keyring

        # A missing production key fails at start, not at the first application (STYLE habit 11).
        if getattr(getattr(settings, "CONFIG", None), "production", False):
            try:
                current_keyring()
            except ImproperlyConfigured as exc:
                raise ImproperlyConfigured(f"救助模块不能启动：{exc}") from None
