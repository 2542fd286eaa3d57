"""The regulator reads everything and changes nothing; the audit trail; rule changes with before and after."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from gongyi.core.roles import REGULATOR_GROUP
from gongyi.oversight.audit import record_rule_change, rule_snapshot
from gongyi.oversight.middleware import EXEMPT_VIEW_NAMES, MESSAGE, is_exempt
from gongyi.oversight.models import FinanceLimit, RuleChangeEvent
from gongyi.oversight.tests.conftest import client_for, make_user
from gongyi.oversight.trail import TrailFilter, TrailPage, trail_rows
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db

MIDDLEWARE_PATH = "gongyi.oversight.middleware.RegulatorReadOnlyMiddleware"
UNSAFE = ("post", "put", "patch", "delete")


@pytest.fixture(autouse=True)
def read_only_middleware(settings):
    """Installed as the lead will install it: right after authentication."""
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        middleware.insert(
            middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1, MIDDLEWARE_PATH
        )
    settings.MIDDLEWARE = middleware


@pytest.fixture
def powerful_regulator(django_user_model):
    """The regulator with staff status and every permission but ``backoffice.see_all``: still read-only."""
    user = make_user(django_user_model, "mzj-admin", groups=[REGULATOR_GROUP], is_staff=True)
    user.user_permissions.set(Permission.objects.exclude(codename="see_all", content_type__app_label="backoffice"))
    return django_user_model.objects.get(pk=user.pk)


# --- every URL pattern ------------------------------------------------------------------------------------------

CONVERTER_SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000001"}


def _route_sample(route: str) -> str:
    def replace(match):
        converter = match.group(1) or "str"
        return CONVERTER_SAMPLES.get(converter, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def _regex_sample(regex: str) -> str:
    text = regex.lstrip("^").rstrip("$").replace(r"\Z", "")

    def group(match):
        body = match.group(2)
        if "|" in body and re.fullmatch(r"[\w|\-]+", body):
            return body.split("|")[0]
        if body in (r"\d+", "[0-9]+"):
            return "1"
        return "x"

    text = re.sub(r"\(\?P<(\w+)>([^()]*)\)", group, text)
    return text.replace("\\", "")


def _sample(pattern) -> str:
    raw = getattr(pattern.pattern, "_route", None)
    if raw is not None:
        return _route_sample(raw)
    return _regex_sample(pattern.pattern.regex.pattern)


def all_url_samples() -> list[tuple[str, object, str, str]]:
    """(path, callback, view name, full route) for every URL pattern of gongyi.urls, nested ones included."""
    found = []

    def walk(patterns, prefix: str, route: str, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + _sample(pattern), route + str(pattern.pattern), inner or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
                found.append(("/" + prefix + _sample(pattern), pattern.callback, name, route + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", "", "")
    return found


def database_digest() -> dict[str, str]:
    """Every table's content, hashed: any insert, update or delete shows."""
    digest = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from introspection
            rows = sorted(repr(row) for row in cursor.fetchall())
            digest[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f":{len(rows)}"
    return digest


def seed():
    """Something in most tables a write could touch."""
    from gongyi.oversight.complaints import file_complaint

    project = make_project(title="监管测试项目")
    file_complaint(
        subject_kind="project", subject_ref=str(project.pk), text="请核实该项目的物资发放情况。", is_anonymous=True
    )


def test_every_url_samples_to_its_own_pattern():
    samples = all_url_samples()
    assert len(samples) > 150
    wrong = []
    for path, callback, _name, route in samples:
        try:
            match = resolve(path)
        except Resolver404:
            wrong.append(path)
            continue
        # ninja lists one pattern per operation of a path, all dispatching through the same path view.
        if match.func is not callback and match.route != route:
            wrong.append(path)
    assert wrong == []


@pytest.mark.parametrize("who", ["regulator", "powerful_regulator"])
def test_every_unsafe_request_anywhere_is_refused_and_nothing_is_written(who, request):
    seed()
    user = request.getfixturevalue(who)
    client = client_for(user)
    before = database_digest()
    statuses = {}
    for path, _callback, name, _route in all_url_samples():
        if name in EXEMPT_VIEW_NAMES:
            continue
        for method in UNSAFE:
            response = client.generic(method.upper(), path, b"{}", content_type="application/json")
            statuses[(method, path)] = response.status_code
            if path.startswith("/api/"):
                assert response.json()["message"] == MESSAGE, (method, path)
            else:
                assert MESSAGE in response.content.decode(), (method, path)
    assert set(statuses.values()) == {403}, {k: v for k, v in statuses.items() if v != 403}
    assert database_digest() == before


def test_every_write_operation_of_the_api_is_refused(regulator):
    from gongyi.api import api

    seed()
    client = client_for(regulator)
    schema = api.get_openapi_schema()
    operations = [
        (method, path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        # The aid case's personal-data POST is an audited read (it writes only the access log), exempt by design.
        if method in UNSAFE and not path.endswith("/personal")
    ]
    assert len(operations) >= 10
    before = database_digest()
    for method, path, operation in operations:
        integers = {p["name"] for p in operation.get("parameters", []) if p.get("schema", {}).get("type") == "integer"}
        url = re.sub(r"\{(\w+)\}", lambda m, ints=integers: "1" if m.group(1) in ints else "x", path)
        response = client.generic(method.upper(), url, b"{}", content_type="application/json")
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.json() == {"message": MESSAGE, "errors": [{"field": "user", "message": MESSAGE}]}
    assert database_digest() == before


def test_signing_out_and_the_language_switch_stay_open(regulator):
    client = client_for(regulator)
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert client.get(reverse("oversight-regulator")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("oversight-regulator")).status_code == 302  # signed out
    other = client_for(regulator)
    assert other.post(reverse("admin:logout")).status_code in (200, 302)


def test_exemptions_are_by_view_name():
    class Match:
        def __init__(self, view_name):
            self.view_name = view_name

    assert all(is_exempt(Match(name)) for name in ("aid-case-reveal", "api-v1:case_personal", "set_language"))
    assert not is_exempt(Match("aid-case-submit")) and not is_exempt(None)


def test_federation_staff_who_are_also_the_regulator_and_everyone_else_are_not_held(
    federation, handler, django_user_model
):
    from gongyi.core.roles import FEDERATION_STAFF_GROUP
    from gongyi.oversight.complaints import file_complaint

    project = make_project()
    complaint = file_complaint(
        subject_kind="project", subject_ref=str(project.pk), text="请核实该项目的物资发放情况。", is_anonymous=True
    )
    both = make_user(
        django_user_model, "both", "oversight.handle_complaint", groups=[REGULATOR_GROUP, FEDERATION_STAFF_GROUP]
    )
    action = reverse("oversight-staff-complaint-action", args=[complaint.tracking_number, "triage"])
    assert client_for(both).post(action, {}).status_code == 302
    public = Client().post(
        "/api/v1/oversight/complaints",
        {"subject_kind": "project", "subject_ref": str(project.pk), "text": "请核实该项目的物资发放情况。"},
        content_type="application/json",
    )
    assert public.status_code == 201


# --- reading everything ---------------------------------------------------------------------------------------


def test_the_regulator_reads_every_page_and_exports_each_list(regulator):
    from gongyi.oversight.complaints import file_complaint

    project = make_project(title="童享阳光")
    file_complaint(
        subject_kind="project", subject_ref=str(project.pk), text="请核实该项目的物资发放情况。", is_anonymous=True
    )
    client = client_for(regulator)
    pages = {
        "oversight-regulator": "监管概览",
        "oversight-regulator-projects": "童享阳光",
        "oversight-regulator-organisations": project.organisation.name,
        "oversight-regulator-ledger": "会计科目",
        "oversight-regulator-entries": "记账分录",
        "oversight-regulator-disclosures": "信息公开",
        "oversight-regulator-trail": "收到举报",
        "oversight-finance": "财务控制",
        "oversight-staff-complaints": "举报投诉",
    }
    for name, expected in pages.items():
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert expected in response.content.decode(), name
    exports = [
        "oversight-regulator-projects",
        "oversight-regulator-organisations",
        "oversight-regulator-ledger",
        "oversight-regulator-entries",
        "oversight-regulator-disclosures",
        "oversight-regulator-trail",
        "oversight-finance",
    ]
    for name in exports:
        response = client.get(reverse(name), {"format": "xlsx"})
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment"), name
        sheet = load_workbook(BytesIO(response.content)).active
        assert sheet.max_row >= 1 and sheet.cell(1, 1).value, name
    projects = load_workbook(BytesIO(client.get(reverse("oversight-regulator-projects"), {"format": "xlsx"}).content))
    assert [row[1] for row in projects.active.iter_rows(min_row=2, values_only=True)] == ["童享阳光"]
    assert client.get("/api/v1/oversight/disclosures").status_code == 200
    assert client.get("/api/v1/oversight/regulator/trail").json()["count"] >= 1


def test_others_cannot_read_the_regulators_pages(django_user_model):
    donor = client_for(django_user_model.objects.create_user("donor", password=None))
    for name in ("oversight-regulator", "oversight-regulator-trail", "oversight-regulator-ledger"):
        assert donor.get(reverse(name)).status_code == 403
        anonymous = Client().get(reverse(name))
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert donor.get("/api/v1/oversight/regulator/trail").status_code == 403


def test_the_export_writes_text_that_looks_like_a_formula_as_text(regulator):
    from gongyi.oversight.exports import Sheet, workbook_bytes

    book = load_workbook(BytesIO(workbook_bytes([Sheet("t", ["a"], [['=HYPERLINK("x")'], ["-1"], [5]])])))
    assert [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)] == ['\'=HYPERLINK("x")', "'-1", 5]


# --- the audit trail ---------------------------------------------------------------------------------------------


@pytest.fixture
def events(django_user_model, federation):
    """One row in each source of the trail."""
    from gongyi.drives.models import DriveEvent
    from gongyi.matching.services import flag_donor
    from gongyi.oversight.complaints import file_complaint, triage_complaint
    from gongyi.payments.models import PaymentEvent
    from gongyi.projects.models import ProjectStatus
    from gongyi.projects.services import change_project_status
    from gongyi.spending.models import Expenditure, ExpenditureEvent
    from gongyi.spending.tests.helpers import make_pool

    officer = make_user(django_user_model, "officer", "oversight.handle_complaint", is_staff=True)
    draft = make_project(title="待审项目", status=ProjectStatus.DRAFT)
    change_project_status(project=draft, to_status=ProjectStatus.IN_REVIEW, actor=officer, note="材料齐全")
    expenditure = Expenditure.objects.create(
        project=draft, category="aid", amount_fen=12_300, payee="某医院", purpose="救助", spent_on=timezone.localdate(),
        required_approvals=2, recorded_by=officer,
    )  # fmt: skip
    ExpenditureEvent.objects.create(
        expenditure=expenditure, kind="approved", actor=federation, details={"note": "同意"}
    )
    PaymentEvent.objects.create(kind="refund_requested", actor=officer, details={"amount_fen": 500, "reason": "重复"})
    DriveEvent.objects.create(action="unit_created", actor=officer, details={"code": "ABC12X"})
    pool = make_pool(make_campaign(draft.organisation))
    flag_donor(pool=pool, donor_key="sandbox:openid-123456", reason="刷单", actor=federation)
    complaint = file_complaint(
        subject_kind="project",
        subject_ref=str(make_project().pk),
        text="请核实该项目的物资发放情况。",
        is_anonymous=True,
    )
    triage_complaint(complaint=complaint, actor=officer)
    before = rule_snapshot(pool)
    pool.ratio_bp, pool.ratio_seed = 8000, "secret-seed"
    pool.save()
    record_rule_change(actor=federation, subject=pool, before=before, after=rule_snapshot(pool), note="提高配捐比例")
    LogEntry.objects.create(
        user=federation, content_type=ContentType.objects.get_for_model(FinanceLimit), object_id="1",
        object_repr="foundation", action_flag=CHANGE, change_message='[{"changed": {"fields": ["管理费用上限"]}}]',
    )  # fmt: skip
    return {"officer": officer, "complaint": complaint, "pool": pool}


def test_the_trail_shows_who_when_what_before_and_after_from_every_source(events, regulator):
    rows = trail_rows(TrailFilter())
    by_source = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    assert set(by_source) == {"project", "spending", "payment", "drive", "flag", "complaint", "rule", "admin"}
    assert [r.at for r in rows] == sorted((r.at for r in rows), reverse=True)
    project = by_source["project"][0]
    assert (project.actor, project.before, project.after, project.note) == ("officer", "草稿", "审核中", "材料齐全")
    rule = by_source["rule"][0]
    assert (rule.actor, rule.before, rule.after) == ("federation", "ratio_bp: 5000", "ratio_bp: 8000")
    assert "secret-seed" not in str(rows)
    flag = by_source["flag"][0]
    assert flag.actor == "federation" and "openid-123456" not in flag.subject and "****3456" in flag.subject
    assert by_source["admin"][0].after == "已修改管理费用上限。" and by_source["admin"][0].action == "修改"
    complaint_rows = by_source["complaint"]
    assert [(r.action, r.before, r.after) for r in complaint_rows] == [
        ("受理", "已收到", "已受理"),
        ("收到举报", "", "已收到"),
    ]
    assert by_source["spending"][0].after == "note: 同意"

    page = (
        client_for(regulator).get(reverse("oversight-regulator-trail"), {"source": ["rule", "flag"]}).content.decode()
    )
    assert "提高配捐比例" in page and "刷单" in page and "材料齐全" not in page


def test_the_trail_filters_by_source_actor_and_day_and_pages_in_the_database(events):
    assert {r.source for r in trail_rows(TrailFilter(sources=("rule", "admin")))} == {"rule", "admin"}
    assert {r.actor for r in trail_rows(TrailFilter(actor="offic"))} == {"officer"}
    today = timezone.localdate()
    assert trail_rows(TrailFilter(since=today + timedelta(days=1))) == []
    assert len(trail_rows(TrailFilter(until=today))) == len(trail_rows(TrailFilter()))

    from gongyi.oversight.complaints import file_complaint

    project = make_project(title="多条记录")
    before = TrailPage(TrailFilter()).count()
    assert before >= 9  # the fixture's events (and its pool's creation, a rule change)
    for _ in range(60):
        file_complaint(
            subject_kind="project", subject_ref=str(project.pk), text="请核实该项目的物资发放情况。", is_anonymous=True
        )
    page = TrailPage(TrailFilter())
    total = page.count()
    assert total == before + 60  # sixty filings, each one event
    with CaptureQueriesContext(connection) as first:
        rows_first = page[0:50]
    with CaptureQueriesContext(connection) as later:
        rows_later = page[50:100]
    assert len(rows_first) == 50 and len(rows_later) == min(50, total - 50)
    # One union query, the actors, and one query per source on the page — whatever the table sizes.
    assert len(first.captured_queries) <= 10 and len(later.captured_queries) <= 10


def test_rule_changes_keep_only_what_changed_and_never_secrets(federation):
    from gongyi.spending.tests.helpers import make_pool

    pool = make_pool(make_campaign(make_project().organisation))
    snapshot = rule_snapshot(pool)
    assert "ratio_seed" not in snapshot and "ratio_seed_sha256" in snapshot and snapshot["ratio_bp"] == 5000
    assert record_rule_change(actor=federation, subject=pool, before=snapshot, after=rule_snapshot(pool)) is None
    created = record_rule_change(actor=federation, subject=pool, before=None, after=snapshot)
    assert created.subject_label.startswith("新建") and created.before == {} and "total_fen" in created.after
    pool.per_gift_cap_fen = 10_000
    changed = record_rule_change(actor=federation, subject=pool, before=snapshot, after=rule_snapshot(pool))
    assert (changed.changed_fields, changed.before, changed.after) == (
        ["per_gift_cap_fen"],
        {"per_gift_cap_fen": None},
        {"per_gift_cap_fen": 10_000},
    )
    assert (changed.subject_type, changed.subject_id) == ("matching.MatchingPool", str(pool.pk))


def test_changing_a_finance_limit_in_the_admin_records_before_and_after(django_user_model):
    from gongyi.oversight.services import ensure_default_finance_limits

    ensure_default_finance_limits()
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", None)
    limit = FinanceLimit.objects.get(organisation_kind="foundation", organisation__isnull=True)
    url = reverse("admin:oversight_financelimit_change", args=[limit.pk])
    form = {
        "organisation_kind": "foundation",
        "organisation": "",
        "min_charity_spending_bp": "7000",
        "max_management_bp": "900",
        "max_fundraising_cost_bp": "300",
        "warning_margin_bp": "200",
        "management_exemption_fen": "20000000",
        "basis": limit.basis,
    }
    response = client_for(root).post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = RuleChangeEvent.objects.get()
    assert (event.actor, event.before, event.after) == (root, {"max_management_bp": 1000}, {"max_management_bp": 900})
    assert LogEntry.objects.filter(object_id=str(limit.pk)).exists()
