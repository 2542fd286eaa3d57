"""Writing and publishing stories: the rules of each kind, refusals that change nothing, the database's last
line of defence, validated photos, and progress stories that reuse the back office's updates."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from gongyi.backoffice.selectors import scope_for
from gongyi.backoffice.services import withdraw_progress_update
from gongyi.stories.models import Story, StoryEvent, StoryEventKind, StoryKind, StoryPhoto, StoryStatus, SubjectKind
from gongyi.stories.selectors import public_stories, public_story, story_images, story_text
from gongyi.stories.services import (
    PhotoInput,
    StoryForbidden,
    StoryInput,
    StoryInputError,
    create_story,
    edit_story,
    personal_numbers_in,
    publish_story,
    withdraw_story,
)
from gongyi.stories.tests.helpers import festival_project, jpeg, progress_update, staff
from gongyi.testing import make_campaign

pytestmark = pytest.mark.django_db


def exemplary(project, **changes) -> StoryInput:
    fields = {
        "kind": StoryKind.EXEMPLARY,
        "title": "一天的利润，捐给身边需要帮助的人",
        "text": "企业捐出一天的利润，员工自愿参与慈善一日捐。",
        "project": project,
        "subject_kind": SubjectKind.COMPANY,
        "subject_name": "某生物医药有限公司",
        "subject_agreed": True,
    }
    fields.update(changes)
    return StoryInput(**fields)


def refused(field, contains, call, *args, **kwargs):
    with pytest.raises(StoryInputError) as error:
        call(*args, **kwargs)
    assert error.value.field == field and contains in error.value.message, error.value
    return error.value


def test_an_exemplary_story_is_published_only_with_the_subjects_agreement():
    project, editor = festival_project(), staff()
    story = create_story(data=exemplary(project, subject_agreed=False), actor=editor)
    assert story.status == StoryStatus.DRAFT and story.campaign == project.campaign  # taken from the project
    assert public_stories() == []

    refused("subject_agreed", "同意公开", publish_story, story=story, actor=editor)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.published_at is None
    assert list(story.events.values_list("kind", flat=True)) == [StoryEventKind.CREATED]

    story = edit_story(story=story, data=exemplary(project), actor=editor)
    story = publish_story(story=story, actor=editor)
    assert story.status == StoryStatus.PUBLISHED and story.published_by == editor
    assert [s.pk for s in public_stories()] == [story.pk] and story.badge == "先进典型 · 爱心企业"
    assert list(story.events.values_list("kind", flat=True)) == ["created", "edited", "published"]


def test_the_database_refuses_what_the_service_refuses():
    project, editor = festival_project(), staff()
    story = create_story(data=exemplary(project, subject_agreed=False), actor=editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED, published_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        # A case story published without naming the consent it rests on.
        Story.objects.create(
            kind=StoryKind.CASE,
            status=StoryStatus.PUBLISHED,
            published_at=timezone.now(),
            title="x",
            aid_case_number="DB-2026-000001",
            created_by=editor,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.create(kind=StoryKind.PROGRESS, title="x", created_by=editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(status=StoryStatus.WITHDRAWN)  # without a reason


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("联系电话13800001111", ["手机号"]),
        ("身份证420703197001010015", ["身份证号"]),
        ("卡号 6217 9830 0012 3456 789", ["银行卡号"]),
        ("2026-05-20 至 2026-05-22，捐赠 1000000 元，热线 0711-3200000", []),
    ],
)
def test_personal_numbers_in_text_are_found(text, found):
    assert personal_numbers_in(text) == found


def test_personal_numbers_and_bad_fields_are_refused_and_nothing_is_written():
    project, editor = festival_project(), staff()
    refused("text", "手机号", create_story, data=exemplary(project, text="有需要请联系13800001111"), actor=editor)
    refused("title", "请填写标题", create_story, data=exemplary(project, title=" "), actor=editor)
    refused(
        "subject_kind",
        "类别",
        create_story,
        data=exemplary(project, subject_kind=SubjectKind.BENEFICIARY),
        actor=editor,
    )
    refused("kind", "类型", create_story, data=exemplary(project, kind="rumour"), actor=editor)
    another = make_campaign(project.organisation, slug="another", name="另一个活动")
    refused("campaign", "项目不属于该活动", create_story, data=exemplary(project, campaign=another), actor=editor)
    assert not Story.objects.exists() and not StoryEvent.objects.exists()


def test_photos_are_checked_and_re_encoded_without_metadata():
    project, editor = festival_project(), staff()
    refused(
        "photos",
        "无法识别",
        create_story,
        data=exemplary(project),
        photos=[PhotoInput(type(jpeg())("fake.jpg", b"not an image", content_type="image/jpeg"))],
        actor=editor,
    )
    refused(
        "photos",
        "最多 9 张",
        create_story,
        data=exemplary(project),
        photos=[PhotoInput(jpeg(40, 30))] * 10,
        actor=editor,
    )
    assert not StoryPhoto.objects.exists()

    story = create_story(data=exemplary(project), photos=[PhotoInput(jpeg(), "车间里的捐赠二维码")], actor=editor)
    photo = story.photos.get()
    assert photo.image.name.endswith(".jpg") and (photo.width, photo.height) == (1600, 1067)
    with photo.image.open("rb") as handle, Image.open(handle) as image:
        assert image.size == (1600, 1067) and not image.getexif()  # the camera's metadata is gone
    assert story_images(story)[0].caption == "车间里的捐赠二维码"


def test_a_progress_story_reuses_the_update_and_leaves_with_it():
    project, editor = festival_project(), staff()
    update, org_editor = progress_update(project)
    refused(
        "photos",
        "来自机构发布的进展",
        create_story,
        data=StoryInput(kind=StoryKind.PROGRESS, progress_update=update),
        photos=[PhotoInput(jpeg())],
        actor=editor,
    )
    story = create_story(
        data=StoryInput(kind=StoryKind.PROGRESS, text="项目执行机构发布的最新进展。", progress_update=update),
        actor=editor,
    )
    assert (story.title, story.project, story.campaign) == (update.title, project, project.campaign)
    assert not story.photos.exists()  # nothing copied
    story = publish_story(story=story, actor=editor)

    shown = public_story(story.pk)
    assert [i.name for i in story_images(shown)] == [p.image.name for p in update.photos.all()]
    assert story_text(shown) == "项目执行机构发布的最新进展。\n\n" + update.text

    withdraw_progress_update(scope=scope_for(org_editor), update=update, reason="照片有误", actor=org_editor)
    assert public_story(story.pk) is None and public_stories() == []


def test_a_published_story_is_withdrawn_not_edited_and_may_be_published_again():
    project, editor = festival_project(), staff()
    story = publish_story(story=create_story(data=exemplary(project), actor=editor), actor=editor)
    refused(None, "请先撤回", edit_story, story=story, data=exemplary(project, title="新标题"), actor=editor)
    refused("reason", "撤回原因", withdraw_story, story=story, reason=" ", actor=editor)
    story = withdraw_story(story=story, reason="企业要求修改措辞", actor=editor)
    assert story.status == StoryStatus.WITHDRAWN and public_story(story.pk) is None
    refused(None, "未发布或已撤回", withdraw_story, story=story, reason="again", actor=editor)

    story = edit_story(story=story, data=exemplary(project, title="新标题"), actor=editor)
    assert story.status == StoryStatus.DRAFT and story.withdraw_reason == ""
    story = publish_story(story=story, actor=editor)
    assert public_story(story.pk).title == "新标题"
    kinds = list(story.events.values_list("kind", flat=True))
    assert kinds == ["created", "published", "withdrawn", "edited", "published"]
    assert story.events.get(kind="withdrawn").details == {"reason": "企业要求修改措辞"}


def test_a_story_of_a_project_not_public_is_not_published_nor_shown():
    project, editor = festival_project(), staff()
    story = publish_story(story=create_story(data=exemplary(project), actor=editor), actor=editor)
    type(project).objects.filter(pk=project.pk).update(status="draft")
    assert public_story(story.pk) is None
    story = withdraw_story(story=story, reason="项目下线", actor=editor)
    refused("project", "项目尚未公开", publish_story, story=story, actor=editor)


def test_permissions_are_checked_by_the_services():
    project = festival_project()
    writer = staff("view_story", "add_story", "change_story", username="writer")
    story = create_story(data=exemplary(project), actor=writer)
    with pytest.raises(StoryForbidden):
        publish_story(story=story, actor=writer)
    with pytest.raises(StoryForbidden):
        create_story(data=exemplary(project), actor=staff("view_story", username="reader"))


def test_without_the_aid_app_no_case_story_can_be_written():
    project, editor = festival_project(), staff()
    with mock.patch("gongyi.stories.aid_link.aid_installed", return_value=False):
        refused(
            "aid_case_number",
            "救助模块未启用",
            create_story,
            data=StoryInput(
                kind=StoryKind.CASE, title="x", text="y", project=project, aid_case_number="DB-2026-000001"
            ),
            actor=editor,
        )
