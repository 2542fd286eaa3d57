"""Finance controls: the pure rules on hand-computed figures, then the same rules on constructed ledgers."""

from __future__ import annotations

import itertools
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gongyi.oversight.finance import Limits, Status, YearFigures, assess, percent, ratio_bp
from gongyi.oversight.tests.conftest import client_for

FOUNDATION = Limits(7000, 1000, 300, 200, 20_000_000)
SOCIAL_GROUP = Limits(7000, 1300, 300, 200, 20_000_000)
YUAN = 100


def year(**spent_yuan) -> YearFigures:
    donations = spent_yuan.pop("donations", 0)
    return YearFigures(
        year=2025,
        donations_fen=donations * YUAN,
        spent_by_category={k: v * YUAN for k, v in spent_yuan.items()},
    )


# --- the rules, pure --------------------------------------------------------------------------------------------


def test_a_foundation_close_to_its_limits_gets_warnings_with_exact_ratios_and_room():
    figures = year(
        aid=5_000_000, materials=2_150_000, management=800_000, fundraising=100_000, other=50_000, donations=3_950_000
    )
    result = assess(figures=figures, prior_incomes=[10_000_000 * YUAN, 0, 0], limits=FOUNDATION)
    charity, management, fundraising = result.checks
    # 7,150,000 / 10,000,000 = 71.50%: met, but within 2 points of 70%.
    assert (charity.ratio_bp, charity.status, charity.room_fen) == (7150, Status.WARNING, 0)
    assert charity.message == "已达 70.00%，但距下限不足 2.00%"
    # 800,000 / 8,100,000 = 9.8765…%: under 10%, within 2 points; 10% would allow 0.1 × 7,300,000 / 0.9 in all.
    assert (management.numerator_fen, management.denominator_fen) == (80_000_000, 810_000_000)
    assert (management.ratio_bp, management.status, management.room_fen) == (987, Status.WARNING, 1_111_111)
    # 100,000 / 3,950,000 = 2.5316…% of donations, against the draft's 3%.
    assert (fundraising.ratio_bp, fundraising.status, fundraising.room_fen) == (253, Status.WARNING, 1_850_000)
    assert result.status == Status.WARNING and result.basis_label == "上一年收入"
    assert result.basis_fen == 1_000_000_000 and result.three_year_average_fen is None

    # The same year for a social group: 9.88% is well under 13%.
    group = assess(figures=figures, prior_incomes=[10_000_000 * YUAN], limits=SOCIAL_GROUP)
    assert group.check("management").status == Status.OK


def test_breaches_in_a_closed_year_and_warnings_while_the_year_runs():
    figures = year(aid=600_000, management=250_000)
    closed = assess(figures=figures, prior_incomes=[1_000_000 * YUAN], limits=SOCIAL_GROUP)
    charity, management = closed.check("charity_spending"), closed.check("management")
    assert (charity.ratio_bp, charity.status, charity.room_fen) == (6000, Status.BREACH, 10_000_000)
    assert charity.message == "低于 70.00%，差 ¥100,000.00"
    assert (management.ratio_bp, management.status) == (2941, Status.BREACH)  # 250,000 / 850,000
    assert closed.status == Status.BREACH

    running = assess(figures=figures, prior_incomes=[1_000_000 * YUAN], limits=SOCIAL_GROUP, in_progress=True)
    assert {c.status for c in running.checks if c.key != "fundraising_cost"} == {Status.WARNING}
    assert running.check("charity_spending").message == "年内尚需支出 ¥100,000.00 方达 70.00%"
    assert running.status == Status.WARNING


