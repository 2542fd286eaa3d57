"""Role × endpoint: every aid page and API endpoint, called by every role from its own region and from
another, and by anonymous and role-less users. Nothing leaks: out of scope is 404 (existence not
confirmed), a role without the right is 403, personal data appears only in the logged reads of users
whose scope covers the case.

Each request runs inside a transaction that is rolled back, so every call meets the same cases."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.models import AccessLog, Document, Notice, Objection
from gongyi.aid.tests.fixtures import (
    PERSON_ID,
    SECRET_DIAGNOSIS,
    SECRET_NAME,
    approve_all,
    fund,
    ready_case,
    staff_login,
)
from gongyi.core.checkdigits import id_check_char

pytestmark = pytest.mark.django_db

USERS = [
    "anonymous",
    "plain",
    "village",
    "other_village",
    "far_village",
    "township",
    "far_township",
    "district",
    "other_district",
    "city",
    "federation",
    "regulator",
    "social_worker",
    "far_social_worker",
]
IN_SCOPE = {"village", "township", "district", "city", "federation", "regulator", "social_worker"}
OUT_OF_SCOPE = {"other_village", "far_village", "far_township", "other_district", "far_social_worker"}
INTAKE = {"village", "township", "district", "city", "federation"}
ANY_ROLE = set(USERS) - {"anonymous", "plain"}
SECRETS = (SECRET_NAME, PERSON_ID, SECRET_DIAGNOSIS, "13800001111")


def person(n: int) -> str:
    first17 = f"42070319750101{n:03d}"
    return first17 + id_check_char(first17)


@dataclass
class Cases:
    draft: object
    village_step: object
    notice: object
    objection: object
    approved: object
    disbursed: object
    document: object
    names: dict = field(default_factory=dict)


@pytest.fixture
def cases(network) -> Cases:
    fund(network.project, 200_000 * 100)
    today = timezone.localdate()

    def make(index: int, name: str):
        return ready_case(
            network,
            id_number=PERSON_ID if index == 0 else person(index),
            name=name,
            invoice_numbers=(f"{index}01", f"{index}02"),
        )

    draft = make(0, SECRET_NAME)
    village_step = services.submit_case(actor=network.users["village"], case=make(1, "乙一"))
    notice = approve_all(network, services.submit_case(actor=network.users["village"], case=make(2, "乙二")))
    objection_case = approve_all(network, services.submit_case(actor=network.users["village"], case=make(3, "乙三")))
    services.file_objection(notice_id=Notice.objects.get(case=objection_case).pk, text="请核实家庭收入情况。")

    def approve_by_federation(case):
        for index, name in enumerate(["village", "township", "district", "federation"]):
            case = services.review_case(
                actor=network.users[name],
                case=case,
                decision="approve",
                no_conflict_declared=True,
                home_visit_on=today - timedelta(days=11) if index == 0 else None,
                today=today - timedelta(days=10),
            )
        return case

    approved = approve_by_federation(services.submit_case(actor=network.users["village"], case=make(4, "乙四")))
    disbursed = approve_by_federation(services.submit_case(actor=network.users["village"], case=make(5, "乙五")))
    services.complete_due_notices(today=today)
    disbursed.refresh_from_db()
    services.disburse(
        actor=network.users["city"],
        case=disbursed,
        amount_fen=disbursed.approved_fen,
        method="hospital",
        hospital_name="鄂州市中心医院",
    )
    for case in (draft, village_step, notice, objection_case, approved, disbursed):
        case.refresh_from_db()
    return Cases(
        draft, village_step, notice, objection_case, approved, disbursed, Document.objects.filter(case=draft).first()
    )


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: callable
    allowed: set
    data: callable = None
    api: bool = False
    public: bool = False
    case_scoped: bool = True  # out-of-scope users get 404
    reveals: bool = False  # personal data is the point of the answer (allowed users only)
    refused_in_scope: dict = field(default_factory=dict)  # user → expected status when refused by a rule


def pdf_upload():
    return SimpleUploadedFile("材料.pdf", b"%PDF-1.4\n% matrix\n%%EOF\n", content_type="application/pdf")


def endpoints(c: Cases, network) -> list[Endpoint]:
    today = timezone.localdate().isoformat()
    n = lambda case: case.case_number  # noqa: E731
    objection = Objection.objects.get(case=c.objection)
    notice = Notice.objects.get(case=c.notice)
    intake_page = {
        "programme": "dabing",
        "village": network.village.code,
        "name": "新申请",
        "id_number": person(40),
        "hardship_class": "dibao",
        "diagnosis": "诊断",
        "phone": "",
        "address": "",
        "household": "",
        "hospital": "",
        "situation": "",
        "guardian_name": "",
        "guardian_id_number": "",
        "guardian_relation": "",
        "guardian_phone": "",
    }
    intake_api = {**intake_page, "basic_insurance_fen": 0}
    return [
        # public
        Endpoint("notices page", "get", lambda: reverse("aid-notices"), set(USERS), public=True, case_scoped=False),
        Endpoint(
            "programme notices page",
            "get",
            lambda: reverse("aid-programme-notices", args=["dabing"]),
            set(USERS),
            public=True,
            case_scoped=False,
        ),
        Endpoint(
            "objection form",
            "post",
            lambda: reverse("aid-objection", args=[notice.pk]),
            set(USERS),
            data=lambda: {"text": "请核实该户的家庭收入。"},
            public=True,
            case_scoped=False,
        ),
        Endpoint(
            "api programmes",
            "get",
            lambda: "/api/v1/aid/programmes",
            set(USERS),
            api=True,
            public=True,
            case_scoped=False,
        ),
        Endpoint(
            "api notices", "get", lambda: "/api/v1/aid/notices", set(USERS), api=True, public=True, case_scoped=False
        ),
        Endpoint(
            "api objection",
            "post",
            lambda: f"/api/v1/aid/notices/{notice.pk}/objections",
            set(USERS),
            data=lambda: {"text": "请核实该户的家庭收入。"},
            api=True,
            public=True,
            case_scoped=False,
        ),
        # staff pages
        Endpoint("case list", "get", lambda: reverse("aid-cases"), ANY_ROLE, case_scoped=False),
        Endpoint(
            "intake page",
            "get",
            lambda: reverse("aid-case-new"),
            INTAKE | {"other_village", "far_village", "far_township", "other_district"},
            case_scoped=False,
        ),
        Endpoint(
            "intake post",
            "post",
            lambda: reverse("aid-case-new"),
            INTAKE,
            data=lambda: intake_page,
            case_scoped=False,
            refused_in_scope={u: 400 for u in ("other_village", "far_village", "far_township", "other_district")},
        ),
        Endpoint("case page", "get", lambda: reverse("aid-case", args=[n(c.draft)]), IN_SCOPE),
        Endpoint(
            "reveal",
            "post",
            lambda: reverse("aid-case-reveal", args=[n(c.draft)]),
            IN_SCOPE,
            data=lambda: {"reason": "review"},
            reveals=True,
        ),
        Endpoint(
            "invoice",
            "post",
            lambda: reverse("aid-case-invoice", args=[n(c.draft)]),
            INTAKE,
            data=lambda: {"code": "1", "number": "990001", "amount": "100.00", "issued_on": today},
        ),
        Endpoint(
            "consent",
            "post",
            lambda: reverse("aid-case-consent", args=[n(c.draft)]),
            INTAKE,
            data=lambda: {"kind": "guardian", "signer": "guardian"},
        ),
        Endpoint(
            "document upload",
            "post",
            lambda: reverse("aid-case-document", args=[n(c.draft)]),
            INTAKE | {"social_worker"},
            data=lambda: {"kind": "other", "file": pdf_upload()},
        ),
        Endpoint(
            "document open",
            "post",
            lambda: reverse("aid-case-document-open", args=[n(c.draft), c.document.pk]),
            IN_SCOPE,
            data=lambda: {"reason": "review"},
            reveals=True,
        ),
        Endpoint("submit", "post", lambda: reverse("aid-case-submit", args=[n(c.draft)]), INTAKE),
        Endpoint(
            "withdraw",
            "post",
            lambda: reverse("aid-case-withdraw", args=[n(c.draft)]),
            INTAKE,
            data=lambda: {"reason": "申请人放弃"},
        ),
        Endpoint(
            "review",
            "post",
            lambda: reverse("aid-case-review", args=[n(c.village_step)]),
            {"village"},
            data=lambda: {"decision": "approve", "no_conflict_declared": "on", "home_visit_on": today},
        ),
        Endpoint(
            "disburse",
            "post",
            lambda: reverse("aid-case-disburse", args=[n(c.approved)]),
            {"city"},
            data=lambda: {"amount": "100.00", "method": "hospital", "hospital_name": "医院", "paid_on": today},
            refused_in_scope={"federation": 400},
        ),  # federation approved it: four eyes
        Endpoint(
            "follow-up",
            "post",
            lambda: reverse("aid-case-follow-up", args=[n(c.approved)]),
            INTAKE | {"social_worker"},
            data=lambda: {"kind": "phone", "on": today, "notes": "电话回访"},
        ),
        Endpoint(
            "close",
            "post",
            lambda: reverse("aid-case-close", args=[n(c.disbursed)]),
            {"district", "city", "federation"},
        ),
        Endpoint(
            "export",
            "post",
            lambda: reverse("aid-case-export", args=[n(c.draft)]),
            {"district", "city", "federation"},
            data=lambda: {"reason": "本人书面申请"},
            reveals=True,
        ),
        Endpoint(
            "resolve objection",
            "post",
            lambda: reverse("aid-objection-resolve", args=[objection.pk]),
            {"city", "federation"},
            data=lambda: {"upheld": "0", "resolution": "经核实不成立"},
        ),
        Endpoint("coverage", "get", lambda: reverse("aid-coverage"), ANY_ROLE, case_scoped=False),
        Endpoint(
            "access log", "get", lambda: reverse("aid-access-log"), {"regulator", "federation"}, case_scoped=False
        ),
        # staff API
        Endpoint("api cases", "get", lambda: "/api/v1/aid/cases", ANY_ROLE, api=True, case_scoped=False),
        Endpoint("api case", "get", lambda: f"/api/v1/aid/cases/{n(c.draft)}", IN_SCOPE, api=True),
        Endpoint(
            "api personal",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.draft)}/personal",
            IN_SCOPE,
            data=lambda: {"reason": "review"},
            api=True,
            reveals=True,
        ),
        Endpoint(
            "api export",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.draft)}/export",
            {"district", "city", "federation"},
            data=lambda: {"reason": "rights_request"},
            api=True,
            reveals=True,
        ),
        Endpoint(
            "api create",
            "post",
            lambda: "/api/v1/aid/cases",
            INTAKE,
            data=lambda: intake_api,
            api=True,
            case_scoped=False,
            refused_in_scope={u: 403 for u in ("other_village", "far_village", "far_township", "other_district")},
        ),
        Endpoint(
            "api invoice",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.draft)}/invoices",
            INTAKE,
            api=True,
            data=lambda: {"code": "1", "number": "990002", "amount_fen": 10_000, "issued_on": today},
        ),
        Endpoint(
            "api consent",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.draft)}/consents",
            INTAKE,
            api=True,
            data=lambda: {"kind": "guardian", "signer": "guardian"},
        ),
        Endpoint("api submit", "post", lambda: f"/api/v1/aid/cases/{n(c.draft)}/submit", INTAKE, api=True),
        Endpoint(
            "api review",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.village_step)}/reviews",
            {"village"},
            api=True,
            data=lambda: {"decision": "approve", "no_conflict_declared": True, "home_visit_on": today},
        ),
        Endpoint(
            "api disburse",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.approved)}/disbursements",
            {"city"},
            api=True,
            data=lambda: {"amount_fen": 10_000, "method": "hospital", "hospital_name": "医院"},
            refused_in_scope={"federation": 403},
        ),
        Endpoint(
            "api follow-up",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.approved)}/follow-ups",
            INTAKE | {"social_worker"},
            api=True,
            data=lambda: {"kind": "phone", "on": today, "notes": "电话回访"},
        ),
        Endpoint(
            "api close",
            "post",
            lambda: f"/api/v1/aid/cases/{n(c.disbursed)}/close",
            {"district", "city", "federation"},
            api=True,
        ),
        Endpoint(
            "api resolve",
            "post",
            lambda: f"/api/v1/aid/objections/{objection.pk}/resolution",
            {"city", "federation"},
            api=True,
            data=lambda: {"upheld": False, "resolution": "经核实不成立"},
        ),
        Endpoint("api stations", "get", lambda: "/api/v1/aid/stations", ANY_ROLE, api=True, case_scoped=False),
        Endpoint("api coverage", "get", lambda: "/api/v1/aid/coverage", ANY_ROLE, api=True, case_scoped=False),
        Endpoint(
            "api access log",
            "get",
            lambda: "/api/v1/aid/access-log",
            {"regulator", "federation"},
            api=True,
            case_scoped=False,
        ),
        Endpoint(
            "api calculate",
            "post",
            lambda: "/api/v1/aid/calculate",
            ANY_ROLE,
            api=True,
            case_scoped=False,
            data=lambda: {
                "programme": "dabing",
                "hardship_class": "dibao",
                "invoices": [{"amount_fen": 1_000_000, "issued_on": today}],
            },
        ),
    ]


# POSTs that write nothing of the regulator's (a public objection, the calculator preview): the platform's
# read-only middleware (gongyi.oversight.middleware, when installed) may refuse them to the regulator too.
REGULATOR_MAY_BE_REFUSED = {"objection form", "api objection", "api calculate"}


def expected(endpoint: Endpoint, user: str) -> set[int]:
    if user == "regulator" and endpoint.name in REGULATOR_MAY_BE_REFUSED:
        return {200, 201, 403}
    if user in endpoint.allowed:
        return (
            {200, 201} if (endpoint.api or endpoint.method == "get" or endpoint.reveals or endpoint.public) else {302}
        )
    if user == "anonymous":
        return {401} if endpoint.api else {302}
    if user == "plain":
        return {403}
    if user in endpoint.refused_in_scope:
        return {endpoint.refused_in_scope[user]}
    if endpoint.case_scoped and user in OUT_OF_SCOPE:
        return {404}
    return {403}


def call(client: Client, endpoint: Endpoint):
    data = endpoint.data() if endpoint.data else {}
    url = endpoint.url()
    if endpoint.method == "get":
        return client.get(url)
    if endpoint.api:
        return client.post(url, data=data, content_type="application/json")
    return client.post(url, data=data)


def test_role_endpoint_matrix(network, cases):
    clients = {}
    for index, user in enumerate(USERS):
        # Each caller from its own address: the public objection form is rate-limited per address.
        client = Client(REMOTE_ADDR=f"192.0.2.{index + 1}")
        if user != "anonymous":
            staff_login(client, network.users[user])  # password + TOTP in this session
        clients[user] = client
    problems = []
    table = endpoints(cases, network)
    for endpoint in table:
        for user in USERS:
            with transaction.atomic():
                response = call(clients[user], endpoint)
                body = b"".join(response) if response.streaming else response.content
                text = body.decode("utf-8", "replace")
                if response.get("Content-Type", "").startswith("application/json"):
                    text = json.dumps(json.loads(text), ensure_ascii=False)  # \uXXXX escapes would hide a leak
                logged = AccessLog.objects.filter(user__username=user).exists() if user in network.users else False
                transaction.set_rollback(True)
            want = expected(endpoint, user)
            if response.status_code not in want:
                problems.append(
                    f"{endpoint.name} × {user}: {response.status_code}, expected {sorted(want)}: {text[:160]!r}"
                )
            if user == "anonymous" and not endpoint.api and not endpoint.public and response.status_code == 302:
                assert response["Location"].startswith(reverse("account_login"))
            may_see = endpoint.reveals and user in endpoint.allowed
            leaked = [s for s in SECRETS if s in text]
            if leaked and not may_see:
                problems.append(f"{endpoint.name} × {user}: leaked {leaked}")
            if may_see and endpoint.name != "document open":
                if SECRET_NAME not in text or PERSON_ID not in text:
                    problems.append(f"{endpoint.name} × {user}: personal data not shown")
            if may_see and not logged:
                problems.append(f"{endpoint.name} × {user}: read not written to the access log")
    assert not problems, "\n".join(problems)
    assert len(table) >= 40


def test_every_aid_url_is_in_the_matrix(network, cases):
    """A new page or endpoint must be added to the matrix: compare the URL names and API paths."""
    from gongyi.aid import urls as aid_urls
    from gongyi.aid.api import router

    names = {p.name for p in aid_urls.urlpatterns} - {"aid-login", "aid-logout"}
    covered_pages = {
        "aid-notices",
        "aid-programme-notices",
        "aid-objection",
        "aid-cases",
        "aid-case-new",
        "aid-case",
        "aid-case-reveal",
        "aid-case-invoice",
        "aid-case-consent",
        "aid-case-document",
        "aid-case-document-open",
        "aid-case-submit",
        "aid-case-withdraw",
        "aid-case-review",
        "aid-case-disburse",
        "aid-case-follow-up",
        "aid-case-close",
        "aid-case-export",
        "aid-objection-resolve",
        "aid-coverage",
        "aid-access-log",
    }
    assert names == covered_pages
    api_paths = {
        (path, method)
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    covered_api = {
        ("/programmes", "GET"),
        ("/notices", "GET"),
        ("/notices/{notice_id}/objections", "POST"),
        ("/cases", "GET"),
        ("/cases", "POST"),
        ("/cases/{case_number}", "GET"),
        ("/cases/{case_number}/personal", "POST"),
        ("/cases/{case_number}/export", "POST"),
        ("/cases/{case_number}/invoices", "POST"),
        ("/cases/{case_number}/consents", "POST"),
        ("/cases/{case_number}/submit", "POST"),
        ("/cases/{case_number}/reviews", "POST"),
        ("/cases/{case_number}/disbursements", "POST"),
        ("/cases/{case_number}/follow-ups", "POST"),
        ("/cases/{case_number}/close", "POST"),
        ("/objections/{objection_id}/resolution", "POST"),
        ("/stations", "GET"),
        ("/coverage", "GET"),
        ("/access-log", "GET"),
        ("/calculate", "POST"),
    }
    assert api_paths == covered_api
