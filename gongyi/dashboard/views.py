"""The festival dashboard page (大屏): the cached snapshot rendered on the server, then polled as JSON."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongyi.campaigns.selectors import public_campaigns
from gongyi.dashboard.selectors import public_campaign
from gongyi.dashboard.services import cached_snapshot, ttl_seconds


@require_GET
def index(request):
    """Straight to the festival running now; otherwise the list of public campaigns."""
    now = timezone.now()
    campaigns = list(public_campaigns())
    running = [c for c in campaigns if c.starts_at <= now < c.ends_at]
    if len(running) == 1:
        return redirect("dashboard-festival", slug=running[0].slug)
    return render(request, "dashboard/index.html", {"campaigns": campaigns, "now": now})


@require_GET
def festival(request, slug: str):
    campaign = public_campaign(slug)
    if campaign is None:
        raise Http404("活动不存在或未公开")
    snapshot = cached_snapshot(campaign)
    ttl = ttl_seconds()
    return render(
        request,
        "dashboard/festival.html",
        {
            "campaign": campaign,
            "s": snapshot.data,
            "initial": {**snapshot.data, "ttl_seconds": ttl},
            "etag": snapshot.etag,
            "ttl": ttl,
            "api_url": reverse("api-v1:dashboard_festival", args=[slug]),
            "labels": _labels(),
        },
    )


def _labels() -> dict[str, str]:
    """The words the page's script puts next to the numbers it updates, in the page's language."""
    return {
        "open": _("进行中"),
        "closed": _("未在进行"),
        "units": _("个单位"),
        "people": _("人"),
        "gifts": _("笔"),
        "left": _("剩余"),
        "matched": _("已配捐"),
        "availableNow": _("当前可配"),
        "match": _("配捐"),
        "raised": _("公众捐赠"),
        "noPool": _("本活动没有配捐池。"),
        "noUnits": _("暂无单位数据。"),
        "noDistricts": _("暂无各区数据。"),
        "noGifts": _("暂无捐赠。"),
        "lastHour": _("最近一小时"),
        "notStarted": _("活动尚未开始。"),
        "giftsPerHour": _("捐赠笔数"),
        "amountPerHour": _("捐赠金额"),
        "hour": _("时"),
        "wan": _("万"),
    }
