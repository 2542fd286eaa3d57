"""``{% campaign_stories campaign %}`` and ``{% project_stories project %}``: story cards for the campaign
home and the project page (included through ``stories/_campaign_stories.html`` and ``_project_stories.html``)."""

from __future__ import annotations

from django import template

from gongyi.stories.selectors import campaign_stories as select_campaign_stories
from gongyi.stories.selectors import project_stories as select_project_stories
from gongyi.stories.selectors import story_excerpt, story_images

register = template.Library()


def _cards(stories) -> list:
    return [(story, story_images(story)[:1], story_excerpt(story)) for story in stories]


@register.inclusion_tag("stories/_campaign_panel.html")
def campaign_stories(campaign, limit: int = 6):
    stories = select_campaign_stories(campaign, limit=limit) if campaign is not None else []
    return {"campaign": campaign, "cards": _cards(stories)}


@register.inclusion_tag("stories/_project_panel.html")
def project_stories(project, limit: int = 6):
    stories = select_project_stories(project, limit=limit) if project is not None else []
    return {"project": project, "cards": _cards(stories)}
