"""Periodic casework: close notices whose period has passed, anonymise people past retention."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="5"))
def complete_due_notices() -> None:
    """Hourly: a notice that ended yesterday without an open objection lets its case be paid."""
    from gongyi.aid.services import complete_due_notices as run

    run()


@db_periodic_task(crontab(hour="3", minute="40"))
def anonymise_expired() -> None:
    """Nightly: erase personal data of people whose cases are all finished and past retention."""
    from gongyi.aid.services import anonymise_expired as run

    run()
