"""Writes for the back office. Each checks the caller's scope again (defence in depth behind the views), runs
in one transaction and writes an ``OfficeEvent``; messages to donors leave after commit.

``OfficeInputError`` names a field a person can fix; ``OfficeForbidden`` means the caller may see the object
but not do this to it (pages answer 403); objects outside the scope never reach a service (they are 404).
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from gongyi.backoffice.models import (
    OfficeEvent,
    OfficeEventKind,
    OrganisationMembership,
    OrgRole,
    ProgressPhoto,
    ProgressUpdate,
    UnitMembership,
)
from gongyi.backoffice.selectors import OfficeScope
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.projects.models import Project, ProjectStatus
from gongyi.projects.services import ProjectTransitionError, change_project_status

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_LONGEST_SIDE = 1600
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}

# The 募捐方案 fields (Charity Law art. 24) an organisation fills in while drafting.
DRAFT_FIELDS = (
    "title",
    "summary",
    "story",
    "domain",
    "target_fen",
    "purpose",
    "fundraising_starts_on",
    "fundraising_ends_on",
    "fundraising_area",
    "lead_name",
    "lead_office_address",
    "donation_methods",
    "bank_account_name",
    "bank_name",
    "bank_account_number",
    "beneficiaries",
    "use_of_funds",
    "fundraising_cost",
    "leftover_handling",
    "filing_number",
)


class OfficeInputError(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class OfficeForbidden(PermissionError):
    pass


def _event(kind: str, *, actor, organisation=None, unit=None, project=None, **details) -> None:
    OfficeEvent.objects.create(
        kind=kind, actor=actor, organisation=organisation, unit=unit, project=project, details=details
    )


def _require(scope: OfficeScope, action: str, organisation_id: int) -> None:
    if not scope.can(action, organisation_id):
        raise OfficeForbidden(f"no {action} on organisation {organisation_id}")


def _atomic():
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


# --- memberships (federation staff, in the admin; the demo) ---------------------------------------------------


def grant_organisation_membership(*, user, organisation, role: str, actor=None) -> OrganisationMembership:
    """Make ``user`` a member of ``organisation`` with ``role`` (never staff of the Django admin)."""
    if role not in OrgRole.values:
        raise OfficeInputError("role", "未知角色")
    with _atomic():
        membership, _ = OrganisationMembership.objects.update_or_create(
            user=user, organisation=organisation, defaults={"role": role, "granted_by": actor}
        )
        _event(OfficeEventKind.MEMBER_ADDED, actor=actor, organisation=organisation, user=user.pk, role=role)
    return membership


def grant_unit_membership(*, user, unit, actor=None) -> UnitMembership:
    with _atomic():
        membership, _ = UnitMembership.objects.get_or_create(user=user, unit=unit, defaults={"granted_by": actor})
        _event(OfficeEventKind.MEMBER_ADDED, actor=actor, unit=unit, user=user.pk)
    return membership


# --- projects: draft → in review (organisation), → published / back to draft (federation) --------------------


def _validated(project: Project) -> None:
    try:
        project.full_clean(exclude=["organisation", "campaign", "status_changed_by"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise OfficeInputError(None if field == "__all__" else field, "；".join(messages)) from None


def draft_project(*, scope: OfficeScope, organisation, fields: dict, actor) -> Project:
    """An organisation starts a project as a draft; nobody outside it sees it until it is published."""
    _require(scope, "edit", organisation.pk)
    values = {name: fields[name] for name in DRAFT_FIELDS if name in fields}
    project = Project(organisation=organisation, status=ProjectStatus.DRAFT, **values)
    _validated(project)
    with _atomic():
        project.save()
        _event(OfficeEventKind.PROJECT_DRAFTED, actor=actor, organisation=organisation, project=project)
    return project


def update_draft_project(*, scope: OfficeScope, project: Project, fields: dict, actor) -> Project:
    """Change a draft's fields. Projects in review or published are not edited here (a published 募捐方案
    changes only by re-filing, Charity Law art. 56)."""
    _require(scope, "edit", project.organisation_id)
    with _atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        if current.status != ProjectStatus.DRAFT:
            raise OfficeInputError(None, "只有草稿可以修改；审核中的项目请先退回")
        changed = []
        for name in DRAFT_FIELDS:
            if name in fields and getattr(current, name) != fields[name]:
                setattr(current, name, fields[name])
                changed.append(name)
        _validated(current)
        current.save(update_fields=changed or None)
        _event(
            OfficeEventKind.PROJECT_EDITED,
            actor=actor,
            organisation=current.organisation,
            project=current,
            fields=changed,
        )
    return current


def submit_project(*, scope: OfficeScope, project: Project, actor, note: str = "") -> Project:
    """Draft → in review, through ``projects.services.change_project_status``."""
    _require(scope, "submit", project.organisation_id)
    try:
        with _atomic():
            moved = change_project_status(
                project=project, to_status=ProjectStatus.IN_REVIEW, actor=actor, note=note or "机构提交审核"
            )
            _event(OfficeEventKind.PROJECT_SUBMITTED, actor=actor, organisation=moved.organisation, project=moved)
    except ProjectTransitionError as exc:
        raise OfficeInputError(exc.field, exc.message) from None
    return moved


def review_project(*, scope: OfficeScope, project: Project, approve: bool, actor, note: str = "") -> Project:
    """Federation staff publish a project in review, or return it to draft with a reason."""
    if not scope.reviews:
        raise OfficeForbidden("reviewing projects needs backoffice.review_projects")
    note = (note or "").strip()
    if not approve and not note:
        raise OfficeInputError("note", "退回时请填写原因")
    to_status = ProjectStatus.PUBLISHED if approve else ProjectStatus.DRAFT
    try:
        with _atomic():
            moved = change_project_status(project=project, to_status=to_status, actor=actor, note=note)
            _event(
                OfficeEventKind.PROJECT_PUBLISHED if approve else OfficeEventKind.PROJECT_RETURNED,
                actor=actor,
                organisation=moved.organisation,
                project=moved,
                note=note[:200],
            )
    except ProjectTransitionError as exc:
        raise OfficeInputError(exc.field, exc.message) from None
    return moved


# --- progress updates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoInput:
    file: object  # an uploaded file
    caption: str = ""


def clean_photo(upload) -> tuple[ContentFile, int, int]:
    """Check an uploaded photo and re-encode it as JPEG: drops EXIF (GPS), bounds size and pixels."""
    if upload.size > MAX_PHOTO_BYTES:
        raise OfficeInputError("photos", f"照片不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in PHOTO_FORMATS:
            raise OfficeInputError("photos", "照片须为 JPEG、PNG 或 WebP")
        if width * height > MAX_PHOTO_PIXELS:
            raise OfficeInputError("photos", "照片像素过大")
        upload.seek(0)
        with Image.open(upload) as image:
            image = image.convert("RGB")
            image.thumbnail((PHOTO_LONGEST_SIDE, PHOTO_LONGEST_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
            size = image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise OfficeInputError("photos", "无法识别的图片文件") from None
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg"), size[0], size[1]


def post_progress_update(
    *, scope: OfficeScope, project: Project, title: str, text: str, photos: list[PhotoInput], actor
) -> ProgressUpdate:
    """Publish a progress update on a public project; its opted-in donors are told after commit."""
    from gongyi.donors.tasks import send_progress_update

    _require(scope, "post_update", project.organisation_id)
    title, text = (title or "").strip(), (text or "").strip()
    for field, value in (("title", title), ("text", text)):
        if has_nul(value):
            raise OfficeInputError(field, NUL_MESSAGE)
    if not title:
        raise OfficeInputError("title", "请填写标题")
    if len(title) > 60:
        raise OfficeInputError("title", "标题不能超过60字")
    if not text:
        raise OfficeInputError("text", "请填写内容")
    if len(text) > 4000:
        raise OfficeInputError("text", "内容不能超过4000字")
    if len(photos) > MAX_PHOTOS:
        raise OfficeInputError("photos", f"最多 {MAX_PHOTOS} 张照片")
    if project.status not in (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED):
        raise OfficeInputError(None, "项目发布后才能发布进展")
    cleaned = [(clean_photo(p.file), (p.caption or "").strip()[:60]) for p in photos]
    with _atomic():
        update = ProgressUpdate.objects.create(
            project=project, title=title, text=text, published_at=timezone.now(), created_by=actor
        )
        for position, ((content, width, height), caption) in enumerate(cleaned):
            photo = ProgressPhoto(update=update, width=width, height=height, caption=caption, position=position)
            photo.image.save(content.name, content, save=False)
            photo.save()
        _event(
            OfficeEventKind.UPDATE_PUBLISHED,
            actor=actor,
            organisation=project.organisation,
            project=project,
            update=update.pk,
            photos=len(cleaned),
        )
        update_id = update.pk
        transaction.on_commit(lambda: send_progress_update(update_id))
    return update


def withdraw_progress_update(*, scope: OfficeScope, update: ProgressUpdate, reason: str, actor) -> ProgressUpdate:
    """Hide a published update from the public page, keeping it and the reason on record."""
    _require(scope, "post_update", update.project.organisation_id)
    reason = (reason or "").strip()
    if not reason:
        raise OfficeInputError("reason", "请填写撤回原因")
    with _atomic():
        changed = ProgressUpdate.objects.filter(pk=update.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), withdrawn_by=actor, withdraw_reason=reason[:200]
        )
        if changed != 1:
            raise OfficeInputError(None, "该进展已撤回")
        _event(
            OfficeEventKind.UPDATE_WITHDRAWN,
            actor=actor,
            organisation=update.project.organisation,
            project=update.project,
            update=update.pk,
            reason=reason[:200],
        )
    update.refresh_from_db()
    return update


def record_export(*, actor, rows: int, organisation=None, project=None, unit=None) -> None:
    """Note that someone downloaded gift details (personal data) — who, what, how many rows."""
    _event(
        OfficeEventKind.GIFTS_EXPORTED, actor=actor, organisation=organisation, project=project, unit=unit, rows=rows
    )
