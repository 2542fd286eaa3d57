"""In-kind gifts on the pages and the API: the staff flow through the forms, the public list with people masked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from gongyi.inkind.models import GiftStatus, Handout, InKindDocument, InKindGift
from gongyi.inkind.services import hand_out
from gongyi.inkind.tests.helpers import accepted, item, signed_record, warehouse
from gongyi.offline.tests.helpers import document
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def test_register_check_accept_and_hand_out_through_the_staff_pages(client, federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse("市慈善总会物资仓库")
    client.force_login(clerk)
    assert client.get(reverse("inkind-staff-new")).status_code == 200
    response = client.post(
        reverse("inkind-staff-new"),
        {
            "donor_kind": "organisation",
            "donor_name": "湖北某消毒用品有限公司",
            "received_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "organisation": federation.pk,
            "description": "疫情防护物资",
            "evidence_kind": "invoice",
            "evidence": document("invoice.pdf"),
            "evidence_public": "on",
            "items-TOTAL_FORMS": "3",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "1",
            "items-MAX_NUM_FORMS": "30",
            "items-0-name": "次氯酸消毒液",
            "items-0-spec": "500ml/瓶",
            "items-0-unit": "瓶",
            "items-0-quantity": "6000",
            "items-0-valuation": "43000",
            "items-0-valuation_basis": "invoice",
            "items-1-name": "新冠抗原检测试剂盒",
            "items-1-unit": "盒",
            "items-1-quantity": "20000",
            "items-1-valuation": "60000.00",
            "items-1-valuation_basis": "invoice",
        },
    )
    gift = InKindGift.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("inkind-staff-gift", args=[gift.pk])
    assert gift.items.count() == 2 and sum(i.valuation_fen for i in gift.items.all()) == 103_000_00
    for row in gift.items.all():
        client.post(reverse("inkind-staff-quality", args=[row.pk]), {"passed": "1", "note": "合格"})
    client.post(reverse("inkind-staff-accept", args=[gift.pk]), {"warehouse": place.pk})
    assert InKindGift.objects.get(pk=gift.pk).status == GiftStatus.REGISTERED  # not by the one who registered

    client.force_login(checker)
    client.post(reverse("inkind-staff-accept", args=[gift.pk]), {"warehouse": place.pk})
    assert InKindGift.objects.get(pk=gift.pk).status == GiftStatus.ACCEPTED

    row = gift.items.order_by("id").first()
    assert client.get(reverse("inkind-staff-handout", args=[row.pk])).status_code == 200
    response = client.post(
        reverse("inkind-staff-handout", args=[row.pk]),
        {
            "warehouse": place.pk,
            "quantity": "1500",
            "recipient_kind": "institution",
            "recipient_name": "鄂州市社会福利院",
            "purpose": "养老机构疫情防护",
            "handed_on": timezone.localdate().isoformat(),
            "signed_record": signed_record(),
        },
    )
    assert response.status_code == 302
    handout = Handout.objects.get()
    assert (handout.quantity, handout.value_fen) == (1500, 10_750_00)
    assert client.get(reverse("inkind-staff-stock")).status_code == 200
    record = client.get(reverse("inkind-staff-file", args=["record", handout.pk]))
    assert record.status_code == 200 and record["Cache-Control"] == "private, no-store"


def test_a_hand_out_over_the_stock_is_a_form_error(client, federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("消毒液", 10, 100_00)], into=place)
    client.force_login(clerk)
    response = client.post(
        reverse("inkind-staff-handout", args=[gift.items.get().pk]),
        {
            "warehouse": place.pk,
            "quantity": "11",
            "recipient_kind": "institution",
            "recipient_name": "福利院",
            "purpose": "防护",
            "handed_on": timezone.localdate().isoformat(),
            "signed_record": signed_record(),
        },
    )
    assert response.status_code == 400 and "库存不足" in response.content.decode()
    assert not Handout.objects.exists()


def test_staff_pages_need_the_permission(client, federation, django_user_model):
    client.force_login(make_user(django_user_model, "nobody"))
    assert client.get(reverse("inkind-staff-new")).status_code == 403
    assert client.get(reverse("inkind-staff-file", args=["record", 1])).status_code == 403


def test_public_pages_and_api_show_gifts_and_hand_outs_with_people_masked(client, federation, goods_staff):
    clerk, checker = goods_staff
    place = warehouse()
    gift = accepted(clerk, checker, [item("轮椅", 4, 4_000_00, "台")], into=place)
    row = gift.items.get()
    for name, kind in (("鄂州市社会福利院", "institution"), ("张桂英", "person")):
        hand_out(
            item=row,
            warehouse=place,
            quantity=2,
            recipient_kind=kind,
            recipient_name=name,
            purpose="助老",
            handed_on=timezone.localdate(),
            signed_record=signed_record(),
            actor=clerk,
        )
    page = client.get(reverse("inkind-index")).content.decode()
    assert "鄂州市社会福利院" in page and "张**" in page and "张桂英" not in page
    assert "湖北某消毒用品有限公司" in page
    assert page.count("¥4,000.00") >= 2  # received and handed out, in the headline figures
    detail = client.get(reverse("inkind-gift", args=[gift.number])).content.decode()
    assert "轮椅" in detail and "张**" in detail and "张桂英" not in detail
    assert client.get(reverse("inkind-gift", args=["WZ-NOPE"])).status_code == 404

    figures = client.get("/api/v1/inkind/figures").json()
    assert figures == {"received_fen": 4_000_00, "handed_out_fen": 4_000_00, "stock_fen": 0}
    handouts = client.get("/api/v1/inkind/handouts").json()
    assert sorted(h["recipient"] for h in handouts) == ["张**", "鄂州市社会福利院"]
    assert "张桂英" not in str(handouts)
    detail = client.get(f"/api/v1/inkind/gifts/{gift.number}").json()
    assert detail["value_fen"] == 4_000_00 and detail["items"][0]["handed_out_value_fen"] == 4_000_00


def test_only_documents_marked_public_are_served_to_the_public(client, federation, goods_staff):
    clerk, checker = goods_staff
    gift = accepted(clerk, checker, [item("消毒液", 10, 100_00)])
    private = InKindDocument.objects.get(gift=gift)
    assert client.get(reverse("inkind-document", args=[private.pk])).status_code == 404
    InKindDocument.objects.filter(pk=private.pk).update(is_public=True)
    response = client.get(reverse("inkind-document", args=[private.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_project_accounts_snippet_shows_in_kind_apart_from_cash(federation, goods_staff):
    clerk, checker = goods_staff
    project = make_project(title="扶您一把")
    accepted(clerk, checker, [item("轮椅", 2, 3_000_00, "台")], project=project)
    html = render_to_string("funds/_project_goods_and_funds.html", {"project": project})
    assert 'id="project-in-kind-received">¥3,000.00' in html
    assert 'id="project-in-kind-stock">¥3,000.00' in html
    assert "冠名基金拨款" not in html
    html = render_to_string("funds/_organisation_goods_and_funds.html", {"organisation": federation})
    assert "organisation-in-kind-received" not in html  # the federation's own: none yet


def test_public_pages_cost_the_same_queries_whatever_the_number_of_gifts(client, federation, goods_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk, checker = goods_staff
    place = warehouse()

    def add(n: int) -> None:
        for _ in range(n):
            gift = accepted(clerk, checker, [item("口罩", 10, 100_00), item("手套", 10, 50_00)], into=place)
            for row in gift.items.all():
                hand_out(
                    item=row,
                    warehouse=place,
                    quantity=3,
                    recipient_kind="person",
                    recipient_name="张三",
                    purpose="助老",
                    handed_on=timezone.localdate(),
                    signed_record=signed_record(),
                    actor=clerk,
                )

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(1)
    few = (count(reverse("inkind-index")), count("/api/v1/inkind/handouts"), count("/api/v1/inkind/gifts"))
    add(4)
    assert (count(reverse("inkind-index")), count("/api/v1/inkind/handouts"), count("/api/v1/inkind/gifts")) == few
