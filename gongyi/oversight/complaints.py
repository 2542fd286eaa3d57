"""Writes for complaints (举报/投诉, Charity Law art. 108): file, triage, investigate, answer, close, refuse,
merge, flag overdue. Every change is one transaction with a ``ComplaintEvent`` row.

The life of a complaint::

    received → triaged → investigating → answered → closed
    received | triaged            → rejected   (不予受理, with the reasons as the reply)
    received | triaged | investigating → duplicate  (merged into another complaint about the same thing)

The reply is due ``GONGYI_COMPLAINT_ANSWER_DAYS`` days (default 15, read when the complaint is received)
after the day it was received; an answer, a refusal or a merge is a reply. The periodic task flags each
complaint still open after its last day once (``overdue_flagged_at`` and an event), for the regulator.

Handlers hold ``oversight.handle_complaint``; the regulator (read-only, ``gongyi.core.roles``) is refused
here as well as by the middleware. Refusals raise ``ComplaintError(field, message)`` and write nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.core.roles import is_read_only
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.oversight import contact as sealing
from gongyi.oversight.models import (
    ANSWER_OUTCOMES,
    OPEN_COMPLAINT_STATUSES,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintOutcome,
    ComplaintStatus,
    ComplaintSubject,
)
from gongyi.spending.uploads import UploadRefused, check_upload

logger = logging.getLogger(__name__)

HANDLE_PERMISSION = "oversight.handle_complaint"
DEFAULT_ANSWER_DAYS = 15
DEFAULT_RATE_LIMIT = 5  # complaints per address …
DEFAULT_RATE_WINDOW_MINUTES = 60  # … in this many minutes
MAX_ATTACHMENTS = 5
MIN_TEXT_LENGTH = 10
MAX_TEXT_LENGTH = 5000
MAX_CONTACT_LENGTH = 100
MAX_NAME_LENGTH = 40
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed from paper
TRACKING_RANDOM_LENGTH = 10  # 31^10 ≈ 2^49.5: not guessable, and filing is rate-limited
TRACKING_PATTERN = re.compile(r"^JB\d{8}[" + TRACKING_ALPHABET + r"]{" + str(TRACKING_RANDOM_LENGTH) + r"}$")
CASE_REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/]{0,63}$")

# Which transitions each action makes: action → (allowed from, to).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "triage": ((ComplaintStatus.RECEIVED,), ComplaintStatus.TRIAGED),
    "investigate": ((ComplaintStatus.TRIAGED,), ComplaintStatus.INVESTIGATING),
    "answer": ((ComplaintStatus.TRIAGED, ComplaintStatus.INVESTIGATING), ComplaintStatus.ANSWERED),
    "close": ((ComplaintStatus.ANSWERED,), ComplaintStatus.CLOSED),
    "reject": ((ComplaintStatus.RECEIVED, ComplaintStatus.TRIAGED), ComplaintStatus.REJECTED),
    "duplicate": (OPEN_COMPLAINT_STATUSES, ComplaintStatus.DUPLICATE),
}


class ComplaintError(ValueError):
    """A refused complaint action, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- configuration (read at call time) --------------------------------------------------------------------


def _setting_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = getattr(settings, name, None)
    if raw is None:
        raw = os.environ.get(name, "").strip() or default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def answer_days() -> int:
    """Days to reply to a complaint: ``GONGYI_COMPLAINT_ANSWER_DAYS`` (setting or environment), default 15."""
    return _setting_int("GONGYI_COMPLAINT_ANSWER_DAYS", DEFAULT_ANSWER_DAYS)


def rate_limit() -> tuple[int, int]:
    """(complaints, minutes) one address may file: ``GONGYI_COMPLAINT_RATE_LIMIT`` per
    ``GONGYI_COMPLAINT_RATE_WINDOW_MINUTES``, default 5 per 60."""
    return (
        _setting_int("GONGYI_COMPLAINT_RATE_LIMIT", DEFAULT_RATE_LIMIT),
        _setting_int("GONGYI_COMPLAINT_RATE_WINDOW_MINUTES", DEFAULT_RATE_WINDOW_MINUTES),
    )


