"""Public-notice periods: calendar days, and working days around weekends, holidays and make-up days."""

from __future__ import annotations

from datetime import date

import pytest

from gongyi.aid.schedule import notice_period


@pytest.mark.parametrize(
    ("length", "ends"), [("3d", date(2026, 5, 20)), ("5d", date(2026, 5, 22)), ("7d", date(2026, 5, 24))]
)
def test_calendar_day_notices_include_their_first_day(length, ends):
    assert notice_period(date(2026, 5, 18), length).ends_on == ends


def test_seven_working_days_skip_the_weekend():
    # Monday 18 May 2026 → Mon–Fri (5) + Mon 25, Tue 26 = 7 working days.
    assert notice_period(date(2026, 5, 18), "7wd").ends_on == date(2026, 5, 26)


def test_seven_working_days_skip_holidays_and_count_make_up_days():
    holidays = {date(2026, 5, 19), date(2026, 5, 20)}
    workdays = {date(2026, 5, 23)}  # a Saturday worked in exchange (调休)
    # Mon 18, Thu 21, Fri 22, Sat 23, Mon 25, Tue 26, Wed 27.
    assert notice_period(date(2026, 5, 18), "7wd", holidays=holidays, workdays=workdays).ends_on == date(2026, 5, 27)


def test_a_working_day_notice_put_up_on_a_sunday_starts_counting_on_monday():
    period = notice_period(date(2026, 5, 17), "7wd")
    assert period.starts_on == date(2026, 5, 17) and period.ends_on == date(2026, 5, 26)


def test_unknown_length_is_refused():
    with pytest.raises(ValueError):
        notice_period(date(2026, 5, 18), "10d")
