"""The disclosure schedule (信息公开): which reports a project owes, for which period, by when (pure).

Charity Law art. 79: a fundraising (or project) period of more than six months is disclosed at least
every three months while it runs, and in full within three months after it ends; art. 72: an emergency
appeal discloses its receipts at least every five days during the response phase.

Rules, with S the first day and E the last day of a period:

* **Quarterly** (only when E is after S + 6 months): due on S + 3k months for k = 1, 2, … while that date
  is ≤ E; the item covers [S + 3(k−1) months, S + 3k months − 1 day].
* **Final**: due on E + 3 months, covering [S, E]; every project owes one.
* **Emergency** (emergency domain): due on S + 5k days for k = 1, 2, … while ≤ the response phase's last day
  (E unless given), covering the five days before the due day.
* When the project's implementation period is given and differs from the fundraising period, it gets its
  own quarterly and final items (``implementation_*``); otherwise the fundraising items cover both.

Month arithmetic keeps the day of month, clamped to the month's length (31 Jan + 1 month = 28/29 Feb).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

QUARTERLY = "quarterly"
FINAL = "final"
IMPLEMENTATION_QUARTERLY = "implementation_quarterly"
IMPLEMENTATION_FINAL = "implementation_final"
EMERGENCY = "emergency"

EMERGENCY_EVERY_DAYS = 5
QUARTER_MONTHS = 3
LONG_PERIOD_MONTHS = 6
FINAL_WITHIN_MONTHS = 3


@dataclass(frozen=True)
class ScheduleInput:
    starts_on: date
    ends_on: date
    is_emergency: bool = False
    response_ends_on: date | None = None
    implementation_starts_on: date | None = None
    implementation_ends_on: date | None = None


@dataclass(frozen=True, order=True)
class DueItem:
    due_on: date
    kind: str
    period_start: date
    period_end: date


def add_months(day: date, months: int) -> date:
    """The same day of month ``months`` later, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_long(starts_on: date, ends_on: date) -> bool:
    """More than six months: the last day falls after the start plus six months."""
    return ends_on > add_months(starts_on, LONG_PERIOD_MONTHS)


def _period_items(starts_on: date, ends_on: date, quarterly: str, final: str) -> list[DueItem]:
    items = []
    if is_long(starts_on, ends_on):
        k = 1
        while (due := add_months(starts_on, QUARTER_MONTHS * k)) <= ends_on:
            items.append(DueItem(due, quarterly, add_months(starts_on, QUARTER_MONTHS * (k - 1)), due - timedelta(1)))
            k += 1
    items.append(DueItem(add_months(ends_on, FINAL_WITHIN_MONTHS), final, starts_on, ends_on))
    return items


def disclosure_schedule(spec: ScheduleInput) -> list[DueItem]:
    """Every disclosure the project owes, sorted by due date."""
    if spec.ends_on < spec.starts_on:
        raise ValueError("a period cannot end before it starts")
    items = _period_items(spec.starts_on, spec.ends_on, QUARTERLY, FINAL)
    impl_start = spec.implementation_starts_on or spec.starts_on
    impl_end = spec.implementation_ends_on or spec.ends_on
    if (impl_start, impl_end) != (spec.starts_on, spec.ends_on) and impl_end >= impl_start:
        items += _period_items(impl_start, impl_end, IMPLEMENTATION_QUARTERLY, IMPLEMENTATION_FINAL)
    if spec.is_emergency:
        last = spec.response_ends_on or spec.ends_on
        k = 1
        while (due := spec.starts_on + timedelta(EMERGENCY_EVERY_DAYS * k)) <= last:
            items.append(DueItem(due, EMERGENCY, due - timedelta(EMERGENCY_EVERY_DAYS), due - timedelta(1)))
            k += 1
    return sorted(items)
