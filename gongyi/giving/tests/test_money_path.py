"""The gift path end to end through HTTP, and every way a notification can be wrong."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from gongyi.giving.models import Gift
from gongyi.ledger.models import JournalEntry
from gongyi.ledger.selectors import find_ledger_problems, project_totals
from gongyi.payments.models import Order
from gongyi.testing import make_project, notification_body, row_counts, signed_headers

NOTIFY = "/api/v1/payments/sandbox/notify"
pytestmark = pytest.mark.django_db


def post_notification(client, body: bytes, headers: dict | None = None):
    headers = signed_headers(body) if headers is None else headers
    return client.post(NOTIFY, data=body, content_type="application/json", headers=headers)


def create_order(client, project, fen=1000, **extra):
    payload = {"project": project.pk, "fen": fen, "gateway": "sandbox", "donor": "王小明", **extra}
    response = client.post("/api/v1/orders", data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    return Order.objects.get(out_trade_no=response.json()["out_trade_no"]), response.json()


def test_full_gift_path_through_http(client):
    project = make_project()
    order, created = create_order(client, project, fen=1000, message="加油", anonymous=False)
    assert created["pay"]["kind"] == "redirect"
    assert created["pay"]["url"].endswith(f"/pay/sandbox/{order.out_trade_no}/")
    assert client.get(f"/api/v1/orders/{order.out_trade_no}").json()["status"] == "pending"

    response = post_notification(client, notification_body(order, transaction_id="SBTXN0001", payer="openid-1"))
    assert response.status_code == 200
    assert response.json()["code"] == "SUCCESS"

    detail = client.get(f"/api/v1/orders/{order.out_trade_no}").json()
    assert detail["status"] == "paid"
    assert detail["gift"]["amount_fen"] == 1000
    assert detail["matched_fen"] == 0
    gift = Gift.objects.get()
    assert gift.donor_key == "sandbox:openid-1"
    assert detail["gift"]["certificate_no"] == gift.certificate_no

    api_project = client.get(f"/api/v1/projects/{project.pk}").json()
    assert (api_project["raised_fen"], api_project["matched_fen"], api_project["donors"]) == (1000, 0, 1)
    assert api_project["latest_gifts"][0] == {
        "name": "王**",
        "fen": 1000,
        "message": "加油",
        "paid_at": api_project["latest_gifts"][0]["paid_at"],
    }

    page = client.get(reverse("project", args=[project.pk])).content.decode()
    assert "¥10.00" in page and "王**" in page and "王小明" not in page and "加油" in page

    certificate = client.get(reverse("certificate", args=[gift.certificate_no]))
    assert certificate.status_code == 200
    image = client.get(reverse("certificate-image", args=[gift.certificate_no]))
    assert image["Content-Type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"

    entry = JournalEntry.objects.get(kind="gift")
    assert sorted(line.amount_fen for line in entry.lines.all()) == [-1000, 1000]
    assert project_totals(project)["raised_fen"] == 1000
    assert find_ledger_problems() == []


def test_duplicate_delivery_changes_nothing_and_gets_the_same_answer(client):
    project = make_project()
    order, _ = create_order(client, project)
    body = notification_body(order, transaction_id="SBDUP1")
    first = post_notification(client, body)
    before = row_counts()
    second = post_notification(client, body)
    assert first.status_code == second.status_code == 200
    assert second.json()["code"] == "SUCCESS"
    after = row_counts()
    assert after["gifts"] == before["gifts"] == 1
    assert after["entries"] == before["entries"]
    assert project_totals(project)["raised_fen"] == order.amount_fen


def test_late_notification_for_a_closed_order_still_confirms(client):
    from gongyi.payments.services import close_order

    project = make_project()
    order, _ = create_order(client, project)
    assert close_order(order=order)
    response = post_notification(client, notification_body(order, transaction_id="SBLATE1"))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "paid"
    assert Gift.objects.filter(order=order).count() == 1


def test_second_transaction_for_a_paid_order_is_refused(client):
    project = make_project()
    order, _ = create_order(client, project)
    assert post_notification(client, notification_body(order, transaction_id="SBA")).status_code == 200
    before = row_counts()
    response = post_notification(client, notification_body(order, transaction_id="SBB"))
    assert response.status_code == 409
    assert "ALREADY_PAID" in response.json()["message"]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("case", "expected_status", "message_part"),
    [
        ("forged_signature", 401, "SIGNATURE_INVALID"),
        ("missing_signature", 401, "SIGNATURE_MISSING"),
        ("unknown_order", 404, "ORDER_NOT_FOUND"),
        ("amount_mismatch", 409, "AMOUNT_MISMATCH"),
        ("malformed_json", 400, "MALFORMED"),
        ("json_array", 400, "MALFORMED"),
        ("negative_amount", 400, "amount_fen"),
        ("zero_amount", 400, "amount_fen"),
        ("huge_amount", 400, "amount_fen"),
        ("float_amount", 400, "amount_fen"),
        ("string_amount", 400, "amount_fen"),
        ("missing_transaction_id", 400, "transaction_id"),
        ("naive_paid_at", 400, "paid_at"),
    ],
)
def test_bad_notifications_are_refused_and_write_nothing(client, case, expected_status, message_part):
    project = make_project()
    order, _ = create_order(client, project, fen=1000)
    payload = json.loads(notification_body(order, transaction_id="SBBAD"))
    headers = None
    if case == "forged_signature":
        body = json.dumps(payload).encode()
        headers = signed_headers(body, key="not-the-key")
    elif case == "missing_signature":
        body = json.dumps(payload).encode()
        headers = {}
    elif case == "malformed_json":
        body = b'{"out_trade_no": '
    elif case == "json_array":
        body = b"[1, 2]"
    else:
        mutate = {
            "unknown_order": ("out_trade_no", "GY00000000000000000000"),
            "amount_mismatch": ("amount_fen", 999),
            "negative_amount": ("amount_fen", -1000),
            "zero_amount": ("amount_fen", 0),
            "huge_amount": ("amount_fen", 10**20),
            "float_amount": ("amount_fen", 10.0),
            "string_amount": ("amount_fen", "1000"),
            "missing_transaction_id": ("transaction_id", None),
            "naive_paid_at": ("paid_at", "2026-05-20T10:00:00"),
        }[case]
        payload[mutate[0]] = mutate[1]
        body = json.dumps(payload).encode()
    before = row_counts()
    response = post_notification(client, body, headers)
    assert response.status_code == expected_status
    assert response.json()["code"] == "FAIL"
    assert message_part in response.json()["message"]
    assert row_counts() == before
    order.refresh_from_db()
    assert order.status == "pending"


def test_transaction_id_cannot_pay_two_orders(client):
    project = make_project()
    first, _ = create_order(client, project)
    second, _ = create_order(client, project)
    assert post_notification(client, notification_body(first, transaction_id="SBSAME")).status_code == 200
    before = row_counts()
    response = post_notification(client, notification_body(second, transaction_id="SBSAME"))
    assert 400 <= response.status_code < 500
    assert row_counts() == before
