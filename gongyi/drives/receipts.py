"""The adapter to the finance bureau's e-receipt system (财政电子票据): a protocol and a file export.

The platform never mints receipts (财综〔2024〕1号): it hands a request to the bureau's system and later
records the receipt number and check code the bureau returns. Until a machine interface is available the
adapter in use is ``FileExportReceiptIssuer``, which writes each request as an Excel workbook under
``MEDIA_ROOT/receipts/`` for staff to upload. Another adapter is chosen with the setting
``GONGYI_RECEIPT_ISSUER`` (a dotted path), read when a request is exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from gongyi.core.checkdigits import check_uscc

DEFAULT_ISSUER = "gongyi.drives.receipts.FileExportReceiptIssuer"


@dataclass(frozen=True)
class SubmitResult:
    path: str  # where the request went: a file under MEDIA_ROOT, or the remote system's reference


@runtime_checkable
class ReceiptIssuer(Protocol):
    """Sends one receipt request and its lines to the e-receipt system; raises on failure, writes nothing else."""

    name: str

    def submit(self, request, lines: Sequence) -> SubmitResult: ...


def _yuan(fen: int) -> float:
    # Excel shows amounts in yuan; fen ÷ 100 is exact to two decimals in a double for these magnitudes.
    return round(fen / 100, 2)


class FileExportReceiptIssuer:
    """Writes the request as ``receipts/<year>/<number>.xlsx`` (write-only openpyxl: constant memory)."""

    name = "file-export"

    def __init__(self, root: Path | None = None):
        self.root = Path(root or settings.MEDIA_ROOT)

    def submit(self, request, lines: Sequence) -> SubmitResult:
        from openpyxl import Workbook

        relative = Path("receipts") / f"{timezone.localtime(request.requested_at):%Y}" / f"{request.number}.xlsx"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        book = Workbook(write_only=True)
        head = book.create_sheet("票据申请")
        uscc_note = ""
        if request.payer_uscc and not check_uscc(request.payer_uscc).check_ok:
            uscc_note = "（校验未通过，请核对）"
        for row in (
            ("申请编号", request.number),
            ("票据类型", request.get_kind_display()),
            ("交款人", request.payer_name),
            ("交款人统一社会信用代码", (request.payer_uscc or "") + uscc_note),
            ("联系电话", request.contact_phone),
            ("项目名称", "慈善捐赠"),
            ("金额合计（元）", _yuan(request.total_fen)),
            ("明细条数", request.line_count),
            ("申请时间", f"{timezone.localtime(request.requested_at):%Y-%m-%d %H:%M}"),
            (
                "说明",
                "单位组织员工捐赠，员工可凭汇总开具的捐赠票据和员工明细单扣除（财政部 税务总局公告2019年第99号）"
                if request.kind == "unit_staff"
                else "",
            ),
        ):
            head.append(list(row))
        detail = book.create_sheet("明细")
        detail.append(["序号", "姓名", "金额（元）", "捐赠时间", "订单号/银行流水号"])
        for number, line in enumerate(lines, start=1):
            detail.append(
                [
                    number,
                    line.name_on_list,
                    _yuan(line.amount_fen),
                    f"{timezone.localtime(line.paid_at):%Y-%m-%d %H:%M}",
                    line.reference,
                ]
            )
        detail.append(["合计", "", _yuan(sum(line.amount_fen for line in lines)), "", ""])
        partial = target.with_suffix(".partial")
        book.save(partial)
        partial.replace(target)  # never leave a half-written file under the final name
        return SubmitResult(path=str(relative))


def get_receipt_issuer() -> ReceiptIssuer:
    path = getattr(settings, "GONGYI_RECEIPT_ISSUER", "") or DEFAULT_ISSUER
    return import_string(path)()
