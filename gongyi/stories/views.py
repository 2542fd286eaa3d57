"""Stories pages (mounted under ``/stories/``): the public list and story, posters, and staff writing pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.campaigns.models import Campaign
from gongyi.projects.selectors import figures_for, public_project
from gongyi.stories import posters
from gongyi.stories.forms import StoryForm
from gongyi.stories.models import Story, StoryKind, StoryStatus
from gongyi.stories.selectors import (
    project_cover,
    public_stories,
    public_story,
    staff_stories,
    story_excerpt,
    story_images,
    story_text,
)
from gongyi.stories.services import (
    PhotoInput,
    StoryForbidden,
    StoryInput,
    StoryInputError,
    create_story,
    edit_story,
    publish_story,
    withdraw_story,
)

PAGE_SIZE = 20
POSTER_CACHE_SECONDS = 300


def public_url(path: str) -> str:
    """An absolute URL for QR codes: the configured public base, never the request's Host header."""
    return settings.GONGYI["PUBLIC_BASE_URL"] + path


# --- public pages ---------------------------------------------------------------------------------------------


@require_GET
def story_list(request):
    kind = request.GET.get("kind") or None
    if kind not in StoryKind.values:
        kind = None
    campaign = None
    if request.GET.get("campaign"):
        campaign = Campaign.objects.filter(slug=request.GET["campaign"], is_public=True).first()
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    stories = public_stories(kind=kind, campaign=campaign, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render(
        request,
        "stories/list.html",
        {
            "stories": [(s, story_images(s)[:1], story_excerpt(s)) for s in stories[:PAGE_SIZE]],
            "kinds": StoryKind.choices,
            "current_kind": kind,
            "campaign": campaign,
            "page": page,
            "has_next": len(stories) > PAGE_SIZE,
        },
    )


@require_GET
def story_detail(request, story_id: int):
    story = public_story(story_id)
    if story is None:
        raise Http404("故事不存在或未公开")
    return render(
        request,
        "stories/detail.html",
        {
            "story": story,
            "images": story_images(story),
            "text": story_text(story),
            "excerpt": story_excerpt(story, 60),
            "share_url": public_url(reverse("story-detail", args=[story.pk])),
        },
    )


def _story_poster(story_id: int):
    story = public_story(story_id)
    if story is None:
        raise Http404("故事不存在或未公开")
    images = story_images(story)
    url = public_url(reverse("story-detail", args=[story.pk]))
    content = posters.story_poster(
        story,
        url=url,
        excerpt=story_excerpt(story, 240, with_summary=False),
        picture=images[0].name if images else None,
    )
    return story, posters.layout(content)


def _poster_response(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = f"public, max-age={POSTER_CACHE_SECONDS}"
    return response


@require_GET
def story_poster_png(request, story_id: int):
    story, ops = _story_poster(story_id)
    return _poster_response(posters.render_png(ops), "image/png", f"story-{story.pk}.png")


@require_GET
def story_poster_pdf(request, story_id: int):
    story, ops = _story_poster(story_id)
    return _poster_response(posters.render_pdf(ops, title=story.title), "application/pdf", f"story-{story.pk}.pdf")


def _project_poster(project_id: int):
    project = public_project(project_id)
    if project is None:
        raise Http404("项目不存在或未公开")
    cover = project_cover(project)
    url = public_url(reverse("project", args=[project.pk]))
    content = posters.project_poster(project, figures_for(project), url=url, picture=cover.name if cover else None)
    return project, posters.layout(content)


@require_GET
def project_poster_png(request, project_id: int):
    project, ops = _project_poster(project_id)
    return _poster_response(posters.render_png(ops), "image/png", f"project-{project.pk}.png")


@require_GET
def project_poster_pdf(request, project_id: int):
    project, ops = _project_poster(project_id)
    return _poster_response(
        posters.render_pdf(ops, title=project.title), "application/pdf", f"project-{project.pk}.pdf"
    )


# --- staff pages ----------------------------------------------------------------------------------------------


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"需要权限 {permission}")


@require_GET
@staff_member_required
def staff_list(request):
    _require(request, "stories.view_story")
    status = request.GET.get("status") or None
    if status not in StoryStatus.values:
        status = None
    return render(
        request,
        "stories/staff_list.html",
        {
            "stories": staff_stories(status=status)[:200],
            "statuses": StoryStatus.choices,
            "current_status": status,
            "kinds": StoryKind.choices,
        },
    )


def _input(form: StoryForm) -> StoryInput:
    data = form.cleaned_data
    return StoryInput(
        kind=data["kind"],
        title=data["title"],
        summary=data["summary"],
        text=data["text"],
        campaign=data["campaign"],
        project=data["project"],
        organisation=data["organisation"],
        unit=data["unit_code"],
        progress_update=data["progress_update"],
        subject_kind=data["subject_kind"],
        subject_name=data["subject_name"],
        subject_agreed=data["subject_agreed"],
        aid_case_number=data["aid_case_number"],
        colour=data["colour"],
    )


def _form_error(form: StoryForm, exc: StoryInputError) -> None:
    field = exc.field
    if field == "unit":
        field = "unit_code"
    form.add_error(field if field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_new(request):
    _require(request, "stories.add_story")
    kind = request.GET.get("kind") if request.GET.get("kind") in StoryKind.values else StoryKind.EXEMPLARY
    form = StoryForm(request.POST or None, request.FILES or None, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        photos = [PhotoInput(f) for f in form.cleaned_data["photos"]]
        try:
            story = create_story(data=_input(form), photos=photos, actor=request.user)
        except StoryInputError as exc:
            _form_error(form, exc)
        except StoryForbidden as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(request, "已保存为草稿")
            return redirect("stories-staff-edit", story_id=story.pk)
    return render(request, "stories/staff_form.html", {"form": form, "story": None})


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_edit(request, story_id: int):
    _require(request, "stories.view_story")
    story = get_object_or_404(Story.objects.select_related("unit", "progress_update"), pk=story_id)
    initial = {
        "kind": story.kind,
        "title": story.title,
        "summary": story.summary,
        "text": story.text,
        "campaign": story.campaign_id,
        "project": story.project_id,
        "organisation": story.organisation_id,
        "unit_code": story.unit.code if story.unit else "",
        "progress_update": story.progress_update_id,
        "subject_kind": story.subject_kind if story.kind == StoryKind.EXEMPLARY else "",
        "subject_name": story.subject_name if story.kind == StoryKind.EXEMPLARY else "",
        "subject_agreed": story.subject_agreed,
        "aid_case_number": story.aid_case_number,
        "colour": story.colour,
    }
    form = StoryForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        _require(request, "stories.change_story")
        if form.is_valid():
            photos = [PhotoInput(f) for f in form.cleaned_data["photos"]]
            remove = [int(pk) for pk in request.POST.getlist("remove_photo") if pk.isdigit()]
            try:
                story = edit_story(
                    story=story, data=_input(form), photos=photos, remove_photo_ids=remove, actor=request.user
                )
            except StoryInputError as exc:
                _form_error(form, exc)
            except StoryForbidden as exc:
                raise PermissionDenied(str(exc)) from None
            else:
                messages.success(request, "已保存")
                return redirect("stories-staff-edit", story_id=story.pk)
    return render(
        request,
        "stories/staff_form.html",
        {"form": form, "story": story, "images": story_images(story), "events": story.events.select_related("actor")},
    )


@require_POST
@staff_member_required
def staff_publish(request, story_id: int):
    _require(request, "stories.publish_story")
    story = get_object_or_404(Story, pk=story_id)
    try:
        publish_story(story=story, actor=request.user)
    except StoryInputError as exc:
        messages.error(request, f"未发布：{exc.message}")
    else:
        messages.success(request, "已发布")
    return redirect("stories-staff-edit", story_id=story.pk)


@require_POST
@staff_member_required
def staff_withdraw(request, story_id: int):
    _require(request, "stories.publish_story")
    story = get_object_or_404(Story, pk=story_id)
    try:
        withdraw_story(story=story, reason=request.POST.get("reason", ""), actor=request.user)
    except StoryInputError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤回")
    return redirect("stories-staff-edit", story_id=story.pk)
