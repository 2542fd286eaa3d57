"""Every URL of the project, with real, missing and odd path values, hostile query strings and garbage forms:
no answer is a 5xx (the project rule: bad input gets a clear error naming the field, never a 500).

The URL list comes from walking Django's resolver, so a new page is covered the day it is added; the
``PATH_VALUES`` table says which demo row fills each path parameter, and ``test_every_path_parameter_has_real_
values`` fails when a new parameter name has no entry. Each URL is requested as:

* anonymous, the demo's superuser, and a staff user without any permission;
* GET with the path filled with real rows (``demo_world``), with 999999 / unknown strings, and (for string
  parameters) odd strings: a quote, a NUL, a very long value, Chinese, ``..``;
* GET with hostile query strings: every query key the views read (found in the source) and every form field
  name, set to a quote, -1, a NUL, a 40-digit number, an impossible date;
* POST empty, and POST with every known form field name set to garbage of the same kinds (plus a garbage file
  for every file field).

Each request runs in its own savepoint, rolled back after it, so a POST that succeeds does not change what the
next request sees. The only 5xx allowed is the give page's 502 when a payment provider refuses to start a
payment: ``giving.views._start_payment`` renders ``pay_failed.html`` with 502 on a ``GatewayError`` (documented
in docs/api.md for the API twin), and the test checks it is that page.
"""

from __future__ import annotations

import itertools
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.conf import settings
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

MISSING_ID = 999999
ODD_STRINGS = ["x'", "\x00", "中" * 150, "..", "-1"]
GARBAGE_KINDS = ["x'", "-1", "\x00", "9" * 40, "2026-13-45"]

# --- the URL list ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    segments: tuple  # the patterns from the root to the view
    name: str
    module: str

    @property
    def template(self) -> str:
        return "".join(_segment_template(s) for s in self.segments)

    @property
    def parameters(self) -> dict[str, str]:
        """Path parameter name → converter kind ('int', 'str', 'slug', 'path', 'uuid' or 'regex')."""
        found: dict[str, str] = {}
        for segment in self.segments:
            if isinstance(segment, RoutePattern):
                for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", str(segment)):
                    found[name] = converter or "str"
            elif isinstance(segment, RegexPattern):
                for name in segment.regex.groupindex:
                    found[name] = "regex"
        return found

    def url(self, values: dict[str, object]) -> str:
        def fill(match):
            return quote(str(values[match.group(1)]), safe="")

        text = self.template
        text = re.sub(r"<(?:\w+:)?(\w+)>", fill, text)
        text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", fill, text)
        return "/" + text


def _segment_template(pattern) -> str:
    if isinstance(pattern, RegexPattern):
        text = str(pattern.regex.pattern)
        return text.removeprefix("^").removesuffix("$").replace("\\.", ".")
    return str(pattern)


def _walk(resolver, segments=()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, (*segments, entry.pattern))
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            module = getattr(callback, "__module__", "") or ""
            yield Route((*segments, entry.pattern), entry.name or "", module)


def _skipped(route: Route) -> str | None:
    """Why a URL is not requested here (None: it is)."""
    template = route.template
    if template.startswith(settings.STATIC_URL.lstrip("/")) or template.startswith(settings.MEDIA_URL.lstrip("/")):
        return "static and media files are served by the web server in production, not by our views"
    if template.startswith("api/v1/"):
        return None  # the API is fuzzed in depth by test_api_fuzz.py; the plain sweep here is cheap, so keep it
    if template.startswith("admin/"):
        # Django's admin internals (history, delete confirmation, password change, autocomplete, the catch-all
        # redirect) are Django's code; the changelists and change forms of our models run our ModelAdmin
        # code (filters, search, readonly fields, custom columns) and are requested as the superuser.
        if not (template.endswith("/change/") or route.name.endswith("_changelist") or template == "admin/"):
            return "Django admin internals (history, delete, password, autocomplete, catch-all)"
    return None


ROUTES = [route for route in _walk(get_resolver()) if _skipped(route) is None]

# --- real values for path parameters -----------------------------------------------------------------------

