"""The sandbox provider's daily bill: a plain CSV, one line per payment or refund, money in fen.

::

    type,transaction_id,out_trade_no,amount_fen,payer,time,refund_no
    payment,SB20240520…,GY20240520…,1000,sbu_…,2024-05-20T10:00:00+08:00,
    refund,SB20240520…,GY20240520…,1000,sbu_…,2024-05-20T11:00:00+08:00,RF…
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from gongyi.payments.interface import BillRow
from gongyi.payments.parsing import SHANGHAI, BillFormatError, rfc3339_time

COLUMNS = ["type", "transaction_id", "out_trade_no", "amount_fen", "payer", "time", "refund_no"]


def render_bill(paid: Iterable, refunded: Iterable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for txn in paid:
        at = txn.paid_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        writer.writerow(["payment", txn.transaction_id, txn.out_trade_no, txn.amount_fen, txn.payer, at, ""])
    for txn in refunded:
        at = txn.refunded_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        writer.writerow(
            ["refund", txn.transaction_id, txn.out_trade_no, txn.refunded_fen, txn.payer, at, txn.refund_no]
        )
    return out.getvalue().encode("utf-8")


def parse_bill(content: bytes) -> list[BillRow]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BillFormatError("沙箱账单必须是 UTF-8 文本") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != COLUMNS:
        raise BillFormatError("第 1 行：不是沙箱账单的表头")
    rows = []
    for line_no, cells in enumerate(reader, 2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            raise BillFormatError(f"第 {line_no} 行：应有 {len(COLUMNS)} 列")
        record = dict(zip(COLUMNS, (cell.strip() for cell in cells), strict=True))
        if record["type"] not in ("payment", "refund") or not record["amount_fen"].isdigit():
            raise BillFormatError(f"第 {line_no} 行：类型或金额不正确")
        if not record["transaction_id"] or not record["out_trade_no"]:
            raise BillFormatError(f"第 {line_no} 行：缺少交易号或订单号")
        try:
            occurred_at = rfc3339_time(record["time"])
        except ValueError:
            raise BillFormatError(f"第 {line_no} 行：时间格式不正确") from None
        refund_no = record["refund_no"] if record["type"] == "refund" else ""
        rows.append(
            BillRow(
                kind=record["type"],
                out_trade_no=record["out_trade_no"][:64],
                provider_txn_id=record["transaction_id"][:64],
                amount_fen=int(record["amount_fen"]),
                occurred_at=occurred_at,
                payer=record["payer"][:128],
                refund_no=refund_no[:64],
                provider_refund_id=f"SBR{refund_no}"[:64] if refund_no else "",
            )
        )
    return rows
