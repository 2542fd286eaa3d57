"""The populated world the whole-surface tests (``test_api_fuzz.py``, ``test_pages_no_500.py``) run against.

``demo_world`` loads the full demo (``gongyi demo``: festival, projects, gifts through the real money path,
一日捐 units, donors and the back office, spending, in-kind, offline, named funds, aid casework, complaints,
stories, daily reports, the public log) once per module inside one transaction that is rolled back when the
module ends, so nothing leaks into other modules. Each test still gets its own savepoint (``db``), so what one
test's POSTs write is gone before the next one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import transaction


@dataclass
class DemoWorld:
    """Users to act as and real values for every kind of path parameter."""

    users: dict[str, object] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=dict)

    def first(self, name: str):
        found = self.values.get(name) or []
        return found[0] if found else None


def _ids(queryset, attribute: str = "pk", limit: int = 3) -> list:
    return list(queryset.order_by("pk").values_list(attribute, flat=True)[:limit])


def _collect_values() -> dict[str, list]:
    from gongyi.aid.models import AidCase, AidProgramme, Document, Notice, Objection
    from gongyi.backoffice.models import ProgressUpdate
    from gongyi.campaigns.models import Campaign
    from gongyi.drives.models import ReceiptRequest, Team, Unit, UnitImport, UnitOfflineGift
    from gongyi.funds.models import FundGrant, NamedFund
    from gongyi.giving.models import Gift
    from gongyi.inkind.models import Handout, InKindDocument, InKindGift, InKindItem
    from gongyi.matching.models import MatchingPool
    from gongyi.offline.models import OfflineGift, OfflineReceipt, OfflineVoucher
    from gongyi.orgs.models import Organisation
    from gongyi.oversight.models import Complaint, ComplaintAttachment, DisclosureReport
    from gongyi.payments.models import Order
    from gongyi.projects.models import Project
    from gongyi.reports.models import DailyReport
    from gongyi.spending.models import Expenditure, Voucher
    from gongyi.stories.models import Story

    values = {
        "project": _ids(Project.objects.filter(status="published")) + _ids(Project.objects.exclude(status="published")),
        "organisation": _ids(Organisation.objects.all()),
        "campaign_slug": _ids(Campaign.objects.all(), "slug"),
        "certificate_no": _ids(Gift.objects.all(), "certificate_no"),
        "out_trade_no": _ids(Order.objects.filter(status="paid"), "out_trade_no")
        + _ids(Order.objects.exclude(status="paid"), "out_trade_no"),
        "pool": _ids(MatchingPool.objects.all()),
        "expenditure": _ids(Expenditure.objects.all()),
        "spending_voucher": _ids(Voucher.objects.all()),
        "disclosure_report": _ids(DisclosureReport.objects.all()),
        "daily_report": _ids(DailyReport.objects.all()),
        "tracking_number": _ids(Complaint.objects.all(), "tracking_number"),
        "unit": _ids(Unit.objects.filter(status="approved")) + _ids(Unit.objects.exclude(status="approved")),
        "unit_code": _ids(Unit.objects.filter(status="approved"), "code"),
        "team": _ids(Team.objects.all()),
        "unit_offline_gift": _ids(UnitOfflineGift.objects.all()),
        "story": _ids(Story.objects.all()),
        "programme_code": _ids(AidProgramme.objects.all(), "code"),
        "notice": _ids(Notice.objects.all()),
        "case_number": _ids(AidCase.objects.all(), "case_number", limit=12),
        "aid_document": _ids(Document.objects.all()),
        "objection": _ids(Objection.objects.all()),
        "inkind_gift": _ids(InKindGift.objects.all()),
        "inkind_number": _ids(InKindGift.objects.all(), "number"),
        "inkind_item": _ids(InKindItem.objects.all()),
        "inkind_document": _ids(InKindDocument.objects.all()),
        "handout": _ids(Handout.objects.all()),
        "fund": _ids(NamedFund.objects.all()),
        "fund_grant": _ids(FundGrant.objects.all()),
        "offline_gift": _ids(OfflineGift.objects.all()),
        "offline_voucher": _ids(OfflineVoucher.objects.all()),
        "offline_receipt": _ids(OfflineReceipt.objects.all()),
        "unit_receipt": _ids(ReceiptRequest.objects.all()),
        "unit_import": _ids(UnitImport.objects.all()),
        "progress_update": _ids(ProgressUpdate.objects.all()),
        "complaint_attachment": _ids(ComplaintAttachment.objects.all()),
    }
    return values


def _extra_rows(superuser) -> None:
    """Rows the demo does not make but pages show: a complaint with an attachment, a unit import, a receipt
    request."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gongyi.drives.imports import start_unit_import, template_workbook
    from gongyi.drives.models import GiftCredit, Unit
    from gongyi.drives.services import request_unit_receipts
    from gongyi.oversight.complaints import file_complaint

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    file_complaint(
        subject_kind="other",
        subject_ref="网络个人求助",
        text="有人冒用慈善会名义在街头募捐，附上照片为证。",
        is_anonymous=True,
        attachments=[SimpleUploadedFile("evidence.pdf", pdf, "application/pdf")],
        ip="192.0.2.1",
    )
    workbook = template_workbook()
    start_unit_import(upload=SimpleUploadedFile("units.xlsx", workbook), actor=superuser)
    credited = Unit.objects.filter(pk__in=GiftCredit.objects.values("unit")).order_by("pk").first()
    if credited is not None:
        request_unit_receipts(unit=credited, actor=superuser)


def _users() -> dict[str, object]:
    from django.contrib.auth import get_user_model

    from gongyi.donors.demo import DEMO_PHONE, OFFICE_USERNAME, UNIT_USERNAME
    from gongyi.donors.services import ensure_donor_for_phone, set_phone_verified

    User = get_user_model()
    staff_without_permissions = User.objects.create_user("fuzz_staff_no_perms", is_staff=True)
    donor = ensure_donor_for_phone(phone=DEMO_PHONE)
    set_phone_verified(user=donor, phone=DEMO_PHONE)
    return {
        "superuser": User.objects.get(username="admin"),
        "staff_no_perms": staff_without_permissions,
        "aid_federation": User.objects.get(username="aid_federation"),
        "office": User.objects.get(username=OFFICE_USERNAME),
        "unit_contact": User.objects.get(username=UNIT_USERNAME),
        "donor": donor,
    }


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The full demo, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", stdout=io.StringIO(), stderr=io.StringIO())
        world = DemoWorld()
        world.users = _users()
        _extra_rows(world.users["superuser"])
        world.values = _collect_values()
        yield world
        transaction.set_rollback(True)