def test_limits_are_exact_at_the_boundary():
    at_limit = assess(figures=year(aid=700_000), prior_incomes=[1_000_000 * YUAN], limits=FOUNDATION)
    assert at_limit.check("charity_spending").status == Status.WARNING  # exactly 70%: met, in the margin
    at_margin = assess(figures=year(aid=720_000), prior_incomes=[1_000_000 * YUAN], limits=FOUNDATION)
    assert at_margin.check("charity_spending").status == Status.OK  # exactly 72%
    one_fen_short = assess(
        figures=YearFigures(2025, spent_by_category={"aid": 69_999_999}), prior_incomes=[100_000_000], limits=FOUNDATION
    )
    assert (one_fen_short.check("charity_spending").status, one_fen_short.check("charity_spending").room_fen) == (
        Status.BREACH,
        1,
    )
    # Management exactly 10% of total spending: met, but in the margin; one fen more breaks it.
    exact = assess(
        figures=YearFigures(2025, spent_by_category={"aid": 270_000_000, "management": 30_000_000}),
        prior_incomes=[300_000_000],
        limits=FOUNDATION,
    )
    assert exact.check("management").status == Status.WARNING and exact.check("management").room_fen == 0
    over = assess(
        figures=YearFigures(2025, spent_by_category={"aid": 270_000_000, "management": 30_000_001}),
        prior_incomes=[300_000_000],
        limits=FOUNDATION,
    )
    assert over.check("management").status == Status.BREACH and over.check("management").room_fen == -1


def test_management_under_the_exemption_is_not_held_to_the_ratio():
    small = assess(
        figures=YearFigures(2025, spent_by_category={"aid": 1, "management": 19_999_999}),
        prior_incomes=[100],
        limits=FOUNDATION,
    )
    check = small.check("management")
    assert (check.status, check.ratio_bp) == (Status.EXEMPT, 9999)
    assert check.message == "年度管理费用低于 ¥200,000.00，不受比例限制"


def test_the_three_year_average_is_the_basis_when_lower_and_complete():
    figures = year(aid=650_000)
    averaged = assess(
        figures=figures, prior_incomes=[1_200_000 * YUAN, 600_000 * YUAN, 900_000 * YUAN], limits=FOUNDATION
    )
    assert (averaged.basis_label, averaged.basis_fen, averaged.three_year_average_fen) == (
        "前三年收入平均数",
        90_000_000,
        90_000_000,
    )
    assert averaged.check("charity_spending").ratio_bp == 7222 and averaged.check("charity_spending").status == "ok"
    # A year without income: no average, the previous year alone, and 650,000 / 1,200,000 = 54.16% breaks the rule.
    partial = assess(figures=figures, prior_incomes=[1_200_000 * YUAN, 600_000 * YUAN, 0], limits=FOUNDATION)
    assert partial.basis_label == "上一年收入" and partial.check("charity_spending").ratio_bp == 5416
    assert partial.check("charity_spending").status == Status.BREACH
    # An average of thirds is compared exactly: 700,000 fen is one fen short of 70% of 1,000,000⅓.
    thirds = assess(
        figures=YearFigures(2025, spent_by_category={"aid": 700_000}),
        prior_incomes=[1_000_001, 1_000_000, 1_000_000],
        limits=FOUNDATION,
    )
    assert thirds.basis_fen == 1_000_000 and thirds.check("charity_spending").status == Status.BREACH
    assert thirds.check("charity_spending").room_fen == 1


def test_nothing_to_compare_no_limits_and_an_unset_fundraising_cap():
    new = assess(figures=year(aid=100), prior_incomes=[0, 0, 0], limits=FOUNDATION)
    assert new.check("charity_spending").status == Status.NO_BASIS
    assert assess(figures=year(aid=100), prior_incomes=[100], limits=None).status == Status.NOT_APPLICABLE
    uncapped = Limits(7000, 1000, None, 200, 20_000_000)
    info = assess(figures=year(fundraising=50, donations=1000), prior_incomes=[100], limits=uncapped)
    assert info.check("fundraising_cost").status == Status.INFO and info.check("fundraising_cost").ratio_bp == 500
    assert (percent(7150), percent(None), ratio_bp(1, 3), ratio_bp(1, 0)) == ("71.50%", "—", 3333, None)


