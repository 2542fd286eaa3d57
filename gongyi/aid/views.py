"""Aid pages: the public notice board (masked only) with its objection form, and the staff pages under
``/aid/`` — every case found through ``selectors.visible_cases``; personal data shown only after a
reason is given, which writes the access log.

Out of scope: 404 (a case's existence is not confirmed). In scope but not the user's action: 403.
Refused by a service: the case page again, status 400, with the reason.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import RedirectView

from gongyi.aid import selectors, services
from gongyi.aid.access import AccessRefused, export_beneficiary, open_document, reveal_case
from gongyi.aid.api import case_permissions
from gongyi.aid.forms import (
    ConsentForm,
    DisbursementForm,
    DocumentForm,
    FollowUpForm,
    IntakeForm,
    InvoiceForm,
    ObjectionForm,
    ReasonForm,
    ResolutionForm,
    RevealForm,
    ReviewForm,
)
from gongyi.aid.models import AidProgramme, CaseStatus, Document, Objection
from gongyi.aid.throttle import consume_objection
from gongyi.core.mfa import mfa_page
from gongyi.orgs.models import Region

# --- public -----------------------------------------------------------------------------------------------


@require_GET
def notices(request, programme_code: str | None = None):
    """Running notices: masked name, village, amount, dates, and how to object. Nothing else."""
    programme = None
    if programme_code is not None:
        programme = get_object_or_404(AidProgramme, code=programme_code)
    today = timezone.localdate()
    rows = list(selectors.public_notices(today=today, programme=programme).select_related("case"))
    return render(
        request,
        "aid/notices.html",
        {
            "programme": programme,
            "programmes": AidProgramme.objects.filter(is_active=True),
            "notices": rows,
            "form": ObjectionForm(),
            "today": today,
        },
    )


@require_POST
def object_to_notice(request, notice_id: int):
    """Anyone may object. Rate-limited per address and per notice (``aid.throttle``: 429 naming the limit);
    a filled honeypot is refused (400). Either way nothing is written."""
    refused = consume_objection(request, notice_id)
    if refused is not None:
        response = render(
            request,
            "aid/objection_filed.html",
            {"objection": None, "error": refused.message, "limit": refused.limit.code},
            status=429,
        )
        response["Retry-After"] = str(refused.retry_after)
        return response
    form = ObjectionForm(request.POST)
    error = None
    objection = None
    if form.is_valid():
        try:
            objection = services.file_objection(
                notice_id=notice_id, text=form.cleaned_data["text"], contact=form.cleaned_data["contact"]
            )
        except services.NotFound as exc:
            raise Http404(exc.message) from None
        except services.AidError as exc:
            error = exc.message
    else:
        error = "；".join(e for errors in form.errors.values() for e in errors)
    return render(
        request,
        "aid/objection_filed.html",
        {"objection": objection, "error": error},
        status=201 if objection else 400,
    )


# --- staff ------------------------------------------------------------------------------------------------


class LoginView(RedirectView):
    """``/aid/login/`` (URL name ``aid-login``): staff sign in on allauth's page (``account_login``) with
    password and then TOTP; this only forwards there, keeping a local ``next`` (default: the case list)."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        target = self.request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts=None) or not target.startswith("/"):
            target = reverse("aid-cases")
        return f"{reverse('account_login')}?{urlencode({'next': target})}"


logout_view = auth_views.LogoutView.as_view(next_page=reverse_lazy("aid-login"))


def _no_aid_role(request):
    return render(request, "aid/forbidden.html", {"message": "您没有救助工作权限"}, status=403)


staff_page = mfa_page(selectors.scope_of, no_access=_no_aid_role, attr="aid_scope")
"""Every staff page: signed in, an aid role, TOTP enrolled and used in this session (``gongyi.core.mfa``).
Signed out → allauth's sign-in page; no role → 403; no TOTP → allauth's TOTP activation; a session that
never used the second factor → signed out and sent to sign in. Sets ``request.aid_scope``."""


def _forbidden(request, message: str = "无权办理该事项"):
    return render(request, "aid/forbidden.html", {"message": message}, status=403)


def _visible(request, case_number: str):
    case = selectors.visible_case(request.user, case_number)
    if case is None:
        raise Http404("案件不存在")
    return case


