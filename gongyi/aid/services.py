"""Writes for casework. Each public service checks the actor's role and scope first, runs in one
transaction, and writes a ``CaseEvent`` (no personal data in its details). Refusals raise ``AidError``
naming the field, and write nothing.

Lock order: the case row, then the notice row, then the project row, then the ledger's account rows
(ascending primary key, inside ``post_entry``) — the same project → accounts order as spending.

The regulator's role never appears in any write's role set, so every write by a regulator is refused.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from gongyi.aid import documents
from gongyi.aid.calculator import (
    HARDSHIP_CLASSES,
    CalculationRefused,
    CaseFacts,
    Deductions,
    ParamsError,
    calculate,
)
from gongyi.aid.calculator import Invoice as InvoiceLine
from gongyi.aid.crypto import blind_index, normalize_invoice
from gongyi.aid.keys import current_keyring
from gongyi.aid.models import (
    AWARDED_STATUSES,
    EDITABLE_STATUSES,
    FINISHED_STATUSES,
    AidCalendarDay,
    AidCase,
    AidProgramme,
    AidRole,
    Beneficiary,
    CaseEvent,
    CaseStatus,
    Consent,
    ConsentKind,
    ConsentSigner,
    Disbursement,
    DisbursementMethod,
    Document,
    DocumentKind,
    FollowUp,
    FollowUpKind,
    Invoice,
    Notice,
    NoticeStatus,
    Objection,
    ObjectionStatus,
    Review,
    ReviewDecision,
    Role,
    Station,
    StationLevel,
)
from gongyi.aid.schedule import notice_period
from gongyi.aid.selectors import (
    CLOSE_ROLES,
    DISBURSE_ROLES,
    FOLLOW_UP_ROLES,
    INTAKE_ROLES,
    RESOLVE_ROLES,
    can_review,
    region_path_of,
    scope_of,
)
from gongyi.core.checkdigits import IdNumberError, normalize_id_number, parse_id_number
from gongyi.core.masking import mask_name
from gongyi.core.money import format_yuan
from gongyi.ledger.models import EntryKind
from gongyi.ledger.services import Leg, post_entry
from gongyi.orgs.models import Region
from gongyi.projects.models import Project

logger = logging.getLogger(__name__)

DEDUCTION_FIELDS = (
    "basic_insurance_fen",
    "critical_illness_insurance_fen",
    "medical_assistance_fen",
    "commercial_insurance_fen",
    "employer_fen",
    "other_charity_fen",
)
PHONE_FORMAT = re.compile(r"^[0-9+\-() ]{7,20}$")
ACCOUNT_FORMAT = re.compile(r"^[0-9 ]{8,32}$")
MAX_TEXT = 2000


class AidError(ValueError):
    """A refused casework action, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(AidError):
    """The thing acted on does not exist (404 for pages and the API)."""


def _atomic():
    # Outermost when called from a view or a task; nested inside a test's transaction otherwise.
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _event(case: AidCase, event_kind: str, actor=None, /, **details) -> None:
    CaseEvent.objects.create(case=case, kind=event_kind, actor=actor, details=details)


def _require(actor, roles, path: str, message: str = "没有办理该案件的权限") -> None:
    scope = scope_of(actor)
    if scope.read_only:
        raise AidError("actor", "监管账户只能查看，不能修改")
    if not scope.covers(path, roles):
        raise AidError("actor", message)