# --- on the ledger ----------------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
_keys = itertools.count(1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def ledger(db):
    """Three organisations with hand-made entries in 2024 and 2025 (see the expected figures below)."""
    from gongyi.ledger.models import AccountKind, EntryKind
    from gongyi.ledger.services import Leg, get_account, post_entry, project_account, provider_clearing_account
    from gongyi.orgs.models import Organisation
    from gongyi.oversight.services import ensure_default_finance_limits
    from gongyi.payments.models import Order
    from gongyi.testing import make_project

    ensure_default_finance_limits()

    def project(name: str, kind: str, uscc: str):
        made = make_project(title=f"{name}项目", org_name=name, uscc=uscc)
        Organisation.objects.filter(pk=made.organisation_id).update(kind=kind)
        made.organisation.refresh_from_db()
        return made

    foundation = project("测试基金会", "foundation", "53420700MJH123456X")
    group = project("测试慈善协会", "social_group", "51420700MJH654321Y")
    company = project("测试企业", "company", "91420700MA4ABCDE1Z")

    def gift(p, fen: int, when: str, gateway: str = "sandbox"):
        from gongyi.giving.models import Gift

        n = next(_keys)
        order = Order.objects.create(out_trade_no=f"GYFIN{n:08d}", project=p, amount_fen=fen, gateway=gateway)
        made = Gift.objects.create(
            order=order,
            project=p,
            amount_fen=fen,
            gateway=gateway,
            provider_txn_id=f"T{n}",
            donor_key=f"{gateway}:d{n}",
            paid_at=at(when),
            certificate_no=f"C{n:010d}",
        )
        entry = post_entry(
            kind=EntryKind.GIFT,
            idempotency_key=f"fin-gift:{n}",
            memo="gift",
            occurred_at=at(when),
            gift=made,
            project=p,
            legs=[
                Leg(provider_clearing_account(gateway), fen),
                Leg(project_account(p, AccountKind.PROJECT_DONATIONS), -fen),
            ],
        )
        return entry

    def post(when: str, debit, credit, fen: int, kind=EntryKind.ADJUSTMENT, **extra):
        return post_entry(
            kind=kind,
            idempotency_key=f"fin:{next(_keys)}",
            memo="test",
            occurred_at=at(when),
            legs=[Leg(debit, fen), Leg(credit, -fen)],
            **extra,
        )

    def spend(p, category: str, fen: int, when: str):
        spending = get_account(
            code=f"project:{p.pk}:spending:{category}", name=category, kind=AccountKind.PROJECT_SPENDING, project=p
        )
        payable = get_account(
            code=f"org:{p.organisation_id}:expenditure_payable", name="payable", kind=AccountKind.EXPENDITURE_PAYABLE
        )
        post(when, spending, payable, fen, kind=EntryKind.EXPENDITURE, project=p)

    pool = get_account(code="pool:fin", name="pool", kind=AccountKind.MATCHING_POOL)
    bank = get_account(code="bank:main", name="bank", kind=AccountKind.BANK)
    stock = get_account(code="inkind:test:stock", name="stock", kind="in_kind_stock")

    # The foundation. 2024: ¥8,000,000 online, ¥1,500,000 offline (gateway "offline"), ¥500,000 matched.
    gift(foundation, 800_000_000, "2024-03-01T10:00")
    gift(foundation, 150_000_000, "2024-06-01T10:00", gateway="offline")
    post("2024-05-20T10:00", pool, project_account(foundation, AccountKind.PROJECT_MATCHING), 50_000_000)
    # 2025: ¥2,900,000 + ¥50,000 online, ¥100,000 at 00:10 on New Year's Day (2025 in Shanghai, 2024 in UTC),
    # a ¥1,000 gift refunded; ¥1,000,000 unrestricted by bank; ¥200,000 incentive.
    gift(foundation, 290_000_000, "2025-04-01T10:00")
    refunded = gift(foundation, 100_000, "2025-04-02T10:00")
    from gongyi.ledger.services import reverse_entry

    reverse_entry(
        entry=refunded,
        kind=EntryKind.GIFT_REVERSAL,
        idempotency_key="fin-refund",
        memo="refund",
        occurred_at=at("2025-04-03T10:00"),
    )
    gift(foundation, 10_000_000, "2025-01-01T00:10")
    gift(foundation, 5_000_000, "2025-04-04T10:00")
    general = get_account(code=f"org:{foundation.organisation_id}:general_fund", name="general", kind="general_fund")
    post("2025-07-01T10:00", bank, general, 100_000_000)
    post("2025-05-22T10:00", pool, project_account(foundation, AccountKind.PROJECT_INCENTIVES), 20_000_000)
    spend(foundation, "aid", 500_000_000, "2025-08-01")
    spend(foundation, "materials", 215_000_000, "2025-09-01")
    spend(foundation, "management", 80_000_000, "2025-10-01")
    spend(foundation, "fundraising", 10_000_000, "2025-11-01")
    spend(foundation, "other", 5_000_000, "2025-12-31T23:30")  # still 2025 locally
    spend(foundation, "aid", 99_000_000, "2026-01-01T00:05")  # 2026 locally (2025 in UTC)

    # The social group. 2024: ¥1,000,000 online. 2025: goods worth ¥100,000 received, ¥50,000 of them handed
    # out; ¥600,000 aid; ¥250,000 management.
    gift(group, 100_000_000, "2024-09-09T09:00")
    in_kind = get_account(
        code=f"org:{group.organisation_id}:in_kind_donations", name="in kind", kind="in_kind_donations"
    )
    handouts = get_account(
        code=f"org:{group.organisation_id}:in_kind_handouts", name="handouts", kind="in_kind_handouts"
    )
    post("2025-02-01T10:00", stock, in_kind, 10_000_000)
    post("2025-03-01T10:00", handouts, stock, 5_000_000)
    spend(group, "aid", 60_000_000, "2025-06-01")
    spend(group, "management", 25_000_000, "2025-06-02")

    # The company: money in and out, but no limits for its kind.
    gift(company, 1_000_000, "2024-01-05T10:00")
    spend(company, "management", 900_000, "2025-01-05")
    return {"foundation": foundation.organisation, "group": group.organisation, "company": company.organisation}


def test_year_figures_come_from_the_ledger_by_local_year(ledger):
    from gongyi.oversight.selectors import ledger_year_figures

    foundation, group = ledger["foundation"], ledger["group"]
    figures = ledger_year_figures([foundation.pk, group.pk], [2024, 2025, 2026])
    f2024, f2025 = figures[(foundation.pk, 2024)], figures[(foundation.pk, 2025)]
    assert (f2024.donations_fen, f2024.offline_fen, f2024.matched_fen, f2024.income_fen) == (
        800_000_000,
        150_000_000,
        50_000_000,
        1_000_000_000,
    )
    # 290,000,000 + 100,000 − 100,000 (refunded) + 10,000,000 (New Year 00:10) + 5,000,000
    assert (f2025.donations_fen, f2025.offline_fen, f2025.incentive_fen) == (305_000_000, 100_000_000, 20_000_000)
    assert f2025.spent_by_category == {
        "aid": 500_000_000,
        "materials": 215_000_000,
        "management": 80_000_000,
        "fundraising": 10_000_000,
        "other": 5_000_000,
    }
    assert figures[(foundation.pk, 2026)].spent_by_category == {"aid": 99_000_000}
    g2025 = figures[(group.pk, 2025)]
    assert (g2025.in_kind_fen, g2025.spent_by_category) == (
        10_000_000,
        {"in_kind": 5_000_000, "aid": 60_000_000, "management": 25_000_000},
    )
    assert (group.pk, 2024) in figures and figures[(group.pk, 2024)].income_fen == 100_000_000


def test_each_organisation_is_held_to_its_kinds_limits(ledger):
    from gongyi.oversight.selectors import finance_controls

    rows = {row.organisation.pk: row for row in finance_controls(year=2025, today=timezone.localdate())}
    foundation = rows[ledger["foundation"].pk].assessment
    assert foundation.basis_fen == 1_000_000_000 and not foundation.in_progress
    assert [(c.key, c.ratio_bp, c.limit_bp, c.status) for c in foundation.checks] == [
        ("charity_spending", 7150, 7000, "warning"),  # 715,000,000 / 1,000,000,000
        ("management", 987, 1000, "warning"),  # 80,000,000 / 810,000,000
        ("fundraising_cost", 246, 300, "warning"),  # 10,000,000 / (305,000,000 + 100,000,000)
    ]
    group = rows[ledger["group"].pk].assessment
    assert [(c.key, c.ratio_bp, c.status, c.room_fen) for c in group.checks] == [
        ("charity_spending", 6500, "breach", 5_000_000),  # (60,000,000 + 5,000,000 handed out) / 100,000,000
        ("management", 2777, "breach", -15_287_357),  # 25,000,000 / 90,000,000; 13% allows 65,000,000 × 13/87
        ("fundraising_cost", 0, "ok", 300_000),
    ]
    assert rows[ledger["group"].pk].status == "breach"
    company = rows[ledger["company"].pk]
    assert company.limit is None and company.assessment.checks == [] and company.status == "not_applicable"


def test_a_limit_for_one_organisation_wins_over_its_kind(ledger):
    from gongyi.oversight.models import FinanceLimit
    from gongyi.oversight.selectors import finance_controls

    FinanceLimit.objects.create(
        organisation=ledger["group"],
        min_charity_spending_bp=6000,
        max_management_bp=3000,
        warning_margin_bp=0,
        management_exemption_fen=0,
        max_fundraising_cost_bp=None,
    )
    row = next(r for r in finance_controls(year=2025, today=timezone.localdate()) if r.organisation == ledger["group"])
    assert [c.status for c in row.assessment.checks] == ["ok", "ok", "info"]


def test_the_finance_page_export_and_api_show_the_same_figures(ledger, regulator, django_user_model):
    page = client_for(regulator).get(reverse("oversight-finance"), {"year": "2025"})
    text = page.content.decode()
    assert page.status_code == 200 and "测试基金会" in text and "71.50%" in text and "65.00%" in text
    assert "不符合" in text and "预警" in text and "不适用" in text

    export = client_for(regulator).get(reverse("oversight-finance"), {"year": "2025", "format": "xlsx"})
    sheet = load_workbook(BytesIO(export.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    header = rows["组织"]
    foundation = dict(zip(header, rows["测试基金会"], strict=False))
    assert float(foundation["总收入（元）"]) == 4_250_000.0 and foundation["慈善活动支出比例"] == "71.50%"
    assert foundation["总体"] == "预警"

    api = client_for(regulator).get("/api/v1/oversight/regulator/finance", {"year": 2025}).json()
    by_name = {row["organisation"]: row for row in api}
    assert by_name["测试慈善协会"]["status"] == "breach" and by_name["测试慈善协会"]["in_kind_fen"] == 10_000_000
    assert by_name["测试基金会"]["checks"][1]["room_fen"] == 1_111_111

    staff = django_user_model.objects.create_user("staffer", password=None, is_staff=True)
    assert client_for(staff).get(reverse("oversight-finance")).status_code == 200
    donor = django_user_model.objects.create_user("donor", password=None)
    assert client_for(donor).get(reverse("oversight-finance")).status_code == 403
    assert client_for(donor).get("/api/v1/oversight/regulator/finance").status_code == 403
    assert Client().get(reverse("oversight-finance")).status_code == 302
