"""Periodic matching work: incentives once a pool's window has ended."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/10"))
def award_incentives_after_window() -> None:
    from gongyi.matching.services import award_due_incentives

    award_due_incentives()
