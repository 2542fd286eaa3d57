"""The aid calculator (pure: no Django). Given a programme's parameters and a case's facts, the award and
the working that led to it, line by line.

    total cost            = Σ invoices (each used once, within the validity window)
    reimbursed            = 基本医保 + 大病保险 + 医疗救助 + 商业保险 + 单位报销 + 其他慈善救助
    eligible out-of-pocket = total cost − reimbursed
    base                  = max(0, eligible − deductible[class])
    computed              = ⌊base × ratio[class]⌋         (method "ratio")
                          | Σ ⌊band × band ratio⌋ of the class's tier table, progressive (method "tiers")
                          | fixed[class]                   (method "fixed": stipends, no invoices)
    award                 = min(computed, per-case cap, per-year cap − already received this year),
                            rounded down to ``round_to_fen``

Inconsistent facts — an invoice already used by another application, the same invoice twice, an invoice
outside the validity window, reimbursements above the total, an ineligible class — are refused with
``CalculationRefused`` naming each problem, never silently corrected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from gongyi.core.money import format_yuan

BP = 10_000  # basis points: 7000 = 70%

HARDSHIP_CLASSES: dict[str, str] = {
    "tekun": "特困",
    "dibao": "低保",
    "dibian": "低边",
    "yinbing": "因病致贫",
    "other": "其他",
}
METHODS = {"ratio": "按比例", "tiers": "分段累进", "fixed": "定额"}

DEDUCTION_LABELS: dict[str, str] = {
    "basic_insurance_fen": "基本医保报销",
    "critical_illness_insurance_fen": "大病保险报销",
    "medical_assistance_fen": "医疗救助",
    "commercial_insurance_fen": "商业保险赔付",
    "employer_fen": "单位报销",
    "other_charity_fen": "其他慈善救助",
}


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class ParamsError(ValueError):
    """Programme parameters that cannot be used, each problem named."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("；".join(f"{p.field}: {p.message}" for p in self.problems))


