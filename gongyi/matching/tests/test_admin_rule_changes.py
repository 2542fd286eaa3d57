"""Changing a pool in the admin records before and after of everything that rules matching — the pool's own
fields, and the projects, tranches and incentive rules the admin saves after it — for the regulator."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongyi.matching.models import PoolTranche
from gongyi.oversight.models import RuleChangeEvent
from gongyi.spending.tests.helpers import make_pool
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form (the first <form> with method post)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            checkable = a.get("type") in ("checkbox", "radio")
            if checkable and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if checkable else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None


def change_form(client, url) -> dict[str, list[str]]:
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    return {k: v for k, v in parser.data.items() if "__prefix__" not in k}


def test_changing_projects_tranches_and_the_cap_in_the_admin_is_recorded(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", None)
    client = Client()
    client.force_login(root)
    project = make_project()
    # Whole minutes: the admin's time inputs carry no seconds.
    now = timezone.now().replace(second=0, microsecond=0)
    campaign = make_campaign(
        project.organisation, slug="admin-festival", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2)
    )
    pool = make_pool(campaign)
    tranche = PoolTranche.objects.get(pool=pool)
    RuleChangeEvent.objects.all().delete()
    url = reverse("admin:matching_matchingpool_change", args=[pool.pk])

    data = change_form(client, url)
    data["projects"] = [str(project.pk)]
    data["per_gift_cap_fen"] = ["20000"]
    data["tranches-0-fen"] = ["4000000"]
    response = client.post(url, data)

    assert response.status_code == 302, [x for x in response.content.decode().splitlines() if "error" in x.lower()]
    events = list(RuleChangeEvent.objects.order_by("id"))
    assert [e.changed_fields for e in events] == [["per_gift_cap_fen"], ["projects", "tranches"]], [
        (e.before, e.after) for e in events
    ]
    own, related = events
    assert (own.before, own.after) == ({"per_gift_cap_fen": None}, {"per_gift_cap_fen": 20_000})
    assert related.before["projects"] == [] and related.after["projects"] == [project.pk]
    assert related.before["tranches"][0]["fen"] == 10_000_000 and related.after["tranches"][0]["fen"] == 4_000_000
    assert related.actor == root and related.subject_id == str(pool.pk)
    tranche.refresh_from_db()
    assert tranche.fen == 4_000_000

    # Saving again without a change records nothing more.
    client.post(url, change_form(client, url))
    assert RuleChangeEvent.objects.count() == 2