def _atomic():
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def ip_digest(ip: str | None) -> str:
    """A keyed hash of the filer's address: enough to rate-limit, not an address kept on file."""
    if not ip:
        return ""
    key = hashlib.sha256(b"gongyi.oversight.complaint-ip:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def new_tracking_number(today: date) -> str:
    """``JB`` + the local date + 10 random characters, e.g. ``JB20260520K7Q2M9XH4P``."""
    return f"JB{today:%Y%m%d}" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_RANDOM_LENGTH))


def normalise_tracking_number(text: str) -> str:
    return "".join((text or "").split()).upper()


# --- filing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedSubject:
    kind: str
    ref: str
    label: str
    project: object | None = None
    organisation: object | None = None


def resolve_subject(kind: str, ref: str) -> ResolvedSubject:
    """Find what the complaint is about; ``ComplaintError("subject_ref", …)`` when it cannot be found.

    A project is given by its number or exact title (published or closed projects only), an organisation by
    its number or exact name, a unit by its 一日捐 code, an aid case by its case number (checked for form
    only: the aid records are not read here), anything else by a free description.
    """
    from gongyi.orgs.models import Organisation
    from gongyi.projects.selectors import PUBLIC_STATUSES

    ref = (ref or "").strip()
    if kind not in ComplaintSubject.values:
        raise ComplaintError("subject_kind", "请选择举报对象类型")
    if len(ref) > 64:
        raise ComplaintError("subject_ref", "举报对象编号或名称不超过64个字")
    if kind == ComplaintSubject.PROJECT:
        from gongyi.projects.models import Project

        projects = Project.objects.filter(status__in=PUBLIC_STATUSES).select_related("organisation")
        project = None
        if ref.isdigit() and len(ref) <= 12:
            project = projects.filter(pk=int(ref)).first()
        if project is None and ref:
            project = projects.filter(title=ref).first()
        if project is None:
            raise ComplaintError("subject_ref", "找不到该项目，请填写项目编号或完整的项目名称")
        return ResolvedSubject(kind, str(project.pk), project.title, project=project, organisation=project.organisation)
    if kind == ComplaintSubject.ORGANISATION:
        organisation = None
        if ref.isdigit() and len(ref) <= 12:
            organisation = Organisation.objects.filter(pk=int(ref)).first()
        if organisation is None and ref:
            organisation = (
                Organisation.objects.filter(name=ref).first() or Organisation.objects.filter(short_name=ref).first()
            )
        if organisation is None:
            raise ComplaintError("subject_ref", "找不到该组织，请填写组织的完整名称")
        return ResolvedSubject(kind, str(organisation.pk), organisation.name, organisation=organisation)
    if kind == ComplaintSubject.UNIT:
        from gongyi.drives.models import Unit

        unit = Unit.objects.filter(code=ref.upper()).first() if ref else None
        if unit is None:
            raise ComplaintError("subject_ref", "找不到该单位，请填写单位代码")
        return ResolvedSubject(kind, unit.code, unit.name)
    if kind == ComplaintSubject.AID_CASE:
        if not CASE_REF_PATTERN.match(ref):
            raise ComplaintError("subject_ref", "请填写公示中的救助案件编号（字母、数字和-）")
        return ResolvedSubject(kind, ref, f"救助案件 {ref}")
    return ResolvedSubject(kind, ref, ref or "其他")


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_TEXT_LENGTH:
        raise ComplaintError("text", f"请具体说明举报的事实（至少{MIN_TEXT_LENGTH}个字）")
    if len(text) > MAX_TEXT_LENGTH:
        raise ComplaintError("text", f"举报内容不超过{MAX_TEXT_LENGTH}个字")
    return text


