"""Writes for 一日捐 drives and 一起捐 teams. Every write is here; each records a ``DriveEvent``.

Errors a person can fix raise ``DriveInputError`` naming the field (``unit``, ``team``, ``uscc`` …) and
write nothing.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.core.checkdigits import check_uscc
from gongyi.core.masking import ANONYMOUS_NAME, mask_name
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.drives import tallies
from gongyi.drives.codes import is_valid_code, new_code, normalize_code
from gongyi.drives.models import (
    CreditStatus,
    Drive,
    DriveEvent,
    EventAction,
    GiftCredit,
    OfflineGiftStatus,
    OrderAttribution,
    ReceiptKind,
    ReceiptLine,
    ReceiptRequest,
    ReceiptStatus,
    StaffListName,
    Team,
    Unit,
    UnitKind,
    UnitOfflineGift,
    UnitSource,
    UnitStatus,
)
from gongyi.orgs.models import Region, RegionLevel

logger = logging.getLogger(__name__)

DISTRICT_LEVELS = (RegionLevel.DISTRICT, RegionLevel.ZONE)
TEAMS_PER_HOUR_PER_NETWORK = 5
UNIT_GIFT_SALT = "gongyi.drives.unit-gift"


class DriveInputError(ValueError):
    """Bad input for a drives write; ``field`` names the offending field for the form or the API."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _event(action: str, *, actor=None, unit=None, team=None, receipt=None, **details) -> None:
    DriveEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        unit=unit,
        team=team,
        receipt=receipt,
        details=details,
    )


# ---------------------------------------------------------------------------------------------------------
# Units


@dataclass(frozen=True)
class UnitInput:
    """A unit as typed in a form or an Excel row; ``district``/``township``/``parent`` by code or name."""

    name: str
    kind: str
    uscc: str = ""
    district: str = ""
    township: str = ""
    parent: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    headcount: int | str | None = None


@dataclass
class CheckedUnit:
    """A unit input that passed every check: values ready to store, and warnings to show staff."""

    name: str
    kind: str
    uscc: str | None
    uscc_check_ok: bool
    district: Region
    township: Region | None
    parent: Unit | None
    parent_name: str  # a parent named by another row of the same import, resolved after creation
    contact_name: str
    contact_phone: str
    headcount: int | None
    warnings: list[tuple[str, str]]


KIND_BY_TEXT = {**{label: value for value, label in UnitKind.choices}, **{value: value for value in UnitKind.values}}
KIND_BY_TEXT.update({"机关单位": UnitKind.AGENCY, "党政机关": UnitKind.AGENCY, "公司": UnitKind.COMPANY})


def find_district(text: str) -> Region | None:
    text = (text or "").strip()
    if not text:
        return None
    districts = Region.objects.filter(level__in=DISTRICT_LEVELS)
    return districts.filter(code=text).first() or districts.filter(name=text).first()


def find_township(text: str, district: Region | None) -> Region | None:
    text = (text or "").strip()
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP)
    if district is not None:
        townships = townships.filter(parent=district)
    return townships.filter(code=text).first() or townships.filter(name=text).first()


