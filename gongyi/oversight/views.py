"""Oversight pages: the staff disclosure worklist, filing a report, public report attachments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from gongyi.orgs.models import Organisation
from gongyi.oversight.forms import ReportForm
from gongyi.oversight.models import DisclosureItem
from gongyi.oversight.selectors import disclosure_worklist, public_report
from gongyi.oversight.services import FILE_PERMISSION, DisclosureError, file_disclosure_report
from gongyi.projects.models import Project
from gongyi.spending.files import file_response


@require_GET
@staff_member_required
def staff_disclosures(request):
    """Overdue disclosures, those due in the next 30 days and those done lately, optionally for one organisation."""
    organisation = None
    if request.GET.get("organisation", "").isdigit():
        organisation = Organisation.objects.filter(pk=int(request.GET["organisation"])).first()
    worklist = disclosure_worklist(today=timezone.localdate(), organisation=organisation)
    return render(
        request,
        "oversight/staff_disclosures.html",
        {
            "worklist": worklist,
            "organisation": organisation,
            "organisations": Organisation.objects.filter(projects__disclosure_items__isnull=False).distinct(),
            "can_file": request.user.has_perm(FILE_PERMISSION),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_file_report(request, project_id: int):
    if not request.user.has_perm(FILE_PERMISSION):
        raise PermissionDenied("没有发布信息公开报告的权限")
    project = get_object_or_404(Project, pk=project_id)
    initial = {}
    if request.GET.get("item", "").isdigit():
        initial["items"] = DisclosureItem.objects.filter(pk=int(request.GET["item"]), project=project)
    form = ReportForm(request.POST or None, request.FILES or None, project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = file_disclosure_report(
                project=project,
                title=data["title"],
                body=data["body"],
                items=list(data["items"]),
                period_start=data["period_start"],
                period_end=data["period_end"],
                attachment=data["attachment"] or None,
                filed_by=request.user,
            )
        except DisclosureError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已发布：{report.title}")
            return redirect("oversight-disclosures")
    return render(
        request,
        "oversight/file_report.html",
        {"project": project, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def report_attachment(request, report_id: int):
    report = public_report(report_id)
    if report is None or not report.attachment:
        raise Http404("附件不存在")
    return file_response(report.attachment, report.attachment_content_type, name=f"report-{report.pk}", public=True)