@require_GET
@staff_page
def case_list(request):
    qs = selectors.visible_cases(request.user)
    status = request.GET.get("status") or ""
    programme = request.GET.get("programme") or ""
    if status:
        qs = qs.filter(status=status)
    if programme:
        qs = qs.filter(programme__code=programme)
    scope = selectors.scope_of(request.user)
    return render(
        request,
        "aid/case_list.html",
        {
            "cases": qs.order_by("-id")[:300],
            "statuses": CaseStatus.choices,
            "programmes": AidProgramme.objects.all(),
            "status": status,
            "programme": programme,
            "can_intake": not scope.read_only and any(g.role in selectors.INTAKE_ROLES for g in scope.grants),
            "can_browse_log": selectors.can_browse_access_log(request.user),
            "scope": scope,
        },
    )


def _villages_for(user):
    scope = selectors.scope_of(user)
    paths = [g.region_path for g in scope.grants if g.role in selectors.INTAKE_ROLES]
    all_paths = selectors.all_region_paths()
    result = []
    for village in Region.objects.filter(level="village").select_related("parent").order_by("code"):
        if any(all_paths[village.code].startswith(p) for p in paths):
            result.append((village, f"{village.parent.name if village.parent else ''} {village.name}"))
    return result


@staff_page
def case_new(request):
    scope = selectors.scope_of(request.user)
    if scope.read_only or not any(g.role in selectors.INTAKE_ROLES for g in scope.grants):
        return _forbidden(request, "只有服务站及区、市、慈善总会工作人员可以受理申请")
    programmes = AidProgramme.objects.filter(is_active=True)
    villages = _villages_for(request.user)
    form = IntakeForm(request.POST or None, programmes=programmes, villages=villages)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        guardian = None
        if data["guardian_name"] or data["guardian_id_number"]:
            guardian = services.GuardianInput(
                data["guardian_name"], data["guardian_id_number"], data["guardian_relation"], data["guardian_phone"]
            )
        try:
            case = services.open_case(
                actor=request.user,
                programme=programmes.get(code=data["programme"]),
                region=Region.objects.get(pk=data["village"]),
                person=services.PersonInput(
                    data["name"], data["id_number"], data["phone"], data["address"], data["household"]
                ),
                hardship_class=data["hardship_class"],
                diagnosis=data["diagnosis"],
                hospital=data["hospital"],
                situation=data["situation"],
                guardian=guardian,
                deductions={f: data[f] for f in services.DEDUCTION_FIELDS},
            )
        except services.AidError as exc:
            error = exc.message
            form.add_error(None, f"{exc.message}")
        else:
            messages.success(request, f"已受理，案件编号 {case.case_number}。请登记票据、同意书和材料后提交审核。")
            return redirect("aid-case", case_number=case.case_number)
    status = 400 if request.method == "POST" else 200
    return render(request, "aid/case_new.html", {"form": form, "error": error}, status=status)


def _detail_context(request, case, **extra) -> dict:
    permissions = case_permissions(request.user, case)
    context = {
        "case": case,
        "can": permissions,
        "read_only": selectors.scope_of(request.user).read_only,
        "invoices": case.invoices.all(),
        "consents": case.consents.all(),
        "documents": case.documents.filter(deleted_at__isnull=True),
        "reviews": case.reviews.select_related("step", "reviewer"),
        "steps": case.programme.steps.all(),
        "notices": case.notices.all(),
        "objections": case.objections.all(),
        "disbursements": case.disbursements.select_related("entry"),
        "follow_ups": case.follow_ups.select_related("recorded_by"),
        "events": case.events.select_related("actor"),
        "reveal_form": RevealForm(),
        "invoice_form": InvoiceForm(),
        "consent_form": ConsentForm(),
        "document_form": DocumentForm(),
        "review_form": ReviewForm(),
        "disbursement_form": DisbursementForm(initial={"request_key": secrets.token_hex(12), "amount": ""}),
        "follow_up_form": FollowUpForm(),
        "reason_form": ReasonForm(),
        "resolution_form": ResolutionForm(),
        "personal": None,
    }
    context.update(extra)
    return context


@require_GET
@staff_page
def case_detail(request, case_number: str):
    case = _visible(request, case_number)
    return render(request, "aid/case_detail.html", _detail_context(request, case))


