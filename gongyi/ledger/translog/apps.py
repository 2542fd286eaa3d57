from django.apps import AppConfig
from django.core import checks


class TranslogConfig(AppConfig):
    name = "gongyi.ledger.translog"
    label = "translog"
    verbose_name = "公开日志"

    def ready(self):
        checks.register(check_log_secrets, checks.Tags.security)


def check_log_secrets(app_configs=None, **kwargs):
    """Production must bring its own checkpoint signing key and donor-hash salt."""
    from gongyi.ledger.translog import keys

    if not keys.is_production():
        return []
    return [
        checks.Error(f"{name} must be set when GONGYI_ENV=production", id="translog.E001")
        for name in keys.missing_production_secrets()
    ]
