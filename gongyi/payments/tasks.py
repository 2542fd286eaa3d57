"""Background work for payments: redelivering sandbox notifications, sweeping stuck orders."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from gongyi.payments.models import SandboxTransaction


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
    from gongyi.payments.sweeps import resolve_stuck_orders

    resolve_stuck_orders(older_than=timedelta(minutes=3))
