"""The role matrix: on every back-office page and API operation, an organisation or unit cannot read or change
another's data by guessing ids (404, never 403); roles limit what a member may change (403); people without
membership or without TOTP do not get in; federation staff see all and only review.

The pages and operations are enumerated from ``backoffice.urls`` and the API router, so a new endpoint is
checked without being listed here.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongyi.backoffice.api import router
from gongyi.backoffice.models import OfficeEvent, ProgressUpdate
from gongyi.backoffice.urls import urlpatterns
from gongyi.donors.tests.helpers import office_login
from gongyi.projects.models import ProjectStatus

pytestmark = pytest.mark.django_db

POST_ONLY = {
    "office-project-submit",
    "office-project-review",
    "office-update-withdraw",
    "office-expenditure-voucher-add",
    "office-expenditure-withdraw",
}
WRITES = {
    "office-project-new",
    "office-project-edit",
    "office-project-submit",
    "office-update-new",
    "office-update-withdraw",
    "office-expenditure-new",
    "office-expenditure-voucher-add",
    "office-expenditure-withdraw",
}
EXPORTS = {"office-project-gifts-export", "office-organisation-gifts-export"}
# Voucher originals may carry personal data: only whoever records the organisation's spending opens them here.
VOUCHER_FILES = {"office-voucher-original", "office-voucher-redacted"}
FORM_DATA = {"title": "偷改", "text": "偷改", "reason": "偷改", "decision": "approve", "note": "偷改"}
# A body every JSON write of the API accepts, so a refusal is about the id, not the payload.
API_BODY = (
    '{"title": "x", "text": "y", "reason": "偷改", "category": "materials", "amount_fen": 100, "payee": "x",'
    ' "purpose": "x", "spent_on": "2026-01-01"}'
)


def pages(ids: dict[str, int]):
    """(name, url, takes ids) for every back-office page, ids filled from ``ids``."""
    for pattern in urlpatterns:
        names = list(pattern.pattern.converters)
        yield pattern.name, reverse(pattern.name, kwargs={n: ids[n] for n in names}), bool(names)


def api_operations(ids: dict[str, int], *, with_ids_only: bool = False):
    """(method, url) for every back-office API operation, ids filled from ``ids``."""
    for path, path_view in router.path_operations.items():
        if with_ids_only and "{" not in path:
            continue
        for operation in path_view.operations:
            for method in operation.methods:
                yield method, "/api/v1/office" + path.format(**ids)


def hit(client, name: str, url: str, *, post: bool = False):
    if name in POST_ONLY or post:
        return client.post(url, FORM_DATA)
    return client.get(url)


def call(client, method: str, url: str):
    """One API operation with a well-formed request: multipart with a file for uploads, JSON otherwise."""
    if url.endswith("/vouchers") and method == "POST":
        from django.core.files.uploadedfile import SimpleUploadedFile

        pdf = SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
        return client.post(url, {"kind": "invoice", "file": pdf})
    return client.generic(method, url, API_BODY, content_type="application/json")


def test_the_matrix_covers_every_page_and_operation(world):
    assert len(list(pages(world.ids_of_b()))) == len(urlpatterns) >= 22
    assert len(list(api_operations(world.ids_of_b()))) >= 13


@pytest.mark.parametrize("project", ["draft_b", "project_b"])
def test_a_member_of_one_organisation_gets_404_for_every_object_of_another(client, world, project):
    office_login(client, world.a_manager)
    ids = {**world.ids_of_b(), "project_id": getattr(world, project).pk}
    for name, url, takes_ids in pages(ids):
        if not takes_ids:
            continue
        assert hit(client, name, url).status_code == 404, url
        if name not in POST_ONLY:
            assert hit(client, name, url, post=True).status_code in (404, 405), url
    # Drafting a project for organisation B by naming it is refused the same way.
    assert client.post(reverse("office-project-new"), {"organisation": world.org_b.pk, "title": "x"}).status_code == 404
    assert client.get(reverse("office-project-new") + f"?organisation={world.org_b.pk}").status_code == 404
    world.draft_b.refresh_from_db()
    world.update_b.refresh_from_db()
    assert world.draft_b.status == ProjectStatus.DRAFT and world.update_b.withdrawn_at is None
    assert not ProgressUpdate.objects.filter(project=world.project_b).exclude(pk=world.update_b.pk).exists()
    assert not OfficeEvent.objects.filter(organisation=world.org_b).exists()
    _organisation_b_spending_untouched(world)


def _organisation_b_spending_untouched(world):
    from gongyi.spending.models import Expenditure, ExpenditureEvent, ExpenditureStatus, Voucher

    world.expenditure_b.refresh_from_db()
    assert world.expenditure_b.status == ExpenditureStatus.PENDING
    assert list(Expenditure.objects.filter(project=world.project_b)) == [world.expenditure_b]
    assert list(Voucher.objects.filter(expenditure=world.expenditure_b)) == [world.voucher_b]
    # Recorded and voucher added by B's manager; nothing by anyone else, not even a logged opening.
    assert set(ExpenditureEvent.objects.filter(expenditure=world.expenditure_b).values_list("actor", flat=True)) == {
        world.b_manager.pk
    }


def test_a_member_of_one_organisation_gets_404_from_every_api_operation_on_another(client, world):
    office_login(client, world.a_manager)
    for ids in (world.ids_of_b(), {**world.ids_of_b(), "project_id": world.project_b.pk}):
        for method, url in api_operations(ids, with_ids_only=True):
            response = call(client, method, url)
            assert response.status_code == 404, (method, url, response.status_code)
    _organisation_b_spending_untouched(world)


def test_lists_show_only_the_members_own_organisation(client, world):
    office_login(client, world.a_manager)
    for name, url, takes_ids in pages(world.ids_of_b()):
        if takes_ids or name in WRITES:
            continue
        text = client.get(url).content.decode()
        assert "乙机构" not in text and "乙基金会" not in text, url
    titles = [p["title"] for p in client.get("/api/v1/office/projects").json()]
    assert sorted(titles) == ["甲机构的草稿", "甲机构的项目"]


def test_a_unit_contact_sees_only_their_unit(client, world):
    office_login(client, world.unit_1_contact)
    for ids in (world.ids_of_a(), world.ids_of_b()):
        for name, url, takes_ids in pages(ids):
            if not takes_ids:
                continue
            status = hit(client, name, url).status_code
            if name.startswith("office-unit") and ids["unit_id"] == world.unit_1.pk:
                assert status == 200, url
            else:
                assert status == 404, url
    page = client.get(reverse("office-unit", args=[world.unit_1.pk])).content.decode()
    assert "张三丰" in page and "李四光" not in page  # the name as the donor chose for the unit's list
    for method, url in api_operations(world.ids_of_b(), with_ids_only=True):
        response = call(client, method, url)
        assert response.status_code == 404, url
    assert client.get("/api/v1/office/projects").json() == []
    assert client.get(f"/api/v1/office/units/{world.unit_1.pk}/gifts").json()[0]["name"] == "张三丰"


def test_roles_limit_what_a_member_may_change(client, world):
    office_login(client, world.a_viewer)
    ids = world.ids_of_a()
    for name, url, _ in pages(ids):
        status = hit(client, name, url).status_code
        if name in WRITES or name in EXPORTS or name in VOUCHER_FILES:
            assert status == 403, url
        elif name == "office-project-review":
            assert status == 403, url  # reviewing is the federation's
        elif name.startswith("office-unit"):
            assert status == 404, url  # not a contact of that unit
        else:
            assert status == 200, url
    assert client.post(f"/api/v1/office/projects/{world.draft_a.pk}/submit").status_code == 403
    names = client.get(f"/api/v1/office/projects/{world.project_a.pk}/gifts").json()
    assert names[0]["name"] == "张**"  # viewers see masked names; managers see them in full
    office_login(client, world.a_manager)
    assert client.get(f"/api/v1/office/projects/{world.project_a.pk}/gifts").json()[0]["name"] == "张三丰"


def test_an_editor_drafts_and_submits_but_does_not_export(client, world):
    office_login(client, world.a_editor)
    assert client.post(reverse("office-project-submit", args=[world.draft_a.pk])).status_code == 302
    world.draft_a.refresh_from_db()
    assert world.draft_a.status == ProjectStatus.IN_REVIEW
    assert client.get(reverse("office-project-gifts-export", args=[world.project_a.pk])).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "donor", "no_totp", "password_only_session"])
def test_people_without_access_do_not_get_in(client, world, who):
    if who == "donor":
        office_login(client, world.donor)
    elif who == "no_totp":
        office_login(client, world.no_totp)
    for name, url, _ in pages(world.ids_of_a()):
        if who == "password_only_session":
            client.force_login(world.a_manager)  # signed in, but this session never used the second factor
        response = hit(client, name, url)
        if who == "donor":
            assert response.status_code == 403 and "没有机构后台权限" in response.content.decode(), url
        elif who == "no_totp":
            assert response.status_code == 302 and response["Location"].startswith("/me/auth/2fa/totp/activate/"), url
        else:
            assert response.status_code == 302 and response["Location"].startswith("/me/auth/login/"), url
    expected = {"anonymous": 401, "donor": 403, "no_totp": 403, "password_only_session": 403}[who]
    for method, url in api_operations(world.ids_of_a()):
        if who == "password_only_session":
            client.force_login(world.a_manager)
        assert client.generic(method, url).status_code == expected, (method, url)
    world.draft_a.refresh_from_db()
    assert world.draft_a.status == ProjectStatus.DRAFT


def test_federation_staff_see_every_organisation_and_review_but_do_not_edit(client, world):
    office_login(client, world.federation)
    for ids in (world.ids_of_a(), world.ids_of_b()):
        for name, url, _ in pages(ids):
            status = hit(client, name, url).status_code
            if name in WRITES or name in VOUCHER_FILES:
                assert status == 403, url
            else:
                assert status in (200, 302), (url, status)
    world.draft_b.status = ProjectStatus.IN_REVIEW
    world.draft_b.filing_number = "TEST-B-1"
    world.draft_b.save()
    response = client.post(reverse("office-project-review", args=[world.draft_b.pk]), {"decision": "approve"})
    assert response.status_code == 302
    world.draft_b.refresh_from_db()
    assert world.draft_b.status == ProjectStatus.PUBLISHED


def test_outside_organisations_never_get_the_django_admin(client, world):
    office_login(client, world.a_manager)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not world.a_manager.is_staff


def test_the_federation_staff_group_sees_all_too(client, world):
    from django.contrib.auth.models import Group

    from gongyi.donors.tests.helpers import make_user

    officer = make_user("officer", totp=True)
    officer.groups.add(Group.objects.get_or_create(name="federation_staff")[0])
    office_login(client, officer)
    assert client.get(reverse("office-project", args=[world.project_b.pk])).status_code == 200
    assert client.post(reverse("office-project-submit", args=[world.draft_b.pk])).status_code == 403
