"""Writes for donor accounts. Every write is here, keyword-only, one transaction, with a ``DonorEvent``.

Errors a person can fix raise ``DonorInputError`` naming the field and write nothing (claims also record
the failed attempt, so guesses are counted).
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.donors import selectors
from gongyi.donors.models import (
    ClaimAttempt,
    DonorEvent,
    DonorEventKind,
    DonorMessage,
    DonorProfile,
    GiftClaim,
    MessageKind,
    MessageStatus,
    NameDisplay,
    NotifyChannel,
    OrderContact,
    ProfileOrigin,
)
from gongyi.donors.phones import masked, normalize_mobile
from gongyi.giving.models import Gift, GiftStatus

logger = logging.getLogger(__name__)

CLAIM_DIGITS = 6
CLAIM_FAILURES_PER_ACCOUNT_PER_DAY = 10
CLAIM_FAILURES_PER_ORDER_PER_DAY = 5
UNSUBSCRIBE_SALT = "gongyi.donors.unsubscribe"
MESSAGE_MAX_ATTEMPTS = 3


class DonorInputError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _event(kind: str, *, user=None, **details) -> None:
    DonorEvent.objects.create(kind=kind, user=user, details=details)


def _atomic():
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


# --- accounts and phones (allauth's hooks land here) --------------------------------------------------------


def ensure_profile(*, user, origin: str = ProfileOrigin.OTHER) -> DonorProfile:
    """The user's donor profile, made on first use."""
    profile, created = DonorProfile.objects.get_or_create(user=user, defaults={"origin": origin})
    if created:
        _event(DonorEventKind.ACCOUNT_CREATED, user=user, origin=origin)
    return profile


def ensure_donor_for_phone(*, phone: str):
    """The account holding this phone; for an unknown phone, a new dormant account with the phone unverified.

    The account has no password and cannot sign in until the code sent to the phone is entered. Dormant
    accounts that never verified are removed by ``prune_dormant_accounts``.
    """
    phone = _normalized(phone)
    existing = selectors.user_by_phone(phone)
    if existing is not None:
        return existing
    with _atomic():
        user = get_user_model().objects.create_user(username="donor_" + secrets.token_hex(6))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        DonorProfile.objects.create(user=user, phone=phone, phone_verified=False, origin=ProfileOrigin.PHONE)
        _event(DonorEventKind.ACCOUNT_CREATED, user=user, origin=ProfileOrigin.PHONE)
    return user


def _normalized(phone: str) -> str:
    normalized = normalize_mobile(phone)
    if normalized is None:
        raise DonorInputError("phone", "请输入正确的中国大陆手机号")
    return normalized


def set_phone(*, user, phone: str, verified: bool) -> None:
    """allauth's ``set_phone``: put a phone on the account (verified or not)."""
    phone = _normalized(phone)
    if verified:
        set_phone_verified(user=user, phone=phone)
        return
    with _atomic():
        profile = ensure_profile(user=user)
        DonorProfile.objects.filter(pk=profile.pk).update(phone=phone, phone_verified=False, phone_verified_at=None)


def set_phone_verified(*, user, phone: str) -> None:
    """allauth's ``set_phone_verified``: the person proved the phone; it is theirs alone from now on.

    Dormant accounts holding the same phone unverified lose it. Raises ``IntegrityError`` if another account
    already holds it verified (allauth checks that before getting here).
    """
    phone = _normalized(phone)
    with _atomic():
        profile = ensure_profile(user=user)
        DonorProfile.objects.filter(phone=phone, phone_verified=False).exclude(pk=profile.pk).update(phone="")
        DonorProfile.objects.filter(pk=profile.pk).update(
            phone=phone, phone_verified=True, phone_verified_at=timezone.now(), closed_at=None
        )
        _event(DonorEventKind.PHONE_VERIFIED, user=user, phone=masked(phone))


