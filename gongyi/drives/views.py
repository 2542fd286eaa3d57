"""Public pages of 一日捐 drives and 一起捐 teams (mobile first): league tables, unit and team pages,
posters and certificates, team creation, unit registration, individual receipt requests."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from gongyi.core.clientip import client_network
from gongyi.drives import posters
from gongyi.drives.forms import IndividualReceiptForm, TeamForm, UnitRegistrationForm
from gongyi.drives.selectors import (
    BOARDS,
    current_drive,
    drive_is_live,
    drive_projects,
    drive_summary,
    league,
    public_drives,
    public_team,
    public_unit,
    recent_unit_gifts,
    sub_units,
    team_figures,
    team_ranking,
    unit_figures,
    unit_rank,
)
from gongyi.drives.services import (
    DriveInputError,
    UnitInput,
    create_team,
    network_fingerprint,
    register_unit,
    request_individual_receipt,
    unit_gift_token_ok,
)
from gongyi.projects.selectors import public_project


def public_url(path: str) -> str:
    """An absolute URL for QR codes: the configured public base, never the request's Host header."""
    return settings.GONGYI["PUBLIC_BASE_URL"] + path


def _drive_from(request):
    slug = request.GET.get("drive")
    if slug:
        drive = public_drives().filter(slug=slug).first()
        if drive is None:
            raise Http404("一日捐活动不存在")
        return drive
    return current_drive()


@require_GET
def league_page(request):
    drive = _drive_from(request)
    by = request.GET.get("by", "unit")
    if by not in BOARDS:
        by = "unit"
    context = {"drive": drive, "by": by, "boards": BOARDS.items(), "drives": list(public_drives()[:10])}
    if drive is not None:
        figures, units = drive_summary(drive)
        context.update({"rows": league(drive, by), "figures": figures, "units": units, "live": drive_is_live(drive)})
    return render(request, "drives/league.html", context)


def _unit_or_404(code: str):
    unit = public_unit(code)
    if unit is None:
        raise Http404("单位不存在或尚未通过审核")
    return unit


@require_GET
def unit_page(request, code: str):
    unit = _unit_or_404(code)
    if unit.code != code:
        return redirect("drives-unit", code=unit.code)
    drive = current_drive()
    figures = unit_figures(drive, unit)
    token = request.GET.get("as_unit", "")
    return render(
        request,
        "drives/unit.html",
        {
            "unit": unit,
            "drive": drive,
            "figures": figures,
            "rank": unit_rank(drive, figures) if drive else None,
            "participation": round(figures.givers * 100 / unit.headcount, 1) if unit.headcount else None,
            "projects": drive_projects(drive),
            "children": sub_units(unit),
            "gifts": recent_unit_gifts(unit),
            # The unit's own-gift link (from staff) carries a signed token on to the give page.
            "as_unit_token": token if token and unit_gift_token_ok(unit, token) else "",
        },
    )


def _unit_sheet_args(unit):
    drive = current_drive()
    return drive, {
        "unit": unit,
        "drive_name": drive.name if drive else "慈善一日捐",
        "host_name": drive.organiser_name if drive else "慈善总会",
        "url": public_url(reverse("drives-unit", args=[unit.code])),
    }


@require_GET
def unit_qr(request, code: str):
    unit = _unit_or_404(code)
    return HttpResponse(posters.qr_png(public_url(reverse("drives-unit", args=[unit.code]))), content_type="image/png")