def file_complaint(
    *,
    subject_kind: str,
    subject_ref: str,
    text: str,
    is_anonymous: bool,
    name: str = "",
    contact: str = "",
    attachments: Sequence = (),
    ip: str | None = None,
    honeypot: str = "",
    now: datetime | None = None,
) -> Complaint:
    """File a complaint from anyone and return it with its tracking number.

    Refused, with nothing written: a filled honeypot (``website``), an unknown subject, a text under 10 or
    over 5,000 characters, a name on an anonymous complaint (or none on a named one), a contact over 100
    characters, more than 5 attachments or one that is not a PDF/JPG/PNG/WebP of at most 10 MB, or more
    complaints from the same address than ``rate_limit()`` allows.
    """
    if honeypot.strip():
        raise ComplaintError("website", "提交未被接受")
    for field, value in (("subject_ref", subject_ref), ("text", text), ("name", name), ("contact", contact)):
        if has_nul(value):
            raise ComplaintError(field, NUL_MESSAGE)
    now = now or timezone.now()
    subject = resolve_subject(subject_kind, subject_ref)
    text = _check_text(text)
    name, contact = (name or "").strip(), (contact or "").strip()
    if is_anonymous and name:
        raise ComplaintError("name", "匿名举报请不要填写姓名")
    if not is_anonymous and not name:
        raise ComplaintError("name", "实名举报请填写姓名，或选择匿名")
    if len(name) > MAX_NAME_LENGTH:
        raise ComplaintError("name", f"姓名不超过{MAX_NAME_LENGTH}个字")
    if len(contact) > MAX_CONTACT_LENGTH:
        raise ComplaintError("contact", f"联系方式不超过{MAX_CONTACT_LENGTH}个字")
    files = [f for f in attachments if f]
    if len(files) > MAX_ATTACHMENTS:
        raise ComplaintError("attachments", f"附件最多{MAX_ATTACHMENTS}个")
    checked = []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload, field="attachments")))
        except UploadRefused as exc:
            raise ComplaintError("attachments", f"{getattr(upload, 'name', '附件')}：{exc.message}") from None
    digest = ip_digest(ip)
    if digest:
        limit, minutes = rate_limit()
        recent = Complaint.objects.filter(ip_digest=digest, received_at__gte=now - timedelta(minutes=minutes)).count()
        if recent >= limit:
            raise ComplaintError("rate_limit", "提交过于频繁，请稍后再试")
    received_on = timezone.localdate(now)
    due_on = received_on + timedelta(days=answer_days())
    for _attempt in range(5):
        tracking = new_tracking_number(received_on)
        try:
            with _atomic():
                complaint = Complaint.objects.create(
                    tracking_number=tracking,
                    subject_kind=subject.kind,
                    subject_ref=subject.ref,
                    subject_label=subject.label[:160],
                    project=subject.project,
                    organisation=subject.organisation,
                    text=text,
                    is_anonymous=is_anonymous,
                    complainant_name_sealed=sealing.seal(name, aad=sealing.aad_for(tracking, "name")),
                    contact_sealed=sealing.seal(contact, aad=sealing.aad_for(tracking, "contact")),
                    contact_hint=sealing.contact_hint(contact),
                    ip_digest=digest,
                    received_at=now,
                    answer_due_on=due_on,
                )
                for upload, check in checked:
                    attachment = ComplaintAttachment(
                        complaint=complaint,
                        content_type=check.content_type,
                        size_bytes=check.size_bytes,
                        sha256=check.sha256,
                    )
                    attachment.file.save(f"evidence{check.extension}", upload, save=False)
                    attachment.save()
                _event(
                    complaint,
                    ComplaintEventKind.FILED,
                    None,
                    to_status=ComplaintStatus.RECEIVED,
                    note=f"附件 {len(checked)} 个；答复期限 {due_on:%Y-%m-%d}",
                    at=now,
                )
        except IntegrityError:
            if Complaint.objects.filter(tracking_number=tracking).exists():
                continue  # a tracking number drawn twice: draw again
            raise
        logger.info("complaint %s filed about %s %s", tracking, subject.kind, subject.ref)
        return complaint
    raise RuntimeError("could not draw a free tracking number")  # pragma: no cover - 2^49 space


# --- handling ---------------------------------------------------------------------------------------------------


def can_handle(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(HANDLE_PERMISSION)
        and not is_read_only(user)
    )


def _check_handler(actor) -> None:
    if not can_handle(actor):
        raise ComplaintError("actor", "没有处理举报投诉的权限")


def _event(
    complaint: Complaint,
    kind: str,
    actor,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    at: datetime | None = None,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
        at=at or timezone.now(),
    )