def check_unit_input(
    data: UnitInput, *, names_in_batch: frozenset[str] = frozenset(), taken_names=None, taken_usccs=None
) -> tuple[CheckedUnit | None, list[tuple[str, str]]]:
    """Check every field of a unit; return (the checked unit, []) or (None, [(field, message), …]).

    ``taken_names``/``taken_usccs`` let an import pass the names and codes already used (in the database
    and by earlier rows); without them the database is asked.
    """
    errors: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    name = " ".join((data.name or "").split())
    if not name:
        errors.append(("name", "请填写单位名称"))
    elif len(name) > 100:
        errors.append(("name", "单位名称不能超过100个字"))
    elif (name in taken_names) if taken_names is not None else Unit.objects.filter(name=name).exists():
        errors.append(("name", f"单位「{name}」已登记"))

    kind = KIND_BY_TEXT.get((data.kind or "").strip())
    if kind is None:
        errors.append(("kind", "单位类型应为：" + "、".join(UnitKind.labels)))

    uscc: str | None = None
    uscc_ok = False
    if (data.uscc or "").strip():
        result = check_uscc(data.uscc)
        if not result.well_formed:
            errors.append(("uscc", f"统一社会信用代码格式不正确：{result.message}"))
        else:
            uscc, uscc_ok = result.code, result.check_ok
            if not uscc_ok:
                warnings.append(("uscc", f"统一社会信用代码校验未通过：{result.message}（请核对证书，已保留）"))
            taken = (uscc in taken_usccs) if taken_usccs is not None else Unit.objects.filter(uscc=uscc).exists()
            if taken:
                errors.append(("uscc", f"统一社会信用代码 {uscc} 已被其他单位登记"))
    else:
        warnings.append(("uscc", "未填写统一社会信用代码（开具单位票据时需要）"))

    district = find_district(data.district)
    if district is None:
        errors.append(("district", f"未知的区：{data.district or '（空）'}，应为区名或区划代码"))
    township = None
    if (data.township or "").strip():
        township = find_township(data.township, district)
        if township is None:
            errors.append(("township", f"未知的乡镇/街道：{data.township}"))

    parent = None
    parent_name = ""
    parent_text = " ".join((data.parent or "").split())
    if parent_text:
        code = normalize_code(parent_text)
        parent = Unit.objects.filter(code=code).first() if is_valid_code(code) else None
        parent = parent or Unit.objects.filter(name=parent_text).first()
        if parent is None:
            if parent_text in names_in_batch and parent_text != name:
                parent_name = parent_text
            else:
                errors.append(("parent", f"未知的上级单位：{parent_text}"))
        elif parent.name == name:
            errors.append(("parent", "上级单位不能是本单位"))

    contact_name = (data.contact_name or "").strip()
    contact_phone = (data.contact_phone or "").strip()
    if len(contact_name) > 32:
        errors.append(("contact_name", "联系人不能超过32个字"))
    if len(contact_phone) > 32:
        errors.append(("contact_phone", "联系电话不能超过32个字符"))
    elif contact_phone and not all(ch.isdigit() or ch in "-+ ()" for ch in contact_phone):
        errors.append(("contact_phone", "联系电话只能包含数字和 - + ( )"))

    headcount = None
    raw = data.headcount
    if raw not in (None, ""):
        value = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and raw.strip().rstrip("人").replace(",", "").isdigit():
            value = int(raw.strip().rstrip("人").replace(",", ""))
        if value is None or not 0 < value <= 1_000_000:
            errors.append(("headcount", f"在职人数应为 1 到 1,000,000 之间的整数：{raw}"))
        else:
            headcount = value
    if errors:
        return None, errors
    return (
        CheckedUnit(
            name=name,
            kind=kind,
            uscc=uscc,
            uscc_check_ok=uscc_ok,
            district=district,
            township=township,
            parent=parent,
            parent_name=parent_name,
            contact_name=contact_name,
            contact_phone=contact_phone,
            headcount=headcount,
            warnings=warnings,
        ),
        [],
    )


def new_unit_code(taken: set[str] | None = None) -> str:
    for _ in range(50):
        code = new_code()
        if taken is not None and code in taken:
            continue
        if not Unit.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no free unit code found")  # 29^5 codes: only a nearly full table gets here


def unit_from_checked(checked: CheckedUnit, *, code: str, status: str, source: str) -> Unit:
    return Unit(
        code=code,
        name=checked.name,
        kind=checked.kind,
        uscc=checked.uscc,
        uscc_check_ok=checked.uscc_check_ok,
        district=checked.district,
        township=checked.township,
        parent=checked.parent,
        contact_name=checked.contact_name,
        contact_phone=checked.contact_phone,
        headcount=checked.headcount,
        status=status,
        source=source,
    )


def _save_new_unit(data: UnitInput, *, status: str, source: str, actor, action: str) -> tuple[Unit, list]:
    checked, errors = check_unit_input(data)
    if errors:
        raise DriveInputError(*errors[0])
    try:
        with transaction.atomic():
            unit = unit_from_checked(checked, code=new_unit_code(), status=status, source=source)
            if status == UnitStatus.APPROVED:
                unit.reviewed_at = timezone.now()
                unit.reviewed_by = actor
            unit.save()
            _event(action, actor=actor, unit=unit, warnings=[m for _, m in checked.warnings])
    except IntegrityError as exc:
        # Two registrations of one name or credit code at the same moment: the first stands.
        raise DriveInputError("name", "该单位或信用代码刚刚已被登记") from exc
    return unit, checked.warnings


def register_unit(*, data: UnitInput) -> tuple[Unit, list[tuple[str, str]]]:
    """A unit registers itself: stored pending; its code works only after staff approve it."""
    return _save_new_unit(
        data, status=UnitStatus.PENDING, source=UnitSource.REGISTERED, actor=None, action=EventAction.UNIT_REGISTERED
    )


