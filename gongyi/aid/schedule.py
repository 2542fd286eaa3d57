"""Public-notice (公示) periods (pure: no Django): 3, 5 or 7 calendar days, or 7 working days.

A period starts on its first day and ends on its last day, both included. Working days are Monday to
Friday, minus listed holidays, plus listed make-up working days (调休) — the State Council's calendar
changes every year, so it is data (``AidCalendarDay``), not code.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

NOTICE_LENGTHS: dict[str, tuple[int, bool, str]] = {
    "3d": (3, False, "3天"),
    "5d": (5, False, "5天"),
    "7d": (7, False, "7天"),
    "7wd": (7, True, "7个工作日"),
}


@dataclass(frozen=True)
class NoticePeriod:
    starts_on: date
    ends_on: date


def is_working_day(day: date, *, holidays: Collection[date] = (), workdays: Collection[date] = ()) -> bool:
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def notice_period(
    starts_on: date, length: str, *, holidays: Collection[date] = (), workdays: Collection[date] = ()
) -> NoticePeriod:
    """The inclusive period of a notice of ``length`` starting on ``starts_on``.

    For working-day lengths a notice starting on a non-working day begins counting at the next
    working day (the notice is up, but the count has not started).
    """
    if length not in NOTICE_LENGTHS:
        raise ValueError(f"unknown notice length {length!r}")
    count, working, _ = NOTICE_LENGTHS[length]
    if not working:
        return NoticePeriod(starts_on, starts_on + timedelta(days=count - 1))
    day = starts_on
    counted = 0
    while True:
        if is_working_day(day, holidays=holidays, workdays=workdays):
            counted += 1
            if counted == count:
                return NoticePeriod(starts_on, day)
        day += timedelta(days=1)
