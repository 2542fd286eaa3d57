"""The PIPL export holds all of a donor's data and nothing of anyone else's; closing an account removes the
person and keeps every gift and ledger figure."""

from __future__ import annotations

import json

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client

from gongyi.donors import selectors, services
from gongyi.donors.models import (
    ClaimAttempt,
    DonorEvent,
    DonorEventKind,
    DonorMessage,
    DonorProfile,
    GiftClaim,
    NameDisplay,
    OrderContact,
)
from gongyi.donors.services import DonorInputError
from gongyi.donors.tests.helpers import make_gift, sign_in_with_phone
from gongyi.giving.models import Gift
from gongyi.ledger.models import Account, JournalEntry, JournalLine
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db

A_PHONE, B_PHONE = "13800138000", "13900139000"
A_OPENID, B_OPENID = "oWX_openid_of_A", "oWX_openid_of_B"


def signed_in(phone: str):
    client = Client()
    sign_in_with_phone(client, phone)
    return client, get_user_model().objects.get(pk=client.session["_auth_user_id"])


@pytest.fixture
def two_donors(sms_outbox):
    """Donors A and B, each with gifts found every way: phone, account, WeChat, claim; messages; settings."""
    project = make_project()
    other_project = make_project(title="第二个项目")
    client_a, a = signed_in(A_PHONE)
    client_b, b = signed_in(B_PHONE)
    SocialAccount.objects.create(user=a, provider="weixin", uid=A_OPENID, extra_data={"openid": A_OPENID})
    SocialAccount.objects.create(user=b, provider="weixin", uid=B_OPENID, extra_data={"openid": B_OPENID})
    gifts_a = [
        make_gift(project, phone=A_PHONE, donor_name="甲某某", message="甲的留言", fen=1_000),
        make_gift(other_project, user=a, donor_name="甲某某", fen=2_000),
        make_gift(project, gateway="wechatpay", payer=A_OPENID, donor_name="甲某某", fen=3_000),
    ]
    claimable = make_gift(project, anonymous=True, donor_name="", fen=4_000)
    services.claim_gift(user=a, out_trade_no=claimable.order.out_trade_no, last_digits=claimable.provider_txn_id[-6:])
    gifts_a.append(claimable)
    gifts_b = [
        make_gift(project, phone=B_PHONE, donor_name="乙某某", message="乙的秘密留言", fen=5_000),
        make_gift(project, gateway="wechatpay", payer=B_OPENID, donor_name="乙某某", fen=6_000),
    ]
    with pytest.raises(DonorInputError):
        services.claim_gift(user=b, out_trade_no=gifts_a[0].order.out_trade_no, last_digits="000000")
    for user, nickname in ((a, "甲的昵称"), (b, "乙的昵称")):
        services.update_settings(
            user=user,
            name_display=NameDisplay.NICKNAME,
            nickname=nickname,
            show_messages=True,
            wants_thanks=True,
            wants_progress=True,
            notify_channel="auto",
        )
    for gift in gifts_a + gifts_b:
        services.queue_thanks(gift=gift)
    return {"a": a, "b": b, "client_a": client_a, "client_b": client_b, "gifts_a": gifts_a, "gifts_b": gifts_b}