def prune_dormant_accounts(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Delete accounts made for a phone that never entered its code (no sign-in, nothing attached)."""
    cutoff = timezone.now() - older_than
    candidates = get_user_model().objects.filter(
        last_login__isnull=True,
        date_joined__lt=cutoff,
        is_staff=False,
        is_superuser=False,
        donor_profile__origin=ProfileOrigin.PHONE,
        donor_profile__phone_verified=False,
    )
    removed = 0
    for user in candidates.iterator():
        if (
            GiftClaim.objects.filter(user=user).exists()
            or OrderContact.objects.filter(user=user).exists()
            or DonorMessage.objects.filter(user=user).exists()
        ):
            continue
        with _atomic():
            DonorEvent.objects.filter(user=user).delete()
            user.delete()
        removed += 1
    return removed


# --- the give page ------------------------------------------------------------------------------------------


def record_order_contact(*, order, phone: str = "", user=None) -> OrderContact | None:
    """Store the phone left on the give page and/or the signed-in account beside the order.

    Call inside the order's transaction. Nothing is stored when there is neither.
    """
    phone = (normalize_mobile(phone) or "") if phone else ""
    user = user if getattr(user, "is_authenticated", False) else None
    if not phone and user is None:
        return None
    return OrderContact.objects.create(order=order, phone=phone, user=user)


# --- claims -------------------------------------------------------------------------------------------------


def claim_gift(*, user, out_trade_no: str, last_digits: str) -> Gift:
    """Attach a gift no account holds to this donor, proven by the order number and the payment's last digits.

    The digits are the last six characters of the payment provider's transaction number (微信支付 交易单号 /
    支付宝 交易号) shown in the payer's own bill. Refused (``DonorInputError``) after too many failed attempts
    on the account or on the order in 24 hours, when they do not match, when the gift already belongs to
    another account, or when it is already this donor's. Every attempt is recorded.
    """
    out_trade_no = "".join((out_trade_no or "").split()).upper()
    last_digits = (last_digits or "").strip()
    for field, value in (("out_trade_no", out_trade_no), ("last_digits", last_digits)):
        if has_nul(value):
            raise DonorInputError(field, NUL_MESSAGE)
    since = timezone.now() - timedelta(days=1)
    failures = ClaimAttempt.objects.filter(succeeded=False, at__gte=since)
    if (
        failures.filter(user=user).count() >= CLAIM_FAILURES_PER_ACCOUNT_PER_DAY
        or failures.filter(out_trade_no=out_trade_no).count() >= CLAIM_FAILURES_PER_ORDER_PER_DAY
    ):
        raise DonorInputError("out_trade_no", "尝试次数过多，请24小时后再试，或联系平台客服")

    gift = Gift.objects.select_related("order").filter(order__out_trade_no=out_trade_no).first()
    matches = (
        gift is not None
        and len(last_digits) == CLAIM_DIGITS
        and secrets.compare_digest(gift.provider_txn_id[-CLAIM_DIGITS:].upper(), last_digits.upper())
    )
    if not matches:
        ClaimAttempt.objects.create(user=user, out_trade_no=out_trade_no[:40], succeeded=False)
        raise DonorInputError("last_digits", "订单号与支付单号后6位不匹配")
    owners = selectors.accounts_for_gifts([gift])[gift.pk]
    if user.pk in owners:
        raise DonorInputError("out_trade_no", "这笔捐赠已在您的账户中")
    if owners:
        raise DonorInputError("out_trade_no", "这笔捐赠已关联到其他账户；如有疑问请联系平台客服")
    try:
        with _atomic():
            claim = GiftClaim.objects.create(gift=gift, user=user)
            ClaimAttempt.objects.create(user=user, out_trade_no=out_trade_no[:40], succeeded=True)
            _event(DonorEventKind.GIFT_CLAIMED, user=user, gift=gift.pk)
    except IntegrityError:
        raise DonorInputError("out_trade_no", "这笔捐赠刚刚已被认领") from None
    return claim.gift


# --- settings and subscriptions -----------------------------------------------------------------------------


def update_settings(
    *,
    user,
    name_display: str,
    nickname: str,
    show_messages: bool,
    wants_thanks: bool,
    wants_progress: bool,
    notify_channel: str,
) -> DonorProfile:
    """Change how the donor's name shows publicly and which messages they receive."""
    if name_display not in NameDisplay.values:
        raise DonorInputError("name_display", "请选择署名方式")
    if notify_channel not in NotifyChannel.values:
        raise DonorInputError("notify_channel", "请选择消息渠道")
    nickname = " ".join((nickname or "").split())[:20]
    if name_display == NameDisplay.NICKNAME and not nickname:
        raise DonorInputError("nickname", "选择显示昵称时请填写昵称")
    with _atomic():
        profile = ensure_profile(user=user)
        DonorProfile.objects.filter(pk=profile.pk).update(
            name_display=name_display,
            nickname=nickname,
            show_messages=show_messages,
            wants_thanks=wants_thanks,
            wants_progress=wants_progress,
            notify_channel=notify_channel,
        )
        _event(
            DonorEventKind.SETTINGS_CHANGED,
            user=user,
            name_display=name_display,
            show_messages=show_messages,
            wants_thanks=wants_thanks,
            wants_progress=wants_progress,
            notify_channel=notify_channel,
        )
        profile.refresh_from_db()
    return profile