# (URL prefix, parameter) → the demo_world value list that fills it; the longest matching prefix wins.
PATH_VALUES: dict[tuple[str, str], str | list] = {
    ("", "project_id"): "project",
    ("", "organisation_id"): "organisation",
    ("", "pool_id"): "pool",
    ("", "certificate_no"): "certificate_no",
    ("", "out_trade_no"): "out_trade_no",
    ("", "slug"): "campaign_slug",
    ("", "expenditure_id"): "expenditure",
    ("", "voucher_id"): "spending_voucher",
    ("offline/", "voucher_id"): "offline_voucher",
    ("", "which"): ["original", "redacted"],
    ("oversight/", "report_id"): "disclosure_report",
    ("reports/", "report_id"): "daily_report",
    ("api/v1/reports/", "report_id"): "daily_report",
    ("", "tracking_number"): "tracking_number",
    ("", "attachment_id"): "complaint_attachment",
    ("", "action"): ["triage", "investigate", "answer", "close", "reject", "duplicate", "nope"],
    ("", "code"): "unit_code",
    ("", "fmt"): ["png", "pdf", "gif"],
    ("", "team_id"): "team",
    ("", "unit_id"): "unit",
    ("", "import_id"): "unit_import",
    ("drives/", "gift_id"): "unit_offline_gift",
    ("inkind/", "gift_id"): "inkind_gift",
    ("offline/", "gift_id"): "offline_gift",
    ("drives/", "receipt_id"): "unit_receipt",
    ("offline/", "receipt_id"): "offline_receipt",
    ("", "story_id"): "story",
    ("", "programme_code"): "programme_code",
    ("", "notice_id"): "notice",
    ("", "case_number"): "case_numbers_by_status",
    ("aid/", "document_id"): "aid_document",
    ("inkind/", "document_id"): "inkind_document",
    ("", "objection_id"): "objection",
    ("", "number"): "inkind_number",
    ("", "item_id"): "inkind_item",
    ("", "handout_id"): "handout",
    ("", "what"): ["document", "record"],
    ("", "pk"): "inkind_document_and_handout",
    ("", "fund_id"): "fund",
    ("", "grant_id"): "fund_grant",
    ("", "token"): "unsubscribe_token",
    ("", "update_id"): "progress_update",
    ("", "gateway"): ["sandbox", "wechatpay", "alipay"],
    # allauth's e-mail confirmation and password reset keys: nothing real to point at, odd values only.
    ("", "key"): ["not-a-key"],
    ("", "uidb36"): ["zz"],
    # admin: ids of the model's rows, filled per URL below.
    ("admin/", "object_id"): "admin_object",
}


def _values_key(template: str, name: str):
    best = None
    for (prefix, parameter), key in PATH_VALUES.items():
        if parameter == name and template.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, key)
    return None if best is None else best[1]


def _admin_model(route: Route):
    from django.contrib import admin

    match = re.match(r"admin/(\w+)/(\w+)/", route.template)
    if not match:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == match.groups():
            return model
    return None


# Value lists whose every entry reaches different code (a case at each stage); others give their first two rows.
EVERY_VALUE = {"case_numbers_by_status"}


def _real_values(route: Route, name: str, world) -> list:
    key = _values_key(route.template, name)
    if isinstance(key, list):
        return key
    if key == "admin_object":
        model = _admin_model(route)
        return [] if model is None else list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:1])
    found = list(world.values.get(key, []))
    return found if key in EVERY_VALUE else found[:2]


def _fills(route: Route, world) -> list[tuple[str, dict]]:
    """(label, path values) to request: real rows, a missing id, odd strings."""
    parameters = route.parameters
    if not parameters:
        return [("plain", {})]
    real = {name: _real_values(route, name, world) for name in parameters}
    fills = []
    if all(real.values()):
        combos = list(itertools.product(*(real[name] for name in parameters)))
        for combo in combos[:8]:
            fills.append(("real", dict(zip(parameters, combo, strict=True))))
    missing = {name: MISSING_ID if kind == "int" else "NOPE999999" for name, kind in parameters.items()}
    # Keep one real value beside a missing one (a real complaint with a missing attachment, say).
    for name in parameters:
        if real[name]:
            missing_one = {**{n: (real[n][0] if real[n] else missing[n]) for n in parameters}, name: missing[name]}
            fills.append(("missing", missing_one))
    fills.append(("missing", missing))
    for name, kind in parameters.items():
        if kind in ("int", "uuid"):
            continue
        base = {n: (real[n][0] if real[n] else missing[n]) for n in parameters}
        for odd in ODD_STRINGS:
            fills.append(("odd", {**base, name: odd}))
    return fills


# --- hostile query strings and garbage forms -------------------------------------------------------------

SOURCE = Path(__file__).resolve().parents[1] / "gongyi"
QUERY_KEY = re.compile(r"request\.(?:GET|POST|data)(?:\.get|\.getlist|\.__getitem__)?[\(\[]\s*[\"'](\w+)[\"']")


def _query_keys() -> list[str]:
    keys = {"page", "o", "q", "format", "status", "amount", "unit", "next"}
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        keys.update(QUERY_KEY.findall(path.read_text(encoding="utf-8")))
    return sorted(keys)


def _all_form_classes() -> list[type[forms.BaseForm]]:
    import importlib
    import pkgutil

    import gongyi

    for module in pkgutil.walk_packages(gongyi.__path__, "gongyi."):
        if module.name.rsplit(".", 1)[-1] in ("forms", "views", "staff_views", "complaint_views", "regulator_views"):
            importlib.import_module(module.name)
    seen: list[type[forms.BaseForm]] = []
    stack = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("gongyi."):
                seen.append(sub)
    return seen


def _form_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for cls in _all_form_classes():
        for name, field in getattr(cls, "base_fields", {}).items():
            fields.setdefault(name, field)
    return fields


