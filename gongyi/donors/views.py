"""我的公益 (``/me/``): a donor's gifts and where they went, claims, settings, export, closing the account.

Signing in lives in allauth's pages under ``/me/auth/`` (phone and SMS code, WeChat); nothing here is needed
to give.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from gongyi.core.money import yuan_to_fen
from gongyi.donors import selectors, services
from gongyi.donors.forms import ClaimForm, CloseAccountForm, ReceiptForm, SettingsForm
from gongyi.donors.models import MessageKind
from gongyi.donors.phones import masked
from gongyi.donors.services import DonorInputError


def _me_login_required(view):
    return login_required(view, login_url="account_request_login_code")


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return render(request, "donors/welcome.html")
    user = request.user
    rows = selectors.donor_gift_rows(user)
    years = selectors.yearly_totals(rows)
    income_fen = None
    raw_income = (request.GET.get("income") or "").strip()
    if raw_income:
        try:
            income_fen = max(0, yuan_to_fen(raw_income))
        except ValueError:
            income_fen = None
    this_year = timezone.localdate().year
    this_year_total = next((y for y in years if y.year == this_year), None)
    live = [r for r in rows if r.is_live]
    return render(
        request,
        "donors/home.html",
        {
            "rows": rows,
            "years": years,
            "affiliations": selectors.affiliations(rows),
            "total_fen": sum(r.gift.amount_fen for r in live),
            "matched_fen": sum(r.gift.matched_fen for r in live),
            "projects": len({r.gift.project_id for r in live}),
            "phone": masked(selectors.verified_phone(user)),
            "openids": selectors.wechat_openids(user),
            "profile": selectors.profile_of(user),
            "memberships": _has_office(user),
            "income_fen": income_fen,
            "deduction_cap_fen": selectors.deduction_cap_fen(income_fen) if income_fen is not None else None,
            "this_year": this_year,
            "this_year_total": this_year_total,
        },
    )


def _has_office(user) -> bool:
    from gongyi.backoffice.selectors import needs_office_mfa

    return needs_office_mfa(user)


@require_http_methods(["GET", "POST"])
@_me_login_required
def gift_detail(request, certificate_no: str):
    gift = selectors.gift_for_donor(request.user, certificate_no)
    if gift is None:
        raise Http404("捐赠不存在")
    row = selectors.donor_gift_rows(request.user, [gift])[0]
    form = ReceiptForm(request.POST or None, initial={"payer_name": gift.donor_name})
    if request.method == "POST" and form.is_valid():
        from gongyi.drives.services import DriveInputError, request_individual_receipt

        try:
            request_individual_receipt(certificate_no=gift.certificate_no, payer_name=form.cleaned_data["payer_name"])
        except DriveInputError as exc:
            form.add_error("payer_name" if exc.field == "payer_name" else None, exc.message)
        else:
            messages.success(request, "票据申请已提交，开具后可在此查看票据号码。")
            return redirect("me-gift", certificate_no=gift.certificate_no)
    return render(
        request,
        "donors/gift.html",
        {
            "row": row,
            "gift": gift,
            "receipt_form": form,
            "can_request_receipt": row.is_live
            and not row.as_unit
            and (row.receipt is None or not row.receipt.is_active),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@_me_login_required
def claim(request):
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gift = services.claim_gift(
                user=request.user,
                out_trade_no=form.cleaned_data["out_trade_no"],
                last_digits=form.cleaned_data["last_digits"],
            )
        except DonorInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "认领成功，这笔捐赠已加入「我的公益」。")
            return redirect("me-gift", certificate_no=gift.certificate_no)
    return render(request, "donors/claim.html", {"form": form}, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@_me_login_required
def settings_page(request):
    profile = services.ensure_profile(user=request.user)
    initial = {
        "name_display": profile.name_display,
        "nickname": profile.nickname,
        "show_messages": profile.show_messages,
        "wants_thanks": profile.wants_thanks,
        "wants_progress": profile.wants_progress,
        "notify_channel": profile.notify_channel,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(user=request.user, **form.cleaned_data)
        except DonorInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "设置已保存。")
            return redirect("me-settings")
    return render(
        request,
        "donors/settings.html",
        {
            "form": form,
            "profile": profile,
            "phone": masked(selectors.verified_phone(request.user)),
            "openids": selectors.wechat_openids(request.user),
            "messages_sent": selectors.messages_of(request.user, limit=20),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@_me_login_required
def export(request):
    data = services.export_donor_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="my-giving-{timezone.localdate():%Y%m%d}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@_me_login_required
def close(request):
    form = CloseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.close_account(user=request.user)
        logout(request)
        return render(request, "donors/closed.html")
    return render(
        request,
        "donors/close.html",
        {"form": form, "gifts": selectors.donor_gifts(request.user).count()},
        status=400 if request.method == "POST" else 200,
    )


@csrf_exempt  # one-click unsubscribe from a mail client; the signed token is the authority, and it only opts out
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    found = services.read_unsubscribe_token(token)
    if found is None:
        return render(request, "donors/unsubscribe.html", {"invalid": True}, status=404)
    kind_label = MessageKind(found[1]).label
    if request.method == "POST":
        services.unsubscribe(token=token)
        return render(request, "donors/unsubscribe.html", {"done": True, "kind_label": kind_label})
    return render(request, "donors/unsubscribe.html", {"kind_label": kind_label})
