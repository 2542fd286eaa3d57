"""The disclosure schedule on hand-computed cases (pure): Charity Law arts. 72 and 79."""

from __future__ import annotations

from datetime import date

import pytest

from gongyi.oversight.schedule import (
    DueItem,
    ScheduleInput,
    add_months,
    disclosure_schedule,
    is_long,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_a_seven_month_project_reports_quarterly_and_within_three_months_of_the_end():
    # 1 Mar – 30 Sep 2026: longer than six months (30 Sep > 1 Sep).
    items = disclosure_schedule(ScheduleInput(starts_on=d("2026-03-01"), ends_on=d("2026-09-30")))
    assert items == [
        DueItem(d("2026-06-01"), "quarterly", d("2026-03-01"), d("2026-05-31")),
        DueItem(d("2026-09-01"), "quarterly", d("2026-06-01"), d("2026-08-31")),
        DueItem(d("2026-12-30"), "final", d("2026-03-01"), d("2026-09-30")),
    ]


def test_a_two_month_project_owes_only_the_final_report():
    items = disclosure_schedule(ScheduleInput(starts_on=d("2026-05-20"), ends_on=d("2026-07-19")))
    assert items == [DueItem(d("2026-10-19"), "final", d("2026-05-20"), d("2026-07-19"))]


def test_an_emergency_appeal_reports_every_five_days_while_it_runs():
    items = disclosure_schedule(ScheduleInput(starts_on=d("2026-07-01"), ends_on=d("2026-07-20"), is_emergency=True))
    assert items == [
        DueItem(d("2026-07-06"), "emergency", d("2026-07-01"), d("2026-07-05")),
        DueItem(d("2026-07-11"), "emergency", d("2026-07-06"), d("2026-07-10")),
        DueItem(d("2026-07-16"), "emergency", d("2026-07-11"), d("2026-07-15")),
        DueItem(d("2026-10-20"), "final", d("2026-07-01"), d("2026-07-20")),
    ]


def test_an_emergency_response_phase_shorter_than_the_appeal():
    items = disclosure_schedule(
        ScheduleInput(
            starts_on=d("2026-07-01"), ends_on=d("2026-08-31"), is_emergency=True, response_ends_on=d("2026-07-12")
        )
    )
    assert [(i.due_on, i.kind) for i in items] == [
        (d("2026-07-06"), "emergency"),
        (d("2026-07-11"), "emergency"),
        (d("2026-11-30"), "final"),
    ]


def test_exactly_six_months_is_not_more_than_six_months():
    assert not is_long(d("2026-03-01"), d("2026-09-01"))
    assert is_long(d("2026-03-01"), d("2026-09-02"))
    items = disclosure_schedule(ScheduleInput(starts_on=d("2026-03-01"), ends_on=d("2026-09-01")))
    assert [i.kind for i in items] == ["final"]


def test_months_keep_the_day_clamped_to_the_month():
    assert add_months(d("2026-01-31"), 1) == d("2026-02-28")
    assert add_months(d("2028-01-31"), 1) == d("2028-02-29")
    assert add_months(d("2026-11-30"), 3) == d("2027-02-28")
    assert add_months(d("2026-08-31"), 6) == d("2027-02-28")
    # A year from 31 Jan: quarters fall on 30 Apr, 31 Jul, 31 Oct, 31 Jan (the last day, still running).
    items = disclosure_schedule(ScheduleInput(starts_on=d("2026-01-31"), ends_on=d("2027-01-31")))
    assert [(i.due_on, i.kind) for i in items] == [
        (d("2026-04-30"), "quarterly"),
        (d("2026-07-31"), "quarterly"),
        (d("2026-10-31"), "quarterly"),
        (d("2027-01-31"), "quarterly"),
        (d("2027-04-30"), "final"),
    ]


def test_an_implementation_period_of_its_own_gets_its_own_items():
    items = disclosure_schedule(
        ScheduleInput(
            starts_on=d("2026-05-20"),
            ends_on=d("2026-05-22"),
            implementation_starts_on=d("2026-06-01"),
            implementation_ends_on=d("2027-05-31"),
        )
    )
    assert [(i.due_on, i.kind) for i in items] == [
        (d("2026-08-22"), "final"),
        (d("2026-09-01"), "implementation_quarterly"),
        (d("2026-12-01"), "implementation_quarterly"),
        (d("2027-03-01"), "implementation_quarterly"),
        (d("2027-08-31"), "implementation_final"),
    ]


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        disclosure_schedule(ScheduleInput(starts_on=d("2026-05-20"), ends_on=d("2026-05-19")))
