"""The aid demo: every stage in several villages, one case paid through the ledger, a public notice with
masked data only — and a dump of the whole database holds none of the seeded ID numbers, names,
phones or diagnoses in plaintext (nor do the stored documents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from gongyi.aid.demo import PEOPLE, demo_secrets, load_aid_demo
from gongyi.aid.models import AidCase, CaseStatus, Disbursement, Document, Notice
from gongyi.ledger.models import EntryKind
from gongyi.ledger.selectors import find_ledger_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    from gongyi.demo.services import load_demo

    load_demo(with_gifts=True)
    return load_aid_demo()


def test_the_demo_has_cases_at_every_stage_in_several_villages(demo):
    assert demo.cases_added == len(PEOPLE)
    statuses = set(AidCase.objects.values_list("status", flat=True))
    assert {"draft", "in_review", "notice", "objection", "approved", "disbursed", "rejected"} <= statuses
    steps = set(AidCase.objects.filter(status="in_review").values_list("current_step__level", flat=True))
    assert steps == {"village", "township", "district", "city"}
    assert AidCase.objects.values("region").distinct().count() >= 8
    paid = Disbursement.objects.get()
    assert paid.entry.kind == EntryKind.DISBURSEMENT and paid.entry.memo == f"救助款拨付 {paid.case.case_number}"
    assert paid.case.status == CaseStatus.DISBURSED and paid.case.follow_ups.exists()
    assert find_ledger_problems() == []
    usernames = [u for u, _ in demo.logins]
    assert {"aid_federation", "aid_city", "aid_regulator", "aid_social_worker", "aid_village_duandiancun"} <= set(
        usernames
    )
    assert demo.password
    # Every staff login has its own TOTP (aid pages need password + TOTP); the printed lines give the secret.
    assert set(demo.totp_secrets) == set(usernames) and len(set(demo.totp_secrets.values())) == len(usernames)
    assert Authenticator.objects.filter(user__username__in=usernames, type="totp").count() == len(usernames)
    printed = "\n".join(demo.lines())
    assert "/me/auth/login/?next=/aid/" in printed and demo.password in printed
    for username in ("aid_federation", "aid_regulator", "aid_village_duandiancun"):
        assert f"{username}" in printed and demo.totp_secrets[username] in printed
    again = load_aid_demo()
    assert again.cases_added == 0 and again.password == demo.password and AidCase.objects.count() == len(PEOPLE)
    assert again.totp_secrets == demo.totp_secrets
    assert Authenticator.objects.filter(user__username__in=usernames).count() == len(usernames)


def test_the_public_notice_page_shows_only_masked_data(demo):
    page = Client().get(reverse("aid-notices")).content.decode()
    running = Notice.objects.filter(status__in=("running", "paused"))
    assert running.count() == 3
    for notice in running:
        assert notice.masked_name in page and notice.case.case_number in page
    assert "未成年人（姓名不公开）" in page and "徐**" in page and "提出异议" in page and "监督电话" in page
    for secret in demo_secrets():
        assert secret not in page
    api = Client().get("/api/v1/aid/notices").json()
    assert {n["name"] for n in api} == {n.masked_name for n in running}
    assert not any(secret in str(api) for secret in demo_secrets())


def _all_stored_text() -> list[str]:
    """Every value of every column of every table, as text."""
    values: list[str] = []
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        values.append(bytes(value).decode("utf-8", "replace"))
                    elif value is not None:
                        values.append(str(value))
    return values


def test_a_dump_of_the_demo_database_holds_no_plaintext_personal_data(demo):
    stored = "\n".join(_all_stored_text())
    # The scan sees what is there: the masked names, case numbers and project titles.
    assert "徐**" in stored and "鄂州市慈善大病救助" in stored and AidCase.objects.first().case_number in stored
    leaked = [secret for secret in demo_secrets() if secret in stored]
    assert leaked == []
    if connection.vendor == "sqlite":
        dump = "\n".join(connection.connection.iterdump())
        assert "徐**" in dump and [s for s in demo_secrets() if s in dump] == []
    assert set(apps.get_app_config("aid").get_models()) <= set(apps.get_models())


def test_stored_documents_are_ciphertext(demo):
    root = Path(settings.MEDIA_ROOT)
    documents = list(Document.objects.all())
    assert len(documents) >= 30
    diagnoses = [p.diagnosis.encode() for p in PEOPLE if p.diagnosis] + [p.name.encode() for p in PEOPLE]
    for document in documents:
        blob = (root / document.storage_name).read_bytes()
        assert blob.startswith(b"GYA1") and b"%PDF" not in blob
        assert not any(secret in blob for secret in diagnoses)


def test_coverage_shows_villages_without_a_staffed_station(demo):
    from django.contrib.auth import get_user_model

    from gongyi.aid.selectors import coverage_report

    report = coverage_report(get_user_model().objects.get(username="aid_federation"))
    assert report.total.villages == 19 and 0 < report.total.with_staff < report.total.villages
    uncovered = {v.name for row in report.by_township for v in row.uncovered}
    assert {"新屋郭村", "太和村", "梁子村", "寿山社区"} <= uncovered
    district = coverage_report(get_user_model().objects.get(username="aid_district_huarong"))
    assert district.total.villages == 6 and district.total.with_staff == 6
