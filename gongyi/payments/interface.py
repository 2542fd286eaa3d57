"""The contract between the money core and payment gateway plugins (one package per provider).

A gateway never raises past its own package: SDK and network errors come back as ``GatewayError``
with a message; notifications that fail verification come back as ``NotificationRefused`` with the
HTTP status to answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
class VerifiedPayment:
    """A payment the provider vouches for, from a verified notification or a query."""

    out_trade_no: str
    provider_txn_id: str
    amount_fen: int
    payer: str
    paid_at: datetime


@dataclass(frozen=True)
class QueryResult:
    state: str  # "paid" | "pending" | "closed" | "unknown"
    payment: VerifiedPayment | None = None


@dataclass(frozen=True)
class RefundResult:
    accepted: bool
    provider_refund_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class NotificationAnswer:
    status: int
    content_type: str
    body: bytes


class PaymentGateway(Protocol):
    name: str

    def create_payment(self, *, order, channel: str, return_url: str, notify_url: str) -> PaymentStart: ...

    def verify_notification(self, *, headers: dict[str, str], body: bytes) -> VerifiedPayment: ...

    def answer(self, *, ok: bool, message: str = "") -> NotificationAnswer: ...

    def query(self, *, order) -> QueryResult: ...

    def refund(self, *, order, amount_fen: int, refund_no: str, reason: str) -> RefundResult: ...
