"""Fraud signals: the pure windows, each detector on gifts made through the money path, the staff pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.urls import reverse

from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.matching import fraud
from gongyi.matching.models import DonorFlag, Match, MatchingPool, MatchStatus, PoolTranche
from gongyi.matching.services import flag_donor, save_pool
from gongyi.orgs.models import Organisation
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import Order, SandboxTransaction
from gongyi.testing import make_campaign, make_project

T0 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ---------------------------------------------------------------------------------------------------------
# Pure windows.


def test_densest_window_finds_the_first_busiest_half_open_window():
    times = [at(m) for m in (0, 1, 2, 20, 21, 22, 23, 40)]
    assert fraud.densest_window(times, timedelta(minutes=10)) == (3, 7)
    assert fraud.densest_window([], timedelta(minutes=10)) == (0, 0)
    # Exactly ``width`` apart is not inside one window.
    assert fraud.densest_window([at(0), at(10)], timedelta(minutes=10)) == (0, 1)
    assert fraud.densest_window([at(0), at(9.99)], timedelta(minutes=10)) == (0, 2)
    # Ties keep the earliest window.
    assert fraud.densest_window([at(0), at(1), at(30), at(31)], timedelta(minutes=10)) == (0, 2)


def test_densest_distinct_window_counts_payers_not_gifts():
    times = [at(m) for m in (0, 1, 2, 3, 50, 51, 52)]
    keys = ["a", "a", "a", "a", "b", "c", "d"]
    assert fraud.densest_distinct_window(times, keys, timedelta(minutes=10)) == (4, 7, 3)
    assert fraud.densest_distinct_window([], [], timedelta(minutes=10)) == (0, 0, 0)
    times = [at(m) for m in (0, 5, 11, 12)]
    assert fraud.densest_distinct_window(times, ["a", "b", "c", "a"], timedelta(minutes=10)) == (1, 4, 3)
    # A payer leaving the window stops counting, and counts again when they come back.
    times = [at(m) for m in (0, 11, 12)]
    assert fraud.densest_distinct_window(times, ["a", "b", "a"], timedelta(minutes=10)) == (1, 3, 2)
    assert fraud.densest_distinct_window(times, ["a", "b", "b"], timedelta(minutes=10)) == (0, 1, 1)


def test_burst_minutes_absolute_and_relative_to_the_median_active_minute():
    m = [T0 + timedelta(minutes=i) for i in range(5)]
    counts = fraud.count_per_minute(
        [m[0] + timedelta(seconds=5), m[0] + timedelta(seconds=59), m[1]]
        + [m[2] + timedelta(seconds=s) for s in range(12)]
    )
    assert counts == {m[0]: 2, m[1]: 1, m[2]: 12}
    assert fraud.burst_minutes(counts, min_gifts=30, factor=10) == ([], 2)
    assert fraud.burst_minutes({m[0]: 1, m[1]: 1, m[2]: 10}, min_gifts=30, factor=10) == ([(m[2], 10)], 1)
    assert fraud.burst_minutes({m[0]: 1, m[1]: 1, m[2]: 9}, min_gifts=30, factor=10) == ([], 1)
    assert fraud.burst_minutes({m[3]: 30}, min_gifts=30, factor=10) == ([(m[3], 30)], 30)
    assert fraud.burst_minutes({m[3]: 29}, min_gifts=30, factor=10) == ([], 29)
    assert fraud.burst_minutes({}, min_gifts=30, factor=10) == ([], 0)


def test_cap_hunting_amounts_are_the_cap_and_the_amount_that_just_fills_it():
    caps = {"单笔": None, "每人每日": 99900}
    assert list(fraud.cap_hunting_amounts(ratio_bps=[10000], caps=caps, min_gift_fen=100)) == [99900]
    assert list(fraud.cap_hunting_amounts(ratio_bps=[20000], caps=caps, min_gift_fen=100)) == [49950, 99900]
    # ceil: 334 × 3 = 1002 ≥ 1000 while 333 × 3 = 999 < 1000.
    assert list(fraud.cap_hunting_amounts(ratio_bps=[30000], caps={"单笔": 1000}, min_gift_fen=100)) == [334, 1000]
    # A random ratio: the amounts at both bounds.
    assert list(fraud.cap_hunting_amounts(ratio_bps=[5000, 20000], caps={"单笔": 1000}, min_gift_fen=100)) == [
        500,
        1000,
        2000,
    ]
    # Below the minimum gift nothing is matched, so nothing to hunt.
    assert list(fraud.cap_hunting_amounts(ratio_bps=[20000], caps={"单笔": 100}, min_gift_fen=100)) == [100]
    assert fraud.cap_hunting_amounts(ratio_bps=[10000], caps={"单笔": None}, min_gift_fen=100) == {}
    why = fraud.cap_hunting_amounts(ratio_bps=[20000], caps=caps, min_gift_fen=100)
    assert why[49950] == "按比例 2:1 恰好配满每人每日 ¥999.00"
    assert why[99900] == "每人每日 ¥999.00 本身"


# ---------------------------------------------------------------------------------------------------------
# Detectors on gifts made through confirm_payment.

_numbers = count(1)


class World:
    def __init__(self, **rules):
        self.p0 = make_project(title="p0")
        self.org = self.p0.organisation
        self.campaign = make_campaign(self.org, starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=3))
        self.a = make_project(title="项目A", campaign=self.campaign)
        self.b = make_project(title="项目B", campaign=self.campaign)
        pool = MatchingPool(
            campaign=self.campaign,
            sponsor=self.org,
            name="测试配捐池",
            total_fen=100_000_000,
            window_start=T0 - timedelta(hours=2),
            window_end=T0 + timedelta(days=2),
            ratio_bp=rules.pop("ratio_bp", 10000),
            **rules,
        )
        self.pool = save_pool(pool=pool)
        PoolTranche.objects.create(pool=self.pool, at=pool.window_start, fen=pool.total_fen)

    def give(self, project, payer: str, fen: int, when: datetime, *, name: str = "") -> Gift:
        number = next(_numbers)
        out_trade_no = f"G{number:06d}"
        Order.objects.create(
            out_trade_no=out_trade_no, project=project, amount_fen=fen, gateway="sandbox", donor_name=name
        )
        SandboxTransaction.objects.create(
            out_trade_no=out_trade_no,
            transaction_id=f"T{number:06d}",
            amount_fen=fen,
            payer=payer,
            paid_at=when,
            notify_url="",
        )
        return confirm_payment(
            gateway="sandbox",
            payment=VerifiedPayment(
                out_trade_no=out_trade_no, provider_txn_id=f"T{number:06d}", amount_fen=fen, payer=payer, paid_at=when
            ),
        ).gift

    def refresh(self) -> MatchingPool:
        self.pool.refresh_from_db()
        return self.pool


def normal_traffic(world: World) -> list[Gift]:
    """20 different donors spread over hours, ordinary amounts, ordinary names."""
    gifts = []
    for i in range(20):
        project = world.a if i % 2 else world.b
        gifts.append(world.give(project, f"normal-{i}", 1000 + 500 * i, at(17 * i), name=f"路人{i}"))
    return gifts


@pytest.mark.django_db
def test_normal_traffic_raises_no_signal():
    world = World(per_donor_daily_cap_fen=99900, per_gift_cap_fen=50000)
    normal_traffic(world)
    assert fraud.all_signals(world.pool) == []


@pytest.mark.django_db
def test_rapid_repeat_reports_the_densest_window_of_one_payer():
    world = World()
    spam = [world.give(world.a, "spammer", 100, at(m)) for m in (0, 1, 2, 3, 4, 30)]
    # Four in ten minutes, or five spread over twelve minutes, are not enough.
    for m in (0, 1, 2, 3):
        world.give(world.a, "four", 100, at(m))
    for m in (0, 3, 6, 9, 12):
        world.give(world.b, "spread", 100, at(m))

    signals = fraud.rapid_repeat(world.pool)

    assert len(signals) == 1
    signal = signals[0]
    assert (signal.kind, signal.donor_key, signal.project_id) == ("rapid_repeat", "sandbox:spammer", world.a.pk)
    assert (signal.severity, signal.score, signal.already_flagged) == (fraud.MEDIUM, 5, False)
    assert [g["out_trade_no"] for g in signal.evidence["gifts"]] == [g.order.out_trade_no for g in spam[:5]]
    assert signal.evidence["gift_ids"] == [g.pk for g in spam[:5]]
    assert [g["paid_at"] for g in signal.evidence["gifts"]] == [at(m) for m in range(5)]
    assert signal.evidence["total_fen"] == 500
    assert signal.evidence["matched_fen"] == 500
    assert (
        signal.summary == "同一付款人 10 分钟内捐赠 5 笔（05-20 10:00:00 至 05-20 10:04:00），合计 ¥5.00，获配捐 ¥5.00"
    )
    # The parameters are parameters.
    assert [s.donor_key for s in fraud.rapid_repeat(world.pool, min_gifts=4, minutes=10)] == [
        "sandbox:four",
        "sandbox:spammer",
        "sandbox:spread",  # 0, 3, 6, 9: four inside ten minutes
    ]
    assert [s.donor_key for s in fraud.rapid_repeat(world.pool, min_gifts=5, minutes=13)] == [
        "sandbox:spammer",
        "sandbox:spread",
    ]


@pytest.mark.django_db
def test_rapid_repeat_spans_projects_and_ignores_gifts_outside_the_window():
    world = World()
    for m in (0, 1, 2, 3):
        world.give(world.a if m % 2 else world.b, "hopper", 100, at(m))
    world.give(world.a, "hopper", 100, T0 - timedelta(hours=3))  # before the pool's window
    [signal] = fraud.rapid_repeat(world.pool, min_gifts=4)
    assert signal.project_id is None
    assert signal.evidence["project_ids"] == [world.b.pk, world.a.pk]
    assert fraud.rapid_repeat(world.pool, min_gifts=5) == []


@pytest.mark.django_db
def test_cap_hunting_finds_many_payers_giving_exactly_the_cap():
    world = World(per_donor_daily_cap_fen=99900)
    hunters = [world.give(world.a, f"hunter-{i}", 99900, at(5 * i)) for i in range(5)]
    for i in range(4):  # only four payers: below the threshold
        world.give(world.b, f"other-{i}", 99900, at(i))
    for i in range(5):  # near the cap is not the cap
        world.give(world.b, f"near-{i}", 99800, at(i))

    [signal] = fraud.cap_hunting(world.pool)

    assert (signal.kind, signal.project_id, signal.donor_key) == ("cap_hunting", world.a.pk, None)
    assert (signal.score, signal.severity) == (5, fraud.MEDIUM)
    assert signal.donor_keys == [f"sandbox:hunter-{i}" for i in range(5)]
    assert signal.evidence["gift_ids"] == [g.pk for g in hunters]
    assert signal.evidence["amounts"] == [{"amount_fen": 99900, "why": "每人每日配捐上限 ¥999.00 本身"}]
    assert signal.evidence["matched_fen"] == 5 * 99900
    # Spread over more than the period, they are not reported.
    assert fraud.cap_hunting(world.pool, minutes=20) == []


@pytest.mark.django_db
def test_cap_hunting_with_a_two_to_one_ratio_looks_for_half_the_cap():
    world = World(per_gift_cap_fen=20000, ratio_bp=20000)
    for i in range(6):
        world.give(world.a, f"half-{i}", 10000, at(i))
    [signal] = fraud.cap_hunting(world.pool)
    assert signal.score == 6
    assert signal.evidence["amounts"] == [{"amount_fen": 10000, "why": "按比例 2:1 恰好配满单笔配捐上限 ¥200.00"}]
    assert signal.evidence["matched_fen"] == 6 * 20000


@pytest.mark.django_db
def test_cap_hunting_needs_a_cap():
    world = World()
    for i in range(6):
        world.give(world.a, f"big-{i}", 99900, at(i))
    assert fraud.cap_hunting(world.pool) == []


@pytest.mark.django_db
def test_own_staff_by_lead_name_contact_person_or_known_staff_payer():
    world = World()
    Organisation.objects.filter(pk=world.org.pk).update(contact_person="张联系")
    lead = world.give(world.a, "lead", 5000, at(0), name=" 负责人 ")  # make_project's lead_name, padded
    contact = world.give(world.b, "contact", 3000, at(1), name="张联系")
    world.give(world.a, "namesake-elsewhere", 3000, at(1), name="负责人甲")
    staff = world.give(world.a, "known-staff", 2000, at(2), name="")
    world.give(world.a, "blank", 2000, at(3), name="")

    signals = {s.donor_key: s for s in fraud.own_staff(world.pool, staff_donor_keys=["sandbox:known-staff"])}

    assert set(signals) == {"sandbox:lead", "sandbox:contact", "sandbox:known-staff"}
    assert signals["sandbox:lead"].evidence["matched_on"] == ["lead_name"]
    assert signals["sandbox:lead"].evidence["gift_ids"] == [lead.pk]
    assert signals["sandbox:lead"].project_id == world.a.pk
    assert signals["sandbox:lead"].summary == "署名与项目负责人相同：捐赠 1 笔，合计 ¥50.00，获配捐 ¥50.00"
    assert signals["sandbox:contact"].evidence["matched_on"] == ["contact_person"]
    assert signals["sandbox:contact"].evidence["gift_ids"] == [contact.pk]
    assert signals["sandbox:known-staff"].evidence["matched_on"] == ["staff_donor_keys"]
    assert signals["sandbox:known-staff"].evidence["gift_ids"] == [staff.pk]
    assert {s.severity for s in signals.values()} == {fraud.MEDIUM}
    # Without the staff list only the names count; a blank contact person never matches a blank name.
    assert {s.donor_key for s in fraud.own_staff(world.pool)} == {"sandbox:lead", "sandbox:contact"}


@pytest.mark.django_db
def test_burst_of_thirty_gifts_in_one_minute():
    world = World()
    for i in range(30):
        world.give(world.a, f"crowd-{i}", 500, T0 + timedelta(seconds=2 * i))
    for i in range(29):
        world.give(world.b, f"busy-{i}", 500, T0 + timedelta(seconds=2 * i))

    [signal] = fraud.burst(world.pool)

    assert (signal.kind, signal.project_id, signal.score, signal.severity) == ("burst", world.a.pk, 30, fraud.MEDIUM)
    assert signal.evidence["minute"] == T0
    assert signal.evidence["count"] == 30
    assert signal.evidence["gift_ids"] == list(
        Gift.objects.filter(project=world.a).order_by("paid_at").values_list("pk", flat=True)
    )
    assert len(signal.donor_keys) == 30
    assert signal.summary.startswith("05-20 10:00 这一分钟收到 30 笔捐赠（30 个付款人）")


@pytest.mark.django_db
def test_burst_relative_to_the_projects_median_minute():
    world = World()
    for m in range(3):
        world.give(world.a, f"steady-{m}", 500, at(10 * m))
    for i in range(10):
        world.give(world.a, f"wave-{i}", 500, at(45) + timedelta(seconds=i))
    [signal] = fraud.burst(world.pool)
    assert (signal.evidence["minute"], signal.score, signal.evidence["median_per_minute"]) == (at(45), 10, 1)
    assert signal.severity == fraud.LOW
    assert fraud.burst(world.pool, factor=11) == []


@pytest.mark.django_db
def test_all_signals_sorted_by_severity_flagged_last_one_query_per_detector(django_assert_num_queries):
    world = World(per_donor_daily_cap_fen=99900)
    for m in range(10):
        world.give(world.a, "heavy", 100, at(m))  # ten in ten minutes: high
    for m in range(5):
        world.give(world.b, "light", 100, at(m))  # five: medium
    flag_donor(pool=world.pool, donor_key="sandbox:heavy", reason="测试")

    with django_assert_num_queries(5):  # the flags, then one per detector
        signals = fraud.all_signals(world.pool)

    assert [(s.donor_key, s.severity, s.already_flagged) for s in signals] == [
        ("sandbox:light", fraud.MEDIUM, False),
        ("sandbox:heavy", fraud.HIGH, True),
    ]
    assert signals[1].to_json()["evidence"]["gifts"][0]["paid_at"] == "2026-05-20T02:00:00Z"


# ---------------------------------------------------------------------------------------------------------
# Staff pages.


@pytest.fixture
def staff_client(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="staff", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_donorflag", content_type__app_label="matching"))
    client.force_login(user)
    client.user = user
    return client


def test_staff_without_the_flag_permission_cannot_claw_back(client, django_user_model):
    world, _ = spammer_world()
    user = django_user_model.objects.create_user(username="viewer", password="pw-123456", is_staff=True)
    client.force_login(user)
    matched_before = MatchingPool.objects.get(pk=world.pool.pk).matched_fen
    response = client.post(
        reverse("matching-flag", args=[world.pool.pk]), {"donor_key": "sandbox:spammer", "reason": "刷单"}, follow=True
    )
    assert "没有标记违规捐赠人的权限" in response.content.decode()
    assert DonorFlag.objects.count() == 0
    assert MatchingPool.objects.get(pk=world.pool.pk).matched_fen == matched_before


def spammer_world() -> tuple[World, list[Gift]]:
    world = World()
    gifts = [world.give(world.a, "spammer", 1234, at(m), name="王小明") for m in range(5)]
    normal_traffic(world)
    return world, gifts


def post_followed(client, url: str, data: dict, back: str):
    """POST, follow the redirect back to ``back``, and return the page with the messages it showed."""
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(back, 302)]
    assert response.status_code == 200
    return response, [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_staff_pages_need_a_staff_login(client, django_user_model):
    world = World()
    urls = [reverse("matching-pools"), reverse("matching-signals", args=[world.pool.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    response = client.post(reverse("matching-flag", args=[world.pool.pk]), {"donor_key": "sandbox:x", "reason": "r"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not DonorFlag.objects.exists()
    donor = django_user_model.objects.create_user(username="donor", password="pw-123456")
    client.force_login(donor)
    for url in urls:
        assert client.get(url)["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_pools_page_lists_matched_left_forfeited(staff_client):
    world, _ = spammer_world()
    pool = world.refresh()
    response = staff_client.get(reverse("matching-pools"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "测试配捐池" in text
    assert pool.matched_fen == 5 * 1234 + sum(1000 + 500 * i for i in range(20))
    assert f"¥{pool.matched_fen // 100:,}.{pool.matched_fen % 100:02d}" in text
    assert f"¥{pool.left_fen // 100:,}.{pool.left_fen % 100:02d}" in text
    assert "¥0.00" in text  # forfeited
    assert reverse("matching-signals", args=[pool.pk]) in text


@pytest.mark.django_db
def test_signals_page_lists_the_evidence_and_a_flag_form(staff_client):
    world, gifts = spammer_world()
    response = staff_client.get(reverse("matching-signals", args=[world.pool.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "短时多笔" in text
    for gift in gifts:
        assert gift.order.out_trade_no in text
    assert "2026-05-20 10:00:00" in text  # Shanghai time
    assert "2026-05-20 10:04:00" in text
    assert "¥12.34" in text
    assert "王**" in text and "王小明" not in text
    assert "sandbox:spammer" in text
    assert text.count('name="donor_key"') == 1
    assert 'value="sandbox:spammer"' in text
    assert 'name="reason" required' in text
    assert "标记违规" in text
    assert "sandbox:normal-" not in text


@pytest.mark.django_db
def test_signals_page_without_signals(staff_client):
    world = World()
    normal_traffic(world)
    response = staff_client.get(reverse("matching-signals", args=[world.pool.pk]))
    assert response.status_code == 200
    assert "没有发现风控线索" in response.content.decode()


@pytest.mark.django_db
def test_flag_claws_back_and_a_second_flag_is_harmless(staff_client):
    world, gifts = spammer_world()
    before = world.refresh().matched_fen
    url = reverse("matching-flag", args=[world.pool.pk])
    back = reverse("matching-signals", args=[world.pool.pk])

    page, shown = post_followed(
        staff_client, url, {"donor_key": "sandbox:spammer", "reason": "十分钟内五笔，已核实"}, back
    )

    assert shown == [
        "已标记 sandbox:spammer：收回配捐 ¥61.70（6170 分），退回配捐池；其后的捐赠不再配捐，也不计入激励。"
    ]
    pool = world.refresh()
    assert pool.matched_fen == before - 5 * 1234
    assert pool.forfeited_fen == 0
    assert set(Match.objects.filter(gift__in=gifts).values_list("status", flat=True)) == {MatchStatus.RETURNED}
    assert set(Gift.objects.filter(pk__in=[g.pk for g in gifts]).values_list("matched_fen", flat=True)) == {0}
    flag = DonorFlag.objects.get(pool=pool)
    assert (flag.donor_key, flag.reason, flag.flagged_by, flag.clawed_back_fen) == (
        "sandbox:spammer",
        "十分钟内五笔，已核实",
        staff_client.user,
        6170,
    )
    assert flag.evidence["source"] == "staff-signals-page"
    [evidence] = flag.evidence["signals"]
    assert evidence["kind"] == "rapid_repeat"
    assert evidence["evidence"]["gift_ids"] == [g.pk for g in gifts]
    text = page.content.decode()
    assert 'name="donor_key"' not in text  # nobody left to flag
    assert "已标记" in text
    assert "¥61.70" in text  # in the list of flags

    _, shown = post_followed(staff_client, url, {"donor_key": "sandbox:spammer", "reason": "再来一次"}, back)
    [message] = shown
    assert "本次未作任何更改（收回 0 分）" in message
    assert world.refresh().matched_fen == before - 5 * 1234
    assert DonorFlag.objects.count() == 1
    assert DonorFlag.objects.get().reason == "十分钟内五笔，已核实"


@pytest.mark.django_db
def test_flag_refuses_a_missing_reason_or_donor_and_changes_nothing(staff_client):
    world, _ = spammer_world()
    before = world.refresh().matched_fen
    url = reverse("matching-flag", args=[world.pool.pk])
    back = reverse("matching-signals", args=[world.pool.pk])

    for data in ({"donor_key": "sandbox:spammer", "reason": "   "}, {"donor_key": "sandbox:spammer"}):
        _, [message] = post_followed(staff_client, url, data, back)
        assert message == "请填写标记理由（理由 reason）。"
    _, [message] = post_followed(staff_client, url, {"reason": "刷单"}, back)
    assert "donor_key" in message
    _, [message] = post_followed(staff_client, url, {"donor_key": "x" * 161, "reason": "刷单"}, back)
    assert "donor_key" in message
    _, [message] = post_followed(staff_client, url, {"donor_key": "sandbox:spammer", "reason": "长" * 301}, back)
    assert "reason" in message

    assert not DonorFlag.objects.exists()
    assert world.refresh().matched_fen == before
    assert set(Match.objects.filter(donor_key="sandbox:spammer").values_list("status", flat=True)) == {MatchStatus.LIVE}


@pytest.mark.django_db
def test_unknown_pool_is_404_and_flag_takes_post_only(staff_client):
    world = World()
    assert staff_client.get(reverse("matching-signals", args=[world.pool.pk + 99])).status_code == 404
    response = staff_client.post(reverse("matching-flag", args=[world.pool.pk + 99]), {"donor_key": "k", "reason": "r"})
    assert response.status_code == 404
    assert staff_client.get(reverse("matching-flag", args=[world.pool.pk])).status_code == 405
    assert not DonorFlag.objects.exists()