def create_unit(*, data: UnitInput, actor) -> tuple[Unit, list[tuple[str, str]]]:
    """Staff enter a unit: approved at once."""
    return _save_new_unit(
        data, status=UnitStatus.APPROVED, source=UnitSource.STAFF, actor=actor, action=EventAction.UNIT_CREATED
    )


def review_unit(*, unit: Unit, approve: bool, note: str = "", actor) -> Unit:
    """Approve a pending unit (its code starts working) or reject it with a reason."""
    note = (note or "").strip()
    if not approve and not note:
        raise DriveInputError("note", "请填写未通过的原因")
    if len(note) > 200:
        raise DriveInputError("note", "审核意见不能超过200个字")
    if has_nul(note):
        raise DriveInputError("note", NUL_MESSAGE)
    to_status = UnitStatus.APPROVED if approve else UnitStatus.REJECTED
    with transaction.atomic():
        updated = Unit.objects.filter(pk=unit.pk, status=UnitStatus.PENDING).update(
            status=to_status, review_note=note, reviewed_at=timezone.now(), reviewed_by=actor
        )
        if not updated:
            raise DriveInputError("status", "该单位已审核过")
        _event(EventAction.UNIT_APPROVED if approve else EventAction.UNIT_REJECTED, actor=actor, unit=unit, note=note)
    unit.refresh_from_db()
    return unit


EDITABLE_UNIT_FIELDS = ("headcount", "contact_name", "contact_phone", "kind", "district", "township", "parent")


def update_unit(*, unit: Unit, actor, **changes) -> Unit:
    """Change a unit's headcount, contact or place; kind and district are fixed once it has credits."""
    unknown = set(changes) - set(EDITABLE_UNIT_FIELDS)
    if unknown:
        raise DriveInputError(sorted(unknown)[0], "该字段不可修改")
    moving = {"kind", "district"} & {name for name, value in changes.items() if value != getattr(unit, name)}
    if moving and (GiftCredit.objects.filter(unit=unit).exists() or UnitOfflineGift.objects.filter(unit=unit).exists()):
        raise DriveInputError(sorted(moving)[0], "单位已有捐赠计入排行，不能再修改类型或所在区")
    if "headcount" in changes and changes["headcount"] is not None and changes["headcount"] <= 0:
        raise DriveInputError("headcount", "在职人数应为正整数")
    if changes.get("parent") is not None and changes["parent"].pk == unit.pk:
        raise DriveInputError("parent", "上级单位不能是本单位")
    with transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(**changes)
        _event(
            EventAction.UNIT_UPDATED,
            actor=actor,
            unit=unit,
            changes={k: getattr(v, "pk", v) for k, v in changes.items()},
        )
    unit.refresh_from_db()
    return unit


def find_active_unit(code: str) -> Unit | None:
    code = normalize_code(code)
    if not is_valid_code(code):
        return None
    return Unit.objects.filter(code=code, status=UnitStatus.APPROVED).select_related("district").first()


def unit_gift_token(unit: Unit) -> str:
    """The signed token of the unit's own-gift link, handed by staff to the unit's contact."""
    return signing.Signer(salt=UNIT_GIFT_SALT).sign(unit.code).split(":", 1)[1]


def unit_gift_token_ok(unit: Unit, token: str) -> bool:
    try:
        return signing.Signer(salt=UNIT_GIFT_SALT).unsign(f"{unit.code}:{token}") == unit.code
    except signing.BadSignature:
        return False


# ---------------------------------------------------------------------------------------------------------
# Drives


def save_drive(
    *,
    slug: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    campaign=None,
    organiser=None,
    actor=None,
    is_public=True,
) -> Drive:
    """Create or change a drive; windows of two drives may not overlap (a gift belongs to one drive)."""
    if ends_at <= starts_at:
        raise DriveInputError("ends_at", "结束时间应晚于开始时间")
    with transaction.atomic():
        overlapping = Drive.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(slug=slug)
        if overlapping.exists():
            raise DriveInputError("starts_at", f"与「{overlapping.first().name}」的时间重叠")
        drive, _ = Drive.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "campaign": campaign,
                "organiser": organiser,
                "is_public": is_public,
            },
        )
        _event(EventAction.DRIVE_SAVED, actor=actor, drive=drive.slug, name=name)
    return drive


def drive_at(when: datetime) -> Drive | None:
    return Drive.objects.filter(starts_at__lte=when, ends_at__gt=when).order_by("-starts_at").first()


