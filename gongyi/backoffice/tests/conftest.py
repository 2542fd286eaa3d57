"""Fixtures for back-office tests: two organisations and two units, each with people, projects, updates and
gifts, so every test can check one side cannot reach the other."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from gongyi.backoffice.models import OrganisationMembership, ProgressUpdate, UnitMembership
from gongyi.donors.tests.conftest import clean_cache, no_internet, sms_outbox  # noqa: F401 - shared fixtures
from gongyi.donors.tests.helpers import make_gift, make_user
from gongyi.orgs.models import Organisation
from gongyi.projects.models import ProjectStatus
from gongyi.testing import make_project

ORG_B_USCC = "91330100716105852F"


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    project_a: object
    draft_a: object
    project_b: object
    draft_b: object
    update_a: ProgressUpdate
    update_b: ProgressUpdate
    gift_a: object
    gift_b: object
    unit_1: object
    unit_2: object
    a_manager: object
    a_editor: object
    a_viewer: object
    b_manager: object
    unit_1_contact: object
    federation: object
    donor: object
    no_totp: object
    expenditure_a: object
    expenditure_b: object
    voucher_a: object
    voucher_b: object

    def ids_of_b(self) -> dict[str, int]:
        """For every id a back-office URL takes, an object of organisation B / unit 2."""
        return {
            "project_id": self.draft_b.pk,
            "update_id": self.update_b.pk,
            "organisation_id": self.org_b.pk,
            "unit_id": self.unit_2.pk,
            "expenditure_id": self.expenditure_b.pk,
            "voucher_id": self.voucher_b.pk,
        }

    def ids_of_a(self) -> dict[str, int]:
        return {
            "project_id": self.draft_a.pk,
            "update_id": self.update_a.pk,
            "organisation_id": self.org_a.pk,
            "unit_id": self.unit_1.pk,
            "expenditure_id": self.expenditure_a.pk,
            "voucher_id": self.voucher_a.pk,
        }


def spend(project, recorder, payee: str):
    """A pending expenditure the organisation recorded through the back-office rule, with one voucher."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from gongyi.spending.services import add_voucher, record_expenditure

    expenditure = record_expenditure(
        project=project,
        category="materials",
        amount_fen=1_000,
        payee=payee,
        purpose="购买学习用品",
        spent_on=timezone.localdate(),
        recorded_by=recorder,
    )
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    voucher = add_voucher(expenditure=expenditure, file=pdf, kind="invoice", uploaded_by=recorder)
    return expenditure, voucher


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    from gongyi.drives.services import Attribution, credit_confirmed_gift, record_order_attribution
    from gongyi.drives.tests.helpers import load_regions, make_drive, make_unit

    settings.MEDIA_ROOT = tmp_path / "media"
    load_regions()
    make_drive()
    project_a = make_project(title="甲机构的项目", org_name="甲慈善会")
    org_a = project_a.organisation
    project_b = make_project(title="乙机构的项目", org_name="乙基金会", uscc=ORG_B_USCC)
    org_b = project_b.organisation
    draft_a = make_project(title="甲机构的草稿", org_name="甲慈善会", status=ProjectStatus.DRAFT)
    draft_b = make_project(title="乙机构的草稿", org_name="乙基金会", status=ProjectStatus.DRAFT)
    unit_1, unit_2 = make_unit("一号单位"), make_unit("二号单位")

    gift_a = make_gift(project_a, donor_name="张三丰", message='=HYPERLINK("x")')
    gift_b = make_gift(project_b, donor_name="李四光")
    for gift, unit in ((gift_a, unit_1), (gift_b, unit_2)):
        record_order_attribution(order=gift.order, attribution=Attribution(unit=unit, team=None, list_name="full"))
        credit_confirmed_gift(gift=gift)

    def member(name, organisation, role):
        user = make_user(name, totp=True)
        OrganisationMembership.objects.create(user=user, organisation=organisation, role=role)
        return user

    a_manager = member("a_manager", org_a, "manager")
    b_manager = member("b_manager", org_b, "manager")
    unit_1_contact = make_user("unit1", totp=True)
    UnitMembership.objects.create(user=unit_1_contact, unit=unit_1)
    UnitMembership.objects.create(user=make_user("unit2", totp=True), unit=unit_2)
    federation = make_user("federation", totp=True)
    federation.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="backoffice", codename__in=["see_all", "review_projects"])
    )
    no_totp = make_user("no_totp")
    OrganisationMembership.objects.create(user=no_totp, organisation=org_a, role="manager")

    expenditure_a, voucher_a = spend(project_a, a_manager, "甲文具店")
    expenditure_b, voucher_b = spend(project_b, b_manager, "乙文具店")

    def update(project, title):
        from django.utils import timezone

        return ProgressUpdate.objects.create(
            project=project, title=title, text="内容", published_at=timezone.now(), created_by=a_manager
        )

    return World(
        org_a=org_a,
        org_b=org_b,
        project_a=project_a,
        draft_a=draft_a,
        project_b=project_b,
        draft_b=draft_b,
        update_a=update(project_a, "甲的进展"),
        update_b=update(project_b, "乙的进展"),
        gift_a=gift_a,
        gift_b=gift_b,
        unit_1=unit_1,
        unit_2=unit_2,
        a_manager=a_manager,
        a_editor=member("a_editor", org_a, "editor"),
        a_viewer=member("a_viewer", org_a, "viewer"),
        b_manager=b_manager,
        unit_1_contact=unit_1_contact,
        federation=federation,
        donor=make_user("just_a_donor", totp=True),
        no_totp=no_totp,
        expenditure_a=expenditure_a,
        expenditure_b=expenditure_b,
        voucher_a=voucher_a,
        voucher_b=voucher_b,
    )
