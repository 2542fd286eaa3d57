"""The back office at work: signing in with password and TOTP, drafting and submitting a project, the
federation publishing it, progress updates with photos on the public page, Excel exports."""

from __future__ import annotations

import io
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from gongyi.backoffice.models import OfficeEvent, OfficeEventKind, ProgressUpdate
from gongyi.donors.tests.helpers import make_user, office_login
from gongyi.projects.models import Project, ProjectStatus

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def current_code(secret: str = SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_sign_in_with_password_then_totp(client, world):
    from gongyi.backoffice.models import OrganisationMembership

    user = make_user("real_login", password="a-Long-demo-pass-1")
    TOTP.activate(user, SECRET)
    OrganisationMembership.objects.create(user=user, organisation=world.org_a, role="manager")

    step = client.post("/me/auth/login/", {"login": "real_login", "password": "a-Long-demo-pass-1", "next": "/office/"})
    assert step.status_code == 302 and step["Location"].startswith("/me/auth/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    assert client.post("/me/auth/2fa/authenticate/", {"code": "000000"}).status_code == 200
    done = client.post("/me/auth/2fa/authenticate/", {"code": current_code()})
    assert done.status_code == 302 and done["Location"] == "/office/"
    assert "甲机构的项目" in client.get("/office/").content.decode()


def test_a_member_is_sent_to_enrol_totp_and_cannot_remove_it(client, world):
    office_login(client, world.no_totp)
    response = client.get("/office/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_activate_totp"))
    # allauth asks for the password again before adding a second factor.
    reauth = client.get(response["Location"])
    assert reauth.status_code == 302 and reauth["Location"].startswith("/me/auth/reauthenticate/")
    client.post(reauth["Location"], {"password": "a-Long-demo-pass-1"})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "启用两步验证" in page and "totp-qr" in page
    from allauth.mfa.adapter import get_adapter

    office_login(client, world.a_manager)
    authenticator = Authenticator.objects.get(user=world.a_manager, type=Authenticator.Type.TOTP)
    assert get_adapter().can_delete_authenticator(authenticator) is False
    plain = make_user("plain", totp=True)
    assert get_adapter().can_delete_authenticator(Authenticator.objects.get(user=plain)) is True


def draft_data(**overrides):
    data = {
        "title": "童享阳光助学",
        "summary": "资助困境儿童上学",
        "target_yuan": "50000",
        "story": "故事",
        "domain": "education",
        "purpose": "资助困境儿童",
        "fundraising_starts_on": "2026-01-01",
        "fundraising_ends_on": "2026-12-31",
        "fundraising_area": "鄂州市",
        "lead_name": "刘老师",
        "lead_office_address": "鄂州市鄂城区",
        "donation_methods": "微信支付",
        "bank_account_name": "甲慈善会",
        "bank_name": "工商银行",
        "bank_account_number": "1234",
        "beneficiaries": "困境儿童",
        "use_of_funds": "学费",
        "fundraising_cost": "不超过3%",
        "leftover_handling": "用于同类项目",
        "filing_number": "",
    }
    data.update(overrides)
    return data


def test_draft_edit_submit_then_the_federation_publishes(client, world):
    office_login(client, world.a_editor)
    bad = client.post(reverse("office-project-new"), draft_data(target_yuan="0"))
    assert bad.status_code == 400 and "target_yuan-error" in bad.content.decode()
    response = client.post(reverse("office-project-new"), draft_data())
    assert response.status_code == 302
    project = Project.objects.get(title="童享阳光助学")
    assert project.organisation == world.org_a and project.status == ProjectStatus.DRAFT
    assert project.target_fen == 5_000_000

    client.post(reverse("office-project-edit", args=[project.pk]), draft_data(filing_number="53420700MJ2026"))
    project.refresh_from_db()
    assert project.filing_number == "53420700MJ2026"
    client.post(reverse("office-project-submit", args=[project.pk]))
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_REVIEW
    assert client.get(reverse("office-project-edit", args=[project.pk])).status_code == 302  # drafts only
    assert client.post(reverse("office-project-review", args=[project.pk]), {"decision": "approve"}).status_code == 403

    office_login(client, world.federation)
    assert "童享阳光助学" in client.get("/office/").content.decode()  # waiting for review
    client.post(reverse("office-project-review", args=[project.pk]), {"decision": "return"})  # needs a reason
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_REVIEW
    client.post(reverse("office-project-review", args=[project.pk]), {"decision": "approve"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.PUBLISHED
    kinds = list(OfficeEvent.objects.filter(project=project).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        OfficeEventKind.PROJECT_DRAFTED,
        OfficeEventKind.PROJECT_EDITED,
        OfficeEventKind.PROJECT_SUBMITTED,
        OfficeEventKind.PROJECT_PUBLISHED,
    ]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (2400, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 23.0, 0.0)}  # GPS info
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_progress_update_with_photos_shows_on_the_public_page_until_withdrawn(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    office_login(client, world.a_editor)
    photo = SimpleUploadedFile("site.jpg", jpeg_with_gps(), content_type="image/jpeg")
    not_image = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    refused = client.post(
        reverse("office-update-new", args=[world.project_a.pk]), {"title": "t", "text": "x", "photos": [not_image]}
    )
    assert refused.status_code == 400
    response = client.post(
        reverse("office-update-new", args=[world.project_a.pk]),
        {"title": "物资已送达", "text": "第一批物资已送到", "photos": [photo], "caption": "现场"},
    )
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(title="物资已送达")
    stored = update.photos.get()
    with Image.open(stored.image.path) as saved:
        assert max(saved.size) == 1600 and not saved.getexif()  # resized, metadata (GPS) gone

    panel = render_to_string("backoffice/_project_updates.html", {"project": world.project_a})
    assert "物资已送达" in panel and stored.image.url in panel
    assert render_to_string("backoffice/_project_updates.html", {"project": world.draft_a}).strip() == ""

    client.post(reverse("office-update-withdraw", args=[update.pk]), {"reason": "照片有误"})
    update.refresh_from_db()
    assert update.withdrawn_at is not None and update.withdraw_reason == "照片有误"
    assert "物资已送达" not in render_to_string("backoffice/_project_updates.html", {"project": world.project_a})


def test_updates_need_a_public_project(client, world):
    office_login(client, world.a_manager)
    response = client.post(reverse("office-update-new", args=[world.draft_a.pk]), {"title": "t", "text": "x"})
    assert response.status_code == 400 and "项目发布后才能发布进展" in response.content.decode()
    api = client.post(
        f"/api/v1/office/projects/{world.project_a.pk}/updates",
        {"title": "接口发布", "text": "内容"},
        content_type="application/json",
    )
    assert api.status_code == 201 and api.json()["title"] == "接口发布"


def test_a_manager_exports_the_organisations_gifts_to_excel(client, world):
    office_login(client, world.a_manager)
    response = client.get(reverse("office-project-gifts-export", args=[world.project_a.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["捐赠明细"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "证书编号"
    assert rows[1][0] == world.gift_a.certificate_no and rows[1][6] == "张三丰"
    assert rows[1][7] == '\'=HYPERLINK("x")'  # a donor's text never becomes a formula
    assert rows[1][10] == "一号单位"
    assert rows[-1][0] == "合计（有效捐赠）" and rows[-1][4] == 50.0
    assert world.gift_b.certificate_no not in str(rows)
    assert OfficeEvent.objects.filter(kind=OfficeEventKind.GIFTS_EXPORTED, actor=world.a_manager).exists()

    whole = client.get(reverse("office-organisation-gifts-export", args=[world.org_a.pk]))
    assert whole.status_code == 200


def test_a_unit_contact_exports_the_units_list(client, world):
    office_login(client, world.unit_1_contact)
    response = client.get(reverse("office-unit-gifts-export", args=[world.unit_1.pk]))
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True)["单位捐赠明细"].iter_rows(values_only=True))
    assert [r[4] for r in rows[1:]] == ["张三丰"]


def test_the_spending_page_lists_only_the_projects_own_expenditures(client, world):
    office_login(client, world.a_manager)
    page = client.get(reverse("office-project-spending", args=[world.project_a.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "甲文具店" in text and "乙文具店" not in text
    assert reverse("office-expenditure", args=[world.expenditure_a.pk]) in text
