"""Periodic log work: sign a checkpoint every minute when the tree grew."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def publish_log_checkpoint() -> None:
    """Integrate queued records and publish a checkpoint if the tree grew (nothing happens otherwise)."""
    from gongyi.ledger.translog.live import publish_checkpoint

    publish_checkpoint()
