"""Gifts reach their unit through its code, its QR link and search; bad units and teams name the field."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from gongyi.drives.models import CreditStatus, GiftCredit, LeagueTally, OrderAttribution, UnitStatus
from gongyi.drives.selectors import league, team_figures, unit_figures
from gongyi.drives.services import UnitInput, create_team, register_unit, unit_gift_token
from gongyi.drives.tests.helpers import give, load_regions, make_drive, make_unit
from gongyi.giving.models import Gift
from gongyi.payments.models import Order, SandboxTransaction
from gongyi.testing import make_project, notification_body, signed_headers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def regions():
    load_regions()


@pytest.fixture
def drive():
    return make_drive()


@pytest.fixture
def project():
    return make_project(title="鄂州市慈善大病救助")


def pay(client, order: Order, *, payer: str = "payer-1") -> Gift:
    """Pay an order as the sandbox would: a signed notification to the notify endpoint."""
    body = notification_body(order, transaction_id=f"T{order.out_trade_no}", payer=payer)
    SandboxTransaction.objects.create(
        out_trade_no=order.out_trade_no,
        transaction_id=f"T{order.out_trade_no}",
        amount_fen=order.amount_fen,
        payer=payer,
        paid_at=order.created_at,
        notify_url="",
    )
    response = client.post(
        reverse("api-v1:payment_notify", args=["sandbox"]),
        data=body,
        content_type="application/json",
        headers=signed_headers(body),
    )
    assert response.status_code == 200, response.content
    return Gift.objects.get(order=order)


def post_give(client, project, query: str = "", **fields):
    data = {"amount": "100", "donor": "王小明", "message": "", "gateway": "sandbox", **fields}
    return client.post(reverse("give", args=[project.pk]) + query, data)


def test_unit_code_in_the_link_preselects_the_unit_and_credits_the_gift(client, drive, project):
    unit = make_unit("鄂州市民政局", headcount=80)

    page = client.get(reverse("give", args=[project.pk]) + f"?unit={unit.code}")
    assert page.status_code == 200
    assert "鄂州市民政局" in page.content.decode()
    assert f'name="unit" value="{unit.code}"' in page.content.decode()

    response = post_give(client, project, f"?unit={unit.code}", unit=unit.code)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.unit_code == unit.code
    assert OrderAttribution.objects.get(order=order).unit == unit
    gift = pay(client, order)

    credit = GiftCredit.objects.get(gift=gift)
    assert (credit.unit, credit.drive, credit.status, credit.as_unit) == (unit, drive, CreditStatus.LIVE, False)
    assert gift.donor_key == "sandbox:payer-1"  # a soft credit: the payer is still the donor
    figures = unit_figures(drive, unit)
    assert (figures.givers, figures.gifts, figures.amount_fen, figures.total_fen) == (1, 1, 10_000, 10_000)
    assert [row.label for row in league(drive, "unit")] == ["鄂州市民政局"]
    assert league(drive, "district")[0].label == "鄂城区"
    assert league(drive, "kind")[0].label == "机关"


def test_the_poster_qr_leads_to_the_unit_page_whose_project_links_carry_the_code(client, drive, project, settings):
    from gongyi.drives import posters

    unit = make_unit("鄂州市中心医院", kind="hospital")
    unit_url = reverse("drives-unit", args=[unit.code])
    ops = posters.poster_layout(unit=unit, drive_name=drive.name, host_name="鄂州市慈善总会", url="X" + unit_url)
    assert [op.data for op in ops if isinstance(op, posters.Qr)] == ["X" + unit_url]

    page = client.get(unit_url).content.decode()
    link = reverse("give", args=[project.pk]) + f"?unit={unit.code}"
    assert link in page
    assert post_give(client, project, f"?unit={unit.code}", unit=unit.code).status_code == 302
    gift = pay(client, Order.objects.get(), payer="nurse-1")
    assert GiftCredit.objects.get(gift=gift).unit == unit


def test_a_donor_finds_the_unit_by_search_and_by_name(client, drive, project):
    unit = make_unit("鄂城区实验小学", kind="school")
    make_unit("华容区人民医院", kind="hospital", district="420703")
    pending, _ = register_unit(
        data=UnitInput(name="鄂城区实验中学", kind="school", district="420704", contact_name="李", contact_phone="1")
    )

    found = client.get("/api/v1/drives/units", {"q": "实验"}).json()
    assert [u["name"] for u in found] == ["鄂城区实验小学"]  # the pending unit is not offered
    assert found[0] == {
        "code": unit.code,
        "name": "鄂城区实验小学",
        "kind": "school",
        "kind_label": "学校",
        "district": "鄂城区",
    }
    assert client.get("/api/v1/drives/units", {"q": unit.code.lower()}).json()[0]["code"] == unit.code
    assert client.get("/api/v1/drives/units", {"q": "x" * 101}).status_code == 422

    # Without JavaScript the donor types the name; it resolves to the same unit.
    assert post_give(client, project, unit="鄂城区实验小学").status_code == 302
    gift = pay(client, Order.objects.get())
    assert GiftCredit.objects.get(gift=gift).unit == unit
    assert pending.status == UnitStatus.PENDING


@pytest.mark.parametrize(
    ("query", "fields", "error_id", "words"),
    [
        ("", {"unit": "不存在的单位"}, "unit-error", "找不到单位"),
        ("", {"unit": "22222A"}, "unit-error", "所在单位"),
        ("?team=999", {"team": "999"}, "team-error", "团队 999 不存在"),
        ("?team=abc", {"team": "abc"}, "team-error", "一起捐团队"),
        ("", {"unit": "", "as_unit": "forged"}, "as-unit-error", "单位捐赠链接无效"),
    ],
)
def test_bad_unit_or_team_on_the_give_page_names_the_field_and_creates_nothing(
    client, drive, project, query, fields, error_id, words
):
    response = post_give(client, project, query, **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="{error_id}"' in html
    assert words in html
    assert Order.objects.count() == 0
    assert OrderAttribution.objects.count() == 0


def test_an_unapproved_unit_code_does_not_work_and_a_bad_link_says_so_at_once(client, drive, project):
    pending, _ = register_unit(
        data=UnitInput(name="某公司", kind="company", district="420702", contact_name="李", contact_phone="1")
    )
    response = post_give(client, project, unit=pending.code)
    assert response.status_code == 400
    assert "尚未通过审核" in response.content.decode()
    page = client.get(reverse("give", args=[project.pk]) + "?unit=ZZZZZZ")
    assert page.status_code == 200
    assert 'id="unit-error"' in page.content.decode()
    assert Order.objects.count() == 0


def test_the_api_checks_unit_and_team_naming_the_field(client, drive, project):
    unit = make_unit("鄂州市财政局")
    other = make_project(title="别的项目")
    foreign_team = create_team(project=other, name="别队", slogan="", goal_fen=100_00, leader_name="张")

    def post(**extra):
        payload = {"project": project.pk, "fen": 1000, "gateway": "sandbox", **extra}
        return client.post("/api/v1/orders", data=json.dumps(payload), content_type="application/json")

    for extra, field in (
        ({"unit": "QQQQQQ"}, "unit"),
        ({"unit": "鄂州市不存在局"}, "unit"),
        ({"team": 12345}, "team"),
        ({"team": foreign_team.pk}, "team"),
        ({"team": "1"}, "team"),  # strict integer
    ):
        response = post(**extra)
        assert response.status_code == 422, extra
        assert response.json()["errors"][0]["field"] == field
    assert Order.objects.count() == 0

    team = create_team(project=project, name="财政一起捐", slogan="", goal_fen=500_00, leader_name="张")
    response = post(unit=unit.code.lower(), team=team.pk)
    assert response.status_code == 201
    order = Order.objects.get(out_trade_no=response.json()["out_trade_no"])
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.unit, attribution.team, order.unit_code) == (unit, team, unit.code)
    gift = pay(client, order)
    assert team_figures(team).total_fen == 1000
    assert unit_figures(drive, unit).total_fen == 1000
    assert GiftCredit.objects.get(gift=gift).team == team


def test_a_team_link_credits_the_team_and_the_project(client, drive, project):
    team = create_team(project=project, name="民政人一起捐", slogan="点滴爱心", goal_fen=5000_00, leader_name="张老师")
    page = client.get(reverse("drives-team", args=[team.pk])).content.decode()
    give_url = reverse("give", args=[project.pk]) + f"?team={team.pk}"
    assert give_url in page
    assert "民政人一起捐" in client.get(give_url).content.decode()
    assert post_give(client, project, f"?team={team.pk}", team=str(team.pk)).status_code == 302
    gift = pay(client, Order.objects.get())
    project.refresh_from_db()
    assert project.gifts_count == 1
    assert team_figures(team).givers == 1
    credit = GiftCredit.objects.get(gift=gift)
    assert (credit.unit, credit.drive) == (None, None)  # a team only: no unit tables move
    assert not LeagueTally.objects.filter(board__startswith="drive:").exists()


def test_the_unit_gift_link_records_the_unit_own_gift(client, drive, project):
    unit = make_unit("葛店开发区某生物医药有限公司", kind="company", district="420771")
    token = unit_gift_token(unit)
    page = client.get(reverse("drives-unit", args=[unit.code]) + f"?as_unit={token}").content.decode()
    assert f"?unit={unit.code}&amp;as_unit={token}" in page
    give_page = client.get(reverse("give", args=[project.pk]) + f"?unit={unit.code}&as_unit={token}")
    assert 'id="as-unit"' in give_page.content.decode()
    response = post_give(
        client, project, f"?unit={unit.code}&as_unit={token}", unit=unit.code, as_unit=token, donor=unit.name
    )
    assert response.status_code == 302
    gift = pay(client, Order.objects.get(), payer="finance-officer")
    assert GiftCredit.objects.get(gift=gift).as_unit
    figures = unit_figures(drive, unit)
    assert (figures.givers, figures.gifts, figures.unit_gifts, figures.unit_amount_fen) == (0, 0, 1, 10_000)

    # A token of another unit is refused.
    other = make_unit("另一家公司", kind="company")
    response = post_give(client, project, unit=other.code, as_unit=token)
    assert response.status_code == 400
    assert "单位捐赠链接无效" in response.content.decode()


def test_an_order_naming_only_a_unit_code_is_still_credited_and_a_plain_gift_costs_one_query(
    drive, project, django_assert_num_queries
):
    from gongyi.drives.services import credit_confirmed_gift

    unit = make_unit("鄂州市教育局")
    gift = give(project, unit=unit, unit_code_only=True)
    assert GiftCredit.objects.get(gift=gift).unit == unit

    plain = give(project, payer="someone-else")
    assert not GiftCredit.objects.filter(gift=plain).exists()
    plain = Gift.objects.select_related("order").get(pk=plain.pk)
    with django_assert_num_queries(1):
        assert credit_confirmed_gift(gift=plain) is None


def test_gifts_outside_any_drive_credit_the_unit_but_no_table(project):
    unit = make_unit("鄂州市民政局")
    gift = give(project, unit=unit)
    credit = GiftCredit.objects.get(gift=gift)
    assert (credit.unit, credit.drive) == (unit, None)
    assert LeagueTally.objects.count() == 0
