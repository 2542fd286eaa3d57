"""Background work for drives: big unit imports, and a safety net that uncredits refunded gifts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=0)
def import_units(import_id: int) -> None:
    from gongyi.drives.imports import run_import
    from gongyi.drives.models import ImportStatus, UnitImport

    unit_import = UnitImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).first()
    if unit_import is not None:
        run_import(unit_import)


@db_periodic_task(crontab(minute="*/5"))
def settle_refunded_credits() -> None:
    from gongyi.drives.services import settle_refunded_credits as settle

    settle()
