"""Excel downloads of gifts (openpyxl in write-only mode, so memory stays flat however many rows).

Text a donor typed (name, message) is written as text: a leading ``= + - @`` gets a quote so spreadsheet
programs never run it as a formula.
"""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook

from gongyi.core.masking import ANONYMOUS_NAME, mask_name

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    value = value or ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


GIFT_HEADER = [
    "证书编号",
    "商户订单号",
    "支付时间",
    "项目",
    "金额（元）",
    "配捐（元）",
    "署名",
    "留言",
    "状态",
    "支付渠道",
    "单位",
    "一起捐团队",
]


def gifts_workbook(gifts, credits: dict, *, with_names: bool) -> bytes:
    """One sheet 捐赠明细: a row per gift and a total row. Names only for those allowed to see them."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("捐赠明细")
    sheet.append(GIFT_HEADER)
    total = matched = count = 0
    for gift in gifts:
        credit = credits.get(gift.pk)
        if gift.anonymous or not gift.donor_name:
            name = ANONYMOUS_NAME
        else:
            name = gift.donor_name if with_names else mask_name(gift.donor_name)
        sheet.append(
            [
                gift.certificate_no,
                gift.order.out_trade_no,
                timezone.localtime(gift.paid_at).strftime("%Y-%m-%d %H:%M:%S"),
                safe_text(gift.project.title),
                _yuan(gift.amount_fen),
                _yuan(gift.matched_fen),
                safe_text(name),
                safe_text(gift.message),
                gift.get_status_display(),
                gift.gateway,
                safe_text(credit.unit.name) if credit and credit.unit else "",
                safe_text(credit.team.name) if credit and credit.team else "",
            ]
        )
        if gift.status == "confirmed":
            total += gift.amount_fen
            matched += gift.matched_fen
            count += 1
    sheet.append([])
    sheet.append(["合计（有效捐赠）", f"{count} 笔", "", "", _yuan(total), _yuan(matched)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


UNIT_HEADER = ["证书编号", "捐赠时间", "项目", "金额（元）", "明细姓名", "类型", "状态"]


def unit_credits_workbook(credits) -> bytes:
    """A unit's staff list: each gift credited to it with the name as the donor chose it to appear."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("单位捐赠明细")
    sheet.append(UNIT_HEADER)
    for credit in credits:
        gift = credit.gift
        sheet.append(
            [
                gift.certificate_no,
                timezone.localtime(gift.paid_at).strftime("%Y-%m-%d %H:%M:%S"),
                safe_text(gift.project.title),
                _yuan(credit.amount_fen),
                safe_text(unit_list_name(credit)),
                "单位捐赠" if credit.as_unit else "员工捐赠",
                credit.get_status_display(),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def unit_list_name(credit) -> str:
    """The name on the unit's list, as the donor chose on the give page (masked by default)."""
    gift = credit.gift
    if credit.as_unit:
        return credit.unit.name if credit.unit else ""
    if gift.anonymous or not gift.donor_name:
        return ANONYMOUS_NAME
    return gift.donor_name if credit.list_name == "full" else mask_name(gift.donor_name)
