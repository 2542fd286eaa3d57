"""Background work for payments: redelivering sandbox notifications, sweeps, the daily reconciliation."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from gongyi.payments.models import SandboxTransaction

logger = logging.getLogger(__name__)


@db_task(retries=8, retry_delay=15)
def redeliver_sandbox_notification(transaction_pk: int) -> None:
    from gongyi.payments.gateways.sandbox.provider import deliver

    txn = SandboxTransaction.objects.get(pk=transaction_pk)
    if txn.delivered:
        return
    if not deliver(txn=txn, key=settings.GONGYI["SANDBOX_KEY"]):
        raise RuntimeError(f"notification for {txn.out_trade_no} not acknowledged yet")


@db_periodic_task(crontab(minute="*/2"))
def sweep_stuck_orders() -> None:
    """Orders pending over 3 minutes, refunds not yet final, nonces past the window."""
    from gongyi.payments.sweeps import sweep_payments

    sweep_payments(stuck_after=timedelta(minutes=3))


# Huey's crontab runs in UTC: 02:30 UTC is 10:30 in Beijing, after both providers publish yesterday's bill.
@db_periodic_task(crontab(hour="2", minute="30"))
def reconcile_yesterday() -> None:
    from gongyi.payments.gateways import enabled_gateways
    from gongyi.payments.reconciliation import ReconciliationError, reconcile_day

    bill_date = timezone.localdate() - timedelta(days=1)
    for gateway in enabled_gateways():
        try:
            report = reconcile_day(gateway=gateway, bill_date=bill_date)
        except ReconciliationError as exc:
            logger.error("reconciliation of %s %s failed: %s", gateway, bill_date, exc)
            continue
        if report.differences:
            logger.warning(
                "reconciliation of %s %s: %d differences (%s)",
                gateway,
                bill_date,
                len(report.differences),
                report.counts(),
            )