def unsubscribe_token(*, user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in MessageKind.values or not isinstance(data.get("u"), int):
        return None
    return data["u"], data["k"]


def unsubscribe(*, token: str) -> bool:
    """Stop one kind of message for the account named in a signed link; True when the link was valid."""
    found = read_unsubscribe_token(token)
    if found is None:
        return False
    user_id, kind = found
    field = "wants_thanks" if kind == MessageKind.THANKS else "wants_progress"
    with _atomic():
        DonorProfile.objects.filter(user_id=user_id).update(**{field: False})
        DonorMessage.objects.filter(user_id=user_id, kind=kind, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SKIPPED, error="已退订"
        )
        DonorEvent.objects.create(kind=DonorEventKind.UNSUBSCRIBED, user_id=user_id, details={"kind": kind})
    return True


# --- the donor's data: export and closing -------------------------------------------------------------------


def export_donor_data(*, user) -> dict:
    """Everything held about the donor (PIPL art. 45), recording that it was exported."""
    data = selectors.donor_data(user)
    _event(DonorEventKind.DATA_EXPORTED, user=user, gifts=len(data["gifts"]))
    return data


def close_account(*, user) -> None:
    """Close the account: remove the person, keep the gifts.

    Removed: the phone and its verification, WeChat links (openids), e-mail addresses, two-factor devices,
    the nickname and settings, claims and claim attempts, the phone and account left on orders, messages.
    The user row stays, renamed and without a usable password, so audit rows keep a target; every session
    ends (the password hash changed). Gifts, certificates, receipts and the ledger are not touched: the law
    requires the charity to keep them (Charity Law art. 38; accounting archives), and the name given on a
    gift stays part of that gift's record.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    from gongyi.backoffice.models import OrganisationMembership, UnitMembership

    phone = selectors.verified_phone(user)
    with _atomic():
        gifts = selectors.donor_gifts(user).count()
        contacts = OrderContact.objects.filter(Q(user_id=user.pk) | (Q(phone=phone) if phone else Q(pk__in=[])))
        contacts.delete()
        GiftClaim.objects.filter(user_id=user.pk).delete()
        ClaimAttempt.objects.filter(user_id=user.pk).delete()
        DonorMessage.objects.filter(user_id=user.pk).delete()
        SocialAccount.objects.filter(user_id=user.pk).delete()
        EmailAddress.objects.filter(user_id=user.pk).delete()
        Authenticator.objects.filter(user_id=user.pk).delete()
        OrganisationMembership.objects.filter(user_id=user.pk).delete()
        UnitMembership.objects.filter(user_id=user.pk).delete()
        profile = ensure_profile(user=user)
        DonorProfile.objects.filter(pk=profile.pk).update(
            phone="",
            phone_verified=False,
            phone_verified_at=None,
            nickname="",
            name_display=NameDisplay.MASKED,
            show_messages=True,
            wants_thanks=False,
            wants_progress=False,
            notify_channel=NotifyChannel.AUTO,
            closed_at=timezone.now(),
        )
        user.username = "closed_" + secrets.token_hex(8)
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.is_staff = False
        user.set_unusable_password()
        user.save()
        _event(DonorEventKind.ACCOUNT_CLOSED, user=user, gifts_kept=gifts)


# --- messages to donors -------------------------------------------------------------------------------------


def link_confirmed_gift(*, gift: Gift) -> None:
    """Seam for ``confirm_payment``: after the gift commits, thank its donor if they asked to be thanked.

    Gifts find their donor at read time, so nothing is written here; this only schedules the thank-you
    (the periodic ``send_pending_thanks`` is the safety net when the seam is not wired).
    """
    from gongyi.donors import tasks

    gift_id = gift.pk
    transaction.on_commit(lambda: tasks.thank_donors_of_gift(gift_id))


def _public_url(path: str) -> str:
    return settings.GONGYI["PUBLIC_BASE_URL"] + path


def _channel_and_recipient(user, profile: DonorProfile) -> tuple[str, str] | None:
    """Where to reach the donor: their chosen channel, or WeChat, then SMS, then e-mail."""
    from allauth.account.models import EmailAddress

    def wechat():
        openids = selectors.wechat_openids(user)
        return ("wechat", openids[0]) if openids else None

    def sms():
        return ("sms", profile.phone) if profile.phone and profile.phone_verified else None

    def email():
        address = EmailAddress.objects.filter(user_id=user.pk, verified=True).order_by("-primary").first()
        return ("email", address.email) if address else None

    order = {"wechat": [wechat], "sms": [sms], "email": [email]}.get(profile.notify_channel, [wechat, sms, email])
    for option in order:
        found = option()
        if found:
            return found
    return None


def _queue(*, user, kind: str, dedupe_key: str, title: str, body: str, link: str, params: dict) -> DonorMessage | None:
    try:
        with transaction.atomic():
            return DonorMessage.objects.create(
                user=user, kind=kind, dedupe_key=dedupe_key, title=title, body=body[:300], link=link, params=params
            )
    except IntegrityError:
        return None  # queued before (retry or safety net)


def queue_thanks(*, gift: Gift) -> list[int]:
    """Queue a thank-you to each account holding this gift whose donor opted in; return the message ids."""
    if gift.status != GiftStatus.CONFIRMED:
        return []
    owners = selectors.accounts_for_gifts([gift])[gift.pk]
    profiles = DonorProfile.objects.filter(user_id__in=owners, wants_thanks=True, closed_at__isnull=True)
    queued = []
    for profile in profiles.select_related("user"):
        message = _queue(
            user=profile.user,
            kind=MessageKind.THANKS,
            dedupe_key=f"thanks:{gift.pk}:{profile.user_id}",
            title="感谢您的捐赠",
            body=f"您向「{gift.project.title}」捐赠 {format_yuan(gift.amount_fen)}，善款去向可随时查询。",
            link=_public_url(reverse("me-gift", args=[gift.certificate_no])),
            params={
                "project": gift.project.title,
                "amount": format_yuan(gift.amount_fen, symbol=False) + "元",
                "time": timezone.localtime(gift.paid_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
        if message is not None:
            queued.append(message.pk)
    return queued


def queue_progress(*, update_id: int, project, title: str, published_at) -> list[int]:
    """Queue a project's progress update to every donor of the project who opted in."""
    owners = selectors.donor_user_ids_for_project(project.pk)
    profiles = DonorProfile.objects.filter(user_id__in=owners, wants_progress=True, closed_at__isnull=True)
    queued = []
    for profile in profiles.select_related("user"):
        message = _queue(
            user=profile.user,
            kind=MessageKind.PROGRESS,
            dedupe_key=f"progress:{update_id}:{profile.user_id}",
            title=f"项目进展：{project.title}"[:80],
            body=f"您捐助的「{project.title}」有新进展：{title}",
            link=_public_url(reverse("project", args=[project.pk])),
            params={
                "project": project.title,
                "title": title,
                "time": timezone.localtime(published_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
        if message is not None:
            queued.append(message.pk)
    return queued


def deliver_message(*, message_id: int, sender=None) -> DonorMessage:
    """Send one queued message through the donor's channel: queued → sent | skipped, or failed after
    ``MESSAGE_MAX_ATTEMPTS`` tries (a failed try leaves it queued for ``retry_queued_messages``).

    Each try claims the row by a conditional update of ``attempts``, so two workers never send it at once;
    the sender is called outside any transaction.
    """
    from gongyi.donors.notifications import OutboundMessage, get_sender

    message = DonorMessage.objects.select_related("user").get(pk=message_id)
    if message.status != MessageStatus.QUEUED:
        return message
    claimed = DonorMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED, attempts=message.attempts).update(
        attempts=message.attempts + 1
    )
    if claimed != 1:
        return DonorMessage.objects.get(pk=message.pk)
    profile = selectors.profile_of(message.user)
    wanted = profile is not None and (
        profile.wants_thanks if message.kind == MessageKind.THANKS else profile.wants_progress
    )
    target = _channel_and_recipient(message.user, profile) if wanted else None
    if target is None:
        DonorMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SKIPPED, error="已退订" if not wanted else "没有可用的消息渠道"
        )
        return DonorMessage.objects.get(pk=message.pk)
    channel, recipient = target
    outbound = OutboundMessage(
        channel=channel,
        recipient=recipient,
        template=message.kind,
        title=message.title,
        body=message.body,
        link=message.link,
        unsubscribe_link=_public_url(
            reverse("me-unsubscribe", args=[unsubscribe_token(user=message.user, kind=message.kind)])
        ),
        params={k: str(v) for k, v in message.params.items()},
    )
    result = (sender or get_sender(channel)).send(outbound)
    if result.ok:
        DonorMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, channel=channel, provider_id=result.provider_id[:80], sent_at=timezone.now()
        )
    else:
        final = message.attempts + 1 >= MESSAGE_MAX_ATTEMPTS
        DonorMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED if final else MessageStatus.QUEUED, channel=channel, error=result.error[:300]
        )
        logger.warning("donor message %s via %s failed: %s", message.pk, channel, result.error)
    return DonorMessage.objects.get(pk=message.pk)