def _garbage_for(field: forms.Field, kind: str):
    if isinstance(field, forms.FileField):
        return SimpleUploadedFile("garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, "image/png")
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [kind, str(MISSING_ID)]
    return kind


@pytest.fixture(scope="module")
def garbage():
    keys = _query_keys()
    fields = _form_fields()
    queries = ["page=abc&status=%00&amount=-1&unit=x'"]
    for kind in GARBAGE_KINDS:
        queries.append(urlencode({key: kind for key in keys}))
    posts: list[dict] = [{}]
    for kind in GARBAGE_KINDS:
        data = {key: kind for key in keys}
        data.update({name: _garbage_for(field, kind) for name, field in fields.items()})
        posts.append(data)
    return queries, posts


# --- callers ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sessions(demo_world):
    """Session keys of the three callers, made once (each test gets fresh clients carrying them)."""
    keys = {"anonymous": None}
    for caller in ("superuser", "staff_no_perms"):
        client = Client()
        client.force_login(demo_world.users[caller])
        keys[caller] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


@pytest.fixture(scope="module")
def world(demo_world):
    """demo_world plus the few values this sweep fills paths with that the API does not need."""
    from gongyi.aid.models import AidCase
    from gongyi.donors.services import unsubscribe_token

    values = demo_world.values
    by_status = {}
    for case_number, status in AidCase.objects.order_by("pk").values_list("case_number", "status"):
        by_status.setdefault(status, case_number)
    values["case_numbers_by_status"] = list(by_status.values())
    values["inkind_document_and_handout"] = values.get("inkind_document", [])[:1] + values.get("handout", [])[:1]
    values["unsubscribe_token"] = [unsubscribe_token(user=demo_world.users["donor"], kind="progress")]
    return demo_world


def _client(session_key) -> Client:
    client = Client(raise_request_exception=False, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) fuzz")
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def _allowed_5xx(route: Route, response) -> bool:
    if response.status_code != 502 or route.name != "give":
        return False
    return any(t.name == "giving/pay_failed.html" for t in (response.templates or []))


def _request(client, method: str, url: str, data=None):
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=data or {})
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


def _short(text: str, lines: int = 24) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _label(route: Route) -> str:
    return f"{route.template} ({route.name or route.module})"


def _known_5xx(route: Route) -> str | None:
    """500s in code this sweep's authors may not change, recorded so they stay visible (strict xfail: the day
    one is fixed, the test says so and its line here must go)."""
    return None


def _params(routes):
    for route in routes:
        reason = _known_5xx(route)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(route, marks=marks, id=_label(route))


@pytest.mark.parametrize("route", list(_params(ROUTES)))
def test_no_page_answers_5xx(route, world, sessions, garbage):
    queries, posts = garbage
    admin = route.template.startswith("admin/")
    callers = ["superuser"] if admin else ["anonymous", "superuser", "staff_no_perms"]
    failures: list[str] = []
    tracebacks: list[str] = []
    queried: set[str] = set()

    def record(sender, request=None, **kwargs):
        tracebacks.append(traceback.format_exc())

    signals.got_request_exception.connect(record)
    try:
        for label, values in _fills(route, world):
            url = route.url(values)
            plans = [("GET", url, None)]
            if label in ("real", "plain") and not queried:  # hostile queries once per URL, on real rows
                queried.add(url)
                plans += [("GET", f"{url}?{query}", None) for query in queries[: (2 if admin else None)]]
            if not admin:  # every garbage form on real rows; the empty one on missing and odd path values
                plans += [("POST", url, data) for data in (posts if label in ("real", "plain") else posts[:1])]
            for caller in callers:
                client = _client(sessions[caller])
                refused: set[str] = set()  # methods the view answered 405: its other variants are skipped
                # The staff user without permissions is there for the permission checks: the plain GET and the
                # empty POST reach them; the hostile variants are the superuser's and the anonymous caller's.
                mine = plans[:1] + [p for p in plans if p[0] == "POST"][:1] if caller == "staff_no_perms" else plans
                for method, target, data in mine:
                    if method in refused:
                        continue
                    tracebacks.clear()
                    response = _request(client, method, target, data)
                    if response.status_code == 405:
                        refused.add(method)
                    if response.status_code >= 500 and not _allowed_5xx(route, response):
                        shown = {k: (v if isinstance(v, str) else type(v).__name__) for k, v in (data or {}).items()}
                        failures.append(
                            f"{method} {target[:300]} as {caller} → {response.status_code}"
                            + (f" (data {str(shown)[:200]})" if data else "")
                            + ("\n" + _short(tracebacks[-1]) if tracebacks else "")
                        )
                        if len(failures) >= 5:
                            raise AssertionError("\n\n".join(failures))
    finally:
        signals.got_request_exception.disconnect(record)
    assert not failures, "\n\n".join(failures)


def test_every_path_parameter_has_real_values(world):
    """A new URL parameter must get a line in PATH_VALUES, or this sweep would only ever see 404s for it."""
    unknown = set()
    for route in ROUTES:
        for name in route.parameters:
            if _values_key(route.template, name) is None:
                unknown.add(f"{route.template}: {name}")
    assert not unknown, sorted(unknown)


def test_the_sweep_covers_the_site():
    """A guard against a resolver walk that silently finds nothing."""
    templates = {route.template for route in ROUTES}
    assert len(ROUTES) >= 250
    assert {"projects/<int:project_id>/give/", "me/", "office/", "aid/", "accounts/staff/"} <= templates