def _move(complaint: Complaint, action: str, actor, *, note: str = "", **fields) -> Complaint:
    """Lock the complaint, check the transition, update it conditionally, and write the event."""
    allowed, to_status = TRANSITIONS[action]
    for field, value in (("note", note), *fields.items()):
        if has_nul(value):
            raise ComplaintError(field, NUL_MESSAGE)
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in allowed:
        raise ComplaintError(
            "status", f"举报当前为“{locked.get_status_display()}”，不能{ComplaintEventKind(action_kind(action)).label}"
        )
    moved = Complaint.objects.filter(pk=locked.pk, status=locked.status).update(status=to_status, **fields)
    if moved != 1:  # pragma: no cover - the row lock makes this unreachable; kept as the last line
        raise ComplaintError("status", "举报状态已变化，请刷新后重试")
    _event(locked, action_kind(action), actor, from_status=locked.status, to_status=to_status, note=note)
    locked.refresh_from_db()
    return locked


def action_kind(action: str) -> str:
    return {
        "triage": ComplaintEventKind.TRIAGED,
        "investigate": ComplaintEventKind.INVESTIGATING,
        "answer": ComplaintEventKind.ANSWERED,
        "close": ComplaintEventKind.CLOSED,
        "reject": ComplaintEventKind.REJECTED,
        "duplicate": ComplaintEventKind.DUPLICATE,
    }[action]


def triage_complaint(*, complaint: Complaint, actor, handler=None, note: str = "") -> Complaint:
    """Accept a received complaint for handling and name who handles it (the actor by default)."""
    _check_handler(actor)
    handler = handler or actor
    if not can_handle(handler):
        raise ComplaintError("handler", "承办人须有处理举报投诉的权限")
    with _atomic():
        return _move(
            complaint,
            "triage",
            actor,
            note=note or f"承办人 {handler.get_username()}",
            handler=handler,
            triaged_at=timezone.now(),
        )


def start_investigation(*, complaint: Complaint, actor, note: str = "") -> Complaint:
    """Record that the facts are being checked."""
    _check_handler(actor)
    with _atomic():
        return _move(complaint, "investigate", actor, note=note)


def _check_publication(is_public: bool, private_reason: str) -> str:
    private_reason = (private_reason or "").strip()
    if not is_public and not private_reason:
        raise ComplaintError("answer_private_reason", "答复不公开时须说明理由（如会暴露举报人或当事人）")
    if len(private_reason) > 200:
        raise ComplaintError("answer_private_reason", "理由不超过200个字")
    return "" if is_public else private_reason


def answer_complaint(
    *, complaint: Complaint, actor, answer: str, outcome: str, is_public: bool = True, private_reason: str = ""
) -> Complaint:
    """Answer the complainant. The answer is public on the tracking page unless ``is_public`` is false
    (it would expose someone), which needs a reason; the page then says an answer was given."""
    _check_handler(actor)
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise ComplaintError("answer", "请填写答复内容（至少5个字）")
    if len(answer) > MAX_TEXT_LENGTH:
        raise ComplaintError("answer", f"答复不超过{MAX_TEXT_LENGTH}个字")
    if outcome not in ANSWER_OUTCOMES:
        raise ComplaintError("outcome", "请选择处理结果")
    reason = _check_publication(is_public, private_reason)
    with _atomic():
        return _move(
            complaint,
            "answer",
            actor,
            note=f"{ComplaintOutcome(outcome).label}；{'答复公开' if is_public else '答复不公开：' + reason}",
            answer=answer,
            outcome=outcome,
            answer_is_public=is_public,
            answer_private_reason=reason,
            answered_at=timezone.now(),
        )


def close_complaint(*, complaint: Complaint, actor, note: str = "") -> Complaint:
    """Close an answered complaint (办结)."""
    _check_handler(actor)
    with _atomic():
        return _move(complaint, "close", actor, note=note, closed_at=timezone.now())


