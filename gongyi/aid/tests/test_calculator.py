"""The calculator against cases worked by hand (amounts in yuan in the comments, fen in the code)."""

from __future__ import annotations

from datetime import date

import pytest

from gongyi.aid.calculator import (
    CalculationRefused,
    CalculatorParams,
    CaseFacts,
    Deductions,
    Invoice,
    ParamsError,
    calculate,
)

Y = 100  # fen per yuan
APPLIED = date(2026, 5, 20)

PARAMS = CalculatorParams.from_dict(
    {
        "method": "ratio",
        "deductible_fen": {"tekun": 0, "dibao": 0, "dibian": 2_000 * Y, "yinbing": 5_000 * Y},
        "ratio_bp": {"tekun": 8000, "dibao": 7000, "dibian": 6000, "yinbing": 5000},
        "bill_validity_days": 365,
    },
    per_case_cap_fen=20_000 * Y,
    per_year_cap_fen=30_000 * Y,
)


def bill(key: str, yuan: int, issued_on: date = date(2026, 4, 1)) -> Invoice:
    return Invoice(key=key, label=f"…{key}", amount_fen=yuan * Y, issued_on=issued_on)


def facts(cls="dibao", invoices=(), received=0, used=frozenset(), **deductions) -> CaseFacts:
    return CaseFacts(
        hardship_class=cls,
        applied_on=APPLIED,
        invoices=tuple(invoices),
        deductions=Deductions(**{k: v * Y for k, v in deductions.items()}),
        received_this_year_fen=received * Y,
        used_invoice_keys=frozenset(used),
    )


def test_dibao_seventy_percent_of_what_is_left_after_every_payer():
    # 80,000 + 20,000 = 100,000; − 50,000 basic − 15,000 critical − 10,000 assistance − 5,000 other charity
    # = 20,000 eligible; no deductible for 低保; × 70% = 14,000.
    result = calculate(
        PARAMS,
        facts(
            "dibao",
            [bill("A1", 80_000), bill("A2", 20_000)],
            basic_insurance_fen=50_000,
            critical_illness_insurance_fen=15_000,
            medical_assistance_fen=10_000,
            other_charity_fen=5_000,
        ),
    )
    assert (result.total_cost_fen, result.reimbursed_fen, result.eligible_fen) == (100_000 * Y, 80_000 * Y, 20_000 * Y)
    assert (result.deductible_fen, result.base_fen, result.award_fen) == (0, 20_000 * Y, 14_000 * Y)
    assert result.capped_by == ()
    working = result.working()
    assert "医疗总费用：¥80,000.00 + ¥20,000.00（2 张票据） = ¥100,000.00" in working
    assert "按比例救助（70%）：¥20,000.00 × 70% = ¥14,000.00" in working
    assert working.endswith("核定救助金额：¥14,000.00")


def test_deductible_then_ratio_then_the_per_case_cap():
    # 150,000 − 70,000 − 20,000 = 60,000; − 5,000 deductible (因病致贫) = 55,000; × 50% = 27,500 → cap 20,000.
    result = calculate(
        PARAMS,
        facts("yinbing", [bill("B1", 150_000)], basic_insurance_fen=70_000, critical_illness_insurance_fen=20_000),
    )
    assert (result.eligible_fen, result.base_fen, result.computed_fen) == (60_000 * Y, 55_000 * Y, 27_500 * Y)
    assert result.award_fen == 20_000 * Y and result.capped_by == ("per_case",)
    assert "单笔救助上限：min(¥27,500.00, ¥20,000.00) = ¥20,000.00" in result.working()


def test_the_yearly_cap_counts_what_the_person_already_received():
    # As above, but 15,000 already received this year: room 30,000 − 15,000 = 15,000.
    result = calculate(
        PARAMS,
        facts(
            "yinbing",
            [bill("C1", 150_000)],
            received=15_000,
            basic_insurance_fen=70_000,
            critical_illness_insurance_fen=20_000,
        ),
    )
    assert result.award_fen == 15_000 * Y and result.capped_by == ("per_case", "per_year")
    exhausted = calculate(PARAMS, facts("dibao", [bill("C2", 1_000)], received=30_000))
    assert exhausted.award_fen == 0 and exhausted.capped_by == ("per_year",)


def test_progressive_tiers():
    # 低边: 47,000 eligible − 2,000 deductible = 45,000:
    # 10,000 × 50% + 20,000 × 60% + 15,000 × 70% = 5,000 + 12,000 + 10,500 = 27,500.
    params = CalculatorParams.from_dict(
        {
            "method": "tiers",
            "deductible_fen": {"dibian": 2_000 * Y},
            "tiers": {"dibian": [[10_000 * Y, 5000], [30_000 * Y, 6000], [None, 7000]]},
        }
    )
    result = calculate(params, facts("dibian", [bill("D1", 50_000)], employer_fen=3_000))
    assert (result.eligible_fen, result.base_fen, result.award_fen) == (47_000 * Y, 45_000 * Y, 27_500 * Y)
    assert "¥10,000.00 × 50% + ¥20,000.00 × 60% + ¥15,000.00 × 70%" in result.working()
    small = calculate(params, facts("dibian", [bill("D2", 8_000)]))  # 6,000 base, all in the first band
    assert small.award_fen == 3_000 * Y