def _amount(value, field: str, label: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AidError(field, f"{label}须为整数（分）")
    if value < 0 or (positive and value == 0):
        raise AidError(field, f"{label}须{'大于' if positive else '不小于'}0")
    return value


def _text(value: str | None, field: str, label: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise AidError(field, f"请填写{label}")
    if len(value) > limit:
        raise AidError(field, f"{label}不能超过{limit}字")
    return value


def _lock_case(case: AidCase) -> AidCase:
    # of=("self",): lock only the case row (PostgreSQL refuses FOR UPDATE across the outer join).
    return (
        AidCase.objects.select_for_update(of=("self",))
        .select_related("programme", "beneficiary", "current_step", "region")
        .get(pk=case.pk)
    )


def _retention_until(case: AidCase, today: date) -> date:
    try:
        return today.replace(year=today.year + case.programme.retention_years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + case.programme.retention_years, day=28)


def _finish(case: AidCase, status: str, today: date) -> None:
    """Move a case to a finished status; a rejected or withdrawn case releases its invoices."""
    AidCase.objects.filter(pk=case.pk).update(
        status=status,
        current_step=None,
        finished_at=timezone.now(),
        retention_until=_retention_until(case, today),
    )
    if status in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN):
        Invoice.objects.filter(case=case, released=False).update(released=True)


# --- network ----------------------------------------------------------------------------------------


def create_station(*, region: Region, name: str, address: str = "", phone: str = "", is_active: bool = True) -> Station:
    """A station for a district, township or village region (one per region)."""
    level = {
        "district": StationLevel.DISTRICT,
        "zone": StationLevel.DISTRICT,
        "township": StationLevel.TOWNSHIP,
        "village": StationLevel.VILLAGE,
    }.get(region.level)
    if level is None:
        raise AidError("region", "服务站只能设在区、乡镇（街道）或村（社区）")
    name = _text(name, "name", "服务站名称", required=True, limit=128)
    station, _ = Station.objects.update_or_create(
        region=region,
        defaults={
            "level": level,
            "name": name,
            "address": address,
            "phone": phone,
            "is_active": is_active,
            "region_path": region_path_of(region),
        },
    )
    return station


ROLE_REGION_LEVELS = {
    Role.DISTRICT_STAFF: {"district", "zone"},
    Role.CITY_STAFF: {"city"},
    Role.SOCIAL_WORKER: {"city", "district", "zone", "township", "village"},
}


def grant_role(
    *, user, role: str, region: Region | None = None, station: Station | None = None, granted_by=None
) -> AidRole:
    """Give a user a casework role: station staff need a station; district staff a district; city staff
    the city; social workers any region; federation staff and the regulator no region (everything)."""
    if role not in Role.values:
        raise AidError("role", "未知的角色")
    if role == Role.STATION_STAFF:
        if station is None:
            raise AidError("station", "服务站工作人员须指定服务站")
        region = station.region
    elif role in (Role.FEDERATION_STAFF, Role.REGULATOR):
        region = None
    else:
        if region is None:
            raise AidError("region", "请指定管辖区划")
        if region.level not in ROLE_REGION_LEVELS[role]:
            raise AidError("region", f"{Role(role).label}的管辖区划级别不符")
        station = None
    user.__dict__.pop("_aid_scope", None)  # the scope cached on this user object is stale now
    existing = AidRole.objects.filter(user=user, role=role, region=region, station=station).first()
    if existing is not None:
        if not existing.is_active:
            AidRole.objects.filter(pk=existing.pk).update(is_active=True)
            existing.is_active = True
        return existing
    return AidRole.objects.create(
        user=user,
        role=role,
        region=region,
        station=station,
        region_path=region_path_of(region) if region is not None else "",
        granted_by=granted_by,
    )


def revoke_role(*, aid_role: AidRole) -> None:
    AidRole.objects.filter(pk=aid_role.pk).update(is_active=False)
    aid_role.user.__dict__.pop("_aid_scope", None)


# --- intake ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInput:
    name: str
    id_number: str
    phone: str = ""
    address: str = ""
    household: str = ""


@dataclass(frozen=True)
class GuardianInput:
    name: str
    id_number: str
    relation: str
    phone: str = ""


def id_number_index(number: str) -> str:
    return blind_index(current_keyring(), "idcard", normalize_id_number(number))


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check_phone(value: str, field: str) -> str:
    value = (value or "").strip()
    if value and not PHONE_FORMAT.match(value):
        raise AidError(field, "电话号码格式不正确")
    return value


def open_case(
    *,
    actor,
    programme: AidProgramme,
    region: Region,
    person: PersonInput,
    hardship_class: str,
    diagnosis: str = "",
    hospital: str = "",
    situation: str = "",
    guardian: GuardianInput | None = None,
    deductions: dict[str, int] | None = None,
    today: date | None = None,
) -> AidCase:
    """Take an application at a station: the person (found again by ID number, or registered), the
    facts, a draft case with its number. Refuses a bad ID number, a village outside the actor's scope, a
    person registered elsewhere, and a second open application to the same programme."""
    today = _today(today)
    if region.level != "village":
        raise AidError("region", "请选择申请人所在的村（社区）")
    path = region_path_of(region)
    _require(actor, INTAKE_ROLES, path, "只能受理本辖区村（社区）的申请")
    if not programme.is_active:
        raise AidError("programme", f"{programme.name}目前不受理申请")
    name = _text(person.name, "name", "姓名", required=True, limit=32)
    try:
        parsed = parse_id_number(person.id_number)
    except IdNumberError as exc:
        raise AidError("id_number", str(exc)) from None
    if parsed.birth_date > today:
        raise AidError("id_number", "身份证号中的出生日期晚于今天")
    if hardship_class not in HARDSHIP_CLASSES:
        raise AidError("hardship_class", "请选择困难类别（特困、低保、低边、因病致贫、其他）")
    try:
        params = programme.params()
    except ParamsError as exc:
        raise AidError("programme", f"救助项目参数有误，请联系管理员：{exc}") from None
    if hardship_class not in params.eligible_classes:
        allowed = "、".join(HARDSHIP_CLASSES[c] for c in params.eligible_classes)
        raise AidError(
            "hardship_class", f"{programme.name}不救助「{HARDSHIP_CLASSES[hardship_class]}」类别（可救助：{allowed}）"
        )
    diagnosis = _text(diagnosis, "diagnosis", "诊断", required=programme.requires_diagnosis, limit=500)
    hospital = _text(hospital, "hospital", "就诊医院", limit=128)
    situation = _text(situation, "situation", "家庭困难情况")
    phone = _check_phone(person.phone, "phone")
    address = _text(person.address, "address", "住址", limit=200)
    household = _text(person.household, "household", "家庭成员情况", limit=1000)
    under_14 = _age_on(parsed.birth_date, today) < 14
    guardian_values = {}
    if guardian is not None and (guardian.name or guardian.id_number):
        try:
            guardian_id = parse_id_number(guardian.id_number).number
        except IdNumberError as exc:
            raise AidError("guardian_id_number", f"监护人{exc}") from None
        if guardian_id == parsed.number:
            raise AidError("guardian_id_number", "监护人不能是申请人本人")
        guardian_values = {
            "guardian_name": _text(guardian.name, "guardian_name", "监护人姓名", required=True, limit=32),
            "guardian_id_number": guardian_id,
            "guardian_phone": _check_phone(guardian.phone, "guardian_phone"),
            "guardian_relation": _text(guardian.relation, "guardian_relation", "监护关系", required=True, limit=16),
        }
    if under_14 and not guardian_values:
        raise AidError("guardian_name", "申请人未满14周岁，须登记监护人（姓名、身份证号、监护关系）")
    amounts = {}
    for field in DEDUCTION_FIELDS:
        amounts[field] = _amount((deductions or {}).get(field, 0), field, "报销金额")
    index = id_number_index(parsed.number)
    with _atomic():
        beneficiary = Beneficiary.objects.filter(id_number_index=index).first()
        if beneficiary is not None:
            if not beneficiary.region_path.startswith(path) and not scope_of(actor).covers(
                beneficiary.region_path, INTAKE_ROLES
            ):
                raise AidError(
                    "id_number",
                    f"该身份证号已在其他地区登记为受助人（受助人编号 {beneficiary.pk}），"
                    "不得重复建档，请联系上级慈善会核实",
                )
            open_case_qs = beneficiary.cases.filter(programme=programme).exclude(status__in=FINISHED_STATUSES)
            existing = open_case_qs.first()
            if existing is not None:
                raise AidError("programme", f"该受助人已有进行中的{programme.name}申请 {existing.case_number}")
        else:
            beneficiary = Beneficiary(
                region=region,
                region_path=path,
                name=name,
                id_number=parsed.number,
                id_number_index=index,
                birth_date=parsed.birth_date.isoformat(),
                phone=phone,
                address=address,
                household=household,
                masked_name=mask_name(name),
                created_by=actor,
            )
            try:
                with transaction.atomic():
                    beneficiary.save()
            except IntegrityError:
                raise AidError("id_number", "该身份证号刚刚被登记，请刷新后重试") from None
        station = Station.objects.filter(region=region, is_active=True).first()
        case = AidCase(
            programme=programme,
            beneficiary=beneficiary,
            region=region,
            region_path=path,
            station=station,
            hardship_class=hardship_class,
            diagnosis=diagnosis,
            hospital=hospital,
            situation=situation,
            applicant_under_14=under_14,
            created_by=actor,
            **guardian_values,
            **amounts,
        )
        case.save()
        case.case_number = f"{programme.case_prefix}-{today.year}-{case.pk:05d}"
        AidCase.objects.filter(pk=case.pk).update(case_number=case.case_number)
        _event(
            case,
            "opened",
            actor,
            programme=programme.code,
            station=station.pk if station else None,
            beneficiary=beneficiary.pk,
            under_14=under_14,
        )
    return case


def update_case(*, actor, case: AidCase, **changes) -> AidCase:
    """Change a draft's or returned case's facts (class, diagnosis, hospital, situation, deductions)."""
    allowed = {"hardship_class", "diagnosis", "hospital", "situation", *DEDUCTION_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise AidError(sorted(unknown)[0], "该项不能修改")
    _require(actor, INTAKE_ROLES, case.region_path)
    with _atomic():
        current = _lock_case(case)
        if current.status not in EDITABLE_STATUSES:
            raise AidError("status", f"案件{current.get_status_display()}，不能修改")
        for field, value in changes.items():
            if field in DEDUCTION_FIELDS:
                value = _amount(value, field, "报销金额")
            elif field == "hardship_class":
                if value not in HARDSHIP_CLASSES:
                    raise AidError(field, "请选择困难类别")
            else:
                label = str(AidCase._meta.get_field(field).verbose_name)
                value = _text(value, field, label, limit=500 if field == "diagnosis" else MAX_TEXT)
            setattr(current, field, value)
        current.save(update_fields=list(changes))
        _event(current, "updated", actor, fields=sorted(changes))
    return current


def add_invoice(*, actor, case: AidCase, code: str, number: str, amount_fen: int, issued_on: date) -> Invoice:
    """Register a medical bill on a draft; refuse a bill already claimed by any application."""
    _require(actor, INTAKE_ROLES, case.region_path)
    code = _text(code, "invoice_code", "票据代码", limit=20)
    number = _text(number, "invoice_number", "票据号码", required=True, limit=30)
    amount_fen = _amount(amount_fen, "amount_fen", "票据金额", positive=True)
    if issued_on > timezone.localdate():
        raise AidError("issued_on", "票据开具日期不能晚于今天")
    normalized = normalize_invoice(code, number)
    key = blind_index(current_keyring(), "invoice", normalized)
    label = "…" + normalized.replace("/", "")[-6:]
    with _atomic():
        current = _lock_case(case)
        if current.status not in EDITABLE_STATUSES:
            raise AidError("status", f"案件{current.get_status_display()}，不能登记票据")
        used = Invoice.objects.filter(invoice_key=key, released=False).select_related("case").first()
        if used is not None:
            where = "本申请" if used.case_id == current.pk else f"救助申请 {used.case.case_number}"
            raise AidError("invoice_number", f"票据 {label} 已用于{where}（每张票据只能使用一次）")
        try:
            with transaction.atomic():
                invoice = Invoice.objects.create(
                    case=current,
                    number=normalized,
                    label=label,
                    invoice_key=key,
                    amount_fen=amount_fen,
                    issued_on=issued_on,
                )
        except IntegrityError:
            raise AidError("invoice_number", f"票据 {label} 已用于其他救助申请（每张票据只能使用一次）") from None
        _recount(current)
        _event(current, "invoice_added", actor, invoice=invoice.pk, amount_fen=amount_fen)
    return invoice


def remove_invoice(*, actor, invoice: Invoice) -> None:
    case = invoice.case
    _require(actor, INTAKE_ROLES, case.region_path)
    with _atomic():
        current = _lock_case(case)
        if current.status not in EDITABLE_STATUSES:
            raise AidError("status", f"案件{current.get_status_display()}，不能删除票据")
        Invoice.objects.filter(pk=invoice.pk, case=current).delete()
        _recount(current)
        _event(current, "invoice_removed", actor, invoice=invoice.pk)


def _recount(case: AidCase) -> None:
    total = Invoice.objects.filter(case=case, released=False).aggregate(s=Sum("amount_fen"))["s"] or 0
    AidCase.objects.filter(pk=case.pk).update(total_cost_fen=total)
    case.total_cost_fen = total


def record_consent(*, actor, case: AidCase, kind: str, signer: str, text_version: str = "2026-01") -> Consent:
    """Record one separate consent; an under-14 applicant's consents are signed by the guardian."""
    _require(actor, INTAKE_ROLES, case.region_path)
    if kind not in ConsentKind.values:
        raise AidError("kind", "未知的同意事项")
    if signer not in ConsentSigner.values:
        raise AidError("signer", "请选择签署人")
    if case.applicant_under_14 and signer == ConsentSigner.SELF:
        raise AidError("signer", "申请人未满14周岁，须由监护人签署同意（个人信息保护法第三十一条）")
    if kind == ConsentKind.GUARDIAN and signer != ConsentSigner.GUARDIAN:
        raise AidError("signer", "监护人同意须由监护人签署")
    with _atomic():
        current = _lock_case(case)
        if current.status in FINISHED_STATUSES:
            raise AidError("status", f"案件{current.get_status_display()}")
        try:
            with transaction.atomic():
                consent = Consent.objects.create(
                    case=current, kind=kind, signer=signer, text_version=text_version[:32], recorded_by=actor
                )
        except IntegrityError:
            raise AidError("kind", f"已记录「{ConsentKind(kind).label!s}」") from None
        _event(current, "consent_recorded", actor, kind=kind, signer=signer)
    return consent


def withdraw_consent(*, actor, case: AidCase, kind: str, today: date | None = None) -> None:
    """Withdraw a consent (PIPL art. 15). Withdrawing publication during a notice takes the notice down
    and returns the case; withdrawing the sensitive-data consent stops the case (withdrawn)."""
    _require(actor, INTAKE_ROLES | CLOSE_ROLES, case.region_path)
    today = _today(today)
    with _atomic():
        current = _lock_case(case)
        updated = Consent.objects.filter(case=current, kind=kind, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        if not updated:
            raise AidError("kind", "没有可撤回的该项同意")
        _event(current, "consent_withdrawn", actor, kind=kind)
        if kind == ConsentKind.PUBLICATION and current.status in (CaseStatus.NOTICE, CaseStatus.OBJECTION):
            Notice.objects.filter(case=current, status__in=(NoticeStatus.RUNNING, NoticeStatus.PAUSED)).update(
                status=NoticeStatus.WITHDRAWN, finished_at=timezone.now()
            )
            AidCase.objects.filter(pk=current.pk).update(status=CaseStatus.RETURNED, current_step=None)
            _event(current, "notice_withdrawn", actor, reason="publication_consent_withdrawn")
        elif (
            kind in (ConsentKind.SENSITIVE, ConsentKind.GUARDIAN)
            and current.status not in FINISHED_STATUSES
            and current.status
            not in (
                CaseStatus.APPROVED,
                CaseStatus.DISBURSED,
            )
        ):
            Notice.objects.filter(case=current, status__in=(NoticeStatus.RUNNING, NoticeStatus.PAUSED)).update(
                status=NoticeStatus.WITHDRAWN, finished_at=timezone.now()
            )
            _finish(current, CaseStatus.WITHDRAWN, today)
            _event(current, "withdrawn", actor, reason="consent_withdrawn")


def add_document(*, actor, case: AidCase, kind: str, file, disbursement: Disbursement | None = None) -> Document:
    """Store an uploaded file encrypted; staff who may take intakes, pay or follow up may upload."""
    _require(actor, INTAKE_ROLES | FOLLOW_UP_ROLES | DISBURSE_ROLES, case.region_path)
    if kind not in DocumentKind.values:
        raise AidError("kind", "请选择材料类型")
    try:
        checked = documents.check_upload(file)
    except documents.UploadRefused as exc:
        raise AidError("file", exc.message) from None
    with _atomic():
        current = _lock_case(case)
        if current.anonymised_at is not None:
            raise AidError("status", "案件已匿名化")
        document = Document(
            case=current,
            disbursement=disbursement,
            kind=kind,
            original_name=checked.name,
            content_type=checked.content_type,
            size_bytes=len(checked.content),
            uploaded_by=actor,
        )
        document.storage_name, document.key_id = documents.store_sealed(document.uid, checked.content)
        try:
            document.save()
        except Exception:
            documents.delete_document_file(document)
            raise
        _event(current, "document_added", actor, document=document.pk, kind=kind)
    return document


# --- submission, calculation and review ----------------------------------------------------------------


def _active_consents(case: AidCase) -> set[str]:
    return set(Consent.objects.filter(case=case, withdrawn_at__isnull=True).values_list("kind", flat=True))


def received_this_year_fen(case: AidCase, year: int) -> int:
    """Awards of the same programme to the same person in ``year``, other than this case."""
    return (
        AidCase.objects.filter(
            beneficiary_id=case.beneficiary_id,
            programme_id=case.programme_id,
            status__in=AWARDED_STATUSES,
            decided_at__year=year,
        )
        .exclude(pk=case.pk)
        .aggregate(s=Sum("approved_fen"))["s"]
        or 0
    )


def case_facts(case: AidCase, today: date) -> CaseFacts:
    invoices = list(Invoice.objects.filter(case=case, released=False).order_by("id"))
    keys = {i.invoice_key for i in invoices}
    used = set(
        Invoice.objects.filter(invoice_key__in=keys, released=False)
        .exclude(case=case)
        .values_list("invoice_key", flat=True)
    )
    return CaseFacts(
        hardship_class=case.hardship_class,
        applied_on=today,
        invoices=tuple(InvoiceLine(i.invoice_key, i.label, i.amount_fen, i.issued_on) for i in invoices),
        deductions=Deductions(**{f: getattr(case, f) for f in DEDUCTION_FIELDS}),
        received_this_year_fen=received_this_year_fen(case, today.year),
        used_invoice_keys=frozenset(used),
    )


def submit_case(*, actor, case: AidCase, today: date | None = None) -> AidCase:
    """Send a draft (or returned) case into review: consents, documents and the calculator must all pass.

    Refused, naming what is missing: the sensitive-data and publication consents (and the guardian's for
    an under-14 applicant), the programme's required documents, and any calculator problem (re-used or
    out-of-date invoices, reimbursements above the cost, an ineligible class). The award is stored with
    its working.
    """
    today = _today(today)
    _require(actor, INTAKE_ROLES, case.region_path)
    with _atomic():
        current = _lock_case(case)
        if current.status not in EDITABLE_STATUSES:
            raise AidError("status", f"案件{current.get_status_display()}，不能提交")
        consents = _active_consents(current)
        needed = [ConsentKind.SENSITIVE, ConsentKind.PUBLICATION]
        if current.applicant_under_14:
            needed.append(ConsentKind.GUARDIAN)
        missing = [k for k in needed if k not in consents]
        if missing:
            raise AidError("consents", "缺少知情同意：" + "；".join(str(ConsentKind(k).label) for k in missing))
        present = set(Document.objects.filter(case=current, deleted_at__isnull=True).values_list("kind", flat=True))
        missing_docs = [k for k in current.programme.required_documents or [] if k not in present]
        if missing_docs:
            raise AidError("documents", "缺少申请材料：" + "、".join(str(DocumentKind(k).label) for k in missing_docs))
        steps = list(current.programme.steps.order_by("position"))
        if not steps:
            raise AidError("programme", "该救助项目尚未设置审核流程")
        try:
            result = calculate(current.programme.params(), case_facts(current, today))
        except ParamsError as exc:
            raise AidError("programme", f"救助项目参数有误：{exc}") from None
        except CalculationRefused as exc:
            first = exc.problems[0]
            raise AidError(first.field, "；".join(p.message for p in exc.problems)) from None
        if result.award_fen <= 0:
            raise AidError("calculation", "按救助标准测算的救助金额为0，不符合救助条件：\n" + result.working())
        round_ = current.review_round + (1 if current.status == CaseStatus.RETURNED else 0)
        AidCase.objects.filter(pk=current.pk).update(
            status=CaseStatus.IN_REVIEW,
            current_step=steps[0],
            review_round=round_,
            calculated_fen=result.award_fen,
            calculation=result.as_dict(),
            approved_fen=None,
            submitted_at=timezone.now(),
        )
        _event(current, "submitted", actor, award_fen=result.award_fen, round=round_, capped_by=list(result.capped_by))
        current.refresh_from_db()
    return current


def review_case(
    *,
    actor,
    case: AidCase,
    decision: str,
    opinion: str = "",
    no_conflict_declared: bool = False,
    home_visit_on: date | None = None,
    amount_fen: int | None = None,
    today: date | None = None,
) -> AidCase:
    """Decide the current review step. Approving the last step fixes the approved amount (at most the
    calculated award) and starts the public notice; returning sends the case back for more material;
    rejecting ends it. Refused: no conflict-of-interest declaration, not the step's reviewer, the same
    person deciding two steps of a round, a missing home visit where the step needs one, an amount above
    the award or caps."""
    today = _today(today)
    if decision not in ReviewDecision.values:
        raise AidError("decision", "请选择审核意见（同意、退回补充、不同意）")
    if not no_conflict_declared:
        raise AidError(
            "no_conflict_declared",
            "须声明本人与申请人无利害关系（慈善法第五十九条）；有利害关系的请回避，由其他人员审核",
        )
    opinion = _text(opinion, "opinion", "审核意见", required=decision != ReviewDecision.APPROVE, limit=1000)
    if home_visit_on is not None and home_visit_on > today:
        raise AidError("home_visit_on", "入户调查日期不能晚于今天")
    if scope_of(actor).read_only:
        raise AidError("actor", "监管账户只能查看，不能修改")
    with _atomic():
        current = _lock_case(case)
        if current.status != CaseStatus.IN_REVIEW or current.current_step is None:
            raise AidError("status", f"案件{current.get_status_display()}，不在审核中")
        step = current.current_step
        if not can_review(actor, current):
            raise AidError(
                "actor", f"本环节「{step.name}」须由{step.get_level_display()}级{step.get_role_display()}审核"
            )
        earlier = Review.objects.filter(case=current, review_round=current.review_round, reviewer=actor).exists()
        if earlier:
            raise AidError("actor", "同一案件的各级审核须由不同人员完成")
        if decision == ReviewDecision.APPROVE and step.requires_home_visit and home_visit_on is None:
            raise AidError("home_visit_on", "本环节须入户调查，请填写调查日期")
        steps = list(current.programme.steps.order_by("position"))
        later = [s for s in steps if s.position > step.position]
        approved = None
        if amount_fen is not None:
            if later or decision != ReviewDecision.APPROVE:
                raise AidError("amount_fen", "核定金额只在最后一级审核同意时填写")
            amount_fen = _amount(amount_fen, "amount_fen", "核定金额", positive=True)
        if decision == ReviewDecision.APPROVE and not later:
            approved = current.calculated_fen if amount_fen is None else amount_fen
            if approved > current.calculated_fen:
                cap = current.programme.per_case_cap_fen
                extra = f"，单笔上限 {format_yuan(cap)}" if cap else ""
                raise AidError(
                    "amount_fen",
                    f"核定金额 {format_yuan(approved)} 超过按救助标准测算的 "
                    f"{format_yuan(current.calculated_fen)}{extra}",
                )
            if ConsentKind.PUBLICATION not in _active_consents(current):
                raise AidError("consents", "缺少公示同意，不能进入公示")
        Review.objects.create(
            case=current,
            step=step,
            review_round=current.review_round,
            reviewer=actor,
            decision=decision,
            opinion=opinion,
            no_conflict_declared=True,
            home_visit_on=home_visit_on,
            amount_fen=approved,
        )
        _event(current, "reviewed", actor, step=step.position, decision=decision, round=current.review_round)
        if decision == ReviewDecision.REJECT:
            _finish(current, CaseStatus.REJECTED, today)
            _event(current, "rejected", actor, step=step.position)
        elif decision == ReviewDecision.RETURN:
            AidCase.objects.filter(pk=current.pk).update(status=CaseStatus.RETURNED, current_step=None)
            _event(current, "returned", actor, step=step.position)
        elif later:
            AidCase.objects.filter(pk=current.pk).update(current_step=later[0])
        else:
            AidCase.objects.filter(pk=current.pk).update(
                approved_fen=approved, current_step=None, decided_at=timezone.now()
            )
            current.approved_fen = approved
            _start_notice(current, today, actor)
        current.refresh_from_db()
    return current


def place_of(region: Region) -> str:
    """``华容区 段店镇 段店村`` — down to the village, never further (regulation.md §6.3)."""
    names = []
    node = region
    while node is not None and node.level in ("village", "township", "district", "zone"):
        names.append(node.name)
        node = node.parent
    return " ".join(reversed(names))


def _calendar(start: date) -> tuple[set[date], set[date]]:
    days = AidCalendarDay.objects.filter(day__gte=start, day__lte=start + timedelta(days=60))
    return {d.day for d in days if not d.is_working}, {d.day for d in days if d.is_working}


def _start_notice(case: AidCase, today: date, actor) -> Notice:
    holidays, workdays = _calendar(today)
    period = notice_period(today, case.programme.notice_length, holidays=holidays, workdays=workdays)
    masked = "未成年人（姓名不公开）" if case.applicant_under_14 else case.beneficiary.masked_name
    notice = Notice.objects.create(
        case=case,
        programme=case.programme,
        masked_name=masked[:16],
        place=place_of(case.region)[:128],
        amount_fen=case.approved_fen,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )
    AidCase.objects.filter(pk=case.pk).update(status=CaseStatus.NOTICE)
    _event(
        case, "notice_started", actor, notice=notice.pk, starts_on=str(period.starts_on), ends_on=str(period.ends_on)
    )
    return notice


def complete_due_notices(*, today: date | None = None) -> int:
    """Close every notice whose period has passed without an open objection; its case awaits payment."""
    today = _today(today)
    done = 0
    for notice_id in Notice.objects.filter(status=NoticeStatus.RUNNING, ends_on__lt=today).values_list("pk", flat=True):
        with _atomic():
            notice = Notice.objects.select_related("case").get(pk=notice_id)
            case = _lock_case(notice.case)
            notice = Notice.objects.select_for_update().get(pk=notice_id)
            if notice.status != NoticeStatus.RUNNING or case.status != CaseStatus.NOTICE:
                continue
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.COMPLETED, finished_at=timezone.now())
            AidCase.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)
            _event(case, "notice_completed", None, notice=notice.pk)
            done += 1
    return done


# --- objections ---------------------------------------------------------------------------------------


def _tracking_number(today: date) -> str:
    return f"YY{today:%Y%m%d}{secrets.randbelow(10**6):06d}"


def file_objection(*, notice_id: int, text: str, contact: str = "", today: date | None = None) -> Objection:
    """Anyone may object to a running notice; the case pauses until staff resolve it."""
    today = _today(today)
    text = _text(text, "text", "异议内容", required=True, limit=500)
    if len(text) < 5:
        raise AidError("text", "请具体说明异议的事实和理由（至少5个字）")
    contact = _text(contact, "contact", "联系方式", limit=100)
    with _atomic():
        notice = Notice.objects.filter(pk=notice_id).select_related("case").first()
        if notice is None:
            raise NotFound("notice", "公示不存在")
        case = _lock_case(notice.case)
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if notice.status not in (NoticeStatus.RUNNING, NoticeStatus.PAUSED) or today > notice.ends_on:
            raise AidError("notice", "该公示已结束；如有问题请通过监督电话反映")
        for _ in range(5):
            try:
                with transaction.atomic():
                    objection = Objection.objects.create(
                        notice=notice, case=case, tracking_number=_tracking_number(today), text=text, contact=contact
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 10^6 numbers a day
            raise AidError("notice", "请稍后再试")
        if notice.status == NoticeStatus.RUNNING:
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PAUSED)
            AidCase.objects.filter(pk=case.pk).update(status=CaseStatus.OBJECTION)
        _event(case, "objection_filed", None, objection=objection.pk, tracking_number=objection.tracking_number)
    return objection


def resolve_objection(
    *, actor, objection: Objection, upheld: bool, resolution: str, public_answer: str = "", today: date | None = None
) -> Objection:
    """Decide an objection. Upheld: the notice comes down and the case is rejected. Dismissed: once no
    objection is open, the notice runs again for its full length from today."""
    today = _today(today)
    case = objection.case
    _require(actor, RESOLVE_ROLES, case.region_path, "只有市级工作人员或慈善总会工作人员可以处理异议")
    resolution = _text(resolution, "resolution", "处理意见", required=True, limit=1000)
    public_answer = _text(public_answer, "public_answer", "公开答复", limit=200)
    with _atomic():
        current = _lock_case(case)
        notice = Notice.objects.select_for_update().get(pk=objection.notice_id)
        fresh = Objection.objects.select_for_update().get(pk=objection.pk)
        if fresh.status != ObjectionStatus.OPEN:
            raise AidError("objection", "该异议已处理")
        status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        fresh.status = status
        fresh.resolved_by = actor
        fresh.resolved_at = timezone.now()
        fresh.resolution = resolution
        fresh.public_answer = public_answer
        fresh.save(update_fields=["status", "resolved_by", "resolved_at", "resolution", "public_answer"])
        _event(current, "objection_resolved", actor, objection=fresh.pk, upheld=upheld)
        if upheld:
            Objection.objects.filter(notice=notice, status=ObjectionStatus.OPEN).update(
                status=ObjectionStatus.UPHELD,
                resolved_by=actor,
                resolved_at=timezone.now(),
                public_answer=public_answer,
            )
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.WITHDRAWN, finished_at=timezone.now())
            _finish(current, CaseStatus.REJECTED, today)
            _event(current, "rejected", actor, reason="objection_upheld")
        elif not Objection.objects.filter(notice=notice, status=ObjectionStatus.OPEN).exists():
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.WITHDRAWN, finished_at=timezone.now())
            _start_notice(current, today, actor)
        fresh.refresh_from_db()
    return fresh


