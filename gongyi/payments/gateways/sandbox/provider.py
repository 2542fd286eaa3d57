"""The provider side of the sandbox: charge, then deliver a signed notification over HTTP like a real one.

A real provider retries a notification that was not acknowledged; so does this one, through a background
task with back-off, and the stuck-order sweep can always query it.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gongyi.payments.gateways.sandbox.gateway import SIGNATURE_HEADER, sign
from gongyi.payments.models import Order, SandboxTransaction

logger = logging.getLogger(__name__)
DELIVERY_TIMEOUT_SECONDS = 5


def charge(*, order: Order, payer: str, notify_url: str) -> SandboxTransaction:
    """Record the sandbox provider's charge for an order (idempotent per order)."""
    try:
        with transaction.atomic():
            return SandboxTransaction.objects.create(
                out_trade_no=order.out_trade_no,
                transaction_id="SB" + timezone.now().strftime("%Y%m%d") + secrets.token_hex(8).upper(),
                amount_fen=order.amount_fen,
                payer=payer,
                paid_at=timezone.now(),
                notify_url=notify_url,
            )
    except IntegrityError:
        return SandboxTransaction.objects.get(out_trade_no=order.out_trade_no)


def notification_body(txn: SandboxTransaction) -> bytes:
    payload = {
        "out_trade_no": txn.out_trade_no,
        "transaction_id": txn.transaction_id,
        "amount_fen": txn.amount_fen,
        "payer": txn.payer,
        "paid_at": txn.paid_at.isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def deliver(*, txn: SandboxTransaction, key: str) -> bool:
    """POST the signed notification to its notify URL; True when acknowledged with SUCCESS."""
    body = notification_body(txn)
    request = urllib.request.Request(  # noqa: S310 - the URL is our own notify endpoint
        txn.notify_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(key, body)},
    )
    status = ""
    acknowledged = False
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
            acknowledged = response.status == 200 and answer.get("code") == "SUCCESS"
            status = f"{response.status} {answer.get('code', '')}"
    except urllib.error.HTTPError as exc:
        status = f"{exc.code} {exc.read()[:150].decode(errors='replace')}"
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        status = f"error {exc}"
    SandboxTransaction.objects.filter(pk=txn.pk).update(
        deliveries=F("deliveries") + 1, delivered=acknowledged, last_delivery_status=status[:200]
    )
    if not acknowledged:
        logger.warning("sandbox notification for %s not acknowledged: %s", txn.out_trade_no, status)
    return acknowledged