class CalculationRefused(ValueError):
    """Facts the calculator will not compute on, each problem named."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("；".join(f"{p.field}: {p.message}" for p in self.problems))


@dataclass(frozen=True)
class Tier:
    """A band of the base up to ``up_to_fen`` (None: no upper bound) paid at ``ratio_bp``."""

    up_to_fen: int | None
    ratio_bp: int


def _int(value, name: str, problems: list[Problem], *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem(name, "须为整数"))
        return 0
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
        problems.append(Problem(name, f"须在 {bound} 之间"))
    return value


@dataclass(frozen=True)
class CalculatorParams:
    """A programme's calculator: method, tables by hardship class, caps, invoice validity, rounding.

    A class absent from the method's table is not eligible for the programme.
    """

    method: str
    deductible_fen: Mapping[str, int] = field(default_factory=dict)
    ratio_bp: Mapping[str, int] = field(default_factory=dict)
    tiers: Mapping[str, tuple[Tier, ...]] = field(default_factory=dict)
    fixed_fen: Mapping[str, int] = field(default_factory=dict)
    per_case_cap_fen: int | None = None
    per_year_cap_fen: int | None = None
    bill_validity_days: int | None = 365
    round_to_fen: int = 1

    @property
    def eligible_classes(self) -> tuple[str, ...]:
        table = {"ratio": self.ratio_bp, "tiers": self.tiers, "fixed": self.fixed_fen}.get(self.method, {})
        return tuple(c for c in HARDSHIP_CLASSES if c in table)

    @property
    def needs_invoices(self) -> bool:
        return self.method != "fixed"

    @classmethod
    def from_dict(
        cls, data: Mapping, *, per_case_cap_fen: int | None = None, per_year_cap_fen: int | None = None
    ) -> CalculatorParams:
        """Validate a programme's JSON parameters (and its caps); ParamsError lists every problem."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise ParamsError([Problem("calculator", "须为 JSON 对象")])
        method = data.get("method")
        if method not in METHODS:
            problems.append(Problem("calculator.method", f"须为 {'、'.join(METHODS)} 之一"))

        def table(name: str, *, maximum: int | None = None) -> dict[str, int]:
            raw = data.get(name, {}) or {}
            if not isinstance(raw, Mapping):
                problems.append(Problem(f"calculator.{name}", "须为 {类别: 数值}"))
                return {}
            result = {}
            for key, value in raw.items():
                if key not in HARDSHIP_CLASSES:
                    problems.append(Problem(f"calculator.{name}.{key}", "未知的困难类别"))
                    continue
                result[key] = _int(value, f"calculator.{name}.{key}", problems, maximum=maximum)
            return result

        deductible = table("deductible_fen")
        ratios = table("ratio_bp", maximum=BP)
        fixed = table("fixed_fen")
        tiers: dict[str, tuple[Tier, ...]] = {}
        raw_tiers = data.get("tiers", {}) or {}
        if not isinstance(raw_tiers, Mapping):
            problems.append(Problem("calculator.tiers", "须为 {类别: [[上限分或null, 比例bp], …]}"))
            raw_tiers = {}
        for key, bands in raw_tiers.items():
            name = f"calculator.tiers.{key}"
            if key not in HARDSHIP_CLASSES:
                problems.append(Problem(name, "未知的困难类别"))
                continue
            if not isinstance(bands, Sequence) or isinstance(bands, str) or not bands:
                problems.append(Problem(name, "须为非空的分段列表"))
                continue
            parsed: list[Tier] = []
            previous = 0
            for index, band in enumerate(bands):
                if not isinstance(band, Sequence) or isinstance(band, str) or len(band) != 2:
                    problems.append(Problem(f"{name}[{index}]", "每段须为 [上限分或null, 比例bp]"))
                    continue
                up_to, ratio = band
                ratio = _int(ratio, f"{name}[{index}].ratio_bp", problems, maximum=BP)
                if up_to is None:
                    if index != len(bands) - 1:
                        problems.append(Problem(f"{name}[{index}]", "只有最后一段可以不设上限"))
                else:
                    up_to = _int(up_to, f"{name}[{index}].up_to_fen", problems, minimum=1)
                    if isinstance(up_to, int) and up_to <= previous:
                        problems.append(Problem(f"{name}[{index}]", "各段上限须递增"))
                    previous = up_to if isinstance(up_to, int) else previous
                parsed.append(Tier(up_to, ratio))
            tiers[key] = tuple(parsed)
        validity = data.get("bill_validity_days", 365)
        if validity is not None:
            validity = _int(validity, "calculator.bill_validity_days", problems, minimum=1)
        round_to = _int(data.get("round_to_fen", 1), "calculator.round_to_fen", problems, minimum=1)
        for name, cap in (("per_case_cap_fen", per_case_cap_fen), ("per_year_cap_fen", per_year_cap_fen)):
            if cap is not None:
                _int(cap, name, problems, minimum=1)
        params = cls(
            method=method or "",
            deductible_fen=deductible,
            ratio_bp=ratios,
            tiers=tiers,
            fixed_fen=fixed,
            per_case_cap_fen=per_case_cap_fen,
            per_year_cap_fen=per_year_cap_fen,
            bill_validity_days=validity,
            round_to_fen=round_to,
        )
        if method in METHODS and not params.eligible_classes:
            table_name = {"ratio": "ratio_bp", "tiers": "tiers", "fixed": "fixed_fen"}[method]
            problems.append(Problem(f"calculator.{table_name}", "至少为一个困难类别设置标准"))
        if problems:
            raise ParamsError(problems)
        return params

    def to_dict(self) -> dict:
        """The JSON form (without the caps, which the programme keeps in their own columns)."""
        return {
            "method": self.method,
            "deductible_fen": dict(self.deductible_fen),
            "ratio_bp": dict(self.ratio_bp),
            "tiers": {k: [[t.up_to_fen, t.ratio_bp] for t in v] for k, v in self.tiers.items()},
            "fixed_fen": dict(self.fixed_fen),
            "bill_validity_days": self.bill_validity_days,
            "round_to_fen": self.round_to_fen,
        }


@dataclass(frozen=True)
class Invoice:
    """One bill: ``key`` identifies it across all applications (a blind index), ``label`` is for the working."""

    key: str
    label: str
    amount_fen: int
    issued_on: date


@dataclass(frozen=True)
class Deductions:
    basic_insurance_fen: int = 0
    critical_illness_insurance_fen: int = 0
    medical_assistance_fen: int = 0
    commercial_insurance_fen: int = 0
    employer_fen: int = 0
    other_charity_fen: int = 0

    def items(self) -> list[tuple[str, str, int]]:
        return [(name, label, getattr(self, name)) for name, label in DEDUCTION_LABELS.items()]

    @property
    def total_fen(self) -> int:
        return sum(value for _, _, value in self.items())