# --- disbursement and follow-up --------------------------------------------------------------------------


def _aid_accounts(project: Project):
    # Aid is spending of the project's restricted funds, in the spending app's aid category, so the
    # project's public accounts (income − spending = balance) count it.
    from gongyi.spending.models import Category
    from gongyi.spending.services import payable_account, spending_account

    return spending_account(project, Category.AID), payable_account(project.organisation)


def project_balance_fen(project: Project) -> int:
    from gongyi.spending.selectors import accounts_for_project

    return accounts_for_project(project).balance_fen


def disburse(
    *,
    actor,
    case: AidCase,
    amount_fen: int,
    method: str,
    paid_on: date | None = None,
    account_holder: str = "",
    bank_name: str = "",
    account_number: str = "",
    hospital_name: str = "",
    request_key: str = "",
) -> Disbursement:
    """Pay (part of) an approved case from its programme's project and post it to the ledger.

    Posts project aid spending Dr / the organisation's expenditure payable Cr (kind DISBURSEMENT), with
    the case number as the only identifier in the memo. Refused: not approved yet, more than the approved
    amount still unpaid, more than the project's balance, a hospital payment without the sharing consent,
    missing account details, and the person who gave the final approval paying it.
    """
    _require(actor, DISBURSE_ROLES, case.region_path, "只有市级工作人员或慈善总会工作人员可以拨付")
    amount_fen = _amount(amount_fen, "amount_fen", "拨付金额", positive=True)
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise AidError("paid_on", "拨付日期不能晚于今天")
    if method not in DisbursementMethod.values:
        raise AidError("method", "请选择拨付方式")
    sealed: dict[str, str] = {}
    last4 = ""
    if method == DisbursementMethod.BENEFICIARY_ACCOUNT:
        sealed["account_holder"] = _text(account_holder, "account_holder", "收款户名", required=True, limit=32)
        sealed["bank_name"] = _text(bank_name, "bank_name", "开户行", required=True, limit=64)
        number = (account_number or "").strip()
        if not ACCOUNT_FORMAT.match(number):
            raise AidError("account_number", "银行账号应为8–32位数字")
        sealed["account_number"] = number.replace(" ", "")
        last4 = sealed["account_number"][-4:]
        hospital_name = ""
    else:
        hospital_name = _text(hospital_name, "hospital_name", "收款医院", required=True, limit=128)
    request_key = (request_key or "").strip()[:64]
    with _atomic():
        current = _lock_case(case)
        if request_key:
            done = Disbursement.objects.filter(
                case=current, entry__idempotency_key=f"aid-disbursement:{request_key}"
            ).first()
            if done is not None:
                return done
        if current.status != CaseStatus.APPROVED:
            raise AidError("status", f"案件{current.get_status_display()}，公示期满无异议后才能拨付")
        final = Review.objects.filter(case=current, review_round=current.review_round, amount_fen__isnull=False).first()
        if final is not None and final.reviewer_id == actor.pk:
            raise AidError("actor", "终审人员不能拨付自己审定的案件")
        if method == DisbursementMethod.HOSPITAL and ConsentKind.SHARING not in _active_consents(current):
            raise AidError("method", "直接支付给医院须有“同意向医院提供信息”的单独同意")
        remaining = current.remaining_fen
        if amount_fen > remaining:
            raise AidError(
                "amount_fen",
                f"拨付金额 {format_yuan(amount_fen)} 超过未拨付的核定金额 {format_yuan(remaining)}"
                f"（核定 {format_yuan(current.approved_fen or 0)}，已拨付 {format_yuan(current.disbursed_fen)}）",
            )
        project = (
            Project.objects.select_for_update().select_related("organisation").get(pk=current.programme.project_id)
        )
        balance = project_balance_fen(project)
        if amount_fen > balance:
            raise AidError(
                "amount_fen",
                f"拨付金额 {format_yuan(amount_fen)} 超出项目「{project.title}」可用结余 {format_yuan(balance)}",
            )
        disbursement = Disbursement(
            case=current,
            amount_fen=amount_fen,
            method=method,
            account_last4=last4,
            hospital_name=hospital_name,
            paid_on=paid_on,
            recorded_by=actor,
            **sealed,
        )
        spending, payable = _aid_accounts(project)
        entry = post_entry(
            kind=EntryKind.DISBURSEMENT,
            idempotency_key=f"aid-disbursement:{request_key or disbursement.uid}",
            memo=f"救助款拨付 {current.case_number}",
            occurred_at=timezone.make_aware(datetime.combine(paid_on, time(12))),
            legs=[Leg(spending, amount_fen), Leg(payable, -amount_fen)],
            project=project,
        )
        disbursement.entry = entry
        disbursement.save()
        full = current.disbursed_fen + amount_fen == current.approved_fen
        updated = AidCase.objects.filter(pk=current.pk, disbursed_fen=current.disbursed_fen).update(
            disbursed_fen=F("disbursed_fen") + amount_fen,
            status=CaseStatus.DISBURSED if full else CaseStatus.APPROVED,
        )
        if updated != 1:  # cannot happen under the row lock; refuse rather than pay twice
            raise IntegrityError(f"case {current.pk} changed under its lock")
        _event(
            current,
            "disbursed",
            actor,
            disbursement=disbursement.pk,
            amount_fen=amount_fen,
            method=method,
            entry=entry.pk,
        )
        logger.info("aid case %s disbursed %s fen as entry %s", current.case_number, amount_fen, entry.pk)
    return disbursement