# ---------------------------------------------------------------------------------------------------------
# Attribution of orders, and the credit seam called by confirm_payment


@dataclass(frozen=True)
class Attribution:
    unit: Unit | None
    team: Team | None
    as_unit: bool = False
    list_name: str = StaffListName.MASKED

    @property
    def unit_code(self) -> str:
        return self.unit.code if self.unit else ""


def find_unit_for_donor(text: str) -> Unit:
    """The unit a donor typed or picked: its code, or its exact name; refuses naming the field ``unit``."""
    text = " ".join((text or "").split())
    code = normalize_code(text)
    if is_valid_code(code):
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise DriveInputError("unit", f"单位代码 {code} 不存在，请核对海报上的代码")
        if unit.status != UnitStatus.APPROVED:
            raise DriveInputError("unit", f"单位「{unit.name}」尚未通过审核，暂不能计入")
        return unit
    unit = Unit.objects.filter(name=text, status=UnitStatus.APPROVED).first()
    if unit is None:
        raise DriveInputError("unit", f"找不到单位「{text}」：请输入单位代码，或从搜索结果中选择")
    return unit


def resolve_attribution(
    *,
    project_id: int,
    unit: str = "",
    team: int | str | None = None,
    as_unit_token: str = "",
    list_name: str = StaffListName.MASKED,
) -> Attribution | None:
    """Check the unit and team an order is to be given through; None when neither is given."""
    found_unit = find_unit_for_donor(unit) if (unit or "").strip() else None
    found_team = None
    if team not in (None, ""):
        try:
            team_id = int(team)
        except (TypeError, ValueError):
            raise DriveInputError("team", "团队编号应为整数") from None
        found_team = Team.objects.filter(pk=team_id, is_visible=True).first()
        if found_team is None:
            raise DriveInputError("team", f"团队 {team_id} 不存在")
        if found_team.project_id != project_id:
            raise DriveInputError("team", "该团队不是为这个项目发起的")
    as_unit = False
    if as_unit_token:
        if found_unit is None or not unit_gift_token_ok(found_unit, as_unit_token):
            raise DriveInputError("as_unit", "单位捐赠链接无效，请向慈善总会索取本单位的链接")
        as_unit = True
    if list_name not in StaffListName.values:
        raise DriveInputError("list_name", "请选择汇总明细中的姓名显示方式")
    if found_unit is None and found_team is None:
        return None
    return Attribution(unit=found_unit, team=found_team, as_unit=as_unit, list_name=list_name)


def record_order_attribution(*, order, attribution: Attribution | None) -> OrderAttribution | None:
    """Store the unit and team of a just-created order (call in the order's transaction)."""
    if attribution is None:
        return None
    return OrderAttribution.objects.create(
        order=order,
        unit=attribution.unit,
        team=attribution.team,
        as_unit=attribution.as_unit,
        list_name=attribution.list_name,
    )


def credit_confirmed_gift(*, gift) -> GiftCredit | None:
    """Soft-credit a just-confirmed gift to its unit and team, in ``confirm_payment``'s transaction.

    Reads the order's ``OrderAttribution`` (or, for orders made without one, an approved unit named by
    ``Order.unit_code``); writes one ``GiftCredit`` and moves the counters of each board in lock order.
    A gift with neither costs one query.
    """
    order = gift.order
    attribution = OrderAttribution.objects.filter(order_id=order.out_trade_no).select_related("unit", "team").first()
    if attribution is None:
        unit = find_active_unit(order.unit_code) if order.unit_code else None
        if unit is None:
            return None
        attribution = OrderAttribution(unit=unit, team=None, as_unit=False)
    unit = attribution.unit
    credit = GiftCredit.objects.create(
        gift=gift,
        drive=drive_at(gift.paid_at) if unit is not None else None,
        unit=unit,
        team=attribution.team,
        as_unit=attribution.as_unit,
        list_name=attribution.list_name,
        donor_key=gift.donor_key,
        amount_fen=gift.amount_fen,
        district_id=unit.district_id if unit else None,
        unit_kind=unit.kind if unit else "",
    )
    tallies.move(
        tallies.lines_for_gift_credit(credit), donor_key=credit.donor_key, amount_fen=credit.amount_fen, sign=+1
    )
    return credit


