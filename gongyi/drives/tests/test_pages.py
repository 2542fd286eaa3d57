"""Public and staff pages: the league page's phone semantics, registration and review, teams, posters and
certificates, a bank transfer entered with its voucher, and the demo."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gongyi.drives.models import DriveEvent, LeagueTally, Team, Unit, UnitOfflineGift, UnitStatus
from gongyi.drives.services import DriveInputError, create_team, update_unit
from gongyi.drives.tests.helpers import give, load_regions, make_drive, make_unit
from gongyi.ledger.models import Account, AccountKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems, project_totals
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def regions():
    load_regions()


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "s@example.invalid", "pw")


def test_league_page_is_built_for_a_375px_phone(client):
    drive = make_drive()
    project = make_project()
    long_name = "鄂州市某某某某某某某某某某某某某某某某某某某某有限责任公司"
    units = [
        make_unit("鄂州市民政局", headcount=80),
        make_unit(long_name, kind="company", district="420772"),
        make_unit("华容区实验小学", kind="school", district="420703", headcount=40),
    ]
    for n, unit in enumerate(units):
        give(project, unit=unit, payer=f"p{n}", fen=(n + 1) * 10_000)

    html = client.get(reverse("drives-league")).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1' in html
    assert 'lang="zh-Hans"' in html
    assert "gongyi/drives.css" in html
    assert "<table" not in html  # lists, not wide tables, on the public page
    assert re.search(r'<nav class="tabs" aria-label="排行榜">', html)
    assert html.count('aria-current="page"') == 1
    assert re.findall(r'<span class="rank" aria-label="第(\d)名">', html) == ["1", "2", "3"]
    assert long_name in html
    assert "参与率 2.5%" in html and "参与率 1.2%" in html
    assert drive.name in html
    assert 'id="drive-total">¥600.00<' in html
    # No fixed widths wider than the phone in inline styles or the stylesheet.
    css = (Path(__file__).resolve().parents[2] / "static" / "gongyi" / "drives.css").read_text()
    assert not [w for w in re.findall(r"(?<![-\w])width:\s*(\d+)px", css + html) if int(w) > 375]
    assert "overflow-wrap: anywhere" in css

    by_district = client.get(reverse("drives-league") + "?by=district").content.decode()
    assert "华容区" in by_district and "临空经济区" in by_district
    assert "按区" in by_district
    assert client.get(reverse("drives-league") + "?by=nonsense").status_code == 200
    assert client.get(reverse("drives-league") + "?drive=nope").status_code == 404
    api = client.get("/api/v1/drives/league", {"by": "kind"}).json()
    assert [r["label"] for r in api["rows"]] == ["学校", "企业", "机关"]
    assert client.get("/api/v1/drives/league", {"by": "x"}).status_code == 422


def test_league_page_without_any_drive_invites_units(client):
    html = client.get(reverse("drives-league")).content.decode()
    assert "活动尚未开始" in html


def test_registration_reviewed_by_staff_before_the_code_works(client, staff):
    make_drive()
    response = client.post(
        reverse("drives-register"),
        {
            "name": "鄂城区某餐饮有限公司",
            "kind": "company",
            "uscc": "9142070412",
            "district": "420704",
            "contact_name": "刘经理",
            "contact_phone": "13800000000",
            "headcount": "25",
        },
    )
    assert response.status_code == 400
    assert 'id="uscc-error"' in response.content.decode()  # malformed code names its field

    from gongyi.demo.data import uscc

    good = uscc("91", "420704", "71112223")
    wrong_check = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = client.post(
        reverse("drives-register"),
        {
            "name": "鄂城区某餐饮有限公司",
            "kind": "company",
            "uscc": wrong_check,
            "district": "420704",
            "contact_name": "刘经理",
            "contact_phone": "13800000000",
        },
    )
    assert response.status_code == 200
    assert "校验未通过" in response.content.decode()  # kept, with a warning
    unit = Unit.objects.get(name="鄂城区某餐饮有限公司")
    assert unit.status == UnitStatus.PENDING
    assert client.get(reverse("drives-unit", args=[unit.code])).status_code == 404

    duplicate = client.post(
        reverse("drives-register"),
        {
            "name": "鄂城区某餐饮有限公司",
            "kind": "company",
            "district": "420704",
            "contact_name": "a",
            "contact_phone": "1",
        },
    )
    assert 'id="name-error"' in duplicate.content.decode()

    bot = client.post(
        reverse("drives-register"),
        {
            "name": "机器人公司",
            "kind": "company",
            "district": "420704",
            "contact_name": "a",
            "contact_phone": "1",
            "website": "http://spam.example",
        },
    )
    assert bot.status_code == 200
    assert not Unit.objects.filter(name="机器人公司").exists()

    clerk = type(staff).objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.post(reverse("drives-staff-review", args=[unit.pk]), {"decision": "approve"}).status_code == 403
    client.force_login(staff)
    assert "鄂城区某餐饮有限公司" in client.get(reverse("drives-staff")).content.decode()
    client.post(reverse("drives-staff-review", args=[unit.pk]), {"decision": "reject"})  # a reason is needed
    unit.refresh_from_db()
    assert unit.status == UnitStatus.PENDING
    client.post(reverse("drives-staff-review", args=[unit.pk]), {"decision": "approve", "note": "材料齐全"})
    unit.refresh_from_db()
    assert unit.status == UnitStatus.APPROVED
    assert client.get(reverse("drives-unit", args=[unit.code])).status_code == 200
    assert client.get(reverse("drives-unit", args=[unit.code.lower()])).status_code == 302
    assert list(DriveEvent.objects.filter(unit=unit).values_list("action", flat=True)) == [
        "unit_registered",
        "unit_approved",
    ]


def test_staff_pages_need_a_staff_login(client):
    for name in ("drives-staff", "drives-staff-units", "drives-staff-imports", "drives-staff-receipts"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_anyone_starts_a_team_with_a_honeypot_and_a_rate_limit(client):
    project = make_project()
    url = reverse("drives-team-new") + f"?project={project.pk}"
    fields = {"name": "民政人一起捐", "slogan": "点滴爱心", "goal": "5000", "leader_name": "张老师"}
    bad = client.post(url, {**fields, "goal": "-1"})
    assert bad.status_code == 400 and 'id="goal-error"' in bad.content.decode()
    response = client.post(url, fields)
    team = Team.objects.get()
    assert response["Location"] == reverse("drives-team", args=[team.pk])
    assert team.goal_fen == 500_000
    page = client.get(response["Location"]).content.decode()
    assert "民政人一起捐" in page and "点滴爱心" in page
    assert client.get(reverse("drives-team-qr", args=[team.pk]))["Content-Type"] == "image/png"

    client.post(url, {**fields, "website": "spam"})
    assert Team.objects.count() == 1  # the honeypot creates nothing
    for n in range(4):
        client.post(url, {**fields, "name": f"队{n}"})
    limited = client.post(url, {**fields, "name": "第六队"})
    assert limited.status_code == 400 and "一小时内最多" in limited.content.decode()
    assert Team.objects.count() == 5
    assert client.get(reverse("drives-team-new")).status_code == 404
    with pytest.raises(DriveInputError) as closed:
        create_team(
            project=make_project(title="草稿", status="draft"), name="x", slogan="", goal_fen=1, leader_name="y"
        )
    assert closed.value.field == "project"


def test_posters_and_certificates_are_pdf_and_png(client):
    drive = make_drive()
    project = make_project()
    unit = make_unit("鄂州市中心医院", kind="hospital")
    assert client.get(reverse("drives-unit-certificate", args=[unit.code, "png"])).status_code == 404  # no gifts
    give(project, unit=unit, payer="a")
    for kind, fmt, magic in (("poster", "pdf", b"%PDF"), ("poster", "png", b"\x89PNG"), ("certificate", "pdf", b"%PDF"),
                             ("certificate", "png", b"\x89PNG")):  # fmt: skip
        response = client.get(reverse(f"drives-unit-{kind}", args=[unit.code, fmt]))
        assert response.status_code == 200, (kind, fmt)
        assert response.content.startswith(magic)
        if fmt == "pdf":
            assert b"GongyiCJK" in response.content or b"Helvetica" in response.content
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(client.get(reverse("drives-unit-poster", args=[unit.code, "png"])).content))
    assert image.size == (1240, 1755)  # A4 at 150 dpi
    assert client.get(reverse("drives-unit-poster", args=[unit.code, "svg"])).status_code == 404
    assert drive.pk


def test_a_bank_transfer_with_its_voucher_reaches_the_ledger_and_the_tables(client, staff):
    drive = make_drive()
    project = make_project()
    unit = make_unit("临空经济区某航空物流有限公司", kind="company", district="420772")
    client.force_login(staff)
    url = reverse("drives-staff-offline")
    fields = {
        "unit": unit.code,
        "project": project.pk,
        "amount": "30000",
        "received_on": date.today().isoformat(),
        "bank_reference": "BANK-2026-0001",
        "payer_account_name": unit.name,
    }
    missing = client.post(url, fields)
    assert missing.status_code == 400 and 'id="voucher-error"' in missing.content.decode()
    response = client.post(url, {**fields, "voucher": SimpleUploadedFile("回单.png", b"\x89PNG fake")})
    assert response.status_code == 302
    gift = UnitOfflineGift.objects.get()
    assert gift.entry.kind == "gift"
    bank = Account.objects.get(code="bank:main")
    assert (bank.kind, bank.debits_fen) == (AccountKind.BANK, 3_000_000)
    assert project_totals(project)["raised_fen"] == 3_000_000
    row = LeagueTally.objects.get(board=f"drive:{drive.pk}:unit", key=str(unit.pk))
    assert (row.unit_gifts, row.unit_amount_fen, row.givers) == (1, 3_000_000, 0)

    again = client.post(url, {**fields, "voucher": SimpleUploadedFile("回单.png", b"\x89PNG fake")})
    assert again.status_code == 400 and "已录入过" in again.content.decode()
    assert UnitOfflineGift.objects.count() == 1
    assert client.get(reverse("drives-staff-offline-voucher", args=[gift.pk])).status_code == 200

    client.post(reverse("drives-staff-offline-void", args=[gift.pk]), {"reason": "金额录错"})
    gift.refresh_from_db()
    assert gift.status == "void"
    assert JournalEntry.objects.filter(kind="gift_reversal", reverses=gift.entry).exists()
    assert project_totals(project)["raised_fen"] == 0
    row.refresh_from_db()
    assert (row.unit_gifts, row.total_fen) == (0, 0)
    assert find_ledger_problems() == []


def test_a_unit_with_credits_keeps_its_district_and_kind(staff):
    make_drive()
    unit = make_unit("鄂州市财政局")
    from gongyi.orgs.models import Region

    update_unit(unit=unit, actor=staff, headcount=120, district=Region.objects.get(code="420703"))
    assert (unit.headcount, unit.district_id) == (120, "420703")
    give(make_project(), unit=unit)
    with pytest.raises(DriveInputError) as refused:
        update_unit(unit=unit, actor=staff, kind="company")
    assert refused.value.field == "kind"
    update_unit(unit=unit, actor=staff, headcount=130)  # the headcount may change
    with pytest.raises(DriveInputError):
        update_unit(unit=unit, actor=staff, headcount=0)


def test_the_demo_loads_a_few_dozen_units_with_gifts_once(client):
    from gongyi.demo.services import load_demo
    from gongyi.drives.demo import load_drives_demo
    from gongyi.drives.tallies import find_tally_problems

    load_demo(with_gifts=False)
    first = load_drives_demo()
    assert first.units >= 30
    assert first.gifts_added > 100
    second = load_drives_demo()
    assert second.gifts_added == 0
    assert Unit.objects.filter(status=UnitStatus.APPROVED).count() == first.units
    assert Unit.objects.filter(status=UnitStatus.PENDING).count() == 2
    assert set(Unit.objects.values_list("district_id", flat=True)) == {"420702", "420703", "420704", "420771", "420772"}
    assert find_tally_problems() == []
    assert find_ledger_problems() == []
    html = client.get(reverse("drives-league")).content.decode()
    assert html.count('class="rank"') >= 25
