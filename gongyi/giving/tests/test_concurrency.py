"""Exactly once under concurrency: the same notification from many threads, and a shuffled flood."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from gongyi.giving.models import Gift
from gongyi.ledger.models import JournalEntry
from gongyi.ledger.selectors import find_ledger_problems, project_totals
from gongyi.payments.models import Order
from gongyi.projects.models import Project
from gongyi.testing import make_project, notification_body, signed_headers

NOTIFY = "/api/v1/payments/sandbox/notify"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


def deliver(body: bytes) -> int:
    try:
        response = Client().post(NOTIFY, data=body, content_type="application/json", headers=signed_headers(body))
        return response.status_code
    finally:
        connection.close()


def make_orders(project, n: int) -> list[Order]:
    return Order.objects.bulk_create(
        [
            Order(out_trade_no=f"GYTEST{i:010d}", project=project, amount_fen=100 + i, gateway="sandbox")
            for i in range(n)
        ]
    )


def test_fifty_threads_delivering_one_notification_make_one_gift():
    project = make_project()
    order = make_orders(project, 1)[0]
    body = notification_body(order, transaction_id="SBRACE1", payer="racer")
    start = threading.Barrier(50)

    def racer(_):
        start.wait()
        return deliver(body)

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(racer, range(50)))
    assert statuses == [200] * 50
    assert Gift.objects.count() == 1
    assert JournalEntry.objects.filter(kind="gift").count() == 1
    project.refresh_from_db()
    assert (project.gifts_count, project.donors_count) == (1, 1)
    assert project_totals(project)["raised_fen"] == order.amount_fen
    assert find_ledger_problems() == []


def test_shuffled_thousand_notifications_with_duplicates_give_exact_totals():
    project = make_project()
    orders = make_orders(project, 700)
    bodies = [notification_body(o, transaction_id=f"SBFLOOD{o.pk}", payer=f"payer-{o.pk % 250}") for o in orders]
    rng = random.Random(20260520)
    deliveries = bodies + [rng.choice(bodies) for _ in range(300)]  # 30% duplicates
    rng.shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, deliveries))
    assert statuses.count(200) == 1000
    assert Gift.objects.count() == 700
    assert Order.objects.filter(status="paid").count() == 700
    expected = sum(o.amount_fen for o in orders)
    assert project_totals(project)["raised_fen"] == expected
    assert sum(Gift.objects.values_list("amount_fen", flat=True)) == expected
    project = Project.objects.get(pk=project.pk)
    assert project.gifts_count == 700
    assert project.donors_count == 250
    assert JournalEntry.objects.filter(kind="gift").count() == 700
    assert find_ledger_problems() == []