@dataclass(frozen=True)
class CaseFacts:
    hardship_class: str
    applied_on: date
    invoices: tuple[Invoice, ...] = ()
    deductions: Deductions = field(default_factory=Deductions)
    received_this_year_fen: int = 0  # awards of the same programme to the same person this year
    used_invoice_keys: frozenset[str] = frozenset()  # invoices already used by other applications


@dataclass(frozen=True)
class Step:
    label: str
    detail: str
    fen: int


@dataclass(frozen=True)
class Calculation:
    method: str
    total_cost_fen: int
    reimbursed_fen: int
    eligible_fen: int
    deductible_fen: int
    base_fen: int
    computed_fen: int
    award_fen: int
    capped_by: tuple[str, ...]
    steps: tuple[Step, ...]

    def working(self) -> str:
        """The working as text, one line a step: what a reviewer or the applicant reads."""
        return "\n".join(
            f"{s.label}：{s.detail} = {format_yuan(s.fen)}" if s.detail else f"{s.label}：{format_yuan(s.fen)}"
            for s in self.steps
        )

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "total_cost_fen": self.total_cost_fen,
            "reimbursed_fen": self.reimbursed_fen,
            "eligible_fen": self.eligible_fen,
            "deductible_fen": self.deductible_fen,
            "base_fen": self.base_fen,
            "computed_fen": self.computed_fen,
            "award_fen": self.award_fen,
            "capped_by": list(self.capped_by),
            "steps": [{"label": s.label, "detail": s.detail, "fen": s.fen} for s in self.steps],
        }


def _pct(bp: int) -> str:
    whole, part = divmod(bp, 100)
    return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"


def _check(params: CalculatorParams, facts: CaseFacts) -> list[Problem]:
    problems: list[Problem] = []
    if facts.hardship_class not in HARDSHIP_CLASSES:
        problems.append(Problem("hardship_class", "请选择困难类别（特困、低保、低边、因病致贫、其他）"))
    elif facts.hardship_class not in params.eligible_classes:
        allowed = "、".join(HARDSHIP_CLASSES[c] for c in params.eligible_classes)
        problems.append(
            Problem(
                "hardship_class", f"本项目不救助「{HARDSHIP_CLASSES[facts.hardship_class]}」类别（可救助：{allowed}）"
            )
        )
    for name, label, value in facts.deductions.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(Problem(name, f"{label}金额不能为负数"))
    if facts.received_this_year_fen < 0:
        problems.append(Problem("received_this_year_fen", "本年已获救助金额不能为负数"))
    if params.needs_invoices and not facts.invoices:
        problems.append(Problem("invoices", "请至少登记一张医疗费用票据"))
    seen: set[str] = set()
    earliest = (
        facts.applied_on - timedelta(days=params.bill_validity_days) if params.bill_validity_days is not None else None
    )
    for index, invoice in enumerate(facts.invoices):
        name = f"invoices[{index}]"
        if isinstance(invoice.amount_fen, bool) or not isinstance(invoice.amount_fen, int) or invoice.amount_fen <= 0:
            problems.append(Problem(f"{name}.amount_fen", f"票据 {invoice.label} 的金额须大于0"))
        if invoice.key in seen:
            problems.append(Problem(name, f"票据 {invoice.label} 在本申请中重复登记"))
        seen.add(invoice.key)
        if invoice.key in facts.used_invoice_keys:
            problems.append(Problem(name, f"票据 {invoice.label} 已用于其他救助申请（每张票据只能使用一次）"))
        if invoice.issued_on > facts.applied_on:
            problems.append(Problem(f"{name}.issued_on", f"票据 {invoice.label} 的开具日期晚于申请日期"))
        elif earliest is not None and invoice.issued_on < earliest:
            problems.append(
                Problem(
                    f"{name}.issued_on",
                    f"票据 {invoice.label} 开具于 {invoice.issued_on:%Y-%m-%d}，"
                    f"超过申请日前 {params.bill_validity_days} 天的有效期",
                )
            )
    if not problems and params.needs_invoices:
        total = sum(i.amount_fen for i in facts.invoices)
        if facts.deductions.total_fen > total:
            problems.append(
                Problem(
                    "deductions",
                    f"各项报销与救助合计 {format_yuan(facts.deductions.total_fen)} "
                    f"超过医疗总费用 {format_yuan(total)}，请核对结算单",
                )
            )
    return problems


