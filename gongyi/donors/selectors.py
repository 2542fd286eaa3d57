"""Reads for donor accounts: a donor's gifts (found at read time), totals per year, public display names.

A donor's gifts are the union of four links (see ``models``): the WeChat openid they signed in with, the
phone they proved (matched against phones left on the give page), the account they were signed in with when
giving, and their claims. Nothing is copied onto gifts, so confirming a payment needs no hook here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from gongyi.core.masking import ANONYMOUS_NAME, mask_name
from gongyi.donors.models import (
    ClaimAttempt,
    DonorEvent,
    DonorMessage,
    DonorProfile,
    GiftClaim,
    NameDisplay,
    OrderContact,
)
from gongyi.giving.models import Gift, GiftStatus

WEIXIN = "weixin"
WECHATPAY_KEY_PREFIX = "wechatpay:"


# --- who ----------------------------------------------------------------------------------------------------


def profile_of(user) -> DonorProfile | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return DonorProfile.objects.filter(user_id=user.pk).first()


def phone_of(user) -> tuple[str, bool] | None:
    """allauth's ``get_phone``: (phone, verified) or None."""
    profile = profile_of(user)
    if profile is None or not profile.phone:
        return None
    return profile.phone, profile.phone_verified


def verified_phone(user) -> str | None:
    found = phone_of(user)
    return found[0] if found and found[1] else None


def user_by_phone(phone: str):
    """The account holding a phone: its verified holder, else the newest dormant account that asked for it."""
    profile = DonorProfile.objects.filter(phone=phone).select_related("user").order_by("-phone_verified", "-id").first()
    return profile.user if profile else None


def wechat_openids(user) -> list[str]:
    from allauth.socialaccount.models import SocialAccount

    if user is None or not getattr(user, "pk", None):
        return []
    return list(SocialAccount.objects.filter(user_id=user.pk, provider=WEIXIN).values_list("uid", flat=True))


def wechat_login_available() -> bool:
    """True when the WeChat provider is installed and has an AppID (settings or a SocialApp row)."""
    from allauth.socialaccount.models import SocialApp
    from allauth.socialaccount.providers import registry

    registry.load()
    if registry.get_class(WEIXIN) is None:
        return False
    if settings.SOCIALACCOUNT_PROVIDERS.get(WEIXIN, {}).get("APPS"):
        return True
    return SocialApp.objects.filter(provider=WEIXIN).exists()


def payer_openid(request) -> str:
    """The openid a JSAPI payment of this request pays with: the signed-in donor's, else the one a silent
    sign-in inside WeChat kept in the session (``wechat.silent``); "" when there is none."""
    from gongyi.donors.wechat.silent import session_openid

    if request.user.is_authenticated:
        linked = wechat_openids(request.user)
        if linked:
            return linked[0]
    return session_openid(request)


def in_wechat(request) -> bool:
    return "MicroMessenger" in request.headers.get("user-agent", "")


# --- a donor's gifts ----------------------------------------------------------------------------------------


def _gift_filter(user) -> Q | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    q = Q(pk__in=GiftClaim.objects.filter(user_id=user.pk).values("gift_id"))
    q |= Q(order__out_trade_no__in=OrderContact.objects.filter(user_id=user.pk).values("order_id"))
    phone = verified_phone(user)
    if phone:
        q |= Q(order__out_trade_no__in=OrderContact.objects.filter(phone=phone).values("order_id"))
    openids = wechat_openids(user)
    if openids:
        q |= Q(donor_key__in=[WECHATPAY_KEY_PREFIX + openid for openid in openids])
    return q


def donor_gifts(user) -> QuerySet[Gift]:
    """Every gift of this donor, newest first (refunded ones too: the donor should see them)."""
    q = _gift_filter(user)
    if q is None:
        return Gift.objects.none()
    return (
        Gift.objects.filter(q).select_related("project", "project__organisation", "order").order_by("-paid_at", "-id")
    )


def gift_for_donor(user, certificate_no: str) -> Gift | None:
    return donor_gifts(user).filter(certificate_no=certificate_no).first()


@dataclass(frozen=True)
class DonorGift:
    """One of a donor's gifts with what the donor page shows beside it."""

    gift: Gift
    found_by: tuple[str, ...]  # "claim", "account", "phone", "wechat"
    match: object | None  # matching.Match
    receipt: object | None  # drives.ReceiptLine (the active one, else the latest)
    unit: object | None  # drives.Unit credited
    team: object | None  # drives.Team credited
    as_unit: bool = False

    @property
    def found_by_labels(self) -> list[str]:
        return [FOUND_BY_LABELS[how] for how in self.found_by]

    @property
    def local_year(self) -> int:
        return timezone.localtime(self.gift.paid_at).year

    @property
    def is_live(self) -> bool:
        return self.gift.status == GiftStatus.CONFIRMED