def record_follow_up(
    *, actor, case: AidCase, kind: str, on: date, services: str = "", notes: str = "", volunteers: str = ""
) -> FollowUp:
    """Record a visit or a service (物质+服务) on an approved, paid or closed case."""
    _require(actor, FOLLOW_UP_ROLES, case.region_path)
    if kind not in FollowUpKind.values:
        raise AidError("kind", "请选择跟踪服务类型")
    if on > timezone.localdate():
        raise AidError("on", "日期不能晚于今天")
    services = _text(services, "services", "服务内容", limit=200)
    notes = _text(notes, "notes", "记录", required=True)
    volunteers = _text(volunteers, "volunteers", "参与志愿者", limit=200)
    with _atomic():
        current = _lock_case(case)
        if current.status not in (CaseStatus.APPROVED, CaseStatus.DISBURSED, CaseStatus.CLOSED, CaseStatus.IN_REVIEW):
            raise AidError("status", f"案件{current.get_status_display()}，不能登记跟踪服务")
        follow_up = FollowUp.objects.create(
            case=current, kind=kind, on=on, services=services, notes=notes, volunteers=volunteers, recorded_by=actor
        )
        _event(current, "follow_up", actor, follow_up=follow_up.pk, kind=kind)
    return follow_up


def close_case(*, actor, case: AidCase, today: date | None = None) -> AidCase:
    """Close a fully paid case; its personal data is kept for the programme's retention period."""
    today = _today(today)
    _require(actor, CLOSE_ROLES, case.region_path)
    with _atomic():
        current = _lock_case(case)
        if current.status != CaseStatus.DISBURSED:
            raise AidError("status", f"案件{current.get_status_display()}，拨付完毕后才能结案")
        _finish(current, CaseStatus.CLOSED, today)
        _event(current, "closed", actor)
        current.refresh_from_db()
    return current


