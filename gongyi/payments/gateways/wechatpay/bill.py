"""WeChat Pay's daily trade bill (交易账单, ``bill_type=ALL``): CSV in UTF-8, every cell prefixed by a backtick.

::

    交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,
    应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,
    手续费,费率,订单金额,申请退款金额,费率备注
    `2024-05-20 10:00:00,`wx…,`1900000109,`0,`,`4200…,`GY…,`o…,`JSAPI,`SUCCESS,…
    总交易单数,应结订单总金额,退款总金额,…
    `1,`0.01,`0.00,…

A ``SUCCESS`` line is a payment (``订单金额``, or ``应结订单金额`` in older bills); a ``REFUND`` line is a
refund (``申请退款金额``, or ``退款金额``); ``REVOKED`` lines (cancelled micro-payments) carry no money.
Columns are found by name, so added columns do not break the parser. Pure: no SDK, no Django.
"""

from __future__ import annotations

import csv
import io

from gongyi.payments.interface import BillRow
from gongyi.payments.parsing import BillFormatError, shanghai_time, yuan_text_to_fen

REQUIRED_COLUMNS = (
    "交易时间",
    "微信订单号",
    "商户订单号",
    "交易状态",
    "应结订单金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
)


def parse_bill(content: bytes) -> list[BillRow]:
    """Every payment and refund line of a WeChat Pay trade bill; BillFormatError names a bad line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BillFormatError("微信支付账单必须是 UTF-8 文本") from None
    header: dict[str, int] | None = None
    rows: list[BillRow] = []
    for line_no, fields in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [field.strip().removeprefix("`").strip() for field in fields]
        if not any(cells):
            continue
        if header is None:
            if cells[0] != "交易时间":
                raise BillFormatError(f"第 {line_no} 行：不是微信支付交易账单的表头")
            header = {name: index for index, name in enumerate(cells)}
            absent = [name for name in REQUIRED_COLUMNS if name not in header]
            if absent:
                raise BillFormatError(f"第 {line_no} 行：账单缺少列 {'、'.join(absent)}")
            continue
        if cells[0] == "总交易单数":
            break
        record = {name: cells[index] if index < len(cells) else "" for name, index in header.items()}
        try:
            row = _row(record)
        except ValueError as exc:
            raise BillFormatError(f"第 {line_no} 行：{exc}") from None
        if row is not None:
            rows.append(row)
    if header is None:
        raise BillFormatError("账单为空：没有表头")
    return rows


def _row(record: dict[str, str]) -> BillRow | None:
    status = record["交易状态"]
    if status == "REVOKED":
        return None
    occurred_at = shanghai_time(record["交易时间"])
    if status == "SUCCESS":
        return BillRow(
            kind="payment",
            out_trade_no=_required(record, "商户订单号"),
            provider_txn_id=_required(record, "微信订单号"),
            amount_fen=yuan_text_to_fen(record.get("订单金额") or record["应结订单金额"]),
            occurred_at=occurred_at,
            payer=record.get("用户标识", ""),
        )
    if status == "REFUND":
        requested = record.get("申请退款金额") or ""
        return BillRow(
            kind="refund",
            out_trade_no=_required(record, "商户订单号"),
            provider_txn_id=_required(record, "微信订单号"),
            amount_fen=yuan_text_to_fen(requested if requested and requested != "0.00" else record["退款金额"]),
            occurred_at=occurred_at,
            payer=record.get("用户标识", ""),
            refund_no=_required(record, "商户退款单号"),
            provider_refund_id=_required(record, "微信退款单号"),
        )
    raise ValueError(f"未知的交易状态 {status!r}")


def _required(record: dict[str, str], name: str) -> str:
    value = record.get(name, "")
    if not value:
        raise ValueError(f"{name} 为空")
    if len(value) > 64:
        raise ValueError(f"{name} 过长")
    return value