def donor_gift_rows(user, gifts: list[Gift] | None = None) -> list[DonorGift]:
    """The donor's gifts with their match, receipt line, unit/team credit and how each was found."""
    from gongyi.drives.models import GiftCredit, ReceiptLine
    from gongyi.matching.models import Match

    gifts = list(donor_gifts(user)) if gifts is None else gifts
    if not gifts:
        return []
    ids = [g.pk for g in gifts]
    matches = {m.gift_id: m for m in Match.objects.filter(gift_id__in=ids)}
    receipts: dict[int, ReceiptLine] = {}
    for line in ReceiptLine.objects.filter(gift_id__in=ids).select_related("request").order_by("id"):
        current = receipts.get(line.gift_id)
        if current is None or line.is_active or not current.is_active:
            receipts[line.gift_id] = line
    credits = {c.gift_id: c for c in GiftCredit.objects.filter(gift_id__in=ids).select_related("unit", "team")}
    found = _found_by(user, gifts)
    rows = []
    for gift in gifts:
        credit = credits.get(gift.pk)
        rows.append(
            DonorGift(
                gift=gift,
                found_by=tuple(found.get(gift.pk, ())),
                match=matches.get(gift.pk),
                receipt=receipts.get(gift.pk),
                unit=credit.unit if credit else None,
                team=credit.team if credit else None,
                as_unit=bool(credit and credit.as_unit),
            )
        )
    return rows


def _found_by(user, gifts: list[Gift]) -> dict[int, list[str]]:
    ids = [g.pk for g in gifts]
    found: dict[int, list[str]] = {gid: [] for gid in ids}
    for gift_id in GiftClaim.objects.filter(user_id=user.pk, gift_id__in=ids).values_list("gift_id", flat=True):
        found[gift_id].append("claim")
    phone = verified_phone(user)
    for gift_id, contact_user, contact_phone in OrderContact.objects.filter(order__gift__in=ids).values_list(
        "order__gift", "user_id", "phone"
    ):
        if contact_user == user.pk:
            found[gift_id].append("account")
        if phone and contact_phone == phone:
            found[gift_id].append("phone")
    keys = {WECHATPAY_KEY_PREFIX + o for o in wechat_openids(user)}
    for gift in gifts:
        if gift.donor_key in keys:
            found[gift.pk].append("wechat")
    return found


FOUND_BY_LABELS = {"claim": "认领", "account": "登录后捐赠", "phone": "手机号", "wechat": "微信"}


@dataclass
class YearTotal:
    year: int
    gifts: int = 0
    amount_fen: int = 0
    matched_fen: int = 0
    receipted_fen: int = 0  # on an issued receipt
    requested_fen: int = 0  # on a receipt request still in progress
    refunded_gifts: int = 0

    @property
    def unreceipted_fen(self) -> int:
        return self.amount_fen - self.receipted_fen - self.requested_fen


def yearly_totals(rows: list[DonorGift]) -> list[YearTotal]:
    """Per calendar year (Asia/Shanghai), newest first: what the donor gave, and what has a receipt."""
    from gongyi.drives.models import ReceiptStatus

    years: dict[int, YearTotal] = {}
    for row in rows:
        total = years.setdefault(row.local_year, YearTotal(year=row.local_year))
        if not row.is_live:
            total.refunded_gifts += 1
            continue
        total.gifts += 1
        total.amount_fen += row.gift.amount_fen
        total.matched_fen += row.gift.matched_fen
        line = row.receipt
        if line is not None and line.is_active:
            if line.request.status == ReceiptStatus.ISSUED:
                total.receipted_fen += row.gift.amount_fen
            elif line.request.status in (ReceiptStatus.REQUESTED, ReceiptStatus.EXPORTED):
                total.requested_fen += row.gift.amount_fen
    return [years[y] for y in sorted(years, reverse=True)]


TAX_DEDUCTION_SHARE_PERCENT = 30  # 个人所得税法 art. 6: up to 30% of declared taxable income


def deduction_cap_fen(taxable_income_fen: int) -> int:
    return taxable_income_fen * TAX_DEDUCTION_SHARE_PERCENT // 100


@dataclass
class Affiliations:
    units: list = field(default_factory=list)
    teams: list = field(default_factory=list)


