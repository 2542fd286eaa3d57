"""Background work for reports: yesterday's daily report shortly after local midnight."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


# Huey's crontab runs in UTC: 16:10 UTC is 00:10 in Beijing, ten minutes into the new local day, so late
# notifications of the day before have arrived. Missing reports of the last three days are caught up too.
@db_periodic_task(crontab(hour="16", minute="10"))
def daily_reports() -> None:
    from gongyi.reports.services import run_scheduled_reports

    made = run_scheduled_reports()
    for report in made:
        logger.info("daily report %s %s v%s generated", report.campaign.slug, report.day, report.version)
