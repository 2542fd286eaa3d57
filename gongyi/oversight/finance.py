"""Finance controls (regulation §4): charity spending, management cost and fundraising cost against limits.

Pure: no Django. ``assess`` takes one organisation-year's figures (fen, from the ledger), the incomes of the
three years before and the limits, and says for each rule whether it holds, is close to its limit, or is
broken — exactly, with fractions, never with rounded percentages.

The rules, with L the limits of ``FinanceLimit`` (basis points, 10000 = 100%):

* **Charity spending** (Charity Law art. 61; 民发〔2016〕189号): the year's charity spending ≥
  ``min_charity_spending_bp`` × the previous year's income, or × the average income of the three previous
  years, whichever is lower — the average counts only when each of those years had income (an organisation
  new to the platform would otherwise look better than it is). No income last year: nothing to compare.
* **Management cost**: ≤ ``max_management_bp`` × the year's total spending, unless the year's management cost
  is below ``management_exemption_fen`` (189号 art. 11: under ¥200,000 is exempt from the ratio).
* **Fundraising cost** (a 2025 draft, not final): ≤ ``max_fundraising_cost_bp`` × the year's donations
  (online, offline and in kind); with no limit set the ratio is shown and not checked.

A figure on the right side of its limit but within ``warning_margin_bp`` of it is a **warning**. While the
year is still running nothing is a breach yet: a shortfall or an excess is a warning saying how much is left
(spend ¥X more by 31 December; ¥Y more management cost would cross the cap).

Categories (``spending.models.Category``): aid, materials, services, construction and activities are charity
spending, and so are goods handed out (``in_kind``); management is management cost; fundraising is
fundraising cost; ``other`` counts in total spending but not as charity spending (the conservative reading
until it is classified).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

# "in_kind" is goods handed out (the in-kind app's handout accounts), valued as when they were received.
CHARITABLE_CATEGORIES = ("aid", "materials", "services", "construction", "activities", "in_kind")
MANAGEMENT = "management"
FUNDRAISING = "fundraising"
OTHER = "other"
FULL_BP = 10000


class Status:
    OK = "ok"
    WARNING = "warning"
    BREACH = "breach"
    EXEMPT = "exempt"
    NO_BASIS = "no_basis"
    INFO = "info"
    NOT_APPLICABLE = "not_applicable"


STATUS_LABELS = {
    Status.OK: "符合",
    Status.WARNING: "预警",
    Status.BREACH: "不符合",
    Status.EXEMPT: "豁免",
    Status.NO_BASIS: "无可比基数",
    Status.INFO: "仅供参考",
    Status.NOT_APPLICABLE: "不适用",
}
SEVERITY = {Status.BREACH: 3, Status.WARNING: 2}


@dataclass(frozen=True)
class Limits:
    min_charity_spending_bp: int
    max_management_bp: int
    max_fundraising_cost_bp: int | None
    warning_margin_bp: int
    management_exemption_fen: int


@dataclass(frozen=True)
class YearFigures:
    """One organisation's year on the ledger, in fen."""

    year: int
    donations_fen: int = 0  # online gifts (individuals and units' staff)
    offline_fen: int = 0  # bank transfers, cash and donation boxes (units' transfers, offline gifts, unrestricted)
    in_kind_fen: int = 0  # goods received, at their recorded value
    matched_fen: int = 0
    incentive_fen: int = 0
    spent_by_category: dict[str, int] = field(default_factory=dict)

    @property
    def raised_fen(self) -> int:
        """Donations of every form: what fundraising brought in (the fundraising-cost rule's base)."""
        return self.donations_fen + self.offline_fen + self.in_kind_fen

    @property
    def income_fen(self) -> int:
        return self.raised_fen + self.matched_fen + self.incentive_fen

    @property
    def charity_spending_fen(self) -> int:
        return sum(self.spent_by_category.get(c, 0) for c in CHARITABLE_CATEGORIES)

    @property
    def management_fen(self) -> int:
        return self.spent_by_category.get(MANAGEMENT, 0)

    @property
    def fundraising_fen(self) -> int:
        return self.spent_by_category.get(FUNDRAISING, 0)

    @property
    def other_fen(self) -> int:
        known = (*CHARITABLE_CATEGORIES, MANAGEMENT, FUNDRAISING)
        return sum(fen for category, fen in self.spent_by_category.items() if category not in known)

    @property
    def total_spending_fen(self) -> int:
        return sum(self.spent_by_category.values())