def affiliations(rows: list[DonorGift]) -> Affiliations:
    """The units and teams the donor gave through (distinct, in first-gift order)."""
    found = Affiliations()
    for row in reversed(rows):
        if row.unit is not None and row.unit not in found.units:
            found.units.append(row.unit)
        if row.team is not None and row.team not in found.teams:
            found.teams.append(row.team)
    return found


# --- from gifts back to donors: public names, who to tell about progress -----------------------------------


def accounts_for_gifts(gifts) -> dict[int, list[int]]:
    """For each gift, the accounts it belongs to, strongest link first: claim, signed in, phone, WeChat."""
    from allauth.socialaccount.models import SocialAccount

    gifts = list(gifts)
    result: dict[int, list[int]] = {g.pk: [] for g in gifts}
    if not gifts:
        return result

    def add(gift_id: int, user_id: int | None) -> None:
        if user_id and user_id not in result[gift_id]:
            result[gift_id].append(user_id)

    ids = list(result)
    for gift_id, user_id in GiftClaim.objects.filter(gift_id__in=ids).values_list("gift_id", "user_id"):
        add(gift_id, user_id)
    contacts = list(OrderContact.objects.filter(order__gift__in=ids).values_list("order__gift", "user_id", "phone"))
    for gift_id, user_id, _ in contacts:
        add(gift_id, user_id)
    phones = {phone for _, _, phone in contacts if phone}
    if phones:
        holders = dict(
            DonorProfile.objects.filter(phone__in=phones, phone_verified=True).values_list("phone", "user_id")
        )
        for gift_id, _, phone in contacts:
            add(gift_id, holders.get(phone))
    openids = {
        g.pk: g.donor_key[len(WECHATPAY_KEY_PREFIX) :] for g in gifts if g.donor_key.startswith(WECHATPAY_KEY_PREFIX)
    }
    if openids:
        owners = dict(
            SocialAccount.objects.filter(provider=WEIXIN, uid__in=set(openids.values())).values_list("uid", "user_id")
        )
        for gift_id, openid in openids.items():
            add(gift_id, owners.get(openid))
    return result


def _profiles_for(gifts) -> dict[int, DonorProfile]:
    owners = {gift_id: users[0] for gift_id, users in accounts_for_gifts(gifts).items() if users}
    profiles = {p.user_id: p for p in DonorProfile.objects.filter(user_id__in=set(owners.values()))}
    return {gift_id: profiles[user_id] for gift_id, user_id in owners.items() if user_id in profiles}


def _public_name(gift: Gift, profile: DonorProfile | None) -> str:
    if gift.anonymous:
        return ANONYMOUS_NAME
    if profile is not None:
        if profile.name_display == NameDisplay.ANONYMOUS:
            return ANONYMOUS_NAME
        if profile.name_display == NameDisplay.NICKNAME and profile.nickname:
            return profile.nickname
    return mask_name(gift.donor_name) if gift.donor_name else ANONYMOUS_NAME


def display_names_for(gifts) -> dict[int, str]:
    """Public names of many gifts in a fixed number of queries (for lists of gifts)."""
    gifts = list(gifts)
    linked = [g for g in gifts if not g.anonymous]
    profiles = _profiles_for(linked) if linked else {}
    return {g.pk: _public_name(g, profiles.get(g.pk)) for g in gifts}


def display_name_for(gift: Gift) -> str:
    """The name public pages may show for a gift, as its donor chose in their privacy settings.

    A gift given anonymously is 爱心人士 whatever the settings; otherwise the donor's account decides:
    anonymous → 爱心人士, nickname → the nickname, masked (the default, and for gifts no account holds) → the
    name given on the gift, masked (王**).
    """
    if gift.anonymous:
        return ANONYMOUS_NAME
    return display_names_for([gift])[gift.pk]


def public_messages_for(gifts) -> dict[int, str]:
    """Gift messages public pages may show: empty where the donor chose not to show their messages."""
    gifts = list(gifts)
    with_text = [g for g in gifts if g.message]
    profiles = _profiles_for(with_text) if with_text else {}
    return {g.pk: ("" if (p := profiles.get(g.pk)) is not None and not p.show_messages else g.message) for g in gifts}


def public_message_for(gift: Gift) -> str:
    if not gift.message:
        return ""
    return public_messages_for([gift])[gift.pk]


def donor_user_ids_for_project(project_id: int, *, chunk: int = 500) -> set[int]:
    """Every account holding a confirmed gift to this project (for progress messages)."""
    users: set[int] = set()
    gifts = Gift.objects.filter(project_id=project_id, status=GiftStatus.CONFIRMED).only("pk", "donor_key")
    batch: list[Gift] = []
    for gift in gifts.iterator(chunk_size=chunk):
        batch.append(gift)
        if len(batch) >= chunk:
            users.update(u for owners in accounts_for_gifts(batch).values() for u in owners)
            batch = []
    if batch:
        users.update(u for owners in accounts_for_gifts(batch).values() for u in owners)
    return users