def withdraw_case(*, actor, case: AidCase, reason: str, today: date | None = None) -> AidCase:
    """The applicant withdraws (recorded by staff) before the notice; invoices are released."""
    today = _today(today)
    _require(actor, INTAKE_ROLES, case.region_path)
    reason = _text(reason, "reason", "撤回原因", required=True, limit=200)
    with _atomic():
        current = _lock_case(case)
        if current.status not in (CaseStatus.DRAFT, CaseStatus.RETURNED, CaseStatus.IN_REVIEW):
            raise AidError("status", f"案件{current.get_status_display()}，不能撤回")
        _finish(current, CaseStatus.WITHDRAWN, today)
        _event(current, "withdrawn", actor)
        current.refresh_from_db()
    return current


# --- retention --------------------------------------------------------------------------------------------


def anonymise_beneficiary(*, beneficiary: Beneficiary, today: date | None = None, actor=None) -> None:
    """Erase a person's personal data once every case of theirs is finished and past its retention date.

    Every sealed column becomes NULL (the ciphertext is gone, not just unreadable), documents are deleted
    from storage, the blind index is cleared (the ID number can no longer be matched), notices keep only
    ``*``. Amounts, dates, the village, case numbers, events and the ledger stay: the accounts must still
    add up (PIPL art. 73 anonymisation; Charity Law disclosure)."""
    today = _today(today)
    cases = list(beneficiary.cases.all())
    for case in cases:
        if case.status not in FINISHED_STATUSES:
            raise AidError("beneficiary", f"案件 {case.case_number} 尚未结束")
        if case.retention_until is None or case.retention_until > today:
            raise AidError("beneficiary", f"案件 {case.case_number} 的保存期至 {case.retention_until}，未到期")
    with _atomic():
        now = timezone.now()
        for case in cases:
            AidCase.objects.filter(pk=case.pk).update(
                diagnosis=None,
                hospital=None,
                situation=None,
                guardian_name=None,
                guardian_id_number=None,
                guardian_phone=None,
                guardian_relation="",
                anonymised_at=now,
            )
            Invoice.objects.filter(case=case).update(number=None, label="")
            Review.objects.filter(case=case).update(opinion=None)
            Objection.objects.filter(case=case).update(text=None, contact=None, resolution=None)
            Disbursement.objects.filter(case=case).update(account_holder=None, bank_name=None, account_number=None)
            FollowUp.objects.filter(case=case).update(notes=None, volunteers=None)
            Notice.objects.filter(case=case).update(masked_name="*")
            for document in Document.objects.filter(case=case, deleted_at__isnull=True):
                stored = document.storage_name
                Document.objects.filter(pk=document.pk).update(original_name=None, deleted_at=now, storage_name="")
                transaction.on_commit(lambda name=stored: _delete_stored(name))
            _event(case, "anonymised", actor)
        Beneficiary.objects.filter(pk=beneficiary.pk).update(
            name=None,
            id_number=None,
            id_number_index=None,
            birth_date=None,
            phone=None,
            address=None,
            household=None,
            masked_name="（已匿名）",
            anonymised_at=now,
        )


def _delete_stored(name: str) -> None:
    from django.core.files.storage import default_storage

    if name and default_storage.exists(name):
        default_storage.delete(name)


def anonymise_expired(*, today: date | None = None) -> int:
    """Anonymise every person whose cases are all finished and past retention; return how many."""
    today = _today(today)
    count = 0
    candidates = Beneficiary.objects.filter(anonymised_at__isnull=True, cases__isnull=False).distinct()
    for beneficiary in candidates:
        cases = beneficiary.cases.all()
        if all(c.status in FINISHED_STATUSES and c.retention_until and c.retention_until <= today for c in cases):
            anonymise_beneficiary(beneficiary=beneficiary, today=today)
            count += 1
    return count
