"""Stories API under /api/v1/stories: the published stories, as the public pages show them."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from gongyi.campaigns.models import Campaign
from gongyi.core.paging import MAX_OFFSET
from gongyi.stories.models import StoryKind
from gongyi.stories.selectors import public_stories, public_story, story_excerpt, story_images, story_text

router = Router(tags=["stories"])


class PhotoOut(Schema):
    url: str
    width: int
    height: int
    caption: str


class StoryOut(Schema):
    id: int
    kind: str
    kind_label: str
    badge: str
    title: str
    summary: str
    excerpt: str
    subject_name: str
    campaign: str | None
    project_id: int | None
    published_at: datetime
    url: str
    poster_png_url: str
    poster_pdf_url: str
    photos: list[PhotoOut]


class StoryDetailOut(StoryOut):
    text: str


class StoryQuery(Schema):
    kind: StoryKind | None = None
    campaign: str | None = None
    project: int | None = None
    limit: int = 20
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ErrorOut(Schema):
    message: str
    errors: list[dict] = []


def _out(story, *, detail: bool = False) -> dict:
    data = {
        "id": story.pk,
        "kind": story.kind,
        "kind_label": story.get_kind_display(),
        "badge": story.badge,
        "title": story.title,
        "summary": story.summary,
        "excerpt": story_excerpt(story),
        "subject_name": story.subject_name,
        "campaign": story.campaign.slug if story.campaign else None,
        "project_id": story.project_id,
        "published_at": story.published_at,
        "url": reverse("story-detail", args=[story.pk]),
        "poster_png_url": reverse("story-poster-png", args=[story.pk]),
        "poster_pdf_url": reverse("story-poster-pdf", args=[story.pk]),
        "photos": [
            {"url": i.url, "width": i.width, "height": i.height, "caption": i.caption} for i in story_images(story)
        ],
    }
    if detail:
        data["text"] = story_text(story)
    return data


@router.get("", response=list[StoryOut], summary="已发布的公益故事（最新在前）")
def list_stories(request, query: Query[StoryQuery]):
    campaign = None
    if query.campaign:
        campaign = Campaign.objects.filter(slug=query.campaign, is_public=True).first()
        if campaign is None:
            return []
    project = None
    if query.project is not None:
        from gongyi.projects.selectors import public_project

        project = public_project(query.project)
        if project is None:
            return []
    stories = public_stories(
        kind=query.kind,
        campaign=campaign,
        project=project,
        limit=max(1, min(query.limit, 50)),
        offset=query.offset,
    )
    return [_out(s) for s in stories]


@router.get("/{story_id}", response={200: StoryDetailOut, 404: ErrorOut}, summary="一个公益故事")
def get_story(request, story_id: int):
    story = public_story(story_id)
    if story is None:
        return Status(404, {"message": "故事不存在或未公开", "errors": []})
    return Status(200, _out(story, detail=True))
