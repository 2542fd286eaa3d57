"""Public mobile pages: campaign home, projects, give, sandbox cashier, thank-you, certificate."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from gongyi.campaigns.models import Campaign
from gongyi.campaigns.selectors import campaign_figures, current_campaign, public_campaigns
from gongyi.core.clientip import client_ip
from gongyi.giving.certificate import render_certificate_png
from gongyi.giving.forms import PRESET_YUAN, GiveForm
from gongyi.giving.selectors import gift_by_certificate_no, order_by_out_trade_no
from gongyi.matching.selectors import pool_for_campaign, pool_status
from gongyi.payments.gateways import enabled_gateways, get_gateway
from gongyi.payments.models import OrderStatus
from gongyi.payments.services import OrderInputError, OrderRequest, create_order
from gongyi.projects.models import Domain
from gongyi.projects.selectors import (
    figures_for,
    figures_for_many,
    latest_gifts,
    public_project,
    public_projects,
)

SANDBOX_PAYER_COOKIE = "gongyi_sandbox_payer"


def campaign_home(request, slug: str | None = None):
    campaign = public_campaigns().filter(slug=slug).first() if slug else current_campaign()
    if campaign is None:
        if slug:
            raise Http404("活动不存在")
        return render(request, "giving/empty.html")
    projects = list(public_projects(campaign=campaign))
    figures = figures_for_many(projects)
    domains = [(value, label) for value, label in Domain.choices if any(p.domain == value for p in projects)]
    pool = pool_for_campaign(campaign)
    return render(
        request,
        "giving/campaign.html",
        {
            "campaign": campaign,
            "pool_status": pool_status(pool) if pool else None,
            "figures": campaign_figures(campaign),
            "domains": domains,
            "projects": [(p, figures[p.pk]) for p in projects],
        },
    )


def project_list(request):
    domain = request.GET.get("domain") or None
    if domain and domain not in Domain.values:
        domain = None
    campaign = None
    if request.GET.get("campaign"):
        campaign = Campaign.objects.filter(slug=request.GET["campaign"], is_public=True).first()
    projects = list(public_projects(campaign=campaign, domain=domain))
    figures = figures_for_many(projects)
    return render(
        request,
        "giving/project_list.html",
        {
            "domains": Domain.choices,
            "current_domain": domain,
            "campaign": campaign,
            "projects": [(p, figures[p.pk]) for p in projects],
        },
    )


def project_detail(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise Http404("项目不存在或未公开")
    pool = pool_for_campaign(project.campaign)
    return render(
        request,
        "giving/project.html",
        {
            "project": project,
            "pool_status": pool_status(pool) if pool else None,
            "organisation": project.organisation,
            "figures": figures_for(project),
            "gifts": latest_gifts(project),
        },
    )


@require_http_methods(["GET", "POST"])
def give(request, project_id: int):
    from django.db import transaction

    from gongyi.donors.forms import GiveContactForm
    from gongyi.donors.services import record_order_contact
    from gongyi.drives.forms import GiveAttributionForm
    from gongyi.drives.services import record_order_attribution

    project = public_project(project_id)
    if project is None:
        raise Http404("项目不存在或未公开")
    form = GiveForm(request.POST or None, initial={"amount": "10"})
    # 一日捐 / 一起捐: ?unit=CODE preselects the donor's unit, ?team=ID credits a team, ?as_unit=TOKEN (the
    # unit's own-gift link from staff) records the gift as the unit's own.
    attribution_form = GiveAttributionForm(
        request.POST if request.method == "POST" else request.GET if request.GET else None,
        project=project,
        initial={"list_name": "masked"},
    )
    # 我的公益: an optional phone to find the gift again; a signed-in donor's order is linked to the account.
    contact_form = GiveContactForm(request.POST if request.method == "POST" else None)
    gateways = enabled_gateways()
    gateway = request.POST.get("gateway") or (gateways[0] if gateways else "")
    if request.method == "POST" and all([form.is_valid(), attribution_form.is_valid(), contact_form.is_valid()]):
        attribution = attribution_form.attribution
        try:
            with transaction.atomic():
                order = create_order(
                    request=OrderRequest(
                        project_id=project.pk,
                        amount_fen=form.cleaned_data["amount"],
                        gateway=gateway,
                        channel=_channel_for(request, gateway),
                        donor_name=form.cleaned_data["donor"],
                        anonymous=form.cleaned_data["anonymous"],
                        message=form.cleaned_data["message"],
                        unit_code=attribution.unit_code if attribution else "",
                    )
                )
                record_order_attribution(order=order, attribution=attribution)
                record_order_contact(order=order, phone=contact_form.cleaned_data["phone"], user=request.user)
        except OrderInputError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field == "fen":
                field = "amount"
            form.add_error(field, exc.message)
        else:
            return _start_payment(request, order)
    if request.method == "GET" and request.GET:
        attribution_form.is_valid()  # show a bad ?unit= or ?team= at once, naming the field
    attribution = attribution_form.attribution if not attribution_form.errors else None
    if attribution and attribution.as_unit and request.method == "GET":
        form.initial["donor"] = attribution.unit.name
    return render(
        request,
        "giving/give.html",
        {
            "project": project,
            "form": form,
            "drive_form": attribution_form,
            "contact_form": contact_form,
            "chosen_unit": attribution.unit if attribution else None,
            "chosen_team": attribution.team if attribution else None,
            "as_unit": bool(attribution and attribution.as_unit),
            "presets": PRESET_YUAN,
            "gateways": gateways,
            "accepts_gifts": project.accepts_gifts,
        },
        status=400 if request.method == "POST" else 200,
    )


MOBILE_MARKERS = ("Mobile", "Android", "iPhone", "iPad", "HarmonyOS")


def _channel_for(request, gateway: str) -> str:
    """How the donor pays on this device: inside WeChat with an openid, WeChat's in-app cashier (JSAPI); on a
    phone, the provider's mobile web cashier; on a computer (or in WeChat without an openid), a page or QR code."""
    from gongyi.donors.selectors import in_wechat, payer_openid

    agent = request.headers.get("user-agent", "")
    mobile = any(marker in agent for marker in MOBILE_MARKERS)
    if gateway == "wechatpay":
        if in_wechat(request):
            return "jsapi" if payer_openid(request) else "native"
        return "h5" if mobile else "native"
    if gateway == "alipay":
        return "wap" if mobile else "page"
    return "h5"


