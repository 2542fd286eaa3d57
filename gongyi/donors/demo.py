"""The demo's donor accounts and back office: a donor phone with gifts, a claimable gift, an organisation's staff
member and a unit contact, both with TOTP enrolled, and one progress update.

``load_donors_demo()`` is safe to run any number of times; run it after ``load_demo()`` and
``load_drives_demo()``. It prints nothing: the caller prints the returned report (the sign-in details).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

DEMO_PHONE = "13800138000"
DEMO_GIFTS = [  # project index in the demo, yuan, name, message
    (0, 100, "陈晓", "愿孩子们健康成长"),
    (1, 50, "陈晓", ""),
    (2, 200, "陈晓", "一点心意"),
]
OFFICE_USERNAME = "office_demo"
UNIT_USERNAME = "unit_demo"
DEMO_UNIT = "鄂州市民政局"
DEMO_ORGANISATION = "鄂州市慈善总会"


@dataclass
class DonorsDemoReport:
    donor_phone: str
    donor_gifts_added: int
    claimable_out_trade_no: str
    claimable_last_digits: str
    office_username: str
    office_password: str
    office_totp_secret: str
    office_organisation: str
    unit_username: str
    unit_password: str
    unit_totp_secret: str
    unit_name: str

    def lines(self) -> list[str]:
        """What ``gongyi demo`` prints."""
        return [
            f"我的公益: sign in at /me/ with phone {self.donor_phone} (the SMS code is printed on the server's "
            f"console); {self.donor_gifts_added} demo gifts added",
            f"claim a gift at /me/claim/: order {self.claimable_out_trade_no}, "
            f"last digits {self.claimable_last_digits}",
            f"back office /office/: {self.office_username} / {self.office_password} ({self.office_organisation}), "
            f"TOTP secret {self.office_totp_secret}",
            f"unit contact /office/: {self.unit_username} / {self.unit_password} ({self.unit_name}), "
            f"TOTP secret {self.unit_totp_secret}",
        ]


def load_donors_demo() -> DonorsDemoReport | None:
    from gongyi.orgs.models import Organisation

    organisation = Organisation.objects.filter(name=DEMO_ORGANISATION).first()
    if organisation is None:
        return None
    added, claimable = _donor_gifts()
    office_user, office_password, office_secret = _office_user(OFFICE_USERNAME)
    _membership(office_user, organisation)
    unit_user, unit_password, unit_secret = _office_user(UNIT_USERNAME)
    unit_name = _unit_membership(unit_user)
    _progress_update(office_user, organisation)
    _pending_expenditure(office_user, organisation)
    return DonorsDemoReport(
        donor_phone=DEMO_PHONE,
        donor_gifts_added=added,
        claimable_out_trade_no=claimable.order.out_trade_no if claimable else "",
        claimable_last_digits=claimable.provider_txn_id[-6:] if claimable else "",
        office_username=office_user.username,
        office_password=office_password,
        office_totp_secret=office_secret,
        office_organisation=organisation.name,
        unit_username=unit_user.username,
        unit_password=unit_password,
        unit_totp_secret=unit_secret,
        unit_name=unit_name,
    )


def _demo_projects():
    from gongyi.projects.models import ProjectStatus
    from gongyi.projects.selectors import public_projects

    return [p for p in public_projects() if p.status == ProjectStatus.PUBLISHED]


def _give(project, *, yuan: int, name: str, message: str, phone: str, payer: str, minutes_ago: int, unit=None):
    from gongyi.donors.services import record_order_contact
    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.services import OrderRequest, create_order

    with transaction.atomic():
        order = create_order(
            request=OrderRequest(
                project_id=project.pk,
                amount_fen=yuan * 100,
                gateway="sandbox",
                donor_name=name,
                message=message,
                unit_code=unit.code if unit else "",
            )
        )
        if unit is not None:
            from gongyi.drives.services import Attribution, record_order_attribution

            record_order_attribution(order=order, attribution=Attribution(unit=unit, team=None))
        record_order_contact(order=order, phone=phone)
    return confirm_payment(
        gateway="sandbox",
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no,
            provider_txn_id="SBDEMO" + secrets.token_hex(8).upper(),
            amount_fen=order.amount_fen,
            payer=payer,
            paid_at=timezone.now() - timedelta(minutes=minutes_ago),
        ),
        raw_body="(demo)",
    ).gift


def _donor_gifts():
    from gongyi.donors.models import OrderContact
    from gongyi.donors.phones import normalize_mobile
    from gongyi.giving.models import Gift

    phone = normalize_mobile(DEMO_PHONE)
    projects = _demo_projects()
    claimable = Gift.objects.filter(donor_name="（演示）待认领", donor_claim__isnull=True).first()
    if OrderContact.objects.filter(phone=phone).exists() or not projects:
        return 0, claimable
    unit = _demo_unit()
    added = 0
    for index, (project_index, yuan, name, message) in enumerate(DEMO_GIFTS):
        project = projects[project_index % len(projects)]
        _give(
            project,
            yuan=yuan,
            name=name,
            message=message,
            phone=DEMO_PHONE,
            payer="demo-phone-donor",
            minutes_ago=30 + 90 * index,
            unit=unit if index == 0 else None,
        )
        added += 1
    if claimable is None:
        claimable = _give(
            projects[-1], yuan=20, name="（演示）待认领", message="", phone="", payer="demo-claim", minutes_ago=15
        )
    return added, claimable


def _demo_unit():
    from gongyi.drives.models import Unit, UnitStatus

    return Unit.objects.filter(name=DEMO_UNIT, status=UnitStatus.APPROVED).first()


def _password(username: str) -> str:
    path = Path(settings.GONGYI["DATA_DIR"]) / f"{username}_password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password


def _office_user(username: str):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import decrypt

    User = get_user_model()
    password = _password(username)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=password)
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
    else:
        secret = decrypt(totp.data["secret"])
    return user, password, secret


def _membership(user, organisation) -> None:
    from gongyi.backoffice.models import OrganisationMembership, OrgRole
    from gongyi.backoffice.services import grant_organisation_membership

    if not OrganisationMembership.objects.filter(user=user, organisation=organisation).exists():
        grant_organisation_membership(user=user, organisation=organisation, role=OrgRole.MANAGER)


def _unit_membership(user) -> str:
    from gongyi.backoffice.models import UnitMembership
    from gongyi.backoffice.services import grant_unit_membership

    unit = _demo_unit()
    if unit is None:
        return "（一日捐演示数据未加载）"
    if not UnitMembership.objects.filter(user=user, unit=unit).exists():
        grant_unit_membership(user=user, unit=unit)
    return unit.name


def _progress_update(user, organisation) -> None:
    from gongyi.backoffice.models import ProgressUpdate
    from gongyi.backoffice.selectors import scope_for
    from gongyi.backoffice.services import post_progress_update

    project = next((p for p in _demo_projects() if p.organisation_id == organisation.pk), None)
    if project is None or ProgressUpdate.objects.filter(project=project).exists():
        return
    post_progress_update(
        scope=scope_for(user),
        project=project,
        title="第一批救助款已拨付",
        text="截至本周，项目已向首批受助家庭拨付救助款，后续进展将持续公开。感谢每一位捐赠人！",
        photos=[],
        actor=user,
    )


def _pending_expenditure(user, organisation) -> None:
    """The organisation's own spending record with a voucher, waiting for federation finance's approvals."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from PIL import Image

    from gongyi.spending.models import Expenditure
    from gongyi.spending.selectors import accounts_for_project
    from gongyi.spending.services import add_voucher, record_expenditure

    project = next((p for p in _demo_projects() if p.organisation_id == organisation.pk), None)
    if project is None or Expenditure.objects.filter(recorded_by=user).exists():
        return
    amount_fen = min(86_000, accounts_for_project(project).balance_fen // 10)
    if amount_fen <= 0:
        return
    expenditure = record_expenditure(
        project=project,
        category="materials",
        amount_fen=amount_fen,
        payee="鄂州市鄂城区爱心文具批发部",
        purpose="为受助学生采购秋季学期书包和文具（机构后台登记，待慈善总会财务审批）",
        spent_on=timezone.localdate(),
        recorded_by=user,
    )
    scan = BytesIO()
    Image.new("RGB", (420, 594), "white").save(scan, "PDF")
    add_voucher(
        expenditure=expenditure,
        file=SimpleUploadedFile("invoice.pdf", scan.getvalue(), "application/pdf"),
        kind="invoice",
        description="增值税普通发票（演示）",
        uploaded_by=user,
    )