def _tiered(base: int, tiers: Sequence[Tier]) -> tuple[int, list[str]]:
    """Σ band × ratio, exact, then floored once; and the band lines of the working."""
    total_scaled = 0
    lines = []
    lower = 0
    for tier in tiers:
        upper = base if tier.up_to_fen is None else min(base, tier.up_to_fen)
        if upper <= lower:
            break
        band = upper - lower
        total_scaled += band * tier.ratio_bp
        lines.append(f"{format_yuan(band)} × {_pct(tier.ratio_bp)}")
        lower = upper
        if tier.up_to_fen is None:
            break
    return total_scaled // BP, lines


def calculate(params: CalculatorParams, facts: CaseFacts) -> Calculation:
    """The award for one case, with its working; CalculationRefused lists every problem with the facts."""
    problems = _check(params, facts)
    if problems:
        raise CalculationRefused(problems)
    cls = facts.hardship_class
    steps: list[Step] = []
    capped_by: list[str] = []
    total = reimbursed = eligible = deductible = base = 0
    if params.method == "fixed":
        computed = params.fixed_fen[cls]
        steps.append(Step(f"定额标准（{HARDSHIP_CLASSES[cls]}）", "", computed))
    else:
        total = sum(i.amount_fen for i in facts.invoices)
        steps.append(
            Step(
                "医疗总费用",
                " + ".join(format_yuan(i.amount_fen) for i in facts.invoices) + f"（{len(facts.invoices)} 张票据）",
                total,
            )
        )
        reimbursed = facts.deductions.total_fen
        parts = [f"{label} {format_yuan(value)}" for _, label, value in facts.deductions.items() if value]
        steps.append(Step("已报销及已获救助", " + ".join(parts) if parts else "无", reimbursed))
        eligible = total - reimbursed
        steps.append(Step("合规自付费用", f"{format_yuan(total)} − {format_yuan(reimbursed)}", eligible))
        deductible = params.deductible_fen.get(cls, 0)
        base = max(0, eligible - deductible)
        steps.append(
            Step(
                f"减起付线（{HARDSHIP_CLASSES[cls]} {format_yuan(deductible)}）",
                f"max(0, {format_yuan(eligible)} − {format_yuan(deductible)})",
                base,
            )
        )
        if params.method == "ratio":
            ratio = params.ratio_bp[cls]
            computed = base * ratio // BP
            steps.append(Step(f"按比例救助（{_pct(ratio)}）", f"{format_yuan(base)} × {_pct(ratio)}", computed))
        else:
            computed, lines = _tiered(base, params.tiers[cls])
            steps.append(Step("分段累进救助", " + ".join(lines) if lines else "0", computed))
    award = computed
    if params.per_case_cap_fen is not None and award > params.per_case_cap_fen:
        award = params.per_case_cap_fen
        capped_by.append("per_case")
        steps.append(
            Step("单笔救助上限", f"min({format_yuan(computed)}, {format_yuan(params.per_case_cap_fen)})", award)
        )
    if params.per_year_cap_fen is not None:
        room = max(0, params.per_year_cap_fen - facts.received_this_year_fen)
        if award > room:
            before = award
            award = room
            capped_by.append("per_year")
            steps.append(
                Step(
                    "年度救助上限",
                    f"min({format_yuan(before)}, {format_yuan(params.per_year_cap_fen)} − "
                    f"本年已获 {format_yuan(facts.received_this_year_fen)})",
                    award,
                )
            )
    if params.round_to_fen > 1 and award % params.round_to_fen:
        before = award
        award -= award % params.round_to_fen
        steps.append(Step("取整", f"{format_yuan(before)} 向下取整到 {format_yuan(params.round_to_fen)}", award))
    steps.append(Step("核定救助金额", "", award))
    return Calculation(
        method=params.method,
        total_cost_fen=total,
        reimbursed_fen=reimbursed,
        eligible_fen=eligible,
        deductible_fen=deductible,
        base_fen=base,
        computed_fen=computed,
        award_fen=award,
        capped_by=tuple(capped_by),
        steps=tuple(steps),
    )