def test_the_export_holds_every_piece_of_the_donors_data(two_donors):
    a, gifts_a = two_donors["a"], two_donors["gifts_a"]
    response = two_donors["client_a"].get("/me/export.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)

    assert data["account"]["username"] == a.username
    assert data["profile"]["phone"] == "+8613800138000" and data["profile"]["nickname"] == "甲的昵称"
    assert [w["openid"] for w in data["wechat"]] == [A_OPENID]
    assert {g["certificate_no"] for g in data["gifts"]} == {g.certificate_no for g in gifts_a}
    by_cert = {g["certificate_no"]: g for g in data["gifts"]}
    assert by_cert[gifts_a[0].certificate_no]["message"] == "甲的留言"
    assert by_cert[gifts_a[0].certificate_no]["found_by"] == ["phone"]
    assert by_cert[gifts_a[1].certificate_no]["found_by"] == ["account"]
    assert by_cert[gifts_a[2].certificate_no]["found_by"] == ["wechat"]
    assert by_cert[gifts_a[3].certificate_no]["found_by"] == ["claim"]
    assert {c["out_trade_no"] for c in data["order_contacts"]} == {
        gifts_a[0].order.out_trade_no,
        gifts_a[1].order.out_trade_no,
    }
    assert [c["certificate_no"] for c in data["claims"]] == [gifts_a[3].certificate_no]
    assert [x["succeeded"] for x in data["claim_attempts"]] == [True]
    assert len(data["messages"]) == DonorMessage.objects.filter(user=a).count() == 4
    kinds = {e["kind"] for e in data["events"]}
    assert {"account_created", "phone_verified", "gift_claimed", "settings_changed"} <= kinds
    assert DonorEvent.objects.filter(user=a, kind=DonorEventKind.DATA_EXPORTED).count() == 1


def test_the_export_holds_nothing_of_another_donor(two_donors):
    b, gifts_b = two_donors["b"], two_donors["gifts_b"]
    text = two_donors["client_a"].get("/me/export.json").content.decode()
    forbidden = [
        b.username,
        "13900139000",
        B_OPENID,
        "乙某某",
        "乙的秘密留言",
        "乙的昵称",
        *(g.certificate_no for g in gifts_b),
        *(g.order.out_trade_no for g in gifts_b),
    ]
    for piece in forbidden:
        assert piece not in text, piece
    # B's failed guess at A's order stays B's: A's export shows only A's own attempt.
    assert json.loads(text)["claim_attempts"] == [
        {
            "out_trade_no": two_donors["gifts_a"][3].order.out_trade_no,
            "succeeded": True,
            "at": json.loads(text)["claim_attempts"][0]["at"],
        }
    ]


def ledger_snapshot() -> dict:
    return {
        "accounts": {a.code: (a.debits_fen, a.credits_fen) for a in Account.objects.all()},
        "lines": JournalLine.objects.aggregate(total=Sum("amount_fen"))["total"],
        "line_count": JournalLine.objects.count(),
        "entries": JournalEntry.objects.count(),
        "gifts": list(
            Gift.objects.order_by("pk").values_list("pk", "amount_fen", "status", "donor_name", "certificate_no")
        ),
    }


def test_closing_an_account_anonymises_the_person_and_keeps_gifts_and_ledger(two_donors):
    a, b = two_donors["a"], two_donors["b"]
    gifts_a = two_donors["gifts_a"]
    before = ledger_snapshot()
    b_gifts_before = {g.pk for g in selectors.donor_gifts(b)}
    client = two_donors["client_a"]

    refused = client.post("/me/close/", {"confirmation": "好的"})
    assert refused.status_code == 400 and get_user_model().objects.get(pk=a.pk).is_active

    response = client.post("/me/close/", {"confirmation": "注销账户"})

    assert response.status_code == 200 and "账户已注销" in response.content.decode()
    assert ledger_snapshot() == before
    assert find_ledger_problems() == []
    a.refresh_from_db()
    assert not a.is_active and not a.has_usable_password() and a.username.startswith("closed_")
    profile = DonorProfile.objects.get(user=a)
    assert profile.phone == "" and profile.nickname == "" and profile.closed_at is not None
    assert not SocialAccount.objects.filter(user=a).exists()
    assert not GiftClaim.objects.filter(user=a).exists() and not ClaimAttempt.objects.filter(user=a).exists()
    assert not OrderContact.objects.filter(user=a).exists()
    assert not OrderContact.objects.filter(phone="+8613800138000").exists()
    assert not DonorMessage.objects.filter(user=a).exists()
    assert selectors.donor_gifts(a).count() == 0
    assert DonorEvent.objects.filter(user=a, kind=DonorEventKind.ACCOUNT_CLOSED).get().details == {"gifts_kept": 4}
    # Public names fall back to the masked name given on the gift; nothing points at the person any more.
    assert selectors.display_name_for(gifts_a[0]) == "甲**"
    assert all(not owners for owners in selectors.accounts_for_gifts(gifts_a).values())
    # The other donor is untouched.
    assert {g.pk for g in selectors.donor_gifts(b)} == b_gifts_before
    assert "_auth_user_id" not in client.session


def test_after_closing_the_phone_starts_a_fresh_account_with_no_gifts(two_donors):
    two_donors["client_a"].post("/me/close/", {"confirmation": "注销账户"})
    from django.core.cache import cache

    cache.clear()
    _, again = signed_in(A_PHONE)
    assert again.pk != two_donors["a"].pk
    assert selectors.donor_gifts(again).count() == 0


def test_the_api_export_is_the_same_data(two_donors):
    data = two_donors["client_b"].get("/api/v1/me/export").json()
    assert {g["certificate_no"] for g in data["gifts"]} == {g.certificate_no for g in two_donors["gifts_b"]}
