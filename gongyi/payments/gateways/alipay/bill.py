"""Alipay's daily business detail bill (业务明细): a zip of GBK CSV files; we read the detail one.

::

    #支付宝业务明细查询
    #账号：[20881234567890120156]
    #起始日期：[2024年05月20日 00:00:00]   终止日期：[2024年05月21日 00:00:00]
    #-----------------------------------------业务明细列表----------------------------------------
    支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,
    订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,
    券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
    2024052022001400001234567890	,GY2024052010000012345678	,交易	,捐赠	,2024-05-20 10:00:00	,…
    #-----------------------------------------业务明细列表结束------------------------------------
    #交易合计：1笔，退款合计：0笔

Cells are padded with tabs. ``业务类型`` 交易 is a payment, 退款 a refund (its amounts are negative; we
keep the absolute value and the request number, ``退款批次号/请求号``). Pure: no SDK, no Django.
"""

from __future__ import annotations

import csv
import io
import zipfile

from gongyi.payments.interface import BillRow
from gongyi.payments.parsing import BillFormatError, shanghai_time, yuan_text_to_fen

REQUIRED_COLUMNS = ("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）")
ZIP_MAGIC = b"PK\x03\x04"


def extract_detail_csv(archive: bytes) -> bytes:
    """The 业务明细 CSV inside Alipay's bill zip (not the 汇总 summary); ValueError when absent."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            for info in bundle.infolist():
                name = info.filename
                if not info.flag_bits & 0x800:  # names without the UTF-8 flag are GBK, read as cp437
                    try:
                        name = name.encode("cp437").decode("gb18030")
                    except (UnicodeEncodeError, UnicodeDecodeError):
                        pass
                if name.lower().endswith(".csv") and "汇总" not in name:
                    return bundle.read(info)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"不是 zip 文件（{exc}）") from None
    raise ValueError("zip 中没有业务明细 CSV")


def parse_bill(content: bytes) -> list[BillRow]:
    """Every payment and refund line of an Alipay detail bill (CSV, or the zip as downloaded)."""
    if content.startswith(ZIP_MAGIC):
        try:
            content = extract_detail_csv(content)
        except ValueError as exc:
            raise BillFormatError(str(exc)) from None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise BillFormatError("支付宝账单必须是 GBK 或 UTF-8 文本") from None
    header: dict[str, int] | None = None
    rows: list[BillRow] = []
    for line_no, fields in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [field.strip() for field in fields]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header is None:
            if cells[0] != "支付宝交易号":
                raise BillFormatError(f"第 {line_no} 行：不是支付宝业务明细的表头")
            header = {name: index for index, name in enumerate(cells)}
            absent = [name for name in REQUIRED_COLUMNS if name not in header]
            if absent:
                raise BillFormatError(f"第 {line_no} 行：账单缺少列 {'、'.join(absent)}")
            continue
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
    kind = record["业务类型"]
    occurred_at = shanghai_time(record["完成时间"] or record.get("创建时间", ""))
    amount = abs(yuan_text_to_fen(record["订单金额（元）"]))
    trade_no = _required(record, "支付宝交易号")
    if kind == "交易":
        return BillRow(
            kind="payment",
            out_trade_no=_required(record, "商户订单号"),
            provider_txn_id=trade_no,
            amount_fen=amount,
            occurred_at=occurred_at,
            payer=record.get("对方账户", "")[:128],
        )
    if kind == "退款":
        refund_no = _required(record, "退款批次号/请求号")
        return BillRow(
            kind="refund",
            out_trade_no=_required(record, "商户订单号"),
            provider_txn_id=trade_no,
            amount_fen=amount,
            occurred_at=occurred_at,
            payer=record.get("对方账户", "")[:128],
            refund_no=refund_no,
            provider_refund_id=f"{trade_no}/{refund_no}"[:64],
        )
    return None  # other business types (e.g. 冻结, 转账) carry no gift money


def _required(record: dict[str, str], name: str) -> str:
    value = record.get(name, "")
    if not value:
        raise ValueError(f"{name} 为空")
    if len(value) > 64:
        raise ValueError(f"{name} 过长")
    return value
