"""The snapshot's figures: the same as the ledger, the project and campaign pages; refunds out; public names only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongyi.campaigns.selectors import campaign_figures
from gongyi.core.masking import ANONYMOUS_NAME
from gongyi.dashboard.selectors import SHANGHAI, festival_snapshot
from gongyi.dashboard.services import snapshot_json
from gongyi.dashboard.tests.helpers import give, make_festival
from gongyi.giving.models import Gift, GiftStatus
from gongyi.giving.services import refund_gift
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.matching.models import IncentiveRule
from gongyi.matching.services import award_incentives
from gongyi.projects.selectors import figures_for
from gongyi.spending.selectors import campaign_rollup
from gongyi.spending.tests import helpers as spending

pytestmark = pytest.mark.django_db


def snapshot_of(festival, now=None):
    return festival_snapshot(festival.campaign, now=now or timezone.now())


def test_totals_equal_the_ledger_the_project_pages_and_the_campaign_page():
    # given gifts through the real money path to two projects, two of them under units, and incentives awarded
    festival = make_festival()
    first, second, _ = festival.projects
    give(first, fen=10_000, payer="a", unit=festival.units[0])
    give(first, fen=2_345, payer="b", unit=festival.units[1])
    give(second, fen=50_000, payer="c")
    give(second, fen=99, payer="a")  # below the pool's minimum: not matched
    IncentiveRule.objects.create(pool=festival.pool, kind="tiers", metric="donors", tiers=[{"min": 1, "fen": 7_000}])
    award_incentives(pool=festival.pool, now=festival.campaign.ends_at + timedelta(minutes=1))

    # when the dashboard computes its snapshot
    snapshot = snapshot_of(festival)

    # then every total is the one the public pages and the ledger show
    for project in festival.projects:
        project.refresh_from_db()  # the counters moved in the database
    page = campaign_figures(festival.campaign)
    projects = [figures_for(p) for p in festival.projects]
    rollup = campaign_rollup(festival.campaign).total
    assert snapshot.raised_fen == page.raised_fen == sum(f.raised_fen for f in projects) == rollup.raised_fen == 62_444
    assert snapshot.matched_fen == page.matched_fen == sum(f.matched_fen for f in projects) == rollup.matched_fen
    assert snapshot.matched_fen == 5_000 + 1_172 + 25_000
    assert snapshot.incentive_fen == sum(f.incentive_fen for f in projects) == rollup.incentive_fen == 14_000
    assert snapshot.total_fen == snapshot.raised_fen + snapshot.matched_fen + snapshot.incentive_fen
    assert snapshot.gifts == page.gifts == 4
    assert snapshot.donors == 3  # a, b, c: "a" gave to two projects and counts once
    assert snapshot.projects == page.projects == 3
    assert find_ledger_problems() == []
    # each project row is its public page's figures
    rows = {row.id: row for row in snapshot.top_projects}
    assert [row.id for row in snapshot.top_projects] == [second.pk, first.pk]  # nothing raised: not ranked
    for project in (first, second):
        figures = figures_for(project)
        row = rows[project.pk]
        assert (row.raised_fen, row.matched_fen, row.incentive_fen, row.gifts, row.donors) == (
            figures.raised_fen,
            figures.matched_fen,
            figures.incentive_fen,
            figures.gifts,
            figures.donors,
        )
        assert row.progress_percent == figures.progress_percent
    # the pool as its own row says, which is also the matched total
    (pool,) = snapshot.pools
    festival.pool.refresh_from_db()
    assert pool.matched_fen == festival.pool.matched_fen == snapshot.matched_fen
    assert pool.left_fen == festival.pool.left_fen == 10_000_000 - snapshot.matched_fen
    assert pool.left_percent == round(pool.left_fen * 100 / 10_000_000, 1)
    assert pool.available_now_fen == pool.left_fen


def test_a_refund_takes_the_gift_out_of_every_figure():
    # given three gifts, one of which is refunded
    festival = make_festival()
    project = festival.projects[0]
    give(project, fen=10_000, payer="a", unit=festival.units[0])
    refunded = give(project, fen=30_000, payer="b", unit=festival.units[0], donor_name="李四")
    give(project, fen=5_000, payer="c")
    before = snapshot_of(festival)
    refund_gift(gift=refunded, reason="捐错了")
    assert Gift.objects.get(pk=refunded.pk).status == GiftStatus.REFUNDED

    # when
    after = snapshot_of(festival)

    # then the refunded gift counts nowhere: totals, matching, counts, hours, units, districts, the feed
    assert before.raised_fen - after.raised_fen == 30_000
    assert before.matched_fen - after.matched_fen == 15_000
    assert (after.raised_fen, after.matched_fen) == (15_000, 7_500)
    assert (after.gifts, after.donors) == (2, 2)
    assert sum(h.gifts for h in after.hours) == 2
    assert sum(h.amount_fen for h in after.hours) == 15_000
    assert after.top_units[0].total_fen == 10_000
    assert after.top_units[0].gifts == 1
    assert after.districts[0].total_fen == 10_000
    assert after.drive.total_fen == 10_000
    assert [g.amount_fen for g in after.latest_gifts] == [5_000, 10_000]
    assert after.pools[0].left_fen == 10_000_000 - 7_500
    assert campaign_figures(festival.campaign).raised_fen == after.raised_fen


def test_matched_amounts_show_in_totals_projects_and_the_feed():
    festival = make_festival()
    give(festival.projects[1], fen=8_000, payer="m")

    snapshot = snapshot_of(festival)

    assert snapshot.matched_fen == 4_000
    assert snapshot.top_projects[0].matched_fen == 4_000
    assert snapshot.latest_gifts[0].matched_fen == 4_000
    assert snapshot.pools[0].matched_fen == 4_000


def test_latest_gifts_carry_only_public_names(django_user_model):
    # given a named gift, a gift given anonymously, and a donor whose account says "anonymous"
    from gongyi.donors.models import DonorProfile, NameDisplay
    from gongyi.donors.tests.helpers import make_gift

    festival = make_festival()
    project = festival.projects[0]
    give(project, fen=1_000, payer="oX-openid-wang", donor_name="王小明")
    give(project, fen=2_000, payer="oX-openid-zhang", donor_name="张大山", anonymous=True)
    user = django_user_model.objects.create_user(username="private-donor")
    DonorProfile.objects.create(user=user, name_display=NameDisplay.ANONYMOUS)
    make_gift(project, fen=3_000, payer="oX-openid-li", donor_name="李秀英", phone="+8613800138000", user=user)

    snapshot = snapshot_of(festival)

    names = [g.name for g in snapshot.latest_gifts]
    assert names == [ANONYMOUS_NAME, ANONYMOUS_NAME, "王**"]
    text = snapshot_json(snapshot.as_dict())
    for secret in ("王小明", "张大山", "李秀英", "oX-openid", "13800138000", "sandbox:"):
        assert secret not in text


def test_gifts_per_hour_are_asia_shanghai_hours_with_empty_hours_as_zero():
    # given gifts either side of an hour boundary in Beijing time, one hour with none, and one refunded
    festival = make_festival()
    project = festival.projects[0]
    now = timezone.now()
    top = now.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    spending.give(project, 1_000, donor="p1", at=top + timedelta(minutes=1))
    spending.give(project, 2_000, donor="p2", at=top + timedelta(minutes=59, seconds=59))
    spending.give(project, 4_000, donor="p3", at=top + timedelta(hours=1))
    refunded = spending.give(project, 8_000, donor="p4", at=top + timedelta(hours=1, minutes=5))
    spending.give(project, 16_000, donor="p5", at=top + timedelta(hours=3))
    refund_gift(gift=refunded, reason="测试")

    hours = {h.hour: (h.gifts, h.amount_fen) for h in snapshot_of(festival, now).hours}

    assert hours[top] == (2, 3_000)
    assert hours[top + timedelta(hours=1)] == (1, 4_000)
    assert hours[top + timedelta(hours=2)] == (0, 0)
    assert hours[top + timedelta(hours=3)] == (1, 16_000)
    start = festival.campaign.starts_at.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    assert min(hours) == start
    assert max(hours) == now.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    assert len(hours) == int((max(hours) - min(hours)).total_seconds() // 3600) + 1
    assert all(hour.utcoffset() == timedelta(hours=8) for hour in hours)


def test_gifts_per_hour_before_the_window_opens_is_empty_and_after_it_stops_at_the_end():
    festival = make_festival()
    campaign = festival.campaign
    assert festival_snapshot(campaign, now=campaign.starts_at - timedelta(hours=1)).hours == []
    hours = festival_snapshot(campaign, now=campaign.ends_at + timedelta(days=3)).hours
    start = campaign.starts_at.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    end = campaign.ends_at.astimezone(SHANGHAI)
    assert hours[0].hour == start
    assert hours[-1].hour == (end - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)


def test_league_tables_and_districts_come_from_the_drive():
    festival = make_festival(units=3)
    project = festival.projects[0]
    for n, unit in enumerate(festival.units):
        for person in range(n + 1):
            give(project, fen=1_000 * (n + 1), payer=f"u{n}-{person}", unit=unit)

    snapshot = snapshot_of(festival)

    assert [u.name for u in snapshot.top_units] == ["鄂州测试单位3", "鄂州测试单位2", "鄂州测试单位1"]
    assert [u.total_fen for u in snapshot.top_units] == [9_000, 4_000, 1_000]
    assert [u.givers for u in snapshot.top_units] == [3, 2, 1]
    assert {d.name: d.total_fen for d in snapshot.districts} == {"梁子湖区": 9_000, "华容区": 4_000, "鄂城区": 1_000}
    assert snapshot.drive.total_fen == 14_000
    assert snapshot.drive.givers == 6
    assert snapshot.drive.units == 3


def test_a_campaign_with_nothing_yet():
    festival = make_festival(units=0)

    snapshot = snapshot_of(festival)

    assert (snapshot.raised_fen, snapshot.matched_fen, snapshot.gifts, snapshot.donors) == (0, 0, 0, 0)
    assert snapshot.top_projects == snapshot.top_units == snapshot.districts == snapshot.latest_gifts == []
    assert snapshot.pools[0].left_percent == 100.0
    json.loads(snapshot_json(snapshot.as_dict()))


def _queries(festival) -> int:
    with CaptureQueriesContext(connection) as captured:
        snapshot_of(festival)
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_gifts_projects_or_units(django_assert_max_num_queries):
    # given a small festival: 5 gifts to 2 projects through 1 unit
    small = make_festival(projects=2, units=1, slug="small")
    for n in range(5):
        give(small.projects[n % 2], fen=1_000 + n, payer=f"s{n}", unit=small.units[0] if n % 2 else None)
    with django_assert_max_num_queries(25):
        small_snapshot = snapshot_of(small)
    small_count = _queries(small)
    assert small_snapshot.gifts == 5

    # and a bigger one after it: 50 gifts to 12 projects through 6 units in 3 districts
    # (drive windows may not overlap: move the small festival's drive into the past)
    small.drive.__class__.objects.filter(pk=small.drive.pk).update(
        starts_at=timezone.now() - timedelta(days=10), ends_at=timezone.now() - timedelta(days=9)
    )
    big = make_festival(projects=12, units=6, slug="big", prefix="黄石")
    for n in range(50):
        give(big.projects[n % 12], fen=1_000 + n, payer=f"b{n % 37}", unit=big.units[n % 6] if n % 5 else None)

    # then the snapshot costs the same queries
    with django_assert_max_num_queries(25):
        big_snapshot = snapshot_of(big)
    assert big_snapshot.gifts == 50
    assert len(big_snapshot.top_projects) == 10
    assert len(big_snapshot.latest_gifts) == 20
    assert len(big_snapshot.top_units) == 6
    assert _queries(big) == small_count


def test_times_are_shown_in_beijing_time():
    festival = make_festival()
    give(festival.projects[0], fen=1_000)
    snapshot = snapshot_of(festival, now=datetime.now(tz=SHANGHAI))
    for moment in (snapshot.generated_at, snapshot.starts_at, snapshot.latest_gifts[0].paid_at):
        assert moment.utcoffset() == timedelta(hours=8)


def test_latest_gifts_found_when_another_campaign_is_busier(monkeypatch):
    # given our festival's gifts, then many newer gifts to another campaign's project
    from gongyi.dashboard import selectors
    from gongyi.testing import make_campaign, make_project

    monkeypatch.setattr(selectors, "LATEST_GIFTS", 2)  # the recent window is then 20 gifts
    festival = make_festival()
    ours = [give(festival.projects[0], fen=1_000 + n, payer=f"o{n}") for n in range(3)]
    other = make_campaign(festival.campaign.host, slug="other-festival")
    elsewhere = make_project(title="别的活动的项目", campaign=other)
    for n in range(25):
        give(elsewhere, fen=500, payer=f"x{n}")

    latest = snapshot_of(festival).latest_gifts

    assert [g.amount_fen for g in latest] == [ours[2].amount_fen, ours[1].amount_fen]
    assert all(g.project == festival.projects[0].title for g in latest)