def uncredit_refunded_gift(*, gift, actor=None) -> bool:
    """Take a refunded gift's credit back out of the league tables, once; False if there was none live.

    Safe to call for any gift, any number of times, inside or outside the refund's transaction.
    """
    with transaction.atomic():
        credit = GiftCredit.objects.select_related("team").filter(gift_id=gift.pk).first()
        if credit is None:
            return False
        flipped = GiftCredit.objects.filter(pk=credit.pk, status=CreditStatus.LIVE).update(
            status=CreditStatus.REVERSED, reversed_at=timezone.now()
        )
        if not flipped:
            return False
        tallies.move(
            tallies.lines_for_gift_credit(credit), donor_key=credit.donor_key, amount_fen=credit.amount_fen, sign=-1
        )
        on_receipt = list(
            ReceiptLine.objects.filter(gift_id=gift.pk, is_active=True).values_list("request__number", flat=True)
        )
        _event(
            EventAction.CREDIT_REVERSED,
            actor=actor,
            unit=credit.unit,
            team=credit.team,
            gift=gift.pk,
            amount_fen=credit.amount_fen,
            on_receipt_requests=on_receipt,
        )
    return True


def settle_refunded_credits() -> int:
    """Uncredit every live credit whose gift has been refunded (a safety net for the refund seam)."""
    from gongyi.giving.models import GiftStatus

    settled = 0
    stale = GiftCredit.objects.filter(status=CreditStatus.LIVE, gift__status=GiftStatus.REFUNDED)
    for credit in stale.select_related("gift")[:1000]:
        settled += uncredit_refunded_gift(gift=credit.gift)
    return settled


# ---------------------------------------------------------------------------------------------------------
# Teams


