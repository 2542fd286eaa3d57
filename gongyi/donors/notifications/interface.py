"""The contract of a notification sender: one message in, one result out, never an exception."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    """A message ready to send. ``recipient`` is an openid (wechat), an E.164 phone (sms) or an address
    (email); ``template`` names the approved template (``thanks``, ``progress``) for channels that need one,
    ``params`` fill it (``project``, ``amount``, ``title``, ``time``); ``link`` opens the details and
    ``unsubscribe_link`` stops this kind of message."""

    channel: str
    recipient: str
    template: str
    title: str
    body: str
    link: str = ""
    unsubscribe_link: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""


class NotificationSender(Protocol):
    channel: str

    def send(self, message: OutboundMessage) -> SendResult: ...
