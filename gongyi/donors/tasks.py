"""Background work for donor accounts: thank-yous and progress messages, retries, pruning dormant accounts.

Messages leave only from here (Huey), never inside a request's transaction.
"""

from __future__ import annotations

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

THANKS_SAFETY_WINDOW = timedelta(minutes=30)
RETRY_AFTER = timedelta(minutes=5)


@db_task(retries=0)
def deliver_donor_message(message_id: int) -> None:
    from gongyi.donors.services import deliver_message

    deliver_message(message_id=message_id)


@db_task(retries=2, retry_delay=60)
def thank_donors_of_gift(gift_id: int) -> None:
    from gongyi.donors.services import queue_thanks
    from gongyi.giving.models import Gift

    gift = Gift.objects.select_related("project").filter(pk=gift_id).first()
    if gift is not None:
        for message_id in queue_thanks(gift=gift):
            deliver_donor_message(message_id)


@db_task(retries=2, retry_delay=60)
def send_progress_update(update_id: int) -> None:
    from gongyi.backoffice.selectors import public_update
    from gongyi.donors.services import queue_progress

    update = public_update(update_id)
    if update is None:  # withdrawn meanwhile, or the project is not public
        return
    for message_id in queue_progress(
        update_id=update.pk, project=update.project, title=update.title, published_at=update.published_at
    ):
        deliver_donor_message(message_id)


@db_periodic_task(crontab(minute="*/5"))
def send_pending_thanks() -> None:
    """Safety net for the ``link_confirmed_gift`` seam: thank donors of gifts confirmed in the last half hour."""
    from django.utils import timezone

    from gongyi.donors.services import queue_thanks
    from gongyi.giving.models import Gift, GiftStatus

    since = timezone.now() - THANKS_SAFETY_WINDOW
    for gift in Gift.objects.filter(confirmed_at__gte=since, status=GiftStatus.CONFIRMED).select_related("project"):
        for message_id in queue_thanks(gift=gift):
            deliver_donor_message(message_id)


@db_periodic_task(crontab(minute="*/10"))
def retry_queued_messages() -> None:
    from django.utils import timezone

    from gongyi.donors.models import DonorMessage, MessageStatus
    from gongyi.donors.services import MESSAGE_MAX_ATTEMPTS, deliver_message

    stale = DonorMessage.objects.filter(
        status=MessageStatus.QUEUED, created_at__lt=timezone.now() - RETRY_AFTER, attempts__lt=MESSAGE_MAX_ATTEMPTS
    )
    for message_id in stale.values_list("pk", flat=True)[:500]:
        deliver_message(message_id=message_id)


@db_periodic_task(crontab(hour="3", minute="17"))
def prune_dormant_accounts() -> None:
    from gongyi.donors.services import prune_dormant_accounts as prune

    prune()
