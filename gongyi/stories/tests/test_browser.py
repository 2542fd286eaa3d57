"""The stories pages on a phone: Debian's chromium at 375×812, no sideways scrolling."""

from __future__ import annotations

import pytest

from gongyi.reports.tests.glyphs import ARTIFACTS
from gongyi.stories.models import PosterColour, StoryKind, SubjectKind
from gongyi.stories.services import StoryInput, create_story, publish_story
from gongyi.stories.tests.helpers import festival_project, progress_update, staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_story_list_and_story_at_375px(live_server, phone_page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    project, editor = festival_project(), staff()
    story = publish_story(
        story=create_story(
            data=StoryInput(
                kind=StoryKind.EXEMPLARY,
                title="八年陪诊路：志愿者刘师傅的周末，每个周末都开车送村里的老人去医院复查",
                summary="每个周末，他开车把村里的老人送到医院复查，八年没有间断。",
                text="刘师傅是鄂州市青年志愿者协会的一名老会员。\n\n挂号、排队、取药，他都陪着老人一步步走完。",
                project=project,
                subject_kind=SubjectKind.VOLUNTEER,
                subject_name="刘师傅",
                subject_agreed=True,
                colour=PosterColour.GREEN,
            ),
            actor=editor,
        ),
        actor=editor,
    )
    update, _ = progress_update(project)
    publish_story(
        story=create_story(data=StoryInput(kind=StoryKind.PROGRESS, progress_update=update), actor=editor), actor=editor
    )
    page = phone_page

    page.goto(f"{live_server.url}/stories/")
    assert page.locator("#story-list .story-card").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "stories-375.png"), full_page=True)

    page.goto(f"{live_server.url}/stories/{story.pk}/")
    assert "刘师傅" in page.locator("#story-subject").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "story-375.png"), full_page=True)
    page.click("#story-poster")
    page.wait_for_load_state()
    assert page.evaluate("document.images.length === 1 && document.images[0].naturalWidth") == 900
