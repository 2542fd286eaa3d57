"""Complaint pages: the public filing form, tracking page, answers and statistics; the staff worklist and
actions (handlers), which the regulator and federation staff may read."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.core.clientip import client_ip
from gongyi.core.roles import can_oversee, is_read_only
from gongyi.oversight import complaints as service
from gongyi.oversight.exports import Sheet, xlsx_response
from gongyi.oversight.forms import AnswerForm, ComplaintForm, DuplicateForm, NoteForm, RejectForm, TriageForm
from gongyi.oversight.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintStatus,
    ComplaintSubject,
)
from gongyi.oversight.selectors import complaint_list, complaint_stats, public_answers, public_complaint
from gongyi.spending.files import file_response

# --- public --------------------------------------------------------------------------------------------------


@require_GET
def complaint_home(request):
    """Look up a complaint by its number; recent public answers; links to file one and to the statistics."""
    number = service.normalise_tracking_number(request.GET.get("no", ""))
    if number:
        return redirect("oversight-complaint", tracking_number=number)
    return render(request, "oversight/complaint_home.html", {"answers": public_answers(limit=20)})


@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """The public filing form: anonymous allowed, attachments never public, a honeypot and a rate limit."""
    initial = {"is_anonymous": True}
    if request.GET.get("kind") in ComplaintSubject.values:
        initial["subject_kind"] = request.GET["kind"]
    if request.GET.get("ref"):
        initial["subject_ref"] = request.GET["ref"][:64]
    form = ComplaintForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = service.file_complaint(
                subject_kind=data["subject_kind"],
                subject_ref=data["subject_ref"],
                text=data["text"],
                is_anonymous=data["is_anonymous"],
                name=data["name"],
                contact=data["contact"],
                attachments=data["attachments"],
                ip=client_ip(request),
                honeypot=data["website"],
            )
        except service.ComplaintError as exc:
            form.add_error(exc.field if exc.field in ComplaintForm.SERVICE_FIELDS else None, exc.message)
        else:
            # 303: the browser follows with a GET, and a reload does not file the complaint again.
            response = HttpResponseRedirect(reverse("oversight-complaint", args=[complaint.tracking_number]) + "?new=1")
            response.status_code = 303
            return response
    return render(
        request, "oversight/complaint_new.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@require_GET
def complaint_track(request, tracking_number: str):
    """The complaint's public page: status, deadline, the public answer (never the text or the person)."""
    number = service.normalise_tracking_number(tracking_number)
    if number != tracking_number:
        return redirect("oversight-complaint", tracking_number=number)
    view = public_complaint(number, today=timezone.localdate()) if service.TRACKING_PATTERN.match(number) else None
    if view is None:
        return render(request, "oversight/complaint_not_found.html", {"number": number}, status=404)
    response = render(
        request, "oversight/complaint_track.html", {"complaint": view, "just_filed": request.GET.get("new") == "1"}
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the number is the key to the page
    return response


@require_GET
def complaint_statistics(request):
    """Counts by subject and outcome, replies on time, overdue — over everything received."""
    return render(request, "oversight/complaint_stats.html", {"stats": complaint_stats(today=timezone.localdate())})


# --- staff and the regulator ----------------------------------------------------------------------------------


def complaint_reader(view):
    """Handlers, federation staff and the regulator; others are sent to sign in or refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (service.can_handle(user) or can_oversee(user)):
            return render(request, "oversight/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _filters(request) -> dict:
    status = request.GET.get("status", "")
    subject = request.GET.get("subject", "")
    return {
        "status": status if status in ComplaintStatus.values else None,
        "subject_kind": subject if subject in ComplaintSubject.values else None,
        "overdue_only": request.GET.get("overdue") == "1",
        "flagged_only": request.GET.get("flagged") == "1",
        "query": request.GET.get("q", "").strip()[:40],
    }


@require_GET
@complaint_reader
def staff_complaints(request):
    today = timezone.localdate()
    filters = _filters(request)
    page = Paginator(complaint_list(today=today, **filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "oversight/staff_complaints.html",
        {
            "page": page,
            "today": today,
            "filters": filters,
            "statuses": ComplaintStatus.choices,
            "subjects": ComplaintSubject.choices,
            "query": query.urlencode(),
            "can_handle": service.can_handle(request.user),
        },
    )


@require_GET
@complaint_reader
def staff_complaints_export(request):
    today = timezone.localdate()
    rows = (
        (
            c.tracking_number,
            c.get_subject_kind_display(),
            c.subject_label,
            c.organisation.name if c.organisation_id else "",
            c.received_at,
            c.answer_due_on,
            c.get_status_display(),
            "是" if c.is_overdue(today) else "",
            c.overdue_flagged_at,
            c.get_outcome_display() if c.outcome else "",
            c.answered_at,
            "是" if c.answered_late else "",
            c.answer if c.answer_is_public else f"（不公开：{c.answer_private_reason}）" if c.answer else "",
            "匿名" if c.is_anonymous else "实名",
            c.handler.get_username() if c.handler_id else "",
            c.attachment_count,
        )
        for c in complaint_list(today=today, **_filters(request))
    )
    header = (
        "编号", "对象类型", "对象", "组织", "收到时间", "答复期限", "状态", "逾期", "逾期标记时间",
        "处理结果", "答复时间", "逾期答复", "答复（公开部分）", "实名/匿名", "承办人", "附件数",
    )  # fmt: skip
    return xlsx_response("complaints", [Sheet("举报投诉", header, rows)])


def _handlers():
    """Active users who may handle complaints (holders of the permission, directly or by group, and superusers)."""
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(
        Q(is_superuser=True)
        | Q(user_permissions__codename="handle_complaint", user_permissions__content_type__app_label="oversight")
        | Q(groups__permissions__codename="handle_complaint", groups__permissions__content_type__app_label="oversight")
    ).distinct()


def _detail_context(request, complaint: Complaint, **extra) -> dict:
    handles = service.can_handle(request.user)
    context = {
        "complaint": complaint,
        "events": complaint.events.select_related("actor").order_by("at", "id"),
        "attachments": complaint.attachments.all(),
        "today": timezone.localdate(),
        "can_handle": handles,
        "read_only": is_read_only(request.user),
        "actions": [a for a, (allowed, _to) in service.TRANSITIONS.items() if complaint.status in allowed]
        if handles
        else [],
    }
    if handles:
        context |= {
            "triage_form": TriageForm(handlers=_handlers()),
            "note_form": NoteForm(),
            "answer_form": AnswerForm(),
            "reject_form": RejectForm(),
            "duplicate_form": DuplicateForm(),
        }
    return context | extra


@require_GET
@complaint_reader
def staff_complaint(request, tracking_number: str):
    complaint = get_object_or_404(
        Complaint.objects.select_related("handler", "duplicate_of"), tracking_number=tracking_number
    )
    response = render(request, "oversight/staff_complaint.html", _detail_context(request, complaint))
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@complaint_reader
def staff_complaint_action(request, tracking_number: str, action: str):
    """One handler action (triage, investigate, answer, close, reject, duplicate) on a complaint."""
    complaint = get_object_or_404(Complaint, tracking_number=tracking_number)
    if action not in service.TRANSITIONS:
        raise Http404("没有这个操作")
    if not service.can_handle(request.user):
        return render(request, "oversight/forbidden.html", status=403)
    forms = {
        "triage": TriageForm(request.POST, handlers=_handlers()),
        "investigate": NoteForm(request.POST),
        "answer": AnswerForm(request.POST),
        "close": NoteForm(request.POST),
        "reject": RejectForm(request.POST),
        "duplicate": DuplicateForm(request.POST),
    }
    form = forms[action]
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "triage":
                service.triage_complaint(
                    complaint=complaint, actor=request.user, handler=data["handler"], note=data["note"]
                )
            elif action == "investigate":
                service.start_investigation(complaint=complaint, actor=request.user, note=data["note"])
            elif action == "answer":
                service.answer_complaint(
                    complaint=complaint,
                    actor=request.user,
                    answer=data["answer"],
                    outcome=data["outcome"],
                    is_public=data["is_public"],
                    private_reason=data["private_reason"],
                )
            elif action == "close":
                service.close_complaint(complaint=complaint, actor=request.user, note=data["note"])
            elif action == "reject":
                service.reject_complaint(
                    complaint=complaint,
                    actor=request.user,
                    reason=data["reason"],
                    is_public=data["is_public"],
                    private_reason=data["private_reason"],
                )
            else:
                number = service.normalise_tracking_number(data["original"])
                original = Complaint.objects.filter(tracking_number=number).first()
                if original is None:
                    raise service.ComplaintError("duplicate_of", f"没有编号为 {number} 的举报")
                service.mark_duplicate(complaint=complaint, actor=request.user, original=original, note=data["note"])
        except service.ComplaintError as exc:
            error = exc.message
    else:
        error = "；".join(
            f"{form.fields[field].label if field in form.fields else ''}：{'，'.join(errors)}"
            for field, errors in form.errors.items()
        )
    if error:
        complaint.refresh_from_db()
        return render(
            request, "oversight/staff_complaint.html", _detail_context(request, complaint, error=error), status=400
        )
    messages.success(request, "已保存")
    return redirect("oversight-staff-complaint", tracking_number=complaint.tracking_number)


@never_cache
@require_GET
@complaint_reader
def staff_complaint_contact(request, tracking_number: str):
    """Open the complainant's name and contact (handlers only; each opening is recorded)."""
    complaint = get_object_or_404(Complaint, tracking_number=tracking_number)
    if not service.can_handle(request.user):
        return render(request, "oversight/forbidden.html", status=403)
    revealed = service.reveal_contact(complaint=complaint, actor=request.user)
    return render(request, "oversight/staff_complaint.html", _detail_context(request, complaint, revealed=revealed))


@require_GET
@complaint_reader
def staff_complaint_attachment(request, tracking_number: str, attachment_id: int):
    """An attachment, for handlers and the regulator only; each opening is recorded."""
    attachment = get_object_or_404(
        ComplaintAttachment.objects.select_related("complaint"),
        pk=attachment_id,
        complaint__tracking_number=tracking_number,
    )
    service.log_attachment_view(attachment=attachment, actor=request.user)
    return file_response(
        attachment.file, attachment.content_type, name=f"{tracking_number}-{attachment.pk}", public=False
    )