@require_GET
def unit_poster(request, code: str, fmt: str):
    if fmt not in ("pdf", "png"):
        raise Http404("格式应为 pdf 或 png")
    unit = _unit_or_404(code)
    _, args = _unit_sheet_args(unit)
    ops = posters.poster_layout(**args)
    if fmt == "pdf":
        response = HttpResponse(
            posters.render_pdf(ops, title=f"{unit.name} 一日捐海报"), content_type="application/pdf"
        )
    else:
        response = HttpResponse(posters.render_png(ops), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="poster-{unit.code}.{fmt}"'
    return response


@require_GET
def unit_certificate(request, code: str, fmt: str):
    if fmt not in ("pdf", "png"):
        raise Http404("格式应为 pdf 或 png")
    unit = _unit_or_404(code)
    drive, args = _unit_sheet_args(unit)
    figures = unit_figures(drive, unit)
    if drive is None or not figures.total_fen:
        raise Http404("该单位在本次一日捐中还没有捐赠，暂无证书")
    ops = posters.certificate_layout(
        **args,
        figures=figures,
        certificate_no=f"YRJ{drive.pk:03d}{unit.code}",
        issued_on=f"{timezone.localdate():%Y年%m月%d日}",
    )
    if fmt == "pdf":
        body, kind = posters.render_pdf(ops, title=f"{unit.name} 荣誉证书"), "application/pdf"
    else:
        body, kind = posters.render_png(ops), "image/png"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'inline; filename="certificate-{unit.code}.{fmt}"'
    return response


def _team_or_404(team_id: int):
    team = public_team(team_id)
    if team is None:
        raise Http404("团队不存在")
    return team


@require_GET
def team_page(request, team_id: int):
    team = _team_or_404(team_id)
    figures = team_figures(team)
    return render(
        request,
        "drives/team.html",
        {
            "team": team,
            "project": team.project,
            "figures": figures,
            "progress": min(100, figures.total_fen * 100 // team.goal_fen),
            "ranking": team_ranking(team.project),
            "give_url": reverse("give", args=[team.project_id]) + f"?team={team.pk}",
        },
    )


@require_GET
def team_qr(request, team_id: int):
    team = _team_or_404(team_id)
    return HttpResponse(posters.qr_png(public_url(reverse("drives-team", args=[team.pk]))), content_type="image/png")


def client_address(request) -> str:
    # Only a rate-limit key, never stored in clear; read through the trusted proxies (gongyi.core.clientip).
    return client_network(request)


@require_http_methods(["GET", "POST"])
def team_new(request):
    project_id = request.GET.get("project") or request.POST.get("project")
    project = public_project(int(project_id)) if (project_id or "").isdigit() else None
    if project is None:
        raise Http404("请从项目页面发起团队")
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            # A bot filled the honeypot: answer as if it worked, create nothing.
            return redirect("project", project_id=project.pk)
        try:
            team = create_team(
                project=project,
                name=form.cleaned_data["name"],
                slogan=form.cleaned_data["slogan"],
                goal_fen=form.cleaned_data["goal"],
                leader_name=form.cleaned_data["leader_name"],
                fingerprint=network_fingerprint(client_address(request)),
            )
        except DriveInputError as error:
            form.add_service_error(error)
        else:
            return redirect("drives-team", team_id=team.pk)
    return render(
        request,
        "drives/team_new.html",
        {"form": form, "project": project, "ranking": team_ranking(project)},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def register(request):
    form = UnitRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_bot:
            return render(request, "drives/registered.html", {"unit": None, "warnings": []})
        data = form.cleaned_data
        try:
            unit, warnings = register_unit(
                data=UnitInput(
                    name=data["name"],
                    kind=data["kind"],
                    uscc=data["uscc"],
                    district=data["district"],
                    township=data["township"],
                    parent=data["parent"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    headcount=data["headcount"],
                )
            )
        except DriveInputError as error:
            form.add_service_error(error)
        else:
            return render(request, "drives/registered.html", {"unit": unit, "warnings": [m for _, m in warnings]})
    return render(request, "drives/register.html", {"form": form}, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def receipt_request(request):
    form = IndividualReceiptForm(request.POST or None, initial={"certificate_no": request.GET.get("certificate", "")})
    if request.method == "POST" and form.is_valid():
        try:
            made = request_individual_receipt(**form.cleaned_data)
        except DriveInputError as error:
            form.add_service_error(error)
        else:
            return render(request, "drives/receipt_requested.html", {"receipt": made})
    return render(
        request, "drives/receipt_request.html", {"form": form}, status=400 if request.method == "POST" else 200
    )
