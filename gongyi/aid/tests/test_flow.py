"""The whole casework flow through the services, and every refusal named: intake → review at four levels
→ public notice → (objection) → approval → disbursement posted to the ledger → follow-up → closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.fields import unsealed
from gongyi.aid.models import (
    AidCase,
    Beneficiary,
    CaseEvent,
    CaseStatus,
    ConsentKind,
    Disbursement,
    Invoice,
    Notice,
    NoticeStatus,
)
from gongyi.aid.tests.fixtures import (
    CHILD_ID,
    GUARDIAN_ID,
    PERSON_ID,
    SECRET_DIAGNOSIS,
    approve_all,
    fund,
    open_case,
    pdf,
    ready_case,
)
from gongyi.ledger.models import EntryKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.spending.selectors import accounts_for_project

pytestmark = pytest.mark.django_db

Y = 100


def refused(field: str, contains: str, call, *args, **kwargs):
    with pytest.raises(services.AidError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value
    assert contains in caught.value.message, caught.value.message
    return caught.value


def test_application_to_disbursement_with_ledger_balances(network):
    fund(network.project, 50_000 * Y)
    balance_before = accounts_for_project(network.project).balance_fen
    case = ready_case(network)
    assert case.case_number.startswith(f"DB-{timezone.localdate().year}-") and case.status == CaseStatus.DRAFT

    # Submitted: (80,000 + 20,000) − 50,000 − 15,000 − 10,000 = 25,000 × 70% (低保) = 17,500.
    case = services.submit_case(actor=network.users["village"], case=case)
    assert case.status == CaseStatus.IN_REVIEW and case.current_step.position == 1
    assert case.calculated_fen == 17_500 * Y and case.total_cost_fen == 100_000 * Y
    assert case.calculation["steps"][-1] == {"label": "核定救助金额", "detail": "", "fen": 17_500 * Y}

    today = timezone.localdate()
    case = approve_all(network, case, today=today)
    assert case.status == CaseStatus.NOTICE and case.approved_fen == 17_500 * Y
    notice = Notice.objects.get(case=case)
    assert (notice.masked_name, notice.place, notice.amount_fen) == ("测**", "华容区 段店镇 段店村", 17_500 * Y)
    assert (notice.starts_on, notice.ends_on) == (today, today + timedelta(days=6))

    refused(
        "status",
        "公示期满无异议后才能拨付",
        services.disburse,
        actor=network.users["federation"],
        case=case,
        amount_fen=100,
        method="hospital",
        hospital_name="鄂州市中心医院",
    )
    assert services.complete_due_notices(today=today + timedelta(days=6)) == 0  # still running on its last day
    assert services.complete_due_notices(today=today + timedelta(days=7)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED

    # Paid in two parts: to the hospital, then to the person's own account.
    first = services.disburse(
        actor=network.users["federation"],
        case=case,
        amount_fen=10_000 * Y,
        method="hospital",
        hospital_name="鄂州市中心医院",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.remaining_fen == 7_500 * Y
    second = services.disburse(
        actor=network.users["federation"],
        case=case,
        amount_fen=7_500 * Y,
        method="beneficiary_account",
        account_holder="测试甲",
        bank_name="湖北农信",
        account_number="6217 0000 1111 2222",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DISBURSED and case.disbursed_fen == 17_500 * Y and case.remaining_fen == 0
    assert second.account_last4 == "2222"

    figures = accounts_for_project(network.project)
    assert figures.balance_fen == balance_before - 17_500 * Y
    assert figures.spent_by_category == {"aid": 17_500 * Y}
    for disbursement, amount in ((first, 10_000 * Y), (second, 7_500 * Y)):
        entry = JournalEntry.objects.get(pk=disbursement.entry_id)
        assert entry.kind == EntryKind.DISBURSEMENT and entry.project_id == network.project.pk
        assert entry.memo == f"救助款拨付 {case.case_number}"
        lines = sorted((line.account.code, line.amount_fen) for line in entry.lines.select_related("account"))
        assert lines == sorted(
            [
                (f"project:{network.project.pk}:spending:aid", amount),
                (f"org:{network.project.organisation_id}:expenditure_payable", -amount),
            ]
        )
    assert find_ledger_problems() == []

    services.record_follow_up(
        actor=network.users["social_worker"],
        case=case,
        kind="home_visit",
        on=today,
        services="心理疏导",
        notes="恢复良好",
    )
    case = services.close_case(actor=network.users["district"], case=case, today=today)
    assert case.status == CaseStatus.CLOSED
    assert case.retention_until == today.replace(year=today.year + 5)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[:2] == ["opened", "invoice_added"] and kinds[-1] == "closed"
    assert kinds.count("disbursed") == 2 and "notice_completed" in kinds


def test_the_public_log_leaf_of_a_disbursement_carries_no_personal_data(network):
    from gongyi.ledger.translog.models import LogLeaf, QueuedLeaf

    fund(network.project, 50_000 * Y)
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    services.complete_due_notices(today=timezone.localdate() + timedelta(days=8))
    disbursement = services.disburse(
        actor=network.users["federation"],
        case=case,
        amount_fen=1_000 * Y,
        method="beneficiary_account",
        account_holder="测试甲",
        bank_name="湖北农信",
        account_number="6217000011112222",
    )
    records = [q.record for q in QueuedLeaf.objects.filter(entry_id=disbursement.entry_id)]
    records += [str(leaf.__dict__) for leaf in LogLeaf.objects.all()]
    text = " ".join(records)
    for secret in ("测试甲", PERSON_ID, SECRET_DIAGNOSIS, "6217000011112222", "湖北农信"):
        assert secret not in text


def test_disbursement_refusals(network):
    fund(network.project, 10_000 * Y)
    case = ready_case(network)
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=case))
    services.complete_due_notices(today=timezone.localdate() + timedelta(days=8))
    fed = network.users["federation"]
    refused(
        "amount_fen",
        "超过未拨付的核定金额 ¥17,500.00（核定 ¥17,500.00，已拨付 ¥0.00）",
        services.disburse,
        actor=fed,
        case=case,
        amount_fen=17_501 * Y,
        method="hospital",
        hospital_name="医院",
    )
    refused(
        "amount_fen",
        "超出项目「鄂州市慈善大病救助」可用结余",
        services.disburse,
        actor=fed,
        case=case,
        amount_fen=17_000 * Y,
        method="hospital",
        hospital_name="医院",
    )
    refused(
        "account_number",
        "8–32位数字",
        services.disburse,
        actor=fed,
        case=case,
        amount_fen=100,
        method="beneficiary_account",
        account_holder="甲",
        bank_name="行",
        account_number="12ab",
    )
    refused(
        "actor",
        "终审人员不能拨付自己审定的案件",
        services.disburse,
        actor=network.users["city"],
        case=case,
        amount_fen=100,
        method="hospital",
        hospital_name="医院",
    )
    refused(
        "actor",
        "只有市级工作人员或慈善总会工作人员可以拨付",
        services.disburse,
        actor=network.users["district"],
        case=case,
        amount_fen=100,
        method="hospital",
        hospital_name="医院",
    )
    refused(
        "actor",
        "监管账户只能查看",
        services.disburse,
        actor=network.users["regulator"],
        case=case,
        amount_fen=100,
        method="hospital",
        hospital_name="医院",
    )
    services.withdraw_consent(actor=network.users["village"], case=case, kind=ConsentKind.SHARING)
    refused(
        "method",
        "须有“同意向医院提供信息”的单独同意",
        services.disburse,
        actor=fed,
        case=case,
        amount_fen=100,
        method="hospital",
        hospital_name="医院",
    )
    assert Disbursement.objects.count() == 0 and JournalEntry.objects.filter(kind=EntryKind.DISBURSEMENT).count() == 0
    # The same form submitted twice pays once.
    once = services.disburse(
        actor=fed,
        case=case,
        amount_fen=1_000 * Y,
        method="beneficiary_account",
        account_holder="甲",
        bank_name="行",
        account_number="62170000",
        request_key="form-1",
    )
    again = services.disburse(
        actor=fed,
        case=case,
        amount_fen=1_000 * Y,
        method="beneficiary_account",
        account_holder="甲",
        bank_name="行",
        account_number="62170000",
        request_key="form-1",
    )
    assert once.pk == again.pk and Disbursement.objects.count() == 1


def test_bad_id_numbers_are_refused_with_the_reason(network):
    refused(
        "id_number",
        "身份证号校验位应为",
        open_case,
        network,
        id_number=PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1"),
    )
    refused("id_number", "17位数字加1位校验位", open_case, network, id_number="42070319700101001")
    refused("id_number", "出生日期不存在", open_case, network, id_number=_with_check("42070319700230001"))
    refused("id_number", "出生日期晚于今天", open_case, network, id_number=_with_check("42070321990101001"))
    assert Beneficiary.objects.count() == 0 and AidCase.objects.count() == 0


def _with_check(first17: str) -> str:
    from gongyi.core.checkdigits import id_check_char

    return first17 + id_check_char(first17)


def test_intake_refusals(network):
    refused("region", "请选择申请人所在的村（社区）", open_case, network, village=network.township)
    refused("actor", "只能受理本辖区", open_case, network, village=network.far_village)
    refused("actor", "监管账户只能查看", open_case, network, actor=network.users["regulator"])
    refused("actor", "只能受理本辖区", open_case, network, actor=network.users["social_worker"])
    refused("hardship_class", "不救助「其他」类别", open_case, network, hardship="other")
    refused("diagnosis", "请填写诊断", open_case, network, diagnosis="")
    refused("guardian_name", "未满14周岁，须登记监护人", open_case, network, id_number=CHILD_ID)
    refused(
        "guardian_id_number",
        "监护人身份证号校验位应为",
        open_case,
        network,
        id_number=CHILD_ID,
        guardian=services.GuardianInput(
            "监护人", GUARDIAN_ID[:-1] + "0" if GUARDIAN_ID[-1] != "0" else GUARDIAN_ID[:-1] + "1", "母亲"
        ),
    )
    refused("basic_insurance_fen", "须不小于0", open_case, network, deductions={"basic_insurance_fen": -1})
    assert AidCase.objects.count() == 0


def test_a_person_is_found_again_by_the_blind_index_not_registered_twice(network):
    first = open_case(network)
    refused("programme", f"已有进行中的大病救助申请 {first.case_number}", open_case, network, name="别名")
    assert Beneficiary.objects.count() == 1
    # Registered in one district, applying in another: refused without showing who it is.
    error = refused(
        "id_number",
        "已在其他地区登记为受助人",
        open_case,
        network,
        village=network.far_village,
        actor=network.users["far_village"],
    )
    assert "测试甲" not in error.message and PERSON_ID not in error.message
    services.withdraw_case(actor=network.users["village"], case=first, reason="申请人放弃")
    again = open_case(network, village=network.other_village, actor=network.users["township"])
    assert again.beneficiary_id == first.beneficiary_id and Beneficiary.objects.count() == 1


def test_missing_consents_and_documents_are_named(network):
    actor = network.users["village"]
    case = open_case(network)
    services.add_invoice(
        actor=actor,
        case=case,
        code="1",
        number="0001",
        amount_fen=100_000 * Y,
        issued_on=timezone.localdate() - timedelta(days=3),
    )
    refused(
        "consents",
        "缺少知情同意：同意处理敏感个人信息（医疗健康、身份证件）；同意公示（姓名脱敏、村名、救助金额）",
        services.submit_case,
        actor=actor,
        case=case,
    )
    services.record_consent(actor=actor, case=case, kind="sensitive", signer="self")
    refused("consents", "缺少知情同意：同意公示", services.submit_case, actor=actor, case=case)
    services.record_consent(actor=actor, case=case, kind="publication", signer="self")
    refused("documents", "缺少申请材料：诊断证明/出院小结", services.submit_case, actor=actor, case=case)
    refused(
        "kind", "已记录「同意公示", services.record_consent, actor=actor, case=case, kind="publication", signer="self"
    )
    services.add_document(actor=actor, case=case, kind="diagnosis", file=pdf())
    assert services.submit_case(actor=actor, case=case).status == CaseStatus.IN_REVIEW


def test_an_under_14_applicant_needs_a_guardian_and_the_guardians_consent(network):
    actor = network.users["village"]
    case = open_case(
        network, id_number=CHILD_ID, name="小明", guardian=services.GuardianInput("监护人", GUARDIAN_ID, "母亲")
    )
    assert case.applicant_under_14
    refused(
        "signer",
        "未满14周岁，须由监护人签署",
        services.record_consent,
        actor=actor,
        case=case,
        kind="sensitive",
        signer="self",
    )
    services.add_invoice(
        actor=actor,
        case=case,
        code="1",
        number="0009",
        amount_fen=100_000 * Y,
        issued_on=timezone.localdate() - timedelta(days=3),
    )
    services.add_document(actor=actor, case=case, kind="diagnosis", file=pdf())
    for kind in ("sensitive", "publication"):
        services.record_consent(actor=actor, case=case, kind=kind, signer="guardian")
    refused("consents", "监护人同意（未满14周岁）", services.submit_case, actor=actor, case=case)
    services.record_consent(actor=actor, case=case, kind="guardian", signer="guardian")
    case = approve_all(network, services.submit_case(actor=actor, case=case))
    assert Notice.objects.get(case=case).masked_name == "未成年人（姓名不公开）"


def test_an_invoice_is_used_once_across_all_applications(network):
    first = ready_case(network, invoice_numbers=("7777",), amounts=(1_000 * Y,), deductions={})
    other = open_case(
        network,
        id_number=_with_check("42070319800101003"),
        name="乙",
        village=network.other_village,
        actor=network.users["other_village"],
    )
    refused(
        "invoice_number",
        f"已用于救助申请 {first.case_number}（每张票据只能使用一次）",
        services.add_invoice,
        actor=network.users["other_village"],
        case=other,
        code="42060126",
        number=" 7777 ",
        amount_fen=1_000 * Y,
        issued_on=timezone.localdate(),
    )
    refused(
        "invoice_number",
        "已用于本申请",
        services.add_invoice,
        actor=network.users["village"],
        case=first,
        code="4206-0126",
        number="7777",
        amount_fen=1_000 * Y,
        issued_on=timezone.localdate(),
    )
    # Rejected at the township: the invoice is released and may be claimed again.
    services.submit_case(actor=network.users["village"], case=first)
    services.review_case(
        actor=network.users["village"],
        case=first,
        decision="approve",
        no_conflict_declared=True,
        home_visit_on=timezone.localdate(),
    )
    services.review_case(
        actor=network.users["township"], case=first, decision="reject", opinion="不符合条件", no_conflict_declared=True
    )
    assert Invoice.objects.get(case=first).released
    services.add_invoice(
        actor=network.users["other_village"],
        case=other,
        code="42060126",
        number="7777",
        amount_fen=1_000 * Y,
        issued_on=timezone.localdate(),
    )


def test_the_database_refuses_an_invoice_twice_even_if_the_check_is_bypassed(network):
    from django.db import IntegrityError, transaction

    case = ready_case(network, invoice_numbers=("8888",), amounts=(1_000 * Y,))
    invoice = Invoice.objects.get(case=case)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            case=case, number="x", label="x", invoice_key=invoice.invoice_key, amount_fen=1, issued_on=invoice.issued_on
        )


def test_review_refusals(network):
    case = services.submit_case(actor=network.users["village"], case=ready_case(network))
    today = timezone.localdate()
    refused(
        "no_conflict_declared",
        "须声明本人与申请人无利害关系",
        services.review_case,
        actor=network.users["village"],
        case=case,
        decision="approve",
    )
    refused(
        "actor",
        "须由村（社区）级服务站工作人员审核",
        services.review_case,
        actor=network.users["township"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
    )
    refused(
        "actor",
        "须由村（社区）级服务站工作人员审核",
        services.review_case,
        actor=network.users["other_village"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
    )
    refused(
        "home_visit_on",
        "本环节须入户调查",
        services.review_case,
        actor=network.users["village"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
    )
    refused(
        "opinion",
        "请填写审核意见",
        services.review_case,
        actor=network.users["village"],
        case=case,
        decision="reject",
        no_conflict_declared=True,
    )
    refused(
        "amount_fen",
        "只在最后一级审核同意时填写",
        services.review_case,
        actor=network.users["village"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
        home_visit_on=today,
        amount_fen=100,
    )
    case = services.review_case(
        actor=network.users["village"], case=case, decision="approve", no_conflict_declared=True, home_visit_on=today
    )
    for name in ("township", "district"):
        case = services.review_case(actor=network.users[name], case=case, decision="approve", no_conflict_declared=True)
    refused(
        "amount_fen",
        "核定金额 ¥17,500.01 超过按救助标准测算的 ¥17,500.00，单笔上限 ¥30,000.00",
        services.review_case,
        actor=network.users["city"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
        amount_fen=1_750_001,
    )
    refused(
        "actor",
        "监管账户只能查看",
        services.review_case,
        actor=network.users["regulator"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
    )
    case = services.review_case(
        actor=network.users["city"], case=case, decision="approve", no_conflict_declared=True, amount_fen=15_000 * Y
    )
    assert case.approved_fen == 15_000 * Y and case.status == CaseStatus.NOTICE


def test_the_same_person_cannot_decide_two_levels(network):
    from gongyi.aid.models import Role

    services.grant_role(user=network.users["village"], role=Role.STATION_STAFF, station=network.township.aid_station)
    case = services.submit_case(actor=network.users["village"], case=ready_case(network))
    case = services.review_case(
        actor=network.users["village"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
        home_visit_on=timezone.localdate(),
    )
    refused(
        "actor",
        "各级审核须由不同人员完成",
        services.review_case,
        actor=network.users["village"],
        case=case,
        decision="approve",
        no_conflict_declared=True,
    )


def test_returned_case_is_corrected_and_reviewed_again_from_the_first_level(network):
    actor = network.users["village"]
    case = services.submit_case(actor=actor, case=ready_case(network))
    case = services.review_case(
        actor=actor, case=case, decision="approve", no_conflict_declared=True, home_visit_on=timezone.localdate()
    )
    case = services.review_case(
        actor=network.users["township"], case=case, decision="return", opinion="补充结算单", no_conflict_declared=True
    )
    assert case.status == CaseStatus.RETURNED
    services.update_case(actor=actor, case=case, commercial_insurance_fen=5_000 * Y)
    case = services.submit_case(actor=actor, case=case)
    assert case.review_round == 2 and case.current_step.position == 1
    assert case.calculated_fen == 14_000 * Y  # 20,000 × 70%
    case = approve_all(network, case)
    assert case.status == CaseStatus.NOTICE


def test_an_objection_pauses_the_case_and_is_resolved(network):
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    notice = Notice.objects.get(case=case)
    refused("text", "至少5个字", services.file_objection, notice_id=notice.pk, text="不对")
    objection = services.file_objection(notice_id=notice.pk, text="申请人家庭有车有房，请核实。", contact="13900000000")
    assert objection.tracking_number.startswith("YY")
    case.refresh_from_db()
    notice.refresh_from_db()
    assert case.status == CaseStatus.OBJECTION and notice.status == NoticeStatus.PAUSED
    assert services.complete_due_notices(today=notice.ends_on + timedelta(days=1)) == 0  # paused notices never complete
    refused(
        "actor",
        "只有市级工作人员或慈善总会工作人员可以处理异议",
        services.resolve_objection,
        actor=network.users["district"],
        objection=objection,
        upheld=False,
        resolution="经核实",
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    services.resolve_objection(
        actor=network.users["city"],
        objection=objection,
        upheld=False,
        resolution="经入户核实，车辆为亲属所有。",
        public_answer="经核实，异议不成立。",
        today=tomorrow,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.NOTICE
    fresh = Notice.objects.get(case=case, status=NoticeStatus.RUNNING)
    assert fresh.pk != notice.pk and (fresh.starts_on, fresh.ends_on) == (tomorrow, tomorrow + timedelta(days=6))
    second = services.file_objection(notice_id=fresh.pk, text="仍有异议：家中经营门面。", today=tomorrow)
    services.resolve_objection(actor=network.users["federation"], objection=second, upheld=True, resolution="属实")
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED and not Notice.objects.filter(case=case, status="running").exists()
    assert all(i.released for i in case.invoices.all())
    refused("notice", "该公示已结束", services.file_objection, notice_id=fresh.pk, text="再次提出异议内容")


def test_the_yearly_cap_counts_earlier_awards(network):
    network.programme.per_year_cap_fen = 20_000 * Y
    network.programme.save()
    first = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    assert first.approved_fen == 17_500 * Y
    fund(network.project, 50_000 * Y)
    services.complete_due_notices(today=timezone.localdate() + timedelta(days=8))
    services.disburse(
        actor=network.users["federation"], case=first, amount_fen=17_500 * Y, method="hospital", hospital_name="医院"
    )
    services.close_case(actor=network.users["city"], case=AidCase.objects.get(pk=first.pk))
    second = ready_case(network, invoice_numbers=("0101",), amounts=(40_000 * Y,), deductions={})
    second = services.submit_case(actor=network.users["village"], case=second)
    assert second.calculated_fen == 2_500 * Y and second.calculation["capped_by"] == ["per_year"]  # 28,000 → room 2,500


def test_anonymisation_after_retention_erases_personal_data_and_keeps_the_accounts(
    network, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    fund(network.project, 50_000 * Y)
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    services.complete_due_notices(today=timezone.localdate() + timedelta(days=8))
    services.disburse(
        actor=network.users["federation"],
        case=case,
        amount_fen=17_500 * Y,
        method="hospital",
        hospital_name="鄂州市中心医院",
    )
    services.record_follow_up(
        actor=network.users["social_worker"], case=case, kind="phone", on=timezone.localdate(), notes="电话回访"
    )
    case = services.close_case(actor=network.users["city"], case=case)
    stored = [d.storage_name for d in case.documents.all()]
    assert all(default_storage.exists(name) for name in stored)
    refused("beneficiary", "未到期", services.anonymise_beneficiary, beneficiary=case.beneficiary)
    assert services.anonymise_expired(today=case.retention_until - timedelta(days=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.anonymise_expired(today=case.retention_until) == 1
    person = Beneficiary.objects.get(pk=case.beneficiary_id)
    assert person.masked_name == "（已匿名）" and person.id_number_index is None and person.anonymised_at
    with unsealed("test"):
        assert person.name is None and person.id_number is None
        case = AidCase.objects.get(pk=case.pk)
        assert case.diagnosis is None and case.hospital is None
        assert all(f.notes is None for f in case.follow_ups.all())
    assert not any(default_storage.exists(name) for name in stored)
    assert case.approved_fen == 17_500 * Y and case.disbursed_fen == 17_500 * Y
    assert find_ledger_problems() == [] and accounts_for_project(network.project).spent_by_category == {
        "aid": 17_500 * Y
    }
    # The same person may apply again later: the old index is gone, a new record is made.
    open_case(network)
    assert Beneficiary.objects.count() == 2


def test_withdrawing_publication_consent_takes_the_notice_down(network):
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    services.withdraw_consent(actor=network.users["village"], case=case, kind=ConsentKind.PUBLICATION)
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED
    assert Notice.objects.get(case=case).status == NoticeStatus.WITHDRAWN
    refused("consents", "同意公示", services.submit_case, actor=network.users["village"], case=case)
