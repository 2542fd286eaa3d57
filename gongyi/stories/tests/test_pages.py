"""Stories pages, the campaign and project snippets, the API, the staff pages, and the posters — rendered,
checked for missing glyphs, and kept in ``test-artifacts/`` for looking at."""

from __future__ import annotations

import io

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from gongyi.reports.tests.glyphs import (
    ARTIFACTS,
    cjk_face_name,
    fonts_showing_text,
    ink_ratio,
    missing_glyphs,
    pdf_page_count,
    render_pdf_page,
)
from gongyi.stories import posters
from gongyi.stories.models import PosterColour, Story, StoryKind, StoryStatus, SubjectKind
from gongyi.stories.services import StoryInput, create_story, publish_story
from gongyi.stories.tests.helpers import festival_project, jpeg, progress_update, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    project, editor = festival_project(), staff()
    company = publish_story(
        story=create_story(
            data=StoryInput(
                kind=StoryKind.EXEMPLARY,
                title="一天的利润，捐给身边需要帮助的人",
                summary="企业捐出一天的利润，420名员工自愿参与慈善一日捐。",
                text="“慈善一日捐”启动当天，这家企业以单位名义捐出一天的利润。\n\n员工们自愿扫码参与，不设任何摊派。",
                project=project,
                subject_kind=SubjectKind.COMPANY,
                subject_name="葛店开发区某生物医药有限公司",
                subject_agreed=True,
                colour=PosterColour.BLUE,
            ),
            actor=editor,
        ),
        actor=editor,
    )
    update, _ = progress_update(project)
    progress = publish_story(
        story=create_story(data=StoryInput(kind=StoryKind.PROGRESS, progress_update=update), actor=editor),
        actor=editor,
    )
    draft = create_story(
        data=StoryInput(
            kind=StoryKind.EXEMPLARY,
            title="还没发布的草稿",
            text="草稿",
            subject_kind=SubjectKind.PERSON,
            subject_name="某人",
            campaign=project.campaign,
        ),
        actor=editor,
    )
    return project, company, progress, draft


