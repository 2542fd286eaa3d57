"""The oversight demo: complaints at every stage through the services, a regulator who can sign in, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gongyi.core.roles import is_read_only
from gongyi.oversight.demo import REGULATOR, load_oversight_demo
from gongyi.oversight.models import Complaint, ComplaintEvent, FinanceLimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.GONGYI = {**settings.GONGYI, "DATA_DIR": tmp_path}
    return tmp_path


def test_the_demo_loads_once_and_the_regulator_signs_in_read_only(data_dir, django_user_model):
    from gongyi.demo.services import load_demo

    load_demo(with_gifts=False)
    FinanceLimit.objects.all().delete()  # as after a flush: the demo puts the defaults back
    report = load_oversight_demo()
    assert report.complaints_added == 5 and report.regulator_password
    assert (Path(settings.GONGYI["DATA_DIR"]) / "regulator_password").read_text() == report.regulator_password
    assert report.regulator_login == f"{REGULATOR} / {report.regulator_password}"
    assert FinanceLimit.objects.filter(organisation__isnull=True).count() == 4
    statuses = sorted(Complaint.objects.values_list("status", flat=True))
    assert statuses == ["answered", "answered", "investigating", "received", "rejected"]
    overdue = Complaint.objects.get(tracking_number=report.overdue_tracking_number)
    assert overdue.overdue_flagged_at is not None
    assert ComplaintEvent.objects.filter(complaint=overdue, kind="overdue_flagged").count() == 1

    again = load_oversight_demo()
    assert (again.complaints_added, again.regulator_password) == (0, None)
    assert "regulator_password" in again.regulator_login and Complaint.objects.count() == 5

    regulator = django_user_model.objects.get(username=REGULATOR)
    assert is_read_only(regulator)
    client = Client()
    signed_in = client.post(
        reverse("account_login") + "?next=/oversight/regulator/",
        {"login": REGULATOR, "password": report.regulator_password},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/oversight/regulator/"
    page = client.get(reverse("oversight-regulator")).content.decode()
    assert report.overdue_tracking_number in page
    public = Client().get(reverse("oversight-complaint", args=[report.answered_tracking_number])).content.decode()
    assert "反映问题不属实" in public
    private = Complaint.objects.get(answer_is_public=False)
    assert (
        "已向举报人作出答复"
        in Client().get(reverse("oversight-complaint", args=[private.tracking_number])).content.decode()
    )
