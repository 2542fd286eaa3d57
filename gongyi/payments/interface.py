"""The contract between the money core and payment gateway plugins (one package per provider).

A gateway never raises past its own package: SDK and network errors come back as ``GatewayError``
with a message; notifications that fail verification come back as ``NotificationRefused`` with the
HTTP status to answer.

``verify_notification`` is pure: it checks signatures, freshness and every field without reading
the database, and returns one of the ``Verified*`` events below. What the event changes is decided
afterwards, in one transaction, by the notify endpoint (``payments/api.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


class GatewayError(Exception):
    """The provider could not be reached or answered with an error."""


class NotificationRefused(Exception):
    """A notification that must not change anything: forged, malformed, or not matching an order."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PaymentStart:
    """What the donor's browser or WeChat needs to pay: a page to open, a QR payload, or JSAPI params."""

    kind: str  # "redirect" | "qr" | "jsapi"
    url: str = ""
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReplayGuard:
    """A signed notification's (key id, nonce, signing time), for gateways whose notifications carry one.

    The notify endpoint stores it under a unique constraint in the same transaction as what the
    notification changes, so the very same signed request cannot be played twice within the window.
    """

    serial: str
    nonce: str
    signed_at: datetime


@dataclass(frozen=True)
class VerifiedPayment:
    """A payment the provider vouches for, from a verified notification or a query."""

    out_trade_no: str
    provider_txn_id: str
    amount_fen: int
    payer: str
    paid_at: datetime
    replay: ReplayGuard | None = None


class RefundState:
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the provider has no refund under this number (never reached it)


@dataclass(frozen=True)
class VerifiedRefund:
    """The provider's verified word on one refund we asked for (by our ``refund_no``)."""

    out_trade_no: str
    refund_no: str
    provider_refund_id: str
    amount_fen: int
    state: str  # RefundState.SUCCEEDED | RefundState.FAILED
    finished_at: datetime | None = None
    message: str = ""
    replay: ReplayGuard | None = None


@dataclass(frozen=True)
class VerifiedClosure:
    """The provider says a trade was closed unpaid (Alipay ``TRADE_CLOSED`` without a refund)."""

    out_trade_no: str
    replay: ReplayGuard | None = None


VerifiedNotification = VerifiedPayment | VerifiedRefund | VerifiedClosure


@dataclass(frozen=True)
class QueryResult:
    state: str  # "paid" | "pending" | "closed" | "unknown"
    payment: VerifiedPayment | None = None


@dataclass(frozen=True)
class RefundResult:
    """The provider's answer to a refund request or a refund query.

    ``accepted`` is False when the provider definitely refused (nothing will be refunded under this
    number); ``state`` then reads ``failed``. A synchronous provider (the sandbox) answers
    ``succeeded`` at once; WeChat Pay answers ``pending`` and tells the result later.
    """

    accepted: bool
    provider_refund_id: str = ""
    message: str = ""
    state: str = RefundState.SUCCEEDED
    amount_fen: int = 0
    finished_at: datetime | None = None

    @property
    def final_state(self) -> str:
        return self.state if self.accepted else RefundState.FAILED


@dataclass(frozen=True)
class BillRow:
    """One line of a provider's daily bill: a payment or a refund, money in integer fen."""

    kind: str  # "payment" | "refund"
    out_trade_no: str
    provider_txn_id: str
    amount_fen: int
    occurred_at: datetime
    payer: str = ""
    refund_no: str = ""
    provider_refund_id: str = ""


@dataclass(frozen=True)
class BillFile:
    """A provider's daily bill as it was downloaded (CSV bytes in the provider's own format)."""

    bill_date: date
    content: bytes
    filename: str


@dataclass(frozen=True)
class NotificationAnswer:
    status: int
    content_type: str
    body: bytes


class PaymentGateway(Protocol):
    name: str

    def create_payment(
        self, *, order, channel: str, return_url: str, notify_url: str, payer_id: str = "", client_ip: str = ""
    ) -> PaymentStart: ...

    def verify_notification(self, *, headers: dict[str, str], body: bytes) -> VerifiedNotification: ...

    def answer(self, *, ok: bool, message: str = "") -> NotificationAnswer: ...

    def query(self, *, order) -> QueryResult: ...

    def close(self, *, order) -> None: ...

    def refund(self, *, order, amount_fen: int, refund_no: str, reason: str) -> RefundResult: ...

    def query_refund(self, *, order, refund_no: str) -> RefundResult: ...

    def download_bill(self, *, bill_date: date) -> BillFile: ...
