"""Background work for stories: case stories whose consent is gone are withdrawn and the withdrawal recorded."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


# Public pages hide such a story at once; this records the withdrawal within ten minutes.
@db_periodic_task(crontab(minute="*/10"))
def withdraw_unconsented_case_stories() -> None:
    from gongyi.stories.services import withdraw_unconsented_case_stories as sweep

    sweep()