@require_POST
@staff_page
def case_reveal(request, case_number: str):
    case = _visible(request, case_number)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(
            request, "aid/case_detail.html", _detail_context(request, case, error="请选择查阅事由"), status=400
        )
    try:
        personal = reveal_case(
            user=request.user,
            case=case,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            channel="page",
            path=request.path,
        )
    except AccessRefused as exc:
        return render(request, "aid/case_detail.html", _detail_context(request, case, error=exc.message), status=400)
    response = render(request, "aid/case_detail.html", _detail_context(request, case, personal=personal))
    response["Cache-Control"] = "no-store"
    return response


def _action(request, case_number: str, allowed, call, *, success: str):
    """Run one POST action on a visible case: 404 out of scope, 403 not allowed, 400 refused."""
    case = _visible(request, case_number)
    if selectors.scope_of(request.user).read_only or not allowed(case):
        return _forbidden(request)
    try:
        call(case)
    except services.AidError as exc:
        case = _visible(request, case_number)
        return render(request, "aid/case_detail.html", _detail_context(request, case, error=exc.message), status=400)
    messages.success(request, success)
    return redirect("aid-case", case_number=case_number)


def _form_action(request, case_number: str, form, allowed, call, *, success: str):
    """``_action`` for a posted form: an invalid form first answers as the action would (404 out of scope, 403
    not allowed), then with its errors (400). ``call`` gets the case and the form's cleaned data."""
    if not form.is_valid():
        case = _visible(request, case_number)
        if selectors.scope_of(request.user).read_only or not allowed(case):
            return _forbidden(request)
        return _form_error(request, case_number, form)
    return _action(request, case_number, allowed, lambda c: call(c, form.cleaned_data), success=success)


def _form_error(request, case_number: str, form):
    case = _visible(request, case_number)
    message = "；".join(
        f"{form.fields[k].label if k in form.fields else ''}{' ' if k in form.fields else ''}{e}"
        for k, errors in form.errors.items()
        for e in errors
    )
    return render(request, "aid/case_detail.html", _detail_context(request, case, error=message), status=400)


@require_POST
@staff_page
def case_invoice(request, case_number: str):
    return _form_action(
        request,
        case_number,
        InvoiceForm(request.POST),
        lambda c: selectors.can(request.user, selectors.INTAKE_ROLES, c),
        lambda c, data: services.add_invoice(
            actor=request.user,
            case=c,
            code=data["code"],
            number=data["number"],
            amount_fen=data["amount"],
            issued_on=data["issued_on"],
        ),
        success="已登记票据",
    )


@require_POST
@staff_page
def case_consent(request, case_number: str):
    return _form_action(
        request,
        case_number,
        ConsentForm(request.POST),
        lambda c: selectors.can(request.user, selectors.INTAKE_ROLES, c),
        lambda c, data: services.record_consent(actor=request.user, case=c, kind=data["kind"], signer=data["signer"]),
        success="已记录同意",
    )


UPLOAD_ROLES = selectors.INTAKE_ROLES | selectors.FOLLOW_UP_ROLES | selectors.DISBURSE_ROLES


@require_POST
@staff_page
def case_document(request, case_number: str):
    return _form_action(
        request,
        case_number,
        DocumentForm(request.POST, request.FILES),
        lambda c: selectors.can(request.user, UPLOAD_ROLES, c),
        lambda c, data: services.add_document(actor=request.user, case=c, kind=data["kind"], file=data["file"]),
        success="已上传材料（加密保存）",
    )


