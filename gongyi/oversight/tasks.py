"""Periodic oversight work: keep disclosure schedules in step, mark overdue items, send reminders; flag
complaints whose reply is overdue."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="17"))
def disclosure_duties() -> None:
    """Hourly (idempotent: at most one reminder per item, kind and day)."""
    from gongyi.oversight.services import run_disclosure_duties

    run_disclosure_duties()


@db_periodic_task(crontab(minute="23"))
def complaint_duties() -> None:
    """Hourly (idempotent: each overdue complaint is flagged once)."""
    from gongyi.oversight.complaints import flag_overdue_complaints

    flag_overdue_complaints()