def _start_payment(request, order):
    """Hand the donor to the gateway: a page to open, a QR code to scan, or WeChat's in-app cashier."""
    from gongyi.payments.interface import GatewayError

    payer_id = ""
    if order.gateway == "wechatpay":
        from gongyi.donors.selectors import payer_openid

        payer_id = payer_openid(request)
    try:
        start = get_gateway(order.gateway).create_payment(
            order=order,
            channel=order.channel,
            return_url=request.build_absolute_uri(reverse("order-thanks", args=[order.out_trade_no])),
            notify_url=request.build_absolute_uri(reverse("api-v1:payment_notify", args=[order.gateway])),
            payer_id=payer_id,
            client_ip=client_ip(request),
        )
    except GatewayError as exc:
        return render(request, "giving/pay_failed.html", {"order": order, "reason": str(exc)}, status=502)
    if start.kind == "redirect":
        return redirect(start.url)
    qr_svg = ""
    if start.kind == "qr":
        import segno

        qr_svg = segno.make(start.url, error="m").svg_inline(scale=5)
    return render(
        request, "giving/pay_start.html", {"order": order, "start": start, "qr_svg": qr_svg, "project": order.project}
    )


@require_http_methods(["GET", "POST"])
def sandbox_cashier(request, out_trade_no: str):
    """The sandbox provider's cashier: paying here charges the sandbox and notifies us over HTTP."""
    from gongyi.payments.gateways.sandbox.provider import charge, deliver
    from gongyi.payments.tasks import redeliver_sandbox_notification

    if "sandbox" not in enabled_gateways():
        raise Http404("沙箱支付未启用")
    order = order_by_out_trade_no(out_trade_no)
    if order is None or order.gateway != "sandbox":
        raise Http404("订单不存在")
    if request.method == "POST" and order.status in (OrderStatus.PENDING, OrderStatus.CLOSED):
        payer = request.COOKIES.get(SANDBOX_PAYER_COOKIE) or ("sbu_" + secrets.token_hex(10))
        notify_url = request.build_absolute_uri(reverse("api-v1:payment_notify", args=["sandbox"]))
        txn = charge(order=order, payer=payer, notify_url=notify_url)
        if not deliver(txn=txn, key=settings.GONGYI["SANDBOX_KEY"]):
            redeliver_sandbox_notification(txn.pk)
        response = redirect("order-thanks", out_trade_no=order.out_trade_no)
        response.set_cookie(SANDBOX_PAYER_COOKIE, payer, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
        return response
    if order.status != OrderStatus.PENDING:
        return redirect("order-thanks", out_trade_no=order.out_trade_no)
    return render(request, "giving/sandbox_cashier.html", {"order": order, "project": order.project})


def order_thanks(request, out_trade_no: str):
    order = order_by_out_trade_no(out_trade_no)
    if order is None:
        raise Http404("订单不存在")
    gift = getattr(order, "gift", None)
    return render(request, "giving/thanks.html", {"order": order, "gift": gift, "project": order.project})


def certificate(request, certificate_no: str):
    gift = gift_by_certificate_no(certificate_no)
    if gift is None:
        raise Http404("证书不存在")
    return render(request, "giving/certificate.html", {"gift": gift, "project": gift.project})


def certificate_image(request, certificate_no: str):
    gift = gift_by_certificate_no(certificate_no)
    if gift is None:
        raise Http404("证书不存在")
    url = request.build_absolute_uri(reverse("certificate", args=[gift.certificate_no]))
    response = HttpResponse(render_certificate_png(gift, url), content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="certificate-{gift.certificate_no}.png"'
    return response
