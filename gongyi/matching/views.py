"""Staff pages for matching (配捐管理): pools, fraud signals with their evidence, flagging a donor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gongyi.core.masking import mask_name
from gongyi.core.money import format_yuan
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.matching.fraud import KIND_LABELS, all_signals, signals_for_donor
from gongyi.matching.models import DonorFlag, MatchingPool
from gongyi.matching.services import PoolRuleError, flag_donor
from gongyi.projects.models import Project

DONOR_KEY_MAX = DonorFlag._meta.get_field("donor_key").max_length
REASON_MAX = DonorFlag._meta.get_field("reason").max_length


@require_GET
@staff_member_required
def pools(request):
    """Every pool with what it matched, has left and forfeited, and how many donors are flagged."""
    rows = (
        MatchingPool.objects.select_related("campaign", "sponsor")
        .annotate(flag_count=Count("flags"))
        .order_by("-window_start", "-pk")
    )
    return render(request, "matching/staff_pools.html", {"pools": rows})


def _display_gift(row: dict) -> dict:
    return {**row, "masked_name": mask_name(row.get("donor_name"))}


@require_GET
@staff_member_required
def signals(request, pool_id: int):
    """The pool's fraud signals, most severe first, with their gifts and a flag form for each payer named."""
    pool = get_object_or_404(MatchingPool.objects.select_related("campaign", "sponsor"), pk=pool_id)
    found = all_signals(pool)
    flags = list(DonorFlag.objects.filter(pool=pool).select_related("flagged_by").order_by("-flagged_at", "-pk"))
    flagged = {flag.donor_key for flag in flags}
    project_ids = {s.project_id for s in found if s.project_id} | {
        row["project_id"] for s in found for row in s.evidence.get("gifts", [])
    }
    titles = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "title"))

    donors: dict[str, dict] = {}
    cards = []
    for signal in found:
        names = []
        for key in signal.donor_keys:
            donor = donors.get(key)
            if donor is None:
                donor = donors[key] = {
                    "key": key,
                    "anchor": f"donor-{len(donors) + 1}",
                    "flagged": key in flagged,
                    "kinds": [],
                }
            if signal.kind_label not in donor["kinds"]:
                donor["kinds"].append(signal.kind_label)
            names.append(donor)
        cards.append(
            {
                "signal": signal,
                "project_title": titles.get(signal.project_id, ""),
                "donors": names,
                "gifts": [_display_gift(row) for row in signal.evidence.get("gifts", [])],
                "more_gifts": signal.evidence.get("gift_count", 0) - len(signal.evidence.get("gifts", [])),
            }
        )
    counts = {label: 0 for label in KIND_LABELS.values()}
    for signal in found:
        counts[signal.kind_label] += 1
    return render(
        request,
        "matching/staff_signals.html",
        {
            "pool": pool,
            "cards": cards,
            "donors": list(donors.values()),
            "flags": flags,
            "counts": counts,
            "reason_max": REASON_MAX,
        },
    )


@require_POST
@staff_member_required
def flag(request, pool_id: int):
    """Flag a payer: their live matches are clawed back; reports the fen taken back. Never a 500 on bad input."""
    pool = get_object_or_404(MatchingPool, pk=pool_id)
    back = reverse("matching-signals", args=[pool.pk])
    if not request.user.has_perm("matching.add_donorflag"):
        # Claw-backs move the sponsor's money: only staff granted the flag permission may do it.
        messages.error(request, "您没有标记违规捐赠人的权限（需要“添加违规捐赠人标记”权限）。")
        return redirect(back)
    donor_key = (request.POST.get("donor_key") or "").strip()
    reason = (request.POST.get("reason") or "").strip()
    if not donor_key or len(donor_key) > DONOR_KEY_MAX:
        messages.error(request, f"请指明要标记的捐赠人（捐赠人标识 donor_key，至多 {DONOR_KEY_MAX} 个字符）。")
        return redirect(back)
    if not reason:
        messages.error(request, "请填写标记理由（理由 reason）。")
        return redirect(back)
    if len(reason) > REASON_MAX:
        messages.error(request, f"标记理由（理由 reason）至多 {REASON_MAX} 个字符。")
        return redirect(back)
    if has_nul(donor_key) or has_nul(reason):
        messages.error(request, f"捐赠人标识 donor_key 和理由 reason {NUL_MESSAGE}。")
        return redirect(back)
    evidence = {
        "source": "staff-signals-page",
        "signals": [signal.to_json() for signal in signals_for_donor(all_signals(pool), donor_key)],
    }
    try:
        result = flag_donor(pool=pool, donor_key=donor_key, reason=reason, actor=request.user, evidence=evidence)
    except PoolRuleError as error:
        messages.error(request, f"未能标记：{error.message}（{error.field}）。")
        return redirect(back)
    if not result.created:
        messages.info(
            request,
            f"{donor_key} 已于 {timezone.localtime(result.flag.flagged_at):%Y-%m-%d %H:%M} 被标记，"
            f"当时收回配捐 {format_yuan(result.flag.clawed_back_fen)}；本次未作任何更改（收回 0 分）。",
        )
        return redirect(back)
    where = "退回配捐池" if pool.clawback_returns_to_pool else "收回不再使用"
    messages.success(
        request,
        f"已标记 {donor_key}：收回配捐 {format_yuan(result.clawed_back_fen)}（{result.clawed_back_fen} 分），{where}；"
        "其后的捐赠不再配捐，也不计入激励。",
    )
    return redirect(back)
