"""Reads of stories for public pages, snippets, posters and the API: only what the public may see, now.

A published story is shown only while its project and campaign are public, a progress story only while its
update is not withdrawn, and a case story only while the aid case's consents are live (checked on every read,
two queries for a whole page, so a withdrawn consent takes the story down at once; the periodic sweep then
records the withdrawal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from gongyi.backoffice.models import ProgressPhoto
from gongyi.core.paging import MAX_OFFSET
from gongyi.projects.models import ProjectStatus
from gongyi.stories import aid_link
from gongyi.stories.models import Story, StoryKind, StoryStatus

PUBLIC_PROJECT_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)


@dataclass(frozen=True)
class StoryImage:
    name: str  # the storage name, for the poster renderer
    url: str
    width: int
    height: int
    caption: str


def published_stories() -> QuerySet[Story]:
    """Published stories whose project, campaign and update are public (case consents not yet checked)."""
    return (
        Story.objects.filter(status=StoryStatus.PUBLISHED)
        .filter(Q(project__isnull=True) | Q(project__status__in=PUBLIC_PROJECT_STATUSES))
        .filter(Q(campaign__isnull=True) | Q(campaign__is_public=True))
        .filter(~Q(kind=StoryKind.PROGRESS) | Q(progress_update__withdrawn_at__isnull=True))
        .select_related("campaign", "project", "organisation", "unit", "progress_update")
        .prefetch_related(
            "photos", Prefetch("progress_update__photos", queryset=ProgressPhoto.objects.order_by("position", "id"))
        )
        .order_by("-published_at", "-id")
    )


def only_consented(stories) -> list[Story]:
    """Drop case stories whose aid case no longer has every needed consent live."""
    stories = list(stories)
    numbers = [s.aid_case_number for s in stories if s.kind == StoryKind.CASE]
    allowed = aid_link.publishable_case_numbers(numbers) if numbers else set()
    return [s for s in stories if s.kind != StoryKind.CASE or s.aid_case_number in allowed]


def public_stories(
    *, kind: str | None = None, campaign=None, project=None, exclude_kinds=(), limit: int = 30, offset: int = 0
) -> list[Story]:
    qs = published_stories()
    if kind:
        qs = qs.filter(kind=kind)
    if exclude_kinds:
        qs = qs.exclude(kind__in=list(exclude_kinds))
    if campaign is not None:
        qs = qs.filter(Q(campaign=campaign) | Q(project__campaign=campaign))
    if project is not None:
        qs = qs.filter(project=project)
    if offset > MAX_OFFSET:
        return []  # past the end of any list; the database would refuse the number
    return only_consented(qs[offset : offset + limit])


def public_story(story_id: int) -> Story | None:
    found = published_stories().filter(pk=story_id).first()
    if found is None:
        return None
    return next(iter(only_consented([found])), None)


def campaign_stories(campaign, *, limit: int = 6) -> list[Story]:
    """For the campaign home: the newest stories of every kind linked to the campaign or its projects."""
    return public_stories(campaign=campaign, limit=limit)


def project_stories(project, *, limit: int = 6) -> list[Story]:
    """For the project page: case and exemplary stories (its progress updates are listed by the back office)."""
    return public_stories(project=project, exclude_kinds=(StoryKind.PROGRESS,), limit=limit)


def story_images(story: Story) -> list[StoryImage]:
    """The story's photos: a progress story's are its update's (never copied), the others' their own."""
    if story.kind == StoryKind.PROGRESS and story.progress_update is not None:
        photos = story.progress_update.photos.all()
    else:
        photos = story.photos.all()
    return [StoryImage(p.image.name, p.image.url, p.width, p.height, p.caption) for p in photos]


def story_text(story: Story) -> str:
    """The body shown: a progress story's own introduction, then the update's text."""
    if story.kind == StoryKind.PROGRESS and story.progress_update is not None:
        return "\n\n".join(part for part in (story.text, story.progress_update.text) if part)
    return story.text


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
_SPACE_BY_CJK = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")


def flatten(text: str) -> str:
    """Paragraphs run on as one line; no stray spaces beside Chinese characters or punctuation."""
    return _SPACE_BY_CJK.sub("", " ".join((text or "").split()))


def story_excerpt(story: Story, length: int = 80, *, with_summary: bool = True) -> str:
    """The summary, or the start of the text; with ``with_summary=False`` summary and text run on (posters)."""
    body = flatten(story_text(story))
    if with_summary:
        text = story.summary or body
    else:
        text = flatten(" ".join(part for part in (story.summary, body) if part))
    return text if len(text) <= length else text[: length - 1] + "…"


def project_cover(project) -> StoryImage | None:
    """The newest photo of the project's public progress updates, for its poster."""
    photo = (
        ProgressPhoto.objects.filter(update__project=project, update__withdrawn_at__isnull=True)
        .order_by("-update__published_at", "position", "id")
        .first()
    )
    if photo is None:
        return None
    return StoryImage(photo.image.name, photo.image.url, photo.width, photo.height, photo.caption)


def staff_stories(*, status: str | None = None) -> QuerySet[Story]:
    qs = Story.objects.select_related("campaign", "project", "created_by", "published_by").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    return qs
