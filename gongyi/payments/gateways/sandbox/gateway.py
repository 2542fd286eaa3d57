"""The sandbox gateway: a real signed-notification protocol with a key we hold, for the demo and tests.

Notification: ``POST /api/v1/payments/sandbox/notify`` with JSON
``{"out_trade_no", "transaction_id", "amount_fen", "payer", "paid_at"}`` and header
``X-Sandbox-Signature: hex(HMAC-SHA256(GONGYI_SANDBOX_KEY, raw body))``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from gongyi.core.money import MAX_GIFT_FEN
from gongyi.payments.interface import (
    BillFile,
    NotificationAnswer,
    NotificationRefused,
    PaymentStart,
    QueryResult,
    RefundResult,
    RefundState,
    VerifiedPayment,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _field_error(name: str, message: str) -> NotificationRefused:
    return NotificationRefused(400, "INVALID_FIELD", f"字段 {name}：{message}")


class SandboxGateway:
    name = "sandbox"

    def __init__(self, *, key: str):
        self.key = key

    def create_payment(
        self, *, order, channel: str, return_url: str, notify_url: str, payer_id: str = "", client_ip: str = ""
    ) -> PaymentStart:
        return PaymentStart(kind="redirect", url=reverse("sandbox-cashier", args=[order.out_trade_no]))

    def verify_notification(self, *, headers: dict[str, str], body: bytes) -> VerifiedPayment:
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        if not signature:
            raise NotificationRefused(401, "SIGNATURE_MISSING", f"缺少签名头 {SIGNATURE_HEADER}")
        if not hmac.compare_digest(signature.strip().lower(), sign(self.key, body)):
            raise NotificationRefused(401, "SIGNATURE_INVALID", "签名校验失败")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NotificationRefused(400, "MALFORMED", f"通知不是合法的 JSON：{exc}") from exc
        if not isinstance(data, dict):
            raise NotificationRefused(400, "MALFORMED", "通知必须是 JSON 对象")
        return VerifiedPayment(
            out_trade_no=_text(data, "out_trade_no", 32),
            provider_txn_id=_text(data, "transaction_id", 64),
            amount_fen=_amount(data),
            payer=_text(data, "payer", 128),
            paid_at=_aware_time(data),
        )

    def answer(self, *, ok: bool, message: str = "") -> NotificationAnswer:
        payload = {"code": "SUCCESS", "message": message or "OK"} if ok else {"code": "FAIL", "message": message}
        return NotificationAnswer(
            200 if ok else 400, "application/json", json.dumps(payload, ensure_ascii=False).encode()
        )

    def query(self, *, order) -> QueryResult:
        from gongyi.payments.models import SandboxTransaction

        txn = SandboxTransaction.objects.filter(out_trade_no=order.out_trade_no).first()
        if txn is None:
            return QueryResult(state="pending")
        return QueryResult(
            state="paid",
            payment=VerifiedPayment(
                out_trade_no=txn.out_trade_no,
                provider_txn_id=txn.transaction_id,
                amount_fen=txn.amount_fen,
                payer=txn.payer,
                paid_at=txn.paid_at,
            ),
        )

    def close(self, *, order) -> None:
        """The sandbox cashier refuses nothing by time; closing is ours alone."""

    def refund(self, *, order, amount_fen: int, refund_no: str, reason: str) -> RefundResult:
        """Refund at once (the sandbox answers synchronously); asking again under the same number repeats the answer."""
        from gongyi.payments.models import SandboxTransaction

        with transaction.atomic():
            txn = SandboxTransaction.objects.select_for_update().filter(out_trade_no=order.out_trade_no).first()
            if txn is None:
                return RefundResult(accepted=False, message="沙箱渠道无此交易")
            if txn.refund_no != refund_no:
                updated = SandboxTransaction.objects.filter(
                    pk=txn.pk, amount_fen__gte=F("refunded_fen") + amount_fen
                ).update(refunded_fen=F("refunded_fen") + amount_fen, refund_no=refund_no, refunded_at=timezone.now())
                if not updated:
                    return RefundResult(accepted=False, message="沙箱渠道退款超额")
                txn.refresh_from_db()
        return RefundResult(
            accepted=True,
            provider_refund_id=f"SBR{refund_no}",
            state=RefundState.SUCCEEDED,
            amount_fen=amount_fen,
            finished_at=txn.refunded_at,
        )

    def query_refund(self, *, order, refund_no: str) -> RefundResult:
        from gongyi.payments.models import SandboxTransaction

        txn = SandboxTransaction.objects.filter(out_trade_no=order.out_trade_no, refund_no=refund_no).first()
        if txn is None:
            return RefundResult(accepted=True, state=RefundState.UNKNOWN, message="沙箱渠道无此退款")
        return RefundResult(
            accepted=True,
            provider_refund_id=f"SBR{refund_no}",
            state=RefundState.SUCCEEDED,
            amount_fen=txn.refunded_fen,
            finished_at=txn.refunded_at,
        )

    def download_bill(self, *, bill_date: date) -> BillFile:
        """The sandbox's own daily bill, from its books, in the format ``sandbox/bill.py`` reads."""
        from gongyi.payments.gateways.sandbox.bill import render_bill
        from gongyi.payments.models import SandboxTransaction

        tz = timezone.get_default_timezone()
        start = datetime.combine(bill_date, time.min, tzinfo=tz)
        end = start + timedelta(days=1)
        paid = SandboxTransaction.objects.filter(paid_at__gte=start, paid_at__lt=end).order_by("paid_at", "pk")
        refunded = SandboxTransaction.objects.filter(refunded_at__gte=start, refunded_at__lt=end).order_by(
            "refunded_at", "pk"
        )
        return BillFile(bill_date=bill_date, content=render_bill(paid, refunded), filename=f"sandbox-{bill_date}.csv")


def _text(data: dict, name: str, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _field_error(name, "必须是非空字符串")
    if len(value) > max_length:
        raise _field_error(name, f"长度不能超过 {max_length}")
    return value.strip()


def _amount(data: dict) -> int:
    value = data.get("amount_fen")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _field_error("amount_fen", "必须是整数（分）")
    if value <= 0 or value > MAX_GIFT_FEN:
        raise _field_error("amount_fen", f"必须在 1 到 {MAX_GIFT_FEN} 分之间")
    return value


def _aware_time(data: dict) -> datetime:
    value = data.get("paid_at")
    if not isinstance(value, str):
        raise _field_error("paid_at", "必须是带时区的 ISO 8601 时间")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _field_error("paid_at", "必须是带时区的 ISO 8601 时间") from exc
    if parsed.tzinfo is None:
        raise _field_error("paid_at", "缺少时区偏移")
    return parsed