def reject_complaint(
    *, complaint: Complaint, actor, reason: str, is_public: bool = True, private_reason: str = ""
) -> Complaint:
    """Refuse to take the complaint up (不予受理); the reasons are the reply to the complainant."""
    _check_handler(actor)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ComplaintError("reason", "请说明不予受理的理由（至少5个字）")
    hidden = _check_publication(is_public, private_reason)
    now = timezone.now()
    with _atomic():
        return _move(
            complaint,
            "reject",
            actor,
            note=reason[:500],
            answer=reason,
            outcome=ComplaintOutcome.NOT_ACCEPTED,
            answer_is_public=is_public,
            answer_private_reason=hidden,
            answered_at=now,
            closed_at=now,
        )


def mark_duplicate(*, complaint: Complaint, actor, original: Complaint, note: str = "") -> Complaint:
    """Merge the complaint into another about the same matter; its page then follows the original's answer."""
    _check_handler(actor)
    if original is None:
        raise ComplaintError("duplicate_of", "请填写合并至的举报编号")
    # Follow merges to the complaint that will carry the answer (read afresh: the caller's copy may be stale).
    seen = {complaint.pk}
    original = Complaint.objects.get(pk=original.pk)
    while original.duplicate_of_id is not None and original.pk not in seen:
        seen.add(original.pk)
        original = Complaint.objects.get(pk=original.duplicate_of_id)
    if original.pk in seen:
        raise ComplaintError("duplicate_of", "不能合并至本举报")
    reply = (note or "").strip() or "您反映的问题与已受理的其他举报为同一事项，已合并处理，答复将在此公布。"
    now = timezone.now()
    with _atomic():
        return _move(
            complaint,
            "duplicate",
            actor,
            note=f"合并至 {original.tracking_number}",
            duplicate_of=original,
            answer=reply[:MAX_TEXT_LENGTH],
            outcome=ComplaintOutcome.MERGED,
            answer_is_public=True,
            answer_private_reason="",
            answered_at=now,
            closed_at=now,
        )


def flag_overdue_complaints(*, today: date | None = None) -> list[Complaint]:
    """Flag, once each, the complaints still waiting for a reply after their last day; return them."""
    today = today or timezone.localdate()
    flagged: list[Complaint] = []
    candidates = Complaint.objects.filter(
        status__in=OPEN_COMPLAINT_STATUSES, answer_due_on__lt=today, overdue_flagged_at__isnull=True
    ).values_list("pk", flat=True)
    for complaint_id in list(candidates):
        with _atomic():
            now = timezone.now()
            moved = Complaint.objects.filter(
                pk=complaint_id, status__in=OPEN_COMPLAINT_STATUSES, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=now)
            if moved != 1:
                continue  # answered meanwhile, or another run flagged it
            complaint = Complaint.objects.get(pk=complaint_id)
            days = (today - complaint.answer_due_on).days
            _event(
                complaint,
                ComplaintEventKind.OVERDUE_FLAGGED,
                None,
                from_status=complaint.status,
                to_status=complaint.status,
                note=f"答复期限 {complaint.answer_due_on:%Y-%m-%d}，已逾期 {days} 天",
                at=now,
            )
        logger.warning("complaint %s overdue since %s", complaint.tracking_number, complaint.answer_due_on)
        flagged.append(complaint)
    return flagged


def log_attachment_view(*, attachment: ComplaintAttachment, actor) -> None:
    """Record that a handler or the regulator opened an attachment (they may hold personal data)."""
    with _atomic():
        _event(attachment.complaint, ComplaintEventKind.ATTACHMENT_VIEWED, actor, note=f"附件 #{attachment.pk}")


@dataclass(frozen=True)
class ComplainantContact:
    name: str
    contact: str


def reveal_contact(*, complaint: Complaint, actor) -> ComplainantContact:
    """Open the complainant's name and contact for a handler, and record that it was opened."""
    _check_handler(actor)
    name = sealing.open_sealed(
        complaint.complainant_name_sealed, aad=sealing.aad_for(complaint.tracking_number, "name")
    )
    contact = sealing.open_sealed(complaint.contact_sealed, aad=sealing.aad_for(complaint.tracking_number, "contact"))
    with _atomic():
        _event(complaint, ComplaintEventKind.CONTACT_VIEWED, actor)
    return ComplainantContact(name=name, contact=contact)
