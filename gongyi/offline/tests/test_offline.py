"""Offline gifts: entered with vouchers, checked by a second person, then — only then — posted like online gifts."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook

from gongyi.drives.models import UnitOfflineGift
from gongyi.drives.services import record_offline_unit_gift
from gongyi.drives.tests.helpers import load_regions, make_unit
from gongyi.funds.models import FundKind, FundStatus
from gongyi.funds.services import create_named_fund, propose_fund_grant, transfer_to_fund
from gongyi.giving.models import Gift, GiftStatus
from gongyi.ledger.models import Account, EntryKind, JournalEntry, JournalLine
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.ledger.translog.models import LogLeaf, QueuedLeaf
from gongyi.offline.models import (
    DonorKind,
    Method,
    OfflineGift,
    OfflineReceipt,
    ReceiptChoice,
    ReceiptStatus,
    Status,
    VoucherKind,
)
from gongyi.offline.services import (
    OfflineError,
    VoucherUpload,
    confirm_offline_gift,
    export_offline_receipt,
    record_offline_gift,
    record_offline_receipt_issued,
    register_donation_box,
    reject_offline_gift,
    reject_offline_receipt,
    request_offline_receipt,
    void_offline_gift,
)
from gongyi.offline.tests.helpers import (
    confirmed_transfer,
    document,
    enter_transfer,
    slip,
)
from gongyi.payments.models import Order, OrderStatus
from gongyi.projects.models import Project
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.tests.helpers import make_pool, make_user
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db


def balance(code: str) -> int:
    account = Account.objects.filter(code=code).first()
    return account.balance_fen if account else 0


def legs(entry: JournalEntry) -> list[tuple[str, int]]:
    return list(entry.lines.order_by("id").values_list("account__code", "amount_fen"))


# --- directed to a project: a real Gift through confirm_payment ------------------------------------------


def test_nothing_moves_until_a_second_person_checks(federation, offline_staff):
    clerk, _checker = offline_staff
    project = make_project(title="美丽村湾")
    entries_before = JournalEntry.objects.count()

    gift = enter_transfer(clerk, fen=50_000_00, project=project)

    assert gift.status == Status.ENTERED
    assert JournalEntry.objects.count() == entries_before
    assert not Order.objects.filter(gateway="offline").exists()
    assert accounts_for_project(project).raised_fen == 0


def test_checked_transfer_to_a_project_counts_like_an_online_gift(federation, offline_staff):
    clerk, checker = offline_staff
    project = make_project(title="美丽村湾")
    gift = enter_transfer(clerk, fen=50_000_00, project=project)

    gift = confirm_offline_gift(gift=gift, checker=checker, note="与回单一致")

    assert gift.status == Status.CONFIRMED and gift.checked_by == checker
    made = Gift.objects.select_related("order").get(pk=gift.gift_id)
    assert (made.gateway, made.amount_fen, made.project_id, made.status) == (
        "offline",
        50_000_00,
        project.pk,
        "confirmed",
    )
    assert made.order.status == OrderStatus.PAID and made.order.gateway == "offline"
    assert made.provider_txn_id == gift.number
    assert made.donor_key == "offline:org:" + gift.donor_uscc
    project = Project.objects.get(pk=project.pk)
    assert (project.gifts_count, project.donors_count) == (1, 1)
    assert accounts_for_project(project).raised_fen == 50_000_00
    assert legs(gift.entry) == [
        ("clearing:offline", 50_000_00),
        (f"project:{project.pk}:project_donations", -50_000_00),
    ]
    assert gift.entry.kind == EntryKind.GIFT and gift.entry.gift_id == made.pk
    assert legs(gift.settlement_entry) == [("bank:main", 50_000_00), ("clearing:offline", -50_000_00)]
    assert balance("clearing:offline") == 0
    assert balance("bank:main") == 50_000_00
    assert find_ledger_problems() == []


def test_the_enterer_cannot_check_their_own_gift_and_the_database_agrees(federation, django_user_model):
    both = make_user(django_user_model, "both", "offline.add_offlinegift", "offline.check_offlinegift")
    gift = enter_transfer(both, project=make_project())

    with pytest.raises(OfflineError) as refused:
        confirm_offline_gift(gift=gift, checker=both)
    assert refused.value.field == "checker"
    assert OfflineGift.objects.get(pk=gift.pk).status == Status.ENTERED
    assert not Gift.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        OfflineGift.objects.filter(pk=gift.pk).update(checked_by=both)


def test_checking_needs_the_permission(federation, offline_staff, django_user_model):
    clerk, _ = offline_staff
    other_clerk = make_user(django_user_model, "other", "offline.add_offlinegift")
    gift = enter_transfer(clerk, project=make_project())
    with pytest.raises(OfflineError) as refused:
        confirm_offline_gift(gift=gift, checker=other_clerk)
    assert refused.value.field == "actor"
    assert not Gift.objects.exists()


def test_database_refuses_a_confirmed_gift_without_its_entry(federation, offline_staff):
    clerk, checker = offline_staff
    gift = enter_transfer(clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        OfflineGift.objects.filter(pk=gift.pk).update(status=Status.CONFIRMED, checked_by=checker)


def test_rejected_gift_moves_no_money_and_frees_its_bank_reference(federation, offline_staff):
    clerk, checker = offline_staff
    gift = enter_transfer(clerk, project=make_project())
    reject_offline_gift(gift=gift, checker=checker, reason="金额与回单不符")
    assert OfflineGift.objects.get(pk=gift.pk).status == Status.REJECTED
    assert JournalEntry.objects.count() == 0
    again = enter_transfer(clerk, bank_reference=gift.bank_reference, fen=49_999_00)
    assert again.status == Status.ENTERED


# --- unrestricted, cash, donation boxes --------------------------------------------------------------------


def test_unrestricted_transfer_goes_to_the_federation_general_fund(federation, offline_staff):
    clerk, checker = offline_staff
    gift = confirmed_transfer(clerk, checker, fen=20_000_00)
    assert gift.gift_id is None and gift.settlement_entry_id is None
    assert legs(gift.entry) == [("bank:main", 20_000_00), (f"org:{federation.pk}:general_fund", -20_000_00)]
    assert balance(f"org:{federation.pk}:general_fund") == 20_000_00
    assert gift.organisation == federation
    assert find_ledger_problems() == []


def test_cash_is_debited_to_cash(federation, offline_staff):
    clerk, checker = offline_staff
    gift = record_offline_gift(
        method=Method.CASH,
        donor_kind=DonorKind.PERSON,
        donor_name="王小明",
        amount_fen=500_00,
        received_on=timezone.localdate(),
        receipt_choice=ReceiptChoice.WAIVED,
        vouchers=[VoucherUpload(kind=VoucherKind.CASH_RECEIPT, file=slip())],
        entered_by=clerk,
    )
    gift = confirm_offline_gift(gift=gift, checker=checker)
    assert legs(gift.entry) == [("cash:main", 500_00), (f"org:{federation.pk}:general_fund", -500_00)]
    assert gift.public_donor == "王**"


def test_each_method_needs_its_own_voucher(federation, offline_staff):
    clerk, _ = offline_staff
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, vouchers=[VoucherUpload(kind=VoucherKind.CASH_RECEIPT, file=slip())])
    assert refused.value.field == "vouchers" and "银行回单" in refused.value.message
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, vouchers=[VoucherUpload(kind=VoucherKind.BANK_SLIP, file=document("slip.txt"))])
    assert refused.value.field == "vouchers"
    assert not OfflineGift.objects.exists()


def box_opening(clerk, box, counted_by=("刘敏", "陈刚"), fen=1_286_50, **kwargs):
    return record_offline_gift(
        method=Method.DONATION_BOX,
        donor_kind=DonorKind.PUBLIC,
        amount_fen=fen,
        received_on=timezone.localdate(),
        box=box,
        counted_by=counted_by,
        receipt_choice=ReceiptChoice.WANTED,
        vouchers=[VoucherUpload(kind=VoucherKind.BOX_RECORD, file=slip("box.png"))],
        entered_by=clerk,
        **kwargs,
    )


def test_a_box_opening_is_counted_by_two_people_and_goes_to_the_box_project(federation, offline_staff):
    clerk, checker = offline_staff
    project = make_project(title="一张纸献爱心")
    box = register_donation_box(code="yzz-001", location="市民政局大厅", project=project, actor=clerk)
    assert box.code == "YZZ-001"

    with pytest.raises(OfflineError) as refused:
        box_opening(clerk, box, counted_by=("刘敏", ""))
    assert refused.value.field == "counted_by"
    with pytest.raises(OfflineError) as refused:
        box_opening(clerk, box, counted_by=("刘敏", " 刘敏 "))
    assert refused.value.field == "counted_by"

    gift = confirm_offline_gift(gift=box_opening(clerk, box), checker=checker)

    assert gift.project == project
    assert gift.receipt_choice == ReceiptChoice.ANONYMOUS  # art. 38: the anonymity is on record
    assert gift.public_donor == "社会公众（捐赠箱）"
    made = Gift.objects.get(pk=gift.gift_id)
    assert made.donor_key == f"offline:box:{box.pk}" and made.anonymous
    assert legs(gift.settlement_entry) == [("cash:main", 1_286_50), ("clearing:offline", -1_286_50)]
    assert accounts_for_project(project).raised_fen == 1_286_50
    assert not OfflineReceipt.objects.exists()


def test_database_refuses_a_box_opening_with_one_counter(federation, offline_staff):
    clerk, _ = offline_staff
    box = register_donation_box(code="B2", location="商场", actor=clerk)
    gift = box_opening(clerk, box)
    with pytest.raises(IntegrityError), transaction.atomic():
        OfflineGift.objects.filter(pk=gift.pk).update(counted_by_second=gift.counted_by_first)
    with pytest.raises(IntegrityError), transaction.atomic():
        OfflineGift.objects.filter(pk=gift.pk).update(counted_by_second="")


# --- one bank reference, once --------------------------------------------------------------------------


def test_a_bank_reference_is_entered_once(federation, offline_staff):
    clerk, _ = offline_staff
    first = enter_transfer(clerk)
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, bank_reference=first.bank_reference)
    assert refused.value.field == "bank_reference"
    with pytest.raises(IntegrityError), transaction.atomic():
        OfflineGift.objects.create(
            method=Method.BANK_TRANSFER,
            donor_kind=DonorKind.ORGANISATION,
            donor_name="x",
            organisation=federation,
            amount_fen=1,
            received_on=timezone.localdate(),
            bank_reference=first.bank_reference,
            receipt_choice=ReceiptChoice.WAIVED,
            entered_by=clerk,
        )


def test_a_units_transfer_already_entered_in_the_drives_app_is_refused(federation, offline_staff):
    clerk, _ = offline_staff
    load_regions()
    project = make_project()
    unit = make_unit("鄂州市民政局")
    record_offline_unit_gift(
        unit=unit,
        project=project,
        amount_fen=10_000,
        received_on=timezone.localdate(),
        bank_reference="SHARED-REF-1",
        payer_account_name="鄂州市民政局",
        voucher=slip(),
        actor=clerk,
    )
    assert UnitOfflineGift.objects.filter(bank_reference="SHARED-REF-1").exists()
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, bank_reference="SHARED-REF-1", project=project)
    assert refused.value.field == "bank_reference"


# --- voiding ---------------------------------------------------------------------------------------------


def test_voiding_a_directed_gift_takes_everything_back_once(federation, offline_staff):
    clerk, checker = offline_staff
    project = make_project()
    gift = confirmed_transfer(clerk, checker, fen=30_000_00, project=project)

    gift = void_offline_gift(gift=gift, actor=checker, reason="重复录入")

    assert gift.status == Status.VOIDED
    made = Gift.objects.select_related("order").get(pk=gift.gift_id)
    assert made.status == GiftStatus.REFUNDED and made.order.status == OrderStatus.REFUNDED
    project = Project.objects.get(pk=project.pk)
    assert (project.gifts_count, project.donors_count) == (0, 0)
    assert accounts_for_project(project).raised_fen == 0
    assert balance("bank:main") == 0 and balance("clearing:offline") == 0
    assert JournalEntry.objects.filter(kind=EntryKind.GIFT_REVERSAL, reverses=gift.entry).count() == 1
    assert JournalEntry.objects.filter(reverses=gift.settlement_entry).count() == 1
    with pytest.raises(OfflineError):
        void_offline_gift(gift=gift, actor=checker, reason="again")
    assert find_ledger_problems() == []
    # The reference is free again for the corrected entry.
    assert enter_transfer(clerk, bank_reference=gift.bank_reference, project=project).status == Status.ENTERED


def test_voiding_unrestricted_money_already_moved_into_a_fund_is_refused(federation, offline_staff, django_user_model):
    clerk, checker = offline_staff
    funder = make_user(django_user_model, "funder", "funds.add_namedfund", "funds.add_fundcontribution")
    gift = confirmed_transfer(clerk, checker, fen=10_000_00)
    fund = create_named_fund(
        name="测试基金",
        founder_kind="organisation",
        founder_name="某公司",
        kind=FundKind.SPEND,
        purpose="助学",
        agreement_signed_on=timezone.localdate(),
        minimum_fen=0,
        actor=funder,
    )
    transfer_to_fund(fund=fund, amount_fen=6_000_00, actor=funder)
    with pytest.raises(OfflineError) as refused:
        void_offline_gift(gift=gift, actor=checker, reason="录入错误")
    assert refused.value.field == "amount_fen"
    assert OfflineGift.objects.get(pk=gift.pk).status == Status.CONFIRMED
    assert balance(f"org:{federation.pk}:general_fund") == 4_000_00


# --- named funds ---------------------------------------------------------------------------------------


def test_a_transfer_to_a_named_fund_enters_its_sub_ledger_and_establishes_it(
    federation, offline_staff, django_user_model
):
    clerk, checker = offline_staff
    funder = make_user(django_user_model, "funder", "funds.add_namedfund", "funds.add_fundgrant")
    fund = create_named_fund(
        name="同心助学基金",
        founder_kind="organisation",
        founder_name="鄂州市同心实业有限公司",
        kind=FundKind.KEEP_PRINCIPAL,
        purpose="助学",
        agreement_signed_on=timezone.localdate() - timedelta(days=30),
        minimum_fen=200_000_00,
        actor=funder,
    )
    first = confirmed_transfer(clerk, checker, fen=150_000_00, fund=fund, to_principal=True)
    fund.refresh_from_db()
    assert fund.status == FundStatus.PLEDGED
    assert legs(first.entry) == [("bank:main", 150_000_00), (f"fund:{fund.pk}:principal", -150_000_00)]
    confirmed_transfer(clerk, checker, fen=60_000_00, fund=fund)
    fund.refresh_from_db()
    assert fund.status == FundStatus.ACTIVE
    assert balance(f"fund:{fund.pk}:principal") == 150_000_00
    assert balance(f"fund:{fund.pk}:available") == 60_000_00
    # A principal-kept fund grants only what is available, never the principal.
    with pytest.raises(Exception) as refused:
        propose_fund_grant(fund=fund, project=make_project(), amount_fen=60_000_01, purpose="学费", actor=funder)
    assert getattr(refused.value, "field", "") == "amount_fen"


def test_only_a_principal_kept_fund_takes_principal(federation, offline_staff, django_user_model):
    clerk, _ = offline_staff
    funder = make_user(django_user_model, "funder", "funds.add_namedfund")
    fund = create_named_fund(
        name="动本基金",
        founder_kind="person",
        founder_name="张三",
        kind=FundKind.SPEND,
        purpose="济困",
        agreement_signed_on=timezone.localdate(),
        actor=funder,
    )
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, fund=fund, to_principal=True)
    assert refused.value.field == "to_principal"
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, fund=fund, project=make_project())
    assert refused.value.field == "fund"


# --- receipts ------------------------------------------------------------------------------------------


def test_a_wanted_receipt_is_requested_on_confirmation_and_exported_through_the_drives_adapter(
    federation, offline_staff, media_root
):
    clerk, checker = offline_staff
    gift = confirmed_transfer(
        clerk, checker, fen=12_345_67, receipt_choice=ReceiptChoice.WANTED, donor_contact="0711-1"
    )
    receipt = OfflineReceipt.objects.get(gift=gift)
    assert (receipt.status, receipt.payer_name, receipt.payer_uscc, receipt.total_fen) == (
        ReceiptStatus.REQUESTED,
        "鄂州市华耀建材有限公司",
        gift.donor_uscc,
        12_345_67,
    )

    receipt = export_offline_receipt(receipt=receipt, actor=checker)

    assert receipt.status == ReceiptStatus.EXPORTED and receipt.issuer == "file-export"
    book = load_workbook(media_root / receipt.export_path, read_only=True)
    head = {row[0]: row[1] for row in book["票据申请"].iter_rows(values_only=True)}
    assert head["交款人"] == "鄂州市华耀建材有限公司"
    assert head["交款人统一社会信用代码"] == gift.donor_uscc
    assert head["金额合计（元）"] == 12345.67
    detail = list(book["明细"].iter_rows(values_only=True))
    assert detail[1][1:3] == ("鄂州市华耀建材有限公司", 12345.67) and detail[1][4] == gift.bank_reference

    with pytest.raises(OfflineError):  # voiding waits until the receipt is dealt with
        void_offline_gift(gift=gift, actor=checker, reason="x")
    receipt = record_offline_receipt_issued(receipt=receipt, receipt_no="00012345", check_code="ab12", actor=checker)
    assert receipt.status == ReceiptStatus.ISSUED
    with pytest.raises(OfflineError):
        request_offline_receipt(gift=gift, actor=checker)  # one live receipt per gift


def test_a_rejected_receipt_frees_the_gift(federation, offline_staff):
    clerk, checker = offline_staff
    gift = confirmed_transfer(clerk, checker)
    assert gift.receipt_choice == ReceiptChoice.WAIVED and not gift.receipts.exists()
    receipt = request_offline_receipt(gift=gift, actor=checker, payer_name="华耀建材")
    assert OfflineGift.objects.get(pk=gift.pk).receipt_choice == ReceiptChoice.WANTED
    reject_offline_receipt(receipt=receipt, reason="抬头有误", actor=checker)
    again = request_offline_receipt(gift=gift, actor=checker, payer_name="鄂州市华耀建材有限公司")
    assert again.status == ReceiptStatus.REQUESTED
    reject_offline_receipt(receipt=again, reason="不需要了", actor=checker)
    assert void_offline_gift(gift=gift, actor=checker, reason="录入错误").status == Status.VOIDED


def test_anonymous_gifts_cannot_be_receipted(federation, offline_staff):
    clerk, checker = offline_staff
    with pytest.raises(OfflineError) as refused:
        enter_transfer(clerk, anonymous=True, receipt_choice=ReceiptChoice.WANTED)
    assert refused.value.field == "receipt_choice"
    gift = confirmed_transfer(clerk, checker, anonymous=True)
    with pytest.raises(OfflineError):
        request_offline_receipt(gift=gift, actor=checker)


def test_receipts_are_not_requested_before_the_money_is_checked(federation, offline_staff):
    clerk, checker = offline_staff
    gift = enter_transfer(clerk)
    with pytest.raises(OfflineError) as refused:
        request_offline_receipt(gift=gift, actor=checker)
    assert refused.value.field == "status"


# --- the gateway, matching, the public log -----------------------------------------------------------------


def test_offline_is_never_offered_to_donors():
    from gongyi.payments.gateways import UnknownGateway, enabled_gateways, get_gateway
    from gongyi.payments.models import Gateway
    from gongyi.payments.services import OrderInputError, OrderRequest, create_order

    assert Gateway.OFFLINE == "offline"
    assert "offline" not in enabled_gateways()
    with pytest.raises(UnknownGateway):
        get_gateway("offline")
    with pytest.raises(OrderInputError) as refused:
        create_order(request=OrderRequest(project_id=1, amount_fen=100, gateway="offline"))
    assert refused.value.field == "gateway"


def test_offline_gifts_are_not_matched(federation, offline_staff):
    from gongyi.matching.models import Match, MatchingPool

    clerk, checker = offline_staff
    campaign = make_campaign(federation)
    pool = make_pool(campaign, ratio_bp=10_000)
    project = make_project(campaign=campaign)

    gift = confirmed_transfer(clerk, checker, fen=1_000_00, project=project)

    made = Gift.objects.get(pk=gift.gift_id)
    assert made.matched_fen == 0
    assert not Match.objects.filter(gift=made).exists()
    assert MatchingPool.objects.get(pk=pool.pk).matched_fen == 0
    assert accounts_for_project(project).matched_fen == 0


CODE = re.compile(
    r"^(bank|cash):main$|^clearing:offline$|^org:\d+:general_fund$|^fund:\d+:(principal|available)$|^project:\d+:[a-z_]+$"
)


def test_every_posting_becomes_a_public_log_leaf_with_ids_only(federation, offline_staff):
    clerk, checker = offline_staff
    confirmed_transfer(clerk, checker, project=make_project())
    confirmed_transfer(clerk, checker)
    records = [json.loads(q.record) for q in QueuedLeaf.objects.all()] + [
        json.loads(bytes(leaf.data)) for leaf in LogLeaf.objects.all()
    ]
    entries = set(JournalEntry.objects.values_list("pk", flat=True))
    assert {r["entry"] for r in records} == entries
    for record in records:
        text = json.dumps(record, ensure_ascii=False)
        assert "华耀" not in text and COMPANY_NAME_FRAGMENT not in text
        assert all(CODE.match(line["account"]) for line in record["lines"]), record["lines"]
    assert JournalLine.objects.filter(entry__memo__contains="华耀").count() == 0


COMPANY_NAME_FRAGMENT = "建材"