def test_the_list_and_story_pages_show_only_published_stories(published, client):
    _project, company, progress, draft = published
    page = client.get(reverse("story-list"))
    assert page.status_code == 200
    assert company.title in page.text and progress.title in page.text and draft.title not in page.text
    only = client.get(reverse("story-list"), {"kind": "progress"}).text
    assert progress.title in only and company.title not in only

    detail = client.get(reverse("story-detail", args=[company.pk]))
    assert detail.status_code == 200 and "葛店开发区某生物医药有限公司" in detail.text
    assert reverse("story-poster-png", args=[company.pk]) in detail.text
    assert client.get(reverse("story-detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("story-poster-png", args=[draft.pk])).status_code == 404
    progress_page = client.get(reverse("story-detail", args=[progress.pk])).text
    assert "照片1" in progress_page and "村湾便民桥于本周完工通行" in progress_page


def test_the_snippets_for_the_campaign_home_and_the_project_page(published, django_assert_max_num_queries):
    project, company, progress, draft = published
    request = RequestFactory().get("/")
    with django_assert_max_num_queries(8):
        home = render_to_string("stories/_campaign_stories.html", {"campaign": project.campaign}, request=request)
    assert company.title in home and progress.title in home and draft.title not in home
    assert f"{reverse('story-list')}?campaign={project.campaign.slug}" in home

    page = render_to_string("stories/_project_stories.html", {"project": project}, request=request)
    assert company.title in page
    assert progress.title not in page  # the back office's own panel lists the project's updates
    assert reverse("project-poster-png", args=[project.pk]) in page

    assert render_to_string("stories/_campaign_stories.html", {"campaign": None}).strip() == ""


def test_the_api_lists_and_shows_published_stories(published, client):
    project, company, progress, draft = published
    listed = client.get("/api/v1/stories", {"campaign": project.campaign.slug}).json()
    assert [s["id"] for s in listed] == [progress.pk, company.pk]
    assert listed[0]["photos"][0]["caption"] == "照片1" and listed[1]["badge"] == "先进典型 · 爱心企业"
    shown = client.get(f"/api/v1/stories/{company.pk}").json()
    assert shown["text"].startswith("“慈善一日捐”启动当天") and shown["poster_png_url"].endswith("/poster.png")
    assert client.get(f"/api/v1/stories/{draft.pk}").status_code == 404
    assert client.get("/api/v1/stories", {"kind": "rumour"}).status_code == 422


def test_the_story_poster_shows_its_chinese_text_and_is_kept_for_looking_at(published, client):
    _project, _company, progress, _draft = published
    response = client.get(reverse("story-poster-png", args=[progress.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (posters.PNG_WIDTH, round(posters.A4_HEIGHT * posters.PNG_WIDTH / posters.A4_WIDTH))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "poster.png").write_bytes(response.content)

    from gongyi.stories.selectors import public_story, story_excerpt, story_images

    story = public_story(progress.pk)
    content = posters.story_poster(
        story,
        url="https://example.invalid/stories/1/",
        excerpt=story_excerpt(story, 240, with_summary=False),
        picture=story_images(story)[0].name,
    )
    texts = posters.poster_texts(posters.layout(content))
    assert "鄂州公益" in texts and progress.title in texts and "项目：鄂州慈善幸福家园" in texts
    assert missing_glyphs(texts) == set()
    # The photo fills the top; the platform's name and the QR code sit in the white band at the bottom.
    assert ink_ratio(response.content, box=(0, 0, posters.PNG_WIDTH, 500)) > 0.5


def test_a_poster_without_a_photo_has_a_colour_block_and_no_missing_glyphs(published, client):
    _project, company, _progress, _draft = published
    png = client.get(reverse("story-poster-png", args=[company.pk])).content
    block = Image.open(io.BytesIO(png)).convert("RGB").getpixel((posters.PNG_WIDTH // 2, 20))
    assert block == posters.COLOURS["blue"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "poster-colour-block.png").write_bytes(png)
    content = posters.story_poster(company, url="https://example.invalid/", excerpt="摘要", picture=None)
    assert missing_glyphs(posters.poster_texts(posters.layout(content))) == set()


def test_the_a4_poster_pdf_embeds_the_cjk_font_and_renders(published, client):
    _project, company, _progress, _draft = published
    response = client.get(reverse("story-poster-pdf", args=[company.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf_page_count(pdf) == 1
    used = fonts_showing_text(pdf)
    assert used and all(cjk_face_name() in name for name in used)
    assert b"/BaseFont /Helvetica" not in pdf
    png = render_pdf_page(pdf, "poster-a4.png", dpi=80)
    assert ink_ratio(png) > 0.2


def test_the_project_poster_uses_the_newest_progress_photo_and_live_figures(published, client):
    project, _company, _progress, _draft = published
    png = client.get(reverse("project-poster-png", args=[project.pk]))
    pdf = client.get(reverse("project-poster-pdf", args=[project.pk]))
    assert png.status_code == pdf.status_code == 200
    from gongyi.projects.selectors import figures_for
    from gongyi.stories.selectors import project_cover

    content = posters.project_poster(
        project, figures_for(project), url="https://example.invalid/projects/1/", picture=project_cover(project).name
    )
    texts = posters.poster_texts(posters.layout(content))
    assert "已筹 ¥0.00 · 配捐 ¥0.00 · 0 笔捐赠" in texts and "长按识别二维码 · 一起捐" in texts
    assert missing_glyphs(texts) == set()
    type(project).objects.filter(pk=project.pk).update(status="draft")
    assert client.get(reverse("project-poster-png", args=[project.pk])).status_code == 404


def test_the_glyph_check_itself_catches_a_missing_glyph():
    assert missing_glyphs(["❤"]) == {"❤"}  # the CJK font has no emoji: it would print a box
    assert missing_glyphs(["鄂州公益 · ¥1,234.56 —「」"]) == set()


def test_staff_write_with_photos_publish_and_withdraw_on_their_pages(client):
    project = festival_project()
    assert client.get(reverse("stories-staff")).status_code == 302
    client.force_login(staff("view_story", username="reader"))
    assert client.get(reverse("stories-staff")).status_code == 200
    assert client.get(reverse("stories-staff-new")).status_code == 403

    editor = staff()
    client.force_login(editor)
    form = client.get(reverse("stories-staff-new"), {"kind": "exemplary"})
    assert form.status_code == 200 and "先进典型类别" in form.text
    posted = client.post(
        reverse("stories-staff-new"),
        {
            "kind": "exemplary",
            "title": "八年陪诊路",
            "text": "每个周末，他开车送村里的老人去医院复查。",
            "project": project.pk,
            "subject_kind": "volunteer",
            "subject_name": "刘师傅",
            "colour": "green",
            "photos": [jpeg(800, 600, name="a.jpg"), jpeg(600, 800, name="b.png")],
        },
    )
    story = Story.objects.get()
    assert posted.status_code == 302 and story.photos.count() == 2 and story.status == StoryStatus.DRAFT

    refused = client.post(reverse("stories-staff-publish", args=[story.pk]), follow=True)
    assert "未发布：须经本人或单位同意公开" in refused.text
    bad = client.post(
        reverse("stories-staff-edit", args=[story.pk]),
        {
            "kind": "exemplary",
            "title": "八年陪诊路",
            "text": "电话13800001111",
            "subject_kind": "volunteer",
            "subject_name": "刘师傅",
            "colour": "green",
        },
    )
    assert bad.status_code == 200 and "不能包含手机号" in bad.text
    saved = client.post(
        reverse("stories-staff-edit", args=[story.pk]),
        {
            "kind": "exemplary",
            "title": "八年陪诊路",
            "text": "每个周末，他开车送老人复查。",
            "project": project.pk,
            "subject_kind": "volunteer",
            "subject_name": "刘师傅",
            "subject_agreed": "on",
            "colour": "green",
            "remove_photo": [str(story.photos.first().pk)],
        },
    )
    assert saved.status_code == 302 and story.photos.count() == 1
    client.post(reverse("stories-staff-publish", args=[story.pk]))
    story.refresh_from_db()
    assert (
        story.status == StoryStatus.PUBLISHED
        and client.get(reverse("story-detail", args=[story.pk])).status_code == 200
    )
    client.post(reverse("stories-staff-withdraw", args=[story.pk]), {"reason": "本人要求撤下"})
    story.refresh_from_db()
    assert story.status == StoryStatus.WITHDRAWN and story.withdraw_reason == "本人要求撤下"
