"""Excel import: every bad row reported with its field, nothing half-imported; big files in the background."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from gongyi.demo.data import uscc
from gongyi.drives import imports
from gongyi.drives.imports import TEMPLATE_HEADERS, start_unit_import
from gongyi.drives.models import DriveEvent, ImportStatus, Unit, UnitImport, UnitStatus
from gongyi.drives.tests.helpers import load_regions, make_unit

pytestmark = pytest.mark.django_db
GOOD_USCC = uscc("11", "420704", "71234567")
OTHER_USCC = uscc("12", "420703", "71234575")
BAD_CHECK_USCC = GOOD_USCC[:-1] + ("1" if GOOD_USCC[-1] != "1" else "2")


def workbook(rows, headers=TEMPLATE_HEADERS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("units.xlsx", out.getvalue())


@pytest.fixture(autouse=True)
def regions():
    load_regions()


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "s@example.invalid", "pw")


def test_a_good_file_imports_every_row_approved_with_codes_and_parents(staff):
    make_unit("鄂州市卫生健康委员会")
    upload = workbook(
        [
            ["鄂州市教育局", "机关", GOOD_USCC, "鄂城区", "", "", "张老师", "0711-3200001", 95],
            ["鄂州市第一中学", "学校", OTHER_USCC, "420704", "", "鄂州市教育局", "", "", "260"],
            ["鄂州市中医医院", "hospital", "", "鄂城区", "", "鄂州市卫生健康委员会", "", "", None],
            [None, None, None, None, None, None, None, None, None],  # a blank row is skipped
            [
                "葛店某光电公司",
                "企业",
                BAD_CHECK_USCC.replace(GOOD_USCC[:2], "91"),
                "葛店经济技术开发区",
                "",
                "",
                "",
                "",
                260.0,
            ],
        ]
    )
    result = start_unit_import(upload=upload, actor=staff)
    assert result.status == ImportStatus.IMPORTED, result.errors
    assert (result.total_rows, result.created_units, result.errors) == (4, 4, [])
    school = Unit.objects.get(name="鄂州市第一中学")
    assert school.parent.name == "鄂州市教育局"
    assert school.headcount == 260
    assert Unit.objects.get(name="鄂州市中医医院").parent.name == "鄂州市卫生健康委员会"
    assert all(u.status == UnitStatus.APPROVED and len(u.code) == 6 for u in Unit.objects.all())
    warned = {(w["row"], w["field"]) for w in result.warnings}
    assert (4, "uscc") in warned  # no credit code: a warning, not an error
    assert (6, "uscc") in warned  # a failed check character: kept, with a warning
    assert not Unit.objects.get(name="葛店某光电公司").uscc_check_ok
    assert DriveEvent.objects.filter(action="unit_imported").count() == 1


def test_bad_rows_are_each_reported_and_nothing_is_imported(staff):
    make_unit("鄂州市财政局")
    before = Unit.objects.count()
    upload = workbook(
        [
            ["鄂州市教育局", "机关", GOOD_USCC, "鄂城区", "", "", "", "", 95],  # row 2: fine on its own
            ["鄂州市某中学", "学校", "12345", "鄂城区", "", "", "", "", ""],  # row 3: bad code
            ["鄂州市教育局", "机关", "", "鄂城区", "", "", "", "", ""],  # row 4: duplicate of row 2
            ["鄂州市财政局", "机关", "", "鄂城区", "", "", "", "", ""],  # row 5: already registered
            ["某某医院", "医院", "", "洪山区", "", "", "", "", ""],  # row 6: unknown district
            ["", "学校", "", "华容区", "", "", "", "", ""],  # row 7: missing name
            ["某协会", "协会", OTHER_USCC, "华容区", "", "不存在的局", "", "", "-3"],  # row 8: three problems
            ["某公司", "企业", GOOD_USCC, "华容区", "", "", "", "", ""],  # row 9: code duplicates row 2
        ]
    )
    result = start_unit_import(upload=upload, actor=staff)
    assert result.status == ImportStatus.FAILED
    assert Unit.objects.count() == before
    reported = {(e["row"], e["field"]) for e in result.errors}
    assert reported == {
        (3, "uscc"),
        (4, "name"),
        (5, "name"),
        (6, "district"),
        (7, "name"),
        (8, "kind"),
        (8, "parent"),
        (8, "headcount"),
        (9, "uscc"),
    }
    messages = {(e["row"], e["field"]): e["message"] for e in result.errors}
    assert "第 2 行" in messages[(4, "name")]
    assert "已登记" in messages[(5, "name")]
    assert "洪山区" in messages[(6, "district")]
    assert "第 2 行" in messages[(9, "uscc")]
    assert {e["column"] for e in result.errors} >= {"单位名称", "统一社会信用代码", "所在区"}


def test_a_file_that_is_not_the_template_is_refused(staff):
    result = start_unit_import(upload=workbook([["x"]], headers=["名字", "类别"]), actor=staff)
    assert result.status == ImportStatus.FAILED
    assert "缺少列" in result.errors[0]["message"]
    broken = start_unit_import(upload=SimpleUploadedFile("units.xlsx", b"not a zip"), actor=staff)
    assert broken.status == ImportStatus.FAILED
    assert broken.errors[0]["field"] == "file"
    assert Unit.objects.count() == 0


def test_the_staff_page_reports_rows_and_a_big_file_runs_in_the_background_with_progress(client, staff, monkeypatch):
    from gongyi.drives.tasks import import_units

    client.force_login(staff)
    bad = workbook([["", "机关", "", "鄂城区", "", "", "", "", ""]])
    response = client.post(reverse("drives-staff-imports"), {"file": bad})
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in page and "请填写单位名称" in page and "未导入任何单位" in page

    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 3)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    seen = []
    monkeypatch.setattr(
        "gongyi.drives.tasks.import_units", lambda import_id: seen.append(import_id)
    )  # the worker is not running in tests; run it by hand below
    big = workbook([[f"鄂城区第{n}小学", "学校", "", "鄂城区", "", "", "", "", 30 + n] for n in range(10)])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("drives-staff-imports"), {"file": big})
    unit_import = UnitImport.objects.latest("pk")
    assert seen == [unit_import.pk]
    assert unit_import.status == ImportStatus.QUEUED
    progress = client.get(reverse("drives-staff-import-progress", args=[unit_import.pk])).json()
    assert (progress["status"], progress["total_rows"], progress["done"]) == ("queued", 10, False)
    assert "import-bar" in client.get(response["Location"]).content.decode()

    import_units.call_local(unit_import.pk)
    progress = client.get(reverse("drives-staff-import-progress", args=[unit_import.pk])).json()
    assert progress == {
        "status": "imported",
        "status_label": "已全部导入",
        "total_rows": 10,
        "checked_rows": 10,
        "percent": 100,
        "created_units": 10,
        "errors": 0,
        "done": True,
    }
    assert Unit.objects.count() == 10


def test_import_needs_the_permission_and_only_takes_xlsx(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.post(reverse("drives-staff-imports"), {"file": workbook([])}).status_code == 403
    admin = django_user_model.objects.create_superuser("boss", "b@example.invalid", "pw")
    client.force_login(admin)
    response = client.post(reverse("drives-staff-imports"), {"file": SimpleUploadedFile("units.csv", b"a,b")})
    assert response.status_code == 400
    assert 'id="file-error"' in response.content.decode()


def test_the_template_downloads_with_the_headers(client, staff):
    client.force_login(staff)
    response = client.get(reverse("drives-staff-import-template"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == TEMPLATE_HEADERS
