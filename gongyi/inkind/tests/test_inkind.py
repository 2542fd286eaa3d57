"""In-kind gifts: valued with evidence, checked, accepted by a second person into stock at their valuation
(no cash moves), handed out with signed records at the proportional value; stock never negative."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from gongyi.inkind.models import (
    GiftStatus,
    Handout,
    HandoutStatus,
    InKindGift,
    InKindItem,
    QualityStatus,
    Stock,
)
from gongyi.inkind.selectors import (
    all_in_kind_figures,
    find_stock_problems,
    organisation_in_kind_figures,
    project_in_kind_figures,
)
from gongyi.inkind.services import (
    InKindError,
    accept_inkind_gift,
    add_inkind_document,
    check_item_quality,
    hand_out,
    handout_value,
    move_stock,
    reject_inkind_gift,
    void_handout,
    void_inkind_gift,
)
from gongyi.inkind.tests.helpers import accepted, item, register, signed_record, warehouse
from gongyi.ledger.models import Account, EntryKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.offline.tests.helpers import document
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def balance(code: str) -> int:
    account = Account.objects.filter(code=code).first()
    return account.balance_fen if account else 0


def legs(entry) -> list[tuple[str, int]]:
    return list(entry.lines.order_by("id").values_list("account__code", "amount_fen"))


def give_out(clerk, row, quantity, place, *, recipient="鄂州市社会福利院", kind="institution"):
    return hand_out(
        item=row,
        warehouse=place,
        quantity=quantity,
        recipient_kind=kind,
        recipient_name=recipient,
        purpose="养老机构疫情防护",
        handed_on=timezone.localdate(),
        signed_record=signed_record(),
        actor=clerk,
    )


# --- accepting: a second person, evidence, quality ---------------------------------------------------------


def test_acceptance_posts_stock_against_in_kind_donations_at_valuation_without_cash(federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse("市慈善总会物资仓库")
    gift = register(
        clerk, [item("次氯酸消毒液", 6_000, 43_000_00, "瓶"), item("新冠抗原检测试剂盒", 20_000, 60_000_00, "盒")]
    )
    assert gift.organisation == federation and gift.status == GiftStatus.REGISTERED
    assert JournalEntry.objects.count() == 0
    for row in gift.items.all():
        check_item_quality(item=row, passed=True, checker=clerk, note="合格证齐全")

    gift = accept_inkind_gift(gift=gift, warehouse=place, actor=checker)

    disinfectant, antigen = gift.items.order_by("id")
    assert gift.status == GiftStatus.ACCEPTED and gift.accepted_by == checker
    assert gift.entry.kind == EntryKind.IN_KIND_GIFT
    assert legs(gift.entry) == [
        (f"inkind:item:{disinfectant.pk}:stock", 43_000_00),
        (f"inkind:item:{antigen.pk}:stock", 60_000_00),
        (f"org:{federation.pk}:in_kind_donations", -103_000_00),
    ]
    assert (disinfectant.in_stock_quantity, disinfectant.stock_value_fen) == (6_000, 43_000_00)
    assert Stock.objects.get(item=antigen, warehouse=place).quantity == 20_000
    assert organisation_in_kind_figures(federation).as_dict() == {
        "received_fen": 103_000_00,
        "handed_out_fen": 0,
        "stock_fen": 103_000_00,
    }
    assert not Account.objects.filter(code__in=["bank:main", "cash:main"]).exists()  # no cash moved
    assert find_ledger_problems() == [] and find_stock_problems() == []


def test_the_person_who_registered_cannot_accept_and_the_database_agrees(federation, django_user_model):
    both = make_user(
        django_user_model, "both", "inkind.add_inkindgift", "inkind.accept_inkindgift", "inkind.check_quality"
    )
    gift = register(both, [item("口罩", 100, 500_00)])
    check_item_quality(item=gift.items.get(), passed=True, checker=both)
    with pytest.raises(InKindError) as refused:
        accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=both)
    assert refused.value.field == "actor"
    assert InKindGift.objects.get(pk=gift.pk).status == GiftStatus.REGISTERED
    with pytest.raises(IntegrityError), transaction.atomic():
        InKindGift.objects.filter(pk=gift.pk).update(accepted_by=both)


def test_acceptance_needs_every_item_checked_and_valuation_evidence(federation, goods_staff):
    clerk, checker = goods_staff
    gift = register(clerk, [item("口罩", 100, 500_00), item("手套", 50, 100_00)], evidence=False)
    masks, gloves = gift.items.order_by("id")
    check_item_quality(item=masks, passed=True, checker=clerk)
    with pytest.raises(InKindError) as refused:
        accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=checker)
    assert refused.value.field == "items"
    check_item_quality(item=gloves, passed=True, checker=clerk)
    with pytest.raises(InKindError) as refused:
        accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=checker)
    assert refused.value.field == "documents" and "口罩" in refused.value.message
    add_inkind_document(gift=gift, item=masks, kind="market_price", file=document(), actor=clerk)
    with pytest.raises(InKindError) as refused:  # the gloves still have none
        accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=checker)
    assert "手套" in refused.value.message
    add_inkind_document(gift=gift, item=gloves, kind="appraisal", file=document(), actor=clerk)
    assert accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=checker).status == GiftStatus.ACCEPTED
    assert JournalEntry.objects.count() == 1


def test_failed_items_stay_out_of_stock_and_out_of_the_accounts(federation, goods_staff):
    clerk, checker = goods_staff
    gift = register(clerk, [item("消毒液", 100, 1_000_00), item("过期试剂", 100, 2_000_00)])
    good, expired = gift.items.order_by("id")
    with pytest.raises(InKindError) as refused:
        check_item_quality(item=expired, passed=False, checker=clerk)
    assert refused.value.field == "note"
    check_item_quality(item=expired, passed=False, checker=clerk, note="已过有效期（慈善法第三十六条）")
    check_item_quality(item=good, passed=True, checker=clerk)
    gift = accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=checker)
    assert gift.entry.lines.count() == 2
    assert organisation_in_kind_figures(federation).received_fen == 1_000_00
    assert not Stock.objects.filter(item=expired).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        InKindItem.objects.filter(pk=expired.pk).update(in_stock_quantity=1)


def test_goods_that_all_fail_are_rejected_not_accepted(federation, goods_staff):
    clerk, checker = goods_staff
    gift = register(clerk, [item("过期试剂", 10, 100_00)])
    check_item_quality(item=gift.items.get(), passed=False, checker=clerk, note="过期")
    with pytest.raises(InKindError):
        accept_inkind_gift(gift=gift, warehouse=warehouse(), actor=checker)
    assert reject_inkind_gift(gift=gift, actor=checker, reason="全部不合格，已退回捐赠人").status == GiftStatus.REJECTED
    assert JournalEntry.objects.count() == 0


def test_registration_refuses_items_without_value(federation, goods_staff):
    clerk, _ = goods_staff
    with pytest.raises(InKindError) as refused:
        register(clerk, [item("旧衣物", 10, 0)])
    assert refused.value.field == "items" and "估值" in refused.value.message
    with pytest.raises(InKindError):
        register(clerk, [])
    assert not InKindGift.objects.exists()


# --- hand-outs: proportional value, the last takes the remainder ------------------------------------------


def test_hand_outs_take_the_proportional_value_and_the_last_takes_the_remainder(federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("消毒液", 3, 10_00, "瓶"), item("试剂", 7, 1_00, "盒")], into=place)
    liquid, tests = gift.items.order_by("id")

    values = [give_out(clerk, liquid, 1, place).value_fen for _ in range(3)]
    assert values == [333, 333, 334]
    values = [give_out(clerk, tests, n, place).value_fen for n in (2, 3, 2)]
    assert values == [28, 43, 29]  # 100×2//7, 72×3//5, the remaining 29

    for row in (liquid, tests):
        row.refresh_from_db()
        assert (row.in_stock_quantity, row.stock_value_fen) == (0, 0)
        assert row.handed_out_value_fen == row.valuation_fen
        assert balance(f"inkind:item:{row.pk}:stock") == 0  # the stock account reaches exactly 0
    handout = Handout.objects.filter(item=liquid).order_by("id").first()
    assert legs(handout.entry) == [
        (f"org:{federation.pk}:in_kind_handouts", 333),
        (f"inkind:item:{liquid.pk}:stock", -333),
    ]
    figures = organisation_in_kind_figures(federation)
    assert (figures.received_fen, figures.handed_out_fen, figures.stock_fen) == (11_00, 11_00, 0)
    assert find_ledger_problems() == [] and find_stock_problems() == []


def test_a_hand_out_worth_less_than_a_fen_posts_nothing(federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("棉签", 1_000, 1, "支")], into=place)
    row = gift.items.get()
    first = give_out(clerk, row, 1, place)
    assert (first.value_fen, first.entry_id) == (0, None)
    last = give_out(clerk, row, 999, place)
    assert last.value_fen == 1 and last.entry is not None
    assert balance(f"inkind:item:{row.pk}:stock") == 0


def test_a_hand_out_beyond_the_stock_is_refused_and_writes_nothing(federation, goods_staff):
    clerk, checker = goods_staff
    place, other = warehouse(), warehouse()
    gift = accepted(clerk, checker, [item("消毒液", 10, 1_000_00)], into=place)
    row = gift.items.get()
    move_stock(item=row, from_warehouse=place, to_warehouse=other, quantity=4, actor=clerk)
    entries = JournalEntry.objects.count()

    with pytest.raises(InKindError) as refused:
        give_out(clerk, row, 7, place)  # 10 in stock, but only 6 in this warehouse
    assert refused.value.field == "quantity" and "现有 6" in refused.value.message
    with pytest.raises(InKindError):
        give_out(clerk, row, 11, other)

    assert JournalEntry.objects.count() == entries and not Handout.objects.exists()
    row.refresh_from_db()
    assert (row.in_stock_quantity, row.stock_value_fen) == (10, 1_000_00)
    assert sorted(Stock.objects.filter(item=row).values_list("quantity", flat=True)) == [4, 6]


def test_the_database_refuses_negative_stock(federation, goods_staff):
    clerk, checker = goods_staff
    gift = accepted(clerk, checker, [item("消毒液", 10, 1_000_00)])
    stock = Stock.objects.get(item__gift=gift)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(quantity=F("quantity") - 11)
    with pytest.raises(IntegrityError), transaction.atomic():
        InKindItem.objects.filter(gift=gift).update(in_stock_quantity=-1)
    with pytest.raises(IntegrityError), transaction.atomic():  # emptied stock keeps no value
        InKindItem.objects.filter(gift=gift).update(in_stock_quantity=0)
    assert Stock.objects.get(pk=stock.pk).quantity == 10


def test_a_voided_hand_out_puts_quantity_and_value_back(federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("试剂", 7, 1_00)], into=place)
    row = gift.items.get()
    first = give_out(clerk, row, 2, place)
    second = give_out(clerk, row, 3, place)
    void_handout(handout=first, actor=checker, reason="受赠方填错")
    row.refresh_from_db()
    assert (row.in_stock_quantity, row.stock_value_fen, row.handed_out_value_fen) == (4, 100 - second.value_fen, 43)
    assert JournalEntry.objects.filter(kind=EntryKind.IN_KIND_HANDOUT_REVERSAL, reverses=first.entry).count() == 1
    with pytest.raises(InKindError):
        void_handout(handout=first, actor=checker, reason="again")
    give_out(clerk, row, 4, place)
    row.refresh_from_db()
    assert (row.in_stock_quantity, row.stock_value_fen, row.handed_out_value_fen) == (0, 0, 100)
    assert Handout.objects.filter(item=row, status=HandoutStatus.LIVE).count() == 2
    assert find_stock_problems() == [] and find_ledger_problems() == []


def test_voiding_an_accepted_gift_reverses_it_only_before_anything_is_handed_out(federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("消毒液", 10, 1_000_00)], into=place)
    handout = give_out(clerk, gift.items.get(), 1, place)
    with pytest.raises(InKindError):
        void_inkind_gift(gift=gift, actor=checker, reason="登记错误")
    void_handout(handout=handout, actor=checker, reason="登记错误")
    gift = void_inkind_gift(gift=gift, actor=checker, reason="登记错误")
    assert gift.status == GiftStatus.VOIDED and gift.reversal_entry.reverses == gift.entry
    assert organisation_in_kind_figures(federation).as_dict() == {
        "received_fen": 0,
        "handed_out_fen": 0,
        "stock_fen": 0,
    }
    assert Stock.objects.get(item__gift=gift).quantity == 0


def test_a_gift_directed_to_a_project_shows_in_its_accounts_apart_from_cash(federation, goods_staff):
    clerk, checker = goods_staff
    project = make_project(title="扶您一把")
    place = warehouse()
    gift = accepted(clerk, checker, [item("轮椅", 20, 16_000_00, "台")], into=place, project=project)
    give_out(clerk, gift.items.get(), 5, place, recipient="张桂英", kind="person")

    figures = project_in_kind_figures(project)
    assert figures.as_dict() == {"received_fen": 16_000_00, "handed_out_fen": 4_000_00, "stock_fen": 12_000_00}
    cash = accounts_for_project(project)
    assert (cash.raised_fen, cash.income_fen, cash.spent_fen) == (0, 0, 0)
    assert organisation_in_kind_figures(federation).received_fen == 0  # the project's, not the federation's own
    assert all_in_kind_figures().received_fen == 16_000_00


# --- the valuation rule, as a property --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    valuation=st.integers(min_value=1, max_value=10**11),
    quantity=st.integers(min_value=1, max_value=10_000),
    cuts=st.lists(st.integers(min_value=1, max_value=10_000), max_size=30),
)
def test_sequential_hand_outs_spend_exactly_the_valuation(valuation, quantity, cuts):
    stock_quantity, stock_value, handed = quantity, valuation, 0
    for cut in cuts:
        if stock_quantity == 0:
            break
        n = min(cut, stock_quantity)
        value = handout_value(stock_value_fen=stock_value, in_stock_quantity=stock_quantity, quantity=n)
        assert 0 <= value <= stock_value
        stock_quantity, stock_value, handed = stock_quantity - n, stock_value - value, handed + value
        assert stock_quantity > 0 or stock_value == 0
    if stock_quantity:
        handed += handout_value(stock_value_fen=stock_value, in_stock_quantity=stock_quantity, quantity=stock_quantity)
    assert handed == valuation


def test_handout_value_refuses_more_than_the_stock():
    with pytest.raises(ValueError):
        handout_value(stock_value_fen=10, in_stock_quantity=2, quantity=3)


def test_handed_on_cannot_be_in_the_future(federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("消毒液", 10, 1_000_00)], into=place)
    with pytest.raises(InKindError) as refused:
        hand_out(
            item=gift.items.get(),
            warehouse=place,
            quantity=1,
            recipient_kind="institution",
            recipient_name="福利院",
            purpose="防护",
            handed_on=timezone.localdate() + timedelta(days=1),
            signed_record=signed_record(),
            actor=clerk,
        )
    assert refused.value.field == "handed_on"
    assert InKindItem.objects.get(gift=gift).quality_status == QualityStatus.PASSED