@require_POST
@staff_page
def case_document_open(request, case_number: str, document_id: int):
    case = _visible(request, case_number)
    document = get_object_or_404(Document, pk=document_id, case=case, deleted_at__isnull=True)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(
            request, "aid/case_detail.html", _detail_context(request, case, error="请选择查阅事由"), status=400
        )
    try:
        content, content_type, _name = open_document(
            user=request.user,
            document=document,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            path=request.path,
        )
    except AccessRefused as exc:
        return render(request, "aid/case_detail.html", _detail_context(request, case, error=exc.message), status=400)
    response = HttpResponse(content, content_type=content_type)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[content_type]
    response["Content-Disposition"] = (
        f'attachment; filename="{case.case_number}-{document.kind}-{document.pk}.{extension}"'
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_page
def case_submit(request, case_number: str):
    return _action(
        request,
        case_number,
        lambda c: selectors.can(request.user, selectors.INTAKE_ROLES, c),
        lambda c: services.submit_case(actor=request.user, case=c),
        success="已提交审核",
    )


@require_POST
@staff_page
def case_review(request, case_number: str):
    return _form_action(
        request,
        case_number,
        ReviewForm(request.POST),
        lambda c: selectors.can_review(request.user, c),
        lambda c, data: services.review_case(
            actor=request.user,
            case=c,
            decision=data["decision"],
            opinion=data["opinion"],
            no_conflict_declared=data["no_conflict_declared"],
            home_visit_on=data["home_visit_on"],
            amount_fen=data["amount"],
        ),
        success="已审核",
    )


@require_POST
@staff_page
def case_disburse(request, case_number: str):
    return _form_action(
        request,
        case_number,
        DisbursementForm(request.POST),
        lambda c: selectors.can(request.user, selectors.DISBURSE_ROLES, c),
        lambda c, data: services.disburse(
            actor=request.user,
            case=c,
            amount_fen=data["amount"],
            method=data["method"],
            paid_on=data["paid_on"],
            account_holder=data["account_holder"],
            bank_name=data["bank_name"],
            account_number=data["account_number"],
            hospital_name=data["hospital_name"],
            request_key=data["request_key"],
        ),
        success="已拨付并记账",
    )


@require_POST
@staff_page
def case_follow_up(request, case_number: str):
    return _form_action(
        request,
        case_number,
        FollowUpForm(request.POST),
        lambda c: selectors.can(request.user, selectors.FOLLOW_UP_ROLES, c),
        lambda c, data: services.record_follow_up(actor=request.user, case=c, **data),
        success="已登记跟踪服务",
    )


@require_POST
@staff_page
def case_close(request, case_number: str):
    return _action(
        request,
        case_number,
        lambda c: selectors.can(request.user, selectors.CLOSE_ROLES, c),
        lambda c: services.close_case(actor=request.user, case=c),
        success="已结案",
    )


@require_POST
@staff_page
def case_withdraw(request, case_number: str):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _action(
        request,
        case_number,
        lambda c: selectors.can(request.user, selectors.INTAKE_ROLES, c),
        lambda c: services.withdraw_case(actor=request.user, case=c, reason=reason),
        success="已撤回",
    )


@require_POST
@staff_page
def case_export(request, case_number: str):
    case = _visible(request, case_number)
    if not selectors.can(request.user, selectors.EXPORT_ROLES, case) or selectors.scope_of(request.user).read_only:
        return _forbidden(request, "只有区、市、慈善总会工作人员可以导出受助人信息")
    form = ReasonForm(request.POST)
    note = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        data = export_beneficiary(user=request.user, beneficiary=case.beneficiary, note=note, path=request.path)
    except AccessRefused as exc:
        return render(request, "aid/case_detail.html", _detail_context(request, case, error=exc.message), status=400)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="beneficiary-{case.beneficiary_id}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_page
def objection_resolve(request, objection_id: int):
    objection = (
        Objection.objects.filter(pk=objection_id, case__in=selectors.visible_cases(request.user))
        .select_related("case")
        .first()
    )
    if objection is None:
        raise Http404("异议不存在")
    case_number = objection.case.case_number
    form = ResolutionForm(request.POST)
    if not form.is_valid():
        if (
            not selectors.can(request.user, selectors.RESOLVE_ROLES, objection.case)
            or selectors.scope_of(request.user).read_only
        ):
            return _forbidden(request)
        return _form_error(request, case_number, form)
    data = form.cleaned_data
    return _action(
        request,
        case_number,
        lambda c: selectors.can(request.user, selectors.RESOLVE_ROLES, c),
        lambda c: services.resolve_objection(
            actor=request.user,
            objection=objection,
            upheld=data["upheld"],
            resolution=data["resolution"],
            public_answer=data["public_answer"],
        ),
        success="已处理异议",
    )


@require_GET
@staff_page
def coverage(request):
    return render(
        request,
        "aid/coverage.html",
        {"report": selectors.coverage_report(request.user), "stations": selectors.visible_stations(request.user)},
    )


@require_GET
@staff_page
def access_log(request):
    if not selectors.can_browse_access_log(request.user):
        return _forbidden(request, "只有监管部门和慈善总会可以查看个人信息访问日志")
    qs = selectors.access_log(request.user)
    case_number = (request.GET.get("case") or "").strip()
    username = (request.GET.get("user") or "").strip()
    if case_number:
        qs = qs.filter(case__case_number=case_number)
    if username:
        qs = qs.filter(user__username=username)
    return render(request, "aid/access_log.html", {"rows": qs[:500], "case_number": case_number, "username": username})