# --- the donor's own data (PIPL art. 45) --------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def donor_data(user) -> dict:
    """Everything the platform holds about this person, for their download. Never secrets or tokens."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    from gongyi.backoffice.models import OrganisationMembership, UnitMembership

    profile = profile_of(user)
    rows = donor_gift_rows(user)
    phone = verified_phone(user)
    contacts = OrderContact.objects.filter(Q(user_id=user.pk) | (Q(phone=phone) if phone else Q(pk__in=[])))
    return {
        "format": "gongyi-donor-export/1",
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.get_username(),
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "is_active": user.is_active,
        },
        "profile": None
        if profile is None
        else {
            "phone": profile.phone,
            "phone_verified": profile.phone_verified,
            "phone_verified_at": _iso(profile.phone_verified_at),
            "nickname": profile.nickname,
            "name_display": profile.name_display,
            "show_messages": profile.show_messages,
            "wants_thanks": profile.wants_thanks,
            "wants_progress": profile.wants_progress,
            "notify_channel": profile.notify_channel,
            "created_at": _iso(profile.created_at),
        },
        "wechat": [
            {"openid": a.uid, "linked_at": _iso(a.date_joined), "profile": a.extra_data}
            for a in SocialAccount.objects.filter(user_id=user.pk, provider=WEIXIN)
        ],
        "emails": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user_id=user.pk)
        ],
        "gifts": [_gift_export(row) for row in rows],
        "order_contacts": [
            {"out_trade_no": c.order_id, "phone": c.phone, "signed_in": c.user_id == user.pk, "at": _iso(c.created_at)}
            for c in contacts
        ],
        "claims": [
            {"certificate_no": c.gift.certificate_no, "claimed_at": _iso(c.claimed_at)}
            for c in GiftClaim.objects.filter(user_id=user.pk).select_related("gift")
        ],
        "claim_attempts": [
            {"out_trade_no": a.out_trade_no, "succeeded": a.succeeded, "at": _iso(a.at)}
            for a in ClaimAttempt.objects.filter(user_id=user.pk).order_by("id")
        ],
        "messages": [
            {
                "kind": m.kind,
                "channel": m.channel,
                "title": m.title,
                "body": m.body,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in DonorMessage.objects.filter(user_id=user.pk).order_by("id")
        ],
        "events": [
            {"kind": e.kind, "at": _iso(e.at), "details": e.details}
            for e in DonorEvent.objects.filter(user_id=user.pk).order_by("id")
        ],
        "memberships": {
            "organisations": [
                {"organisation": m.organisation.name, "role": m.role, "since": _iso(m.created_at)}
                for m in OrganisationMembership.objects.filter(user_id=user.pk).select_related("organisation")
            ],
            "units": [
                {"unit": m.unit.name, "since": _iso(m.created_at)}
                for m in UnitMembership.objects.filter(user_id=user.pk).select_related("unit")
            ],
        },
        "two_factor": [
            {"type": a.type, "created_at": _iso(a.created_at), "last_used_at": _iso(a.last_used_at)}
            for a in Authenticator.objects.filter(user_id=user.pk)
        ],
    }


def _gift_export(row: DonorGift) -> dict:
    gift = row.gift
    receipt = row.receipt
    return {
        "certificate_no": gift.certificate_no,
        "out_trade_no": gift.order.out_trade_no,
        "project": gift.project.title,
        "organisation": gift.project.organisation.name,
        "amount_fen": gift.amount_fen,
        "matched_fen": gift.matched_fen,
        "status": gift.status,
        "paid_at": _iso(gift.paid_at),
        "gateway": gift.gateway,
        "donor_name": gift.donor_name,
        "anonymous": gift.anonymous,
        "message": gift.message,
        "found_by": list(row.found_by),
        "unit": row.unit.name if row.unit else None,
        "team": row.team.name if row.team else None,
        "as_unit": row.as_unit,
        "receipt": None
        if receipt is None
        else {
            "request": receipt.request.number,
            "status": receipt.request.status,
            "payer_name": receipt.request.payer_name,
            "receipt_no": receipt.request.receipt_no,
            "active": receipt.is_active,
        },
    }


def messages_of(user, limit: int = 50) -> list[DonorMessage]:
    return list(DonorMessage.objects.filter(user_id=user.pk).order_by("-id")[:limit])