@dataclass(frozen=True)
class Check:
    """One rule for one year: the ratio (floored to a basis point), the limit, the status and why."""

    key: str
    label: str
    bound: str  # "min" or "max"
    numerator_fen: int
    denominator_fen: int
    ratio_bp: int | None
    limit_bp: int | None
    status: str
    message: str
    room_fen: int | None = None  # min: still to spend to reach the limit; max: still allowed before the cap

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Assessment:
    year: int
    in_progress: bool
    figures: YearFigures
    prior_income_fen: int
    three_year_average_fen: int | None  # floored; None when not every one of the three years had income
    basis_fen: int  # the income the charity-spending rule is measured against (floored)
    basis_label: str
    checks: list[Check]

    @property
    def status(self) -> str:
        worst = max((SEVERITY.get(c.status, 0) for c in self.checks), default=0)
        if worst == 3:
            return Status.BREACH
        if worst == 2:
            return Status.WARNING
        return Status.OK if self.checks else Status.NOT_APPLICABLE

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def check(self, key: str) -> Check | None:
        return next((c for c in self.checks if c.key == key), None)


def ratio_bp(numerator: int | Fraction, denominator: int | Fraction) -> int | None:
    """``numerator / denominator`` in basis points, rounded down; None without a denominator."""
    if denominator <= 0:
        return None
    return math.floor(Fraction(numerator) * FULL_BP / Fraction(denominator))


def percent(bp: int | None) -> str:
    """7143 → ``71.43%``."""
    if bp is None:
        return "—"
    return f"{bp // 100}.{bp % 100:02d}%"


