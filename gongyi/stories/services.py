"""Writes for stories: create and edit drafts, publish, withdraw; the consent sweep.

Each service runs in one transaction and writes a ``StoryEvent``. ``StoryInputError`` names the field a
person can fix; ``StoryForbidden`` means the actor lacks the permission. The rules are in ``models``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.projects.models import ProjectStatus
from gongyi.stories import aid_link
from gongyi.stories.models import (
    EXEMPLARY_SUBJECTS,
    PosterColour,
    Story,
    StoryEvent,
    StoryEventKind,
    StoryKind,
    StoryPhoto,
    StoryStatus,
    SubjectKind,
)

MAX_PHOTOS = 9
PUBLIC_PROJECT_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)
EDITABLE_STATUSES = (StoryStatus.DRAFT, StoryStatus.WITHDRAWN)

# Staff write the text; these catch the personal numbers that must never be in it (PIPL; regulation §6.3).
PERSONAL_NUMBER_PATTERNS = (
    ("手机号", re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")),
    ("身份证号", re.compile(r"(?<![\dA-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?![\dA-Za-z])")),
    ("银行卡号", re.compile(r"(?<!\d)\d{4}(?: ?\d{4}){3}(?: ?\d{1,3})?(?!\d)")),
)


class StoryInputError(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class StoryForbidden(PermissionError):
    pass


@dataclass(frozen=True)
class PhotoInput:
    file: object  # an uploaded file
    caption: str = ""


@dataclass(frozen=True)
class StoryInput:
    kind: str
    title: str = ""
    summary: str = ""
    text: str = ""
    campaign: object | None = None
    project: object | None = None
    organisation: object | None = None
    unit: object | None = None
    progress_update: object | None = None
    subject_kind: str = ""
    subject_name: str = ""
    subject_agreed: bool = False
    aid_case_number: str = ""
    colour: str = PosterColour.RED


def _atomic():
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise StoryForbidden(f"需要权限 {permission}")


def _event(story: Story, kind: str, actor, /, **details) -> None:
    StoryEvent.objects.create(story=story, kind=kind, actor=actor, details=details)


def personal_numbers_in(text: str) -> list[str]:
    """The kinds of personal numbers found in ``text`` (empty when none)."""
    found, rest = [], text or ""
    for label, pattern in PERSONAL_NUMBER_PATTERNS:
        if pattern.search(rest):
            found.append(label)
            rest = pattern.sub("　", rest)  # an ID number is not also reported as a card number
    return found


def _check_text(title: str, summary: str, text: str) -> None:
    for name, value in (("title", title), ("summary", summary), ("text", text)):
        found = personal_numbers_in(value)
        if found:
            raise StoryInputError(name, f"不能包含{'、'.join(found)}等个人信息")


def _clean(data: StoryInput) -> dict:
    """Check a story's fields against its kind's rules; returns the model fields to store."""
    if data.kind not in StoryKind.values:
        raise StoryInputError("kind", "请选择故事类型")
    title, summary, text = (data.title or "").strip(), (data.summary or "").strip(), (data.text or "").strip()
    if data.colour not in PosterColour.values:
        raise StoryInputError("colour", "未知的海报底色")
    campaign, project = data.campaign, data.project
    fields = {
        "kind": data.kind,
        "campaign": campaign,
        "project": project,
        "organisation": data.organisation,
        "unit": data.unit,
        "progress_update": None,
        "subject_kind": "",
        "subject_name": "",
        "subject_agreed": False,
        "aid_case_number": "",
        "colour": data.colour,
    }
    if data.kind == StoryKind.PROGRESS:
        update = data.progress_update
        if update is None:
            raise StoryInputError("progress_update", "请选择要展示的项目进展")
        if update.withdrawn_at is not None or update.project.status not in PUBLIC_PROJECT_STATUSES:
            raise StoryInputError("progress_update", "该进展已撤回或项目未公开")
        project = update.project
        title = title or update.title
        fields.update(progress_update=update, project=project, organisation=project.organisation)
        campaign = campaign or project.campaign
    elif data.kind == StoryKind.CASE:
        number = (data.aid_case_number or "").strip().upper()
        if not aid_link.aid_installed():
            raise StoryInputError("aid_case_number", "救助模块未启用，不能发布受助故事")
        facts = aid_link.case_facts(number)
        if facts is None:
            raise StoryInputError("aid_case_number", "救助案件不存在")
        if not text:
            raise StoryInputError("text", "请填写正文")
        fields.update(
            aid_case_number=number, subject_kind=SubjectKind.BENEFICIARY, subject_name=facts.public_name, unit=None
        )
    else:
        subject_kind = data.subject_kind
        if subject_kind not in EXEMPLARY_SUBJECTS:
            raise StoryInputError("subject_kind", "请选择先进典型的类别")
        name = (data.subject_name or "").strip()
        if not name:
            name = getattr(data.unit, "name", "") or getattr(data.organisation, "name", "")
        if not name:
            raise StoryInputError("subject_name", "请填写先进典型的名称")
        if len(name) > 40:
            raise StoryInputError("subject_name", "名称不能超过40字")
        if not text:
            raise StoryInputError("text", "请填写正文")
        fields.update(subject_kind=subject_kind, subject_name=name, subject_agreed=bool(data.subject_agreed))
    if not title:
        raise StoryInputError("title", "请填写标题")
    if len(title) > 60:
        raise StoryInputError("title", "标题不能超过60字")
    if len(summary) > 120:
        raise StoryInputError("summary", "摘要不能超过120字")
    if len(text) > 6000:
        raise StoryInputError("text", "正文不能超过6000字")
    _check_text(title, summary, text)
    if project is not None and campaign is not None and project.campaign_id and project.campaign_id != campaign.pk:
        raise StoryInputError("campaign", "项目不属于该活动")
    fields.update(title=title, summary=summary, text=text, campaign=campaign or getattr(project, "campaign", None))
    return fields


def _clean_photos(kind: str, photos, *, existing: int = 0, case_facts=None) -> list:
    from gongyi.backoffice.services import OfficeInputError, clean_photo

    photos = list(photos or [])
    if not photos:
        return []
    if kind == StoryKind.PROGRESS:
        raise StoryInputError("photos", "项目进展的照片来自机构发布的进展，不在此上传")
    if case_facts is not None and case_facts.under_14:
        raise StoryInputError("photos", "未满14周岁受助人的故事不配发照片")
    if existing + len(photos) > MAX_PHOTOS:
        raise StoryInputError("photos", f"最多 {MAX_PHOTOS} 张照片")
    cleaned = []
    for photo in photos:
        try:
            cleaned.append((clean_photo(photo.file), (photo.caption or "").strip()[:60]))
        except OfficeInputError as exc:
            raise StoryInputError("photos", exc.message) from None
    return cleaned


def _save_photos(story: Story, cleaned: list, start: int) -> None:
    for offset, ((content, width, height), caption) in enumerate(cleaned):
        photo = StoryPhoto(story=story, width=width, height=height, caption=caption, position=start + offset)
        photo.image.save(content.name, content, save=False)
        photo.save()


def create_story(*, data: StoryInput, actor, photos: list[PhotoInput] | None = None) -> Story:
    """Create a draft story with its photos (checked and re-encoded); nothing is public until published."""
    _require(actor, "stories.add_story")
    fields = _clean(data)
    facts = aid_link.case_facts(fields["aid_case_number"]) if data.kind == StoryKind.CASE else None
    cleaned = _clean_photos(data.kind, photos, case_facts=facts)
    with _atomic():
        story = Story.objects.create(**fields, created_by=actor)
        _save_photos(story, cleaned, 0)
        _event(story, StoryEventKind.CREATED, actor, story_kind=story.kind, photos=len(cleaned))
    return story


def edit_story(
    *, story: Story, data: StoryInput, actor, photos: list[PhotoInput] | None = None, remove_photo_ids=()
) -> Story:
    """Change a draft or withdrawn story (it becomes a draft); a published story is withdrawn first."""
    _require(actor, "stories.change_story")
    if data.kind != story.kind:
        raise StoryInputError("kind", "不能修改故事类型")
    fields = _clean(data)
    facts = aid_link.case_facts(fields["aid_case_number"]) if data.kind == StoryKind.CASE else None
    with _atomic():
        current = Story.objects.select_for_update().get(pk=story.pk)
        if current.status not in EDITABLE_STATUSES:
            raise StoryInputError(None, "已发布的故事不能修改，请先撤回")
        removed = list(current.photos.filter(pk__in=list(remove_photo_ids)))
        kept = current.photos.count() - len(removed)
        cleaned = _clean_photos(data.kind, photos, existing=kept, case_facts=facts)
        if facts is not None and facts.under_14 and kept:
            raise StoryInputError("photos", "未满14周岁受助人的故事不配发照片，请删除已有照片")
        for photo in removed:
            photo.image.delete(save=False)
            photo.delete()
        for name, value in fields.items():
            setattr(current, name, value)
        current.status = StoryStatus.DRAFT
        current.withdrawn_at, current.withdrawn_by, current.withdraw_reason = None, None, ""
        current.save()
        last = current.photos.order_by("-position").values_list("position", flat=True).first()
        _save_photos(current, cleaned, (last + 1) if last is not None else 0)
        _event(current, StoryEventKind.EDITED, actor, photos_added=len(cleaned), photos_removed=len(removed))
    return current


def publish_story(*, story: Story, actor) -> Story:
    """Publish a draft or withdrawn story after checking its kind's rules once more, now.

    A case story needs the aid case to have been helped (approved after its notice, or paid), not anonymised,
    and every needed consent live — publication, and the guardian's for a child under 14. The consent used
    is recorded on the story and in its event. Refusals change nothing.
    """
    _require(actor, "stories.publish_story")
    with _atomic():
        current = (
            Story.objects.select_for_update(of=("self",))
            .select_related("project", "campaign", "progress_update")
            .get(pk=story.pk)
        )
        if current.status == StoryStatus.PUBLISHED:
            raise StoryInputError(None, "故事已发布")
        _check_text(current.title, current.summary, current.text)
        if current.project is not None and current.project.status not in PUBLIC_PROJECT_STATUSES:
            raise StoryInputError("project", "项目尚未公开")
        if current.campaign is not None and not current.campaign.is_public:
            raise StoryInputError("campaign", "活动未公开")
        details: dict = {}
        if current.kind == StoryKind.CASE:
            facts = aid_link.case_facts(current.aid_case_number)
            if facts is None:
                raise StoryInputError("aid_case_number", "救助案件不存在或救助模块未启用")
            if facts.anonymised:
                raise StoryInputError("aid_case_number", "该案件的个人信息已匿名化，不能发布")
            if not facts.helped:
                raise StoryInputError("aid_case_number", f"案件「{facts.status_label}」，获得救助后才能发布受助故事")
            if facts.missing_consents:
                labels = "、".join(aid_link.consent_label(kind) for kind in facts.missing_consents)
                raise StoryInputError("aid_case_number", f"缺少受助人的单独同意：{labels}（个人信息保护法第二十五条）")
            if facts.under_14 and current.photos.exists():
                raise StoryInputError("photos", "未满14周岁受助人的故事不配发照片")
            current.subject_name = facts.public_name
            current.consent_reference = facts.consent_reference[:120]
            details["consent"] = current.consent_reference
        elif current.kind == StoryKind.EXEMPLARY:
            if not current.subject_agreed:
                raise StoryInputError("subject_agreed", "须经本人或单位同意公开姓名和事迹（慈善法第八十二条）")
        else:
            update = current.progress_update
            if update.withdrawn_at is not None:
                raise StoryInputError("progress_update", "该进展已被机构撤回")
        current.status = StoryStatus.PUBLISHED
        current.published_at = timezone.now()
        current.published_by = actor
        current.withdrawn_at, current.withdrawn_by, current.withdraw_reason = None, None, ""
        current.save()
        _event(current, StoryEventKind.PUBLISHED, actor, **details)
    return current


def withdraw_story(*, story: Story, reason: str, actor) -> Story:
    """Take a published story off the public pages, keeping it and the reason on record."""
    _require(actor, "stories.publish_story")
    reason = (reason or "").strip()
    if not reason:
        raise StoryInputError("reason", "请填写撤回原因")
    if has_nul(reason):
        raise StoryInputError("reason", NUL_MESSAGE)
    with _atomic():
        changed = Story.objects.filter(pk=story.pk, status=StoryStatus.PUBLISHED).update(
            status=StoryStatus.WITHDRAWN, withdrawn_at=timezone.now(), withdrawn_by=actor, withdraw_reason=reason[:200]
        )
        if changed != 1:
            raise StoryInputError(None, "故事未发布或已撤回")
        _event(story, StoryEventKind.WITHDRAWN, actor, reason=reason[:200])
    return Story.objects.get(pk=story.pk)


def withdraw_unconsented_case_stories() -> int:
    """Withdraw every published case story whose consent is gone (withdrawn, case anonymised or missing).

    Public pages already hide such stories at once (``selectors``); this records the withdrawal.
    """
    published = list(
        Story.objects.filter(kind=StoryKind.CASE, status=StoryStatus.PUBLISHED).values_list("pk", "aid_case_number")
    )
    if not published:
        return 0
    allowed = aid_link.publishable_case_numbers(number for _, number in published)
    withdrawn = 0
    for pk, number in published:
        if number in allowed:
            continue
        with _atomic():
            changed = Story.objects.filter(pk=pk, status=StoryStatus.PUBLISHED).update(
                status=StoryStatus.WITHDRAWN,
                withdrawn_at=timezone.now(),
                withdraw_reason="受助人的公开同意已撤回或失效",
            )
            if changed:
                StoryEvent.objects.create(story_id=pk, kind=StoryEventKind.CONSENT_LOST, details={"case": number})
                withdrawn += 1
    return withdrawn