def test_fen_are_floored_and_rounding_to_whole_yuan_goes_down():
    # 333.33 × 70% = 233.331 → 233.33; rounded to whole yuan → 233.
    params = CalculatorParams.from_dict({"method": "ratio", "ratio_bp": {"dibao": 7000}, "round_to_fen": 100})
    result = calculate(params, facts("dibao", [Invoice("F1", "…F1", 33_333, date(2026, 5, 1))]))
    assert result.computed_fen == 23_333 and result.award_fen == 23_300


def test_fixed_stipend_needs_no_invoices():
    params = CalculatorParams.from_dict(
        {"method": "fixed", "fixed_fen": {"tekun": 3_600 * Y, "dibao": 2_400 * Y}}, per_case_cap_fen=3_000 * Y
    )
    assert calculate(params, facts("dibao")).award_fen == 2_400 * Y
    capped = calculate(params, facts("tekun"))
    assert capped.award_fen == 3_000 * Y and capped.capped_by == ("per_case",)


def test_everything_paid_by_others_leaves_nothing():
    result = calculate(PARAMS, facts("dibao", [bill("G1", 10_000)], basic_insurance_fen=10_000))
    assert result.eligible_fen == 0 and result.award_fen == 0


def refused(params, case) -> list[tuple[str, str]]:
    with pytest.raises(CalculationRefused) as caught:
        calculate(params, case)
    return [(p.field, p.message) for p in caught.value.problems]


def test_an_invoice_used_by_another_application_is_refused_by_name():
    problems = refused(PARAMS, facts("dibao", [bill("R1", 1_000), bill("R2", 2_000)], used={"R2"}))
    assert problems == [("invoices[1]", "票据 …R2 已用于其他救助申请（每张票据只能使用一次）")]


def test_the_same_invoice_twice_in_one_application_is_refused():
    problems = refused(PARAMS, facts("dibao", [bill("S1", 1_000), bill("S1", 1_000)]))
    assert problems == [("invoices[1]", "票据 …S1 在本申请中重复登记")]


def test_invoices_outside_the_validity_window_are_refused():
    problems = refused(
        PARAMS, facts("dibao", [bill("O1", 1_000, date(2025, 5, 19)), bill("O2", 1_000, date(2026, 5, 21))])
    )
    assert problems == [
        ("invoices[0].issued_on", "票据 …O1 开具于 2025-05-19，超过申请日前 365 天的有效期"),
        ("invoices[1].issued_on", "票据 …O2 的开具日期晚于申请日期"),
    ]
    assert calculate(PARAMS, facts("dibao", [bill("O3", 1_000, date(2025, 5, 20))])).award_fen == 700 * Y


def test_reimbursements_above_the_cost_are_refused_not_clipped():
    problems = refused(
        PARAMS, facts("dibao", [bill("T1", 10_000)], basic_insurance_fen=9_000, commercial_insurance_fen=2_000)
    )
    assert problems == [("deductions", "各项报销与救助合计 ¥11,000.00 超过医疗总费用 ¥10,000.00，请核对结算单")]


def test_a_class_the_programme_does_not_cover_and_missing_invoices():
    assert refused(PARAMS, facts("other", [bill("U1", 1_000)])) == [
        ("hardship_class", "本项目不救助「其他」类别（可救助：特困、低保、低边、因病致贫）")
    ]
    assert refused(PARAMS, facts("dibao")) == [("invoices", "请至少登记一张医疗费用票据")]
    assert refused(PARAMS, facts("nobody", [bill("U2", 1)]))[0][0] == "hardship_class"
    assert refused(PARAMS, facts("dibao", [bill("U3", 1_000)], basic_insurance_fen=-1))[0] == (
        "basic_insurance_fen",
        "基本医保报销金额不能为负数",
    )


def test_parameters_are_validated_with_every_problem_named():
    with pytest.raises(ParamsError) as caught:
        CalculatorParams.from_dict(
            {
                "method": "tiers",
                "ratio_bp": {"dibao": 12_000, "nobody": 1},
                "tiers": {"dibao": [[None, 5000], [100, 6000]], "tekun": [[200, 5000], [100, 6000]]},
                "round_to_fen": 0,
            },
            per_case_cap_fen=0,
        )
    fields = [p.field for p in caught.value.problems]
    assert "calculator.ratio_bp.dibao" in fields and "calculator.ratio_bp.nobody" in fields
    assert "calculator.tiers.dibao[0]" in fields and "calculator.tiers.tekun[1]" in fields
    assert "calculator.round_to_fen" in fields and "per_case_cap_fen" in fields
    with pytest.raises(ParamsError, match=r"calculator\.method"):
        CalculatorParams.from_dict({"method": "guess"})
    with pytest.raises(ParamsError, match="至少为一个困难类别设置标准"):
        CalculatorParams.from_dict({"method": "ratio"})


def test_parameters_round_trip_through_json():
    assert (
        CalculatorParams.from_dict(PARAMS.to_dict(), per_case_cap_fen=20_000 * Y, per_year_cap_fen=30_000 * Y) == PARAMS
    )
