"""Fixtures and helpers for the aid tests: a small region tree with two districts, stations, a user for every role
(own region and another), a funded project and a programme with a four-level chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.demo import demo_id_number
from gongyi.aid.models import AidProgramme, ConsentKind, ConsentSigner, ReviewStep, Role
from gongyi.donors.tests.helpers import office_login
from gongyi.orgs.models import Region
from gongyi.testing import make_project

PDF = b"%PDF-1.4\n% test document\n%%EOF\n"


def staff_login(client, user) -> None:
    """Sign an aid user in as if they had used password and TOTP in this session (``office_login``)."""
    office_login(client, user)


def staff_client(user, **defaults) -> Client:
    client = Client(**defaults)
    staff_login(client, user)
    return client


def fund(project, fen: int, txn: str = "T-AID-FUND") -> None:
    """Money in the project through the real money path."""
    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.services import OrderRequest, create_order

    order = create_order(
        request=OrderRequest(project_id=project.pk, amount_fen=fen, gateway="sandbox", donor_name="企业")
    )
    confirm_payment(
        gateway="sandbox",
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no, provider_txn_id=txn, amount_fen=fen, payer="p", paid_at=timezone.now()
        ),
    )


def pdf(name: str = "诊断证明.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@dataclass
class Network:
    city: Region
    district: Region  # 华容区 420703 (own)
    other_district: Region  # 鄂城区 420704
    township: Region
    village: Region
    other_village: Region  # same township, different village
    far_village: Region  # other district
    users: dict
    programme: AidProgramme
    project: object


CALCULATOR = {
    "method": "ratio",
    "deductible_fen": {"tekun": 0, "dibao": 0, "dibian": 200_000, "yinbing": 500_000, "other": 1_000_000},
    "ratio_bp": {"tekun": 8000, "dibao": 7000, "dibian": 6000, "yinbing": 5000},
    "bill_validity_days": 365,
}


@pytest.fixture
def network(db) -> Network:
    def region(code, name, level, parent):
        return Region.objects.create(code=code, name=name, level=level, parent_id=parent)

    region("420000", "湖北省", "province", None)
    city = region("420700", "鄂州市", "city", "420000")
    district = region("420703", "华容区", "district", "420700")
    other_district = region("420704", "鄂城区", "district", "420700")
    township = region("420703101", "段店镇", "township", "420703")
    village = region("420703101201", "段店村", "village", "420703101")
    other_village = region("420703101202", "新华村", "village", "420703101")
    region("420704100", "泽林镇", "township", "420704")
    far_village = region("420704100201", "泽林村", "village", "420704100")
    region("420704100202", "万秀村", "village", "420704100")

    User = get_user_model()
    # Unusable passwords: tests sign in with ``staff_login`` (a session that used password + TOTP). Every user
    # with a role has a TOTP authenticator, as aid pages require; "plain" (no role) has none.
    users = {"plain": User.objects.create_user("plain")}

    def user(name, role, **scope):
        u = User.objects.create_user(name)
        TOTP.activate(u, generate_totp_secret())
        services.grant_role(user=u, role=role, **scope)
        users[name] = u
        return u

    stations = {
        r.code: services.create_station(region=r, name=f"{r.name}服务站")
        for r in (
            district,
            other_district,
            township,
            village,
            other_village,
            far_village,
            Region.objects.get(code="420704100"),
        )
    }
    user("village", Role.STATION_STAFF, station=stations[village.code])
    user("other_village", Role.STATION_STAFF, station=stations[other_village.code])
    user("far_village", Role.STATION_STAFF, station=stations[far_village.code])
    user("township", Role.STATION_STAFF, station=stations[township.code])
    user("far_township", Role.STATION_STAFF, station=stations["420704100"])
    user("district", Role.DISTRICT_STAFF, region=district)
    user("other_district", Role.DISTRICT_STAFF, region=other_district)
    user("city", Role.CITY_STAFF, region=city)
    user("federation", Role.FEDERATION_STAFF)
    user("regulator", Role.REGULATOR)
    user("social_worker", Role.SOCIAL_WORKER, region=district)
    user("far_social_worker", Role.SOCIAL_WORKER, region=other_district)

    project = make_project(title="鄂州市慈善大病救助")
    programme = AidProgramme.objects.create(
        code="dabing",
        case_prefix="DB",
        name="大病救助",
        project=project,
        standards="标准",
        notice_length="7d",
        calculator=CALCULATOR,
        per_case_cap_fen=3_000_000,
        per_year_cap_fen=5_000_000,
        required_documents=["diagnosis"],
    )
    for position, (level, role, name, visit) in enumerate(
        [
            ("village", Role.STATION_STAFF, "村级初审", True),
            ("township", Role.STATION_STAFF, "乡镇审核", False),
            ("district", Role.DISTRICT_STAFF, "区复核", False),
            ("city", Role.CITY_STAFF, "市审定", False),
        ],
        start=1,
    ):
        ReviewStep.objects.create(
            programme=programme, position=position, level=level, role=role, name=name, requires_home_visit=visit
        )
    return Network(
        city, district, other_district, township, village, other_village, far_village, users, programme, project
    )


PERSON_ID = demo_id_number("420703", "19700101", 11)
CHILD_ID = demo_id_number("420703", "20180505", 22)
GUARDIAN_ID = demo_id_number("420703", "19880808", 33)
SECRET_NAME = "测试甲"
SECRET_DIAGNOSIS = "测试用诊断：急性淋巴细胞白血病"


def open_case(
    net: Network,
    *,
    village=None,
    id_number=PERSON_ID,
    name=SECRET_NAME,
    actor=None,
    hardship="dibao",
    deductions=None,
    **kwargs,
):
    return services.open_case(
        actor=actor or net.users["village"],
        programme=kwargs.pop("programme", net.programme),
        region=village or net.village,
        person=services.PersonInput(name, id_number, "13800001111", "段店镇段店村3组", "夫妻二人"),
        hardship_class=hardship,
        diagnosis=kwargs.pop("diagnosis", SECRET_DIAGNOSIS),
        hospital="鄂州市中心医院",
        situation="因病致贫",
        deductions=deductions
        if deductions is not None
        else {
            "basic_insurance_fen": 5_000_000,
            "critical_illness_insurance_fen": 1_500_000,
            "medical_assistance_fen": 1_000_000,
        },
        **kwargs,
    )


def ready_case(net: Network, *, invoice_numbers=("0001", "0002"), amounts=(8_000_000, 2_000_000), actor=None, **kwargs):
    """A case with invoices (¥80,000 + ¥20,000), consents and the diagnosis document, not yet submitted."""
    actor = actor or net.users["village"]
    case = open_case(net, actor=actor, **kwargs)
    today = timezone.localdate()
    for number, amount in zip(invoice_numbers, amounts, strict=True):
        services.add_invoice(
            actor=actor,
            case=case,
            code="42060126",
            number=number,
            amount_fen=amount,
            issued_on=today - timedelta(days=30),
        )
    signer = ConsentSigner.GUARDIAN if case.applicant_under_14 else ConsentSigner.SELF
    kinds = [ConsentKind.SENSITIVE, ConsentKind.PUBLICATION, ConsentKind.SHARING]
    if case.applicant_under_14:
        kinds.append(ConsentKind.GUARDIAN)
    for kind in kinds:
        services.record_consent(actor=actor, case=case, kind=kind, signer=signer)
    services.add_document(actor=actor, case=case, kind="diagnosis", file=pdf())
    return case


def approve_all(net: Network, case, *, today: date | None = None, amount_fen=None):
    """Through the whole chain: village (with a home visit), township, district, city."""
    today = today or timezone.localdate()
    reviewers = ["village", "township", "district", "city"]
    for index, name in enumerate(reviewers):
        case = services.review_case(
            actor=net.users[name],
            case=case,
            decision="approve",
            opinion="同意",
            no_conflict_declared=True,
            home_visit_on=today - timedelta(days=1) if index == 0 else None,
            today=today,
            amount_fen=amount_fen if index == 3 else None,
        )
    return case
