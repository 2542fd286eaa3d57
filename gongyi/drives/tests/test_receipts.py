"""Receipts for units: the consolidated request with the staff list equals the unit's gifts; the adapter
exports Excel; states move requested → exported → issued / rejected; individual requests exclude a gift."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from gongyi.drives.models import ReceiptKind, ReceiptLine, ReceiptRequest, ReceiptStatus
from gongyi.drives.receipts import FileExportReceiptIssuer, ReceiptIssuer, get_receipt_issuer
from gongyi.drives.selectors import unit_figures
from gongyi.drives.services import (
    DriveInputError,
    export_receipt_request,
    record_offline_unit_gift,
    record_receipt_issued,
    reject_receipt_request,
    request_individual_receipt,
    request_unit_receipts,
    uncredit_refunded_gift,
)
from gongyi.drives.tests.helpers import give, load_regions, make_drive, make_unit
from gongyi.giving.services import refund_gift
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(django_user_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_regions()
    drive = make_drive()
    project = make_project()
    unit = make_unit("鄂州市民政局", headcount=80)
    staff = django_user_model.objects.create_superuser("staff", "s@example.invalid", "pw")
    return drive, project, unit, staff


def test_consolidated_receipt_totals_equal_the_unit_gifts_with_names_as_staff_chose(setting):
    drive, project, unit, staff = setting
    give(project, unit=unit, payer="a", fen=23_300, donor_name="王小明", list_name="full")
    give(project, unit=unit, payer="b", fen=15_000, donor_name="李四", list_name="masked")
    give(project, unit=unit, payer="c", fen=8_800, donor_name="赵六", anonymous=True, list_name="full")
    refunded = give(project, unit=unit, payer="d", fen=50_000, donor_name="钱七")
    refund_gift(gift=refunded, reason="捐错了")
    uncredit_refunded_gift(gift=refunded)
    give(project, unit=unit, payer="unit-finance", fen=200_000, donor_name=unit.name, as_unit=True)
    record_offline_unit_gift(
        unit=unit,
        project=project,
        amount_fen=1_000_000,
        received_on=date.today(),
        bank_reference="BANK-001",
        payer_account_name=unit.name,
        voucher=ContentFile(b"%PDF-1.4", name="v.pdf"),
        actor=staff,
    )
    give(make_project(title="别的项目"), payer="e", fen=999)  # not the unit's

    staff_request, own_request = request_unit_receipts(unit=unit, actor=staff)

    figures = unit_figures(drive, unit)
    assert staff_request.kind == ReceiptKind.UNIT_STAFF
    assert staff_request.total_fen == figures.amount_fen == 23_300 + 15_000 + 8_800
    assert staff_request.line_count == figures.gifts == 3
    assert [(line.name_on_list, line.amount_fen) for line in staff_request.lines.all()] == [
        ("王小明", 23_300),
        ("李*", 15_000),
        ("爱心人士", 8_800),
    ]
    assert (staff_request.payer_name, staff_request.payer_uscc) == (unit.name, unit.uscc)
    assert own_request.kind == ReceiptKind.UNIT_OWN
    assert own_request.total_fen == figures.unit_amount_fen == 1_200_000
    assert staff_request.total_fen + own_request.total_fen == figures.total_fen

    # Nothing left to request: a second request is refused and writes nothing.
    with pytest.raises(DriveInputError) as refused:
        request_unit_receipts(unit=unit, actor=staff)
    assert refused.value.field == "unit"
    assert ReceiptRequest.objects.count() == 2


def test_the_file_export_adapter_writes_the_staff_list_and_the_states_move_once(setting):
    _drive, project, unit, staff = setting
    give(project, unit=unit, payer="a", fen=10_000, donor_name="王小明", list_name="full")
    give(project, unit=unit, payer="b", fen=20_050, donor_name="李四")
    (request,) = request_unit_receipts(unit=unit, actor=staff)
    assert isinstance(get_receipt_issuer(), FileExportReceiptIssuer)
    assert isinstance(get_receipt_issuer(), ReceiptIssuer)

    with pytest.raises(DriveInputError):
        record_receipt_issued(request=request, receipt_no="1", check_code="x", actor=staff)  # not exported yet
    request = export_receipt_request(request=request, actor=staff)
    assert request.status == ReceiptStatus.EXPORTED
    path = Path(get_receipt_issuer().root) / request.export_path
    book = load_workbook(path, read_only=True)
    detail = [row for row in book["明细"].iter_rows(values_only=True)]
    assert detail[0] == ("序号", "姓名", "金额（元）", "捐赠时间", "订单号/银行流水号")
    assert [(r[1], r[2]) for r in detail[1:-1]] == [("王小明", 100.0), ("李*", 200.5)]
    assert detail[-1][:3] == ("合计", None, 300.5)
    head = dict(row for row in book["票据申请"].iter_rows(values_only=True))
    assert head["交款人统一社会信用代码"] == unit.uscc
    assert head["金额合计（元）"] == 300.5
    assert "2019年第99号" in head["说明"]
    with pytest.raises(DriveInputError):
        export_receipt_request(request=request, actor=staff)  # once

    with pytest.raises(DriveInputError) as missing:
        record_receipt_issued(request=request, receipt_no="", check_code="abc", actor=staff)
    assert missing.value.field == "receipt_no"
    request = record_receipt_issued(request=request, receipt_no="42010025000001", check_code="a1b2c3", actor=staff)
    assert request.status == ReceiptStatus.ISSUED
    with pytest.raises(DriveInputError):
        reject_receipt_request(request=request, reason="晚了", actor=staff)
    assert list(request.events.values_list("action", flat=True)) == [
        "receipt_requested",
        "receipt_exported",
        "receipt_issued",
    ]


def test_a_rejected_request_frees_its_gifts_and_an_individual_request_takes_a_gift_off_the_list(setting):
    _drive, project, unit, staff = setting
    mine = give(project, unit=unit, payer="a", fen=10_000, donor_name="王小明")
    give(project, unit=unit, payer="b", fen=20_000, donor_name="李四")

    with pytest.raises(DriveInputError) as unknown:
        request_individual_receipt(certificate_no="ZSNOPE", payer_name="王小明")
    assert unknown.value.field == "certificate_no"
    with pytest.raises(DriveInputError) as nameless:
        request_individual_receipt(certificate_no=mine.certificate_no, payer_name=" ")
    assert nameless.value.field == "payer_name"
    individual = request_individual_receipt(certificate_no=mine.certificate_no.lower(), payer_name="王小明")
    assert (individual.kind, individual.total_fen, individual.unit) == (ReceiptKind.INDIVIDUAL, 10_000, None)
    with pytest.raises(DriveInputError) as twice:
        request_individual_receipt(certificate_no=mine.certificate_no, payer_name="王小明")
    assert twice.value.field == "certificate_no"

    (consolidated,) = request_unit_receipts(unit=unit, actor=staff)
    assert consolidated.total_fen == 20_000  # the gift with its own receipt request is left off

    with pytest.raises(DriveInputError) as reasonless:
        reject_receipt_request(request=individual, reason="", actor=staff)
    assert reasonless.value.field == "reason"
    reject_receipt_request(request=individual, reason="交款人信息有误", actor=staff)
    assert not ReceiptLine.objects.filter(request=individual, is_active=True).exists()
    again = request_individual_receipt(certificate_no=mine.certificate_no, payer_name="王晓明")
    assert again.total_fen == 10_000


def test_refunded_gifts_cannot_be_receipted(setting):
    _drive, project, unit, staff = setting
    gift = give(project, unit=unit, payer="a", fen=10_000)
    refund_gift(gift=gift, reason="退款")
    uncredit_refunded_gift(gift=gift)
    with pytest.raises(DriveInputError) as refused:
        request_individual_receipt(certificate_no=gift.certificate_no, payer_name="王小明")
    assert refused.value.field == "certificate_no"
    with pytest.raises(DriveInputError):
        request_unit_receipts(unit=unit, actor=staff)


def test_staff_receipt_pages_export_issue_and_download(client, setting):
    _drive, project, unit, staff = setting
    give(project, unit=unit, payer="a", fen=10_000, donor_name="王小明")
    client.force_login(staff)
    response = client.post(reverse("drives-staff-unit-receipts", args=[unit.pk]))
    assert response.status_code == 302
    request = ReceiptRequest.objects.get()
    url = reverse("drives-staff-receipt", args=[request.pk])
    assert "王*" in client.get(url).content.decode()
    client.post(url, {"action": "export"})
    download = client.get(reverse("drives-staff-receipt-file", args=[request.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    bad = client.post(url, {"action": "issued", "receipt_no": "", "check_code": "x"})
    assert bad.status_code == 400
    assert "票据号码" in bad.content.decode()
    client.post(url, {"action": "issued", "receipt_no": "42010025000001", "check_code": "a1b2"})
    request.refresh_from_db()
    assert request.status == ReceiptStatus.ISSUED


def test_the_public_individual_receipt_form_names_the_field(client, setting):
    _drive, project, unit, _staff = setting
    gift = give(project, unit=unit, payer="a", fen=10_000)
    bad = client.post(reverse("drives-receipt-request"), {"certificate_no": "ZS0", "payer_name": "王小明"})
    assert bad.status_code == 400
    assert 'id="certificate_no-error"' in bad.content.decode()
    ok = client.post(reverse("drives-receipt-request"), {"certificate_no": gift.certificate_no, "payer_name": "王小明"})
    assert ok.status_code == 200
    assert ReceiptRequest.objects.get().number in ok.content.decode()
