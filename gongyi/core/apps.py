import threading

from django.apps import AppConfig
from django.db.backends.signals import connection_created

# Set only while a test database is being flushed: lets SQLite's ledger triggers allow the wipe.
ledger_maintenance = threading.local()


def _ledger_maintenance() -> int:
    return 1 if getattr(ledger_maintenance, "active", False) else 0


def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("gongyi_ledger_maintenance", 0, _ledger_maintenance)


class CoreConfig(AppConfig):
    name = "gongyi.core"
    verbose_name = "核心"

    def ready(self):
        from gongyi.core import checks  # noqa: F401 - registers the system checks

        connection_created.connect(_register_sqlite_functions, dispatch_uid="gongyi_sqlite_functions")
        from gongyi.core import lookups

        lookups.register()  # a NUL in a looked-up text value matches no row instead of raising (see the module)