def yuan(fen: int | Fraction) -> str:
    value = math.ceil(fen) if isinstance(fen, Fraction) else fen
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}¥{value // 100:,}.{value % 100:02d}"


def _minimum_check(
    *, key: str, label: str, numerator: int, basis: Fraction, limit_bp: int, margin_bp: int, in_progress: bool
) -> Check:
    if basis <= 0:
        return Check(key, label, "min", numerator, 0, None, limit_bp, Status.NO_BASIS, "上一年度无收入，无可比基数")
    required = basis * limit_bp / FULL_BP
    room = max(0, math.ceil(required - numerator))
    scaled = Fraction(numerator) * FULL_BP
    common = {"key": key, "label": label, "bound": "min", "numerator_fen": numerator, "limit_bp": limit_bp}
    common |= {"denominator_fen": math.floor(basis), "ratio_bp": ratio_bp(numerator, basis), "room_fen": room}
    if scaled >= (limit_bp + margin_bp) * basis:
        return Check(**common, status=Status.OK, message=f"不低于 {percent(limit_bp)}")
    if scaled >= limit_bp * basis:
        return Check(
            **common, status=Status.WARNING, message=f"已达 {percent(limit_bp)}，但距下限不足 {percent(margin_bp)}"
        )
    if in_progress:
        return Check(**common, status=Status.WARNING, message=f"年内尚需支出 {yuan(room)} 方达 {percent(limit_bp)}")
    return Check(**common, status=Status.BREACH, message=f"低于 {percent(limit_bp)}，差 {yuan(room)}")


def _maximum_check(
    *,
    key: str,
    label: str,
    numerator: int,
    denominator: int,
    limit_bp: int,
    margin_bp: int,
    in_progress: bool,
    rest_fen: int | None = None,
) -> Check:
    """``numerator ≤ limit × denominator``; ``rest_fen`` is the part of the denominator that is not the
    numerator when the numerator is part of it (management cost within total spending)."""
    common = {"key": key, "label": label, "bound": "max", "numerator_fen": numerator, "limit_bp": limit_bp}
    common |= {"denominator_fen": denominator, "ratio_bp": ratio_bp(numerator, denominator)}
    if denominator <= 0:
        return Check(**common, status=Status.NO_BASIS, message="无可比基数")
    if rest_fen is not None:
        # numerator ≤ L × (rest + numerator)  ⇔  numerator ≤ L × rest / (1 − L)
        allowed = Fraction(limit_bp * rest_fen, FULL_BP - limit_bp) if limit_bp < FULL_BP else None
    else:
        allowed = Fraction(limit_bp * denominator, FULL_BP)
    room = None if allowed is None else math.floor(allowed) - numerator
    common["room_fen"] = room
    scaled = numerator * FULL_BP
    if scaled <= (limit_bp - margin_bp) * denominator:
        return Check(**common, status=Status.OK, message=f"不超过 {percent(limit_bp)}")
    if scaled <= limit_bp * denominator:
        return Check(
            **common, status=Status.WARNING, message=f"未超过 {percent(limit_bp)}，但距上限不足 {percent(margin_bp)}"
        )
    if in_progress:
        return Check(**common, status=Status.WARNING, message=f"按年内至今计已超过 {percent(limit_bp)}")
    return Check(**common, status=Status.BREACH, message=f"超过 {percent(limit_bp)}")


def assess(
    *, figures: YearFigures, prior_incomes: Sequence[int], limits: Limits | None, in_progress: bool = False
) -> Assessment:
    """Check one organisation-year. ``prior_incomes`` are the incomes of the years before, nearest first
    (Y−1, Y−2, Y−3); ``limits`` None means the organisation's kind has no limits (nothing is checked)."""
    prior = prior_incomes[0] if prior_incomes else 0
    average: Fraction | None = None
    if len(prior_incomes) >= 3 and all(income > 0 for income in prior_incomes[:3]):
        average = Fraction(sum(prior_incomes[:3]), 3)
    if average is not None and average < prior:
        basis, basis_label = average, "前三年收入平均数"
    else:
        basis, basis_label = Fraction(prior), "上一年收入"
    checks: list[Check] = []
    if limits is not None:
        margin = limits.warning_margin_bp
        checks.append(
            _minimum_check(
                key="charity_spending",
                label="慈善活动支出占上年收入",
                numerator=figures.charity_spending_fen,
                basis=basis,
                limit_bp=limits.min_charity_spending_bp,
                margin_bp=margin,
                in_progress=in_progress,
            )
        )
        management = figures.management_fen
        if management < limits.management_exemption_fen:
            checks.append(
                Check(
                    key="management",
                    label="管理费用占总支出",
                    bound="max",
                    numerator_fen=management,
                    denominator_fen=figures.total_spending_fen,
                    ratio_bp=ratio_bp(management, figures.total_spending_fen),
                    limit_bp=limits.max_management_bp,
                    status=Status.EXEMPT,
                    message=f"年度管理费用低于 {yuan(limits.management_exemption_fen)}，不受比例限制",
                )
            )
        else:
            checks.append(
                _maximum_check(
                    key="management",
                    label="管理费用占总支出",
                    numerator=management,
                    denominator=figures.total_spending_fen,
                    limit_bp=limits.max_management_bp,
                    margin_bp=margin,
                    in_progress=in_progress,
                    rest_fen=figures.total_spending_fen - management,
                )
            )
        if limits.max_fundraising_cost_bp is None:
            checks.append(
                Check(
                    key="fundraising_cost",
                    label="募捐成本占捐赠收入",
                    bound="max",
                    numerator_fen=figures.fundraising_fen,
                    denominator_fen=figures.raised_fen,
                    ratio_bp=ratio_bp(figures.fundraising_fen, figures.raised_fen),
                    limit_bp=None,
                    status=Status.INFO,
                    message="未设上限，仅供参考",
                )
            )
        else:
            checks.append(
                _maximum_check(
                    key="fundraising_cost",
                    label="募捐成本占捐赠收入",
                    numerator=figures.fundraising_fen,
                    denominator=figures.raised_fen,
                    limit_bp=limits.max_fundraising_cost_bp,
                    margin_bp=margin,
                    in_progress=in_progress,
                )
            )
    return Assessment(
        year=figures.year,
        in_progress=in_progress,
        figures=figures,
        prior_income_fen=prior,
        three_year_average_fen=None if average is None else math.floor(average),
        basis_fen=math.floor(basis),
        basis_label=basis_label,
        checks=checks,
    )