def network_fingerprint(ip: str) -> str:
    """A keyed hash of the creator's address: enough to rate-limit, without storing the address."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|team|{ip}".encode()).hexdigest()[:32]


def create_team(*, project, name: str, slogan: str, goal_fen: int, leader_name: str, fingerprint: str = "") -> Team:
    """Anyone starts a 一起捐 team for a project taking gifts; a few per network per hour."""
    name = (name or "").strip()
    slogan = (slogan or "").strip()
    leader_name = (leader_name or "").strip()
    if not project.accepts_gifts:
        raise DriveInputError("project", "该项目当前不接受捐赠，不能发起团队")
    if not name:
        raise DriveInputError("name", "请填写团队名称")
    if len(name) > 30:
        raise DriveInputError("name", "团队名称不能超过30个字")
    if len(slogan) > 60:
        raise DriveInputError("slogan", "口号不能超过60个字")
    if not leader_name:
        raise DriveInputError("leader_name", "请填写发起人称呼")
    if len(leader_name) > 20:
        raise DriveInputError("leader_name", "发起人称呼不能超过20个字")
    if isinstance(goal_fen, bool) or not isinstance(goal_fen, int) or goal_fen <= 0:
        raise DriveInputError("goal", "团队目标应为正数金额")
    if goal_fen > 100_000_000_00:
        raise DriveInputError("goal", "团队目标不能超过1亿元")
    with transaction.atomic():
        if fingerprint:
            recent = Team.objects.filter(
                creator_fingerprint=fingerprint, created_at__gte=timezone.now() - timedelta(hours=1)
            ).count()
            if recent >= TEAMS_PER_HOUR_PER_NETWORK:
                raise DriveInputError("name", "同一网络一小时内最多创建5个团队，请稍后再试")
        team = Team.objects.create(
            project=project,
            name=name,
            slogan=slogan,
            goal_fen=goal_fen,
            leader_name=leader_name,
            creator_fingerprint=fingerprint,
        )
        _event(EventAction.TEAM_CREATED, team=team, project=project.pk)
    return team


def hide_team(*, team: Team, reason: str, actor) -> None:
    """Staff hide an abusive team page; its counted gifts stay counted for the project."""
    with transaction.atomic():
        Team.objects.filter(pk=team.pk).update(is_visible=False)
        _event(EventAction.TEAM_HIDDEN, actor=actor, team=team, reason=reason[:200])


# ---------------------------------------------------------------------------------------------------------
# The unit's own gift by bank transfer


def record_offline_unit_gift(
    *,
    unit: Unit,
    project,
    amount_fen: int,
    received_on: date,
    bank_reference: str,
    payer_account_name: str,
    voucher,
    note: str = "",
    actor,
    drive: Drive | None = None,
) -> UnitOfflineGift:
    """Record a unit's bank transfer with its voucher: bank Dr / project donations Cr, and count it.

    The money reaches the ledger through ``post_entry`` (EntryKind.GIFT) in the same transaction as the
    counters; a bank reference is recorded once.
    """
    from gongyi.ledger.models import AccountKind, EntryKind
    from gongyi.ledger.services import Leg, get_account, post_entry, project_account

    bank_reference = (bank_reference or "").strip()
    payer_account_name = (payer_account_name or "").strip()
    if unit.status != UnitStatus.APPROVED:
        raise DriveInputError("unit", "单位尚未通过审核")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DriveInputError("amount", "金额应为正数")
    if not bank_reference:
        raise DriveInputError("bank_reference", "请填写银行流水号")
    if not payer_account_name:
        raise DriveInputError("payer_account_name", "请填写付款户名")
    if voucher is None:
        raise DriveInputError("voucher", "请上传转账凭证")
    if received_on > timezone.localdate():
        raise DriveInputError("received_on", "到账日期不能晚于今天")
    if project.status not in ("published", "closed"):
        raise DriveInputError("project", "只能捐入已发布的项目")
    if drive is None:
        drive = drive_at(timezone.now())
    try:
        with transaction.atomic():
            gift = UnitOfflineGift.objects.create(
                unit=unit,
                drive=drive,
                project=project,
                amount_fen=amount_fen,
                received_on=received_on,
                bank_reference=bank_reference,
                payer_account_name=payer_account_name,
                voucher=voucher,
                note=(note or "").strip()[:200],
                district_id=unit.district_id,
                unit_kind=unit.kind,
                entered_by=actor,
            )
            entry = post_entry(
                kind=EntryKind.GIFT,
                idempotency_key=f"unit-offline-gift:{gift.pk}",
                occurred_at=timezone.now(),
                memo=f"单位捐赠（银行转账 {bank_reference}）{unit.name} → {project.title}",
                legs=[
                    Leg(get_account(code="bank:main", name="银行存款（基本户）", kind=AccountKind.BANK), amount_fen),
                    Leg(project_account(project, AccountKind.PROJECT_DONATIONS), -amount_fen),
                ],
                project=project,
            )
            UnitOfflineGift.objects.filter(pk=gift.pk).update(entry=entry)
            gift.entry = entry
            tallies.move(tallies.lines_for_offline_gift(gift), donor_key="", amount_fen=amount_fen, sign=+1)
            _event(
                EventAction.OFFLINE_GIFT_RECORDED,
                actor=actor,
                unit=unit,
                offline_gift=gift.pk,
                amount_fen=amount_fen,
                bank_reference=bank_reference,
            )
    except IntegrityError as exc:
        if UnitOfflineGift.objects.filter(bank_reference=bank_reference).exists():
            raise DriveInputError("bank_reference", f"银行流水号 {bank_reference} 已录入过") from exc
        raise
    return gift


def void_offline_unit_gift(*, gift: UnitOfflineGift, reason: str, actor) -> UnitOfflineGift:
    """Void a wrongly entered transfer: reverse its ledger entry and take it out of the tables, once."""
    from gongyi.ledger.models import EntryKind
    from gongyi.ledger.services import reverse_entry

    reason = (reason or "").strip()
    if not reason:
        raise DriveInputError("reason", "请填写作废理由")
    if has_nul(reason):
        raise DriveInputError("reason", NUL_MESSAGE)
    with transaction.atomic():
        flipped = UnitOfflineGift.objects.filter(pk=gift.pk, status=OfflineGiftStatus.LIVE).update(
            status=OfflineGiftStatus.VOID, void_reason=reason[:200], voided_at=timezone.now(), voided_by=actor
        )
        if not flipped:
            raise DriveInputError("status", "该笔已作废")
        if ReceiptLine.objects.filter(offline_gift=gift, is_active=True).exists():
            raise DriveInputError("status", "该笔已列入票据申请，请先处理票据")
        gift.refresh_from_db()
        reverse_entry(
            entry=gift.entry,
            kind=EntryKind.GIFT_REVERSAL,
            idempotency_key=f"unit-offline-gift-void:{gift.pk}",
            memo=f"作废单位线下捐赠 {gift.bank_reference}（{reason[:60]}）",
            occurred_at=timezone.now(),
        )
        tallies.move(tallies.lines_for_offline_gift(gift), donor_key="", amount_fen=gift.amount_fen, sign=-1)
        _event(EventAction.OFFLINE_GIFT_VOIDED, actor=actor, unit=gift.unit, offline_gift=gift.pk, reason=reason)
    return gift


# ---------------------------------------------------------------------------------------------------------
# Receipts


def _new_receipt_number() -> str:
    return "PJ" + timezone.localtime().strftime("%Y%m%d") + secrets.token_hex(4).upper()


def staff_list_name(gift, list_name: str) -> str:
    """The name on a consolidated list, as the staff member chose: full, masked, or 爱心人士."""
    if gift.anonymous or not gift.donor_name:
        return ANONYMOUS_NAME
    return gift.donor_name if list_name == StaffListName.FULL else mask_name(gift.donor_name)


def _create_request(*, kind, unit, payer_name, payer_uscc, contact_phone, lines, actor) -> ReceiptRequest:
    request = ReceiptRequest.objects.create(
        number=_new_receipt_number(),
        kind=kind,
        unit=unit,
        payer_name=payer_name,
        payer_uscc=payer_uscc or "",
        contact_phone=contact_phone,
        total_fen=sum(line.amount_fen for line in lines),
        line_count=len(lines),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for line in lines:
        line.request = request
    ReceiptLine.objects.bulk_create(lines)
    _event(
        EventAction.RECEIPT_REQUESTED,
        actor=actor,
        unit=unit,
        receipt=request,
        kind=kind,
        total_fen=request.total_fen,
        lines=len(lines),
    )
    return request


def request_unit_receipts(*, unit: Unit, actor, drive: Drive | None = None) -> list[ReceiptRequest]:
    """The unit's receipt requests: one consolidated request for its staff's gifts (with the staff list)
    and one for the unit's own gifts, each covering the live gifts not yet on an active request.

    Staff gifts on the consolidated list are those credited to the unit, not as the unit's own; a gift a
    donor asked an individual receipt for is left off. Refuses (field ``unit``) when nothing is left.
    """
    from gongyi.giving.models import GiftStatus

    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        credits = (
            GiftCredit.objects.filter(unit=locked, status=CreditStatus.LIVE, gift__status=GiftStatus.CONFIRMED)
            .exclude(gift__in=ReceiptLine.objects.filter(is_active=True, gift__isnull=False).values("gift"))
            .select_related("gift", "gift__order")
            .order_by("gift__paid_at", "gift_id")
        )
        offline = UnitOfflineGift.objects.filter(unit=locked, status=OfflineGiftStatus.LIVE).exclude(
            pk__in=ReceiptLine.objects.filter(is_active=True, offline_gift__isnull=False).values("offline_gift")
        )
        if drive is not None:
            credits = credits.filter(drive=drive)
            offline = offline.filter(drive=drive)
        staff_lines, own_lines = [], []
        for credit in credits:
            gift = credit.gift
            target = own_lines if credit.as_unit else staff_lines
            target.append(
                ReceiptLine(
                    gift=gift,
                    name_on_list=locked.name if credit.as_unit else staff_list_name(gift, credit.list_name),
                    amount_fen=gift.amount_fen,
                    paid_at=gift.paid_at,
                    reference=gift.order.out_trade_no,
                )
            )
        tz = timezone.get_current_timezone()
        for gift in offline.order_by("received_on", "pk"):
            own_lines.append(
                ReceiptLine(
                    offline_gift=gift,
                    name_on_list=locked.name,
                    amount_fen=gift.amount_fen,
                    paid_at=datetime.combine(gift.received_on, datetime.min.time(), tzinfo=tz),
                    reference=gift.bank_reference,
                )
            )
        if not staff_lines and not own_lines:
            raise DriveInputError("unit", "该单位没有尚未申请票据的捐赠")
        made = []
        common = {"unit": locked, "payer_name": locked.name, "payer_uscc": locked.uscc, "actor": actor}
        if staff_lines:
            made.append(
                _create_request(
                    kind=ReceiptKind.UNIT_STAFF, contact_phone=locked.contact_phone, lines=staff_lines, **common
                )
            )
        if own_lines:
            made.append(
                _create_request(
                    kind=ReceiptKind.UNIT_OWN, contact_phone=locked.contact_phone, lines=own_lines, **common
                )
            )
    return made


def request_individual_receipt(*, certificate_no: str, payer_name: str, contact_phone: str = "") -> ReceiptRequest:
    """A donor asks for their own receipt, identified by the certificate number they were given."""
    from gongyi.giving.models import Gift, GiftStatus

    certificate_no = (certificate_no or "").strip().upper()
    payer_name = " ".join((payer_name or "").split())
    contact_phone = (contact_phone or "").strip()
    if not payer_name:
        raise DriveInputError("payer_name", "请填写交款人姓名（票据上的名称）")
    if len(payer_name) > 100:
        raise DriveInputError("payer_name", "交款人姓名不能超过100个字")
    if len(contact_phone) > 32 or (contact_phone and not all(ch.isdigit() or ch in "-+ " for ch in contact_phone)):
        raise DriveInputError("contact_phone", "联系电话格式不正确")
    with transaction.atomic():
        gift = Gift.objects.select_related("order").filter(certificate_no=certificate_no).first()
        if gift is None:
            raise DriveInputError("certificate_no", "证书编号不存在，请核对捐赠证书")
        if gift.status != GiftStatus.CONFIRMED:
            raise DriveInputError("certificate_no", "该捐赠已退款，不能开具票据")
        credit = GiftCredit.objects.filter(gift=gift).first()
        if credit is not None and credit.as_unit:
            raise DriveInputError("certificate_no", "这是单位名义的捐赠，票据开给单位")
        try:
            with transaction.atomic():
                return _create_request(
                    kind=ReceiptKind.INDIVIDUAL,
                    unit=None,
                    payer_name=payer_name,
                    payer_uscc="",
                    contact_phone=contact_phone,
                    lines=[
                        ReceiptLine(
                            gift=gift,
                            name_on_list=payer_name,
                            amount_fen=gift.amount_fen,
                            paid_at=gift.paid_at,
                            reference=gift.order.out_trade_no,
                        )
                    ],
                    actor=None,
                )
        except IntegrityError:
            raise DriveInputError("certificate_no", "该捐赠已申请过票据（或已列入单位汇总票据）") from None


def export_receipt_request(*, request: ReceiptRequest, actor, issuer=None) -> ReceiptRequest:
    """Hand a requested receipt to the e-receipt system through its adapter; requested → exported."""
    from gongyi.drives.receipts import get_receipt_issuer

    issuer = issuer or get_receipt_issuer()
    with transaction.atomic():
        locked = ReceiptRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != ReceiptStatus.REQUESTED:
            raise DriveInputError("status", f"只有“已申请”的票据可以提交（当前：{locked.get_status_display()}）")
        result = issuer.submit(locked, list(locked.lines.order_by("id")))
        ReceiptRequest.objects.filter(pk=locked.pk).update(
            status=ReceiptStatus.EXPORTED, exported_at=timezone.now(), issuer=issuer.name, export_path=result.path
        )
        _event(EventAction.RECEIPT_EXPORTED, actor=actor, unit=locked.unit, receipt=locked, path=result.path)
    request.refresh_from_db()
    return request


def record_receipt_issued(
    *, request: ReceiptRequest, receipt_no: str, check_code: str, verify_url: str = "", actor
) -> ReceiptRequest:
    """Copy the finance bureau's answer onto the request: exported → issued."""
    receipt_no, check_code = (receipt_no or "").strip(), (check_code or "").strip()
    if not receipt_no:
        raise DriveInputError("receipt_no", "请填写票据号码")
    if not check_code:
        raise DriveInputError("check_code", "请填写校验码")
    with transaction.atomic():
        updated = ReceiptRequest.objects.filter(pk=request.pk, status=ReceiptStatus.EXPORTED).update(
            status=ReceiptStatus.ISSUED,
            receipt_no=receipt_no[:40],
            check_code=check_code[:40],
            verify_url=(verify_url or "")[:200],
            decided_at=timezone.now(),
        )
        if not updated:
            raise DriveInputError("status", "只有已提交的票据申请可以登记开具结果")
        _event(EventAction.RECEIPT_ISSUED, actor=actor, unit=request.unit, receipt=request, receipt_no=receipt_no)
    request.refresh_from_db()
    return request


def reject_receipt_request(*, request: ReceiptRequest, reason: str, actor) -> ReceiptRequest:
    """Close a request without a receipt; its gifts may be requested again."""
    reason = (reason or "").strip()
    if not reason:
        raise DriveInputError("reason", "请填写未开具的原因")
    if has_nul(reason):
        raise DriveInputError("reason", NUL_MESSAGE)
    with transaction.atomic():
        updated = ReceiptRequest.objects.filter(
            pk=request.pk, status__in=[ReceiptStatus.REQUESTED, ReceiptStatus.EXPORTED]
        ).update(status=ReceiptStatus.REJECTED, reject_reason=reason[:200], decided_at=timezone.now())
        if not updated:
            raise DriveInputError("status", "该票据申请已处理完毕")
        ReceiptLine.objects.filter(request=request).update(is_active=False)
        _event(EventAction.RECEIPT_REJECTED, actor=actor, unit=request.unit, receipt=request, reason=reason)
    request.refresh_from_db()
    return request
