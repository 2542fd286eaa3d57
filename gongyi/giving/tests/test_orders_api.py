"""Creating orders: every bad input is a 4xx naming the field, and writes nothing."""

from __future__ import annotations

import json

import pytest

from gongyi.payments.models import Order
from gongyi.projects.models import ProjectStatus
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def post(client, payload, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(payload)
    return client.post("/api/v1/orders", data=data, content_type="application/json")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fen": -100}, "fen"),
        ({"fen": 0}, "fen"),
        ({"fen": 10**15}, "fen"),
        ({"fen": 10.5}, "fen"),
        ({"fen": "1000"}, "fen"),
        ({"fen": True}, "fen"),
        ({"project": 999999}, "project"),
        ({"project": "abc"}, "project"),
        ({"gateway": "paypal"}, "gateway"),
        ({"message": "长" * 201}, "message"),
        ({"donor": "名" * 41}, "donor"),
        ({"anonymous": "maybe"}, "anonymous"),
    ],
)
def test_bad_order_input_names_the_field(client, change, field):
    project = make_project()
    payload = {"project": project.pk, "fen": 1000, "gateway": "sandbox", **change}
    response = post(client, payload)
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["message"]
    assert any(error["field"] == field for error in body["errors"])
    assert Order.objects.count() == 0


def test_missing_fields_and_malformed_json(client):
    response = post(client, {})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"project", "fen"} <= fields
    response = post(client, None, raw=b'{"project": 1, ')
    assert 400 <= response.status_code < 500
    assert Order.objects.count() == 0


def test_unpublished_project_takes_no_orders(client):
    project = make_project(status=ProjectStatus.DRAFT)
    response = post(client, {"project": project.pk, "fen": 1000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "project"


def test_api_lists(client):
    project = make_project()
    make_project(title="草稿项目", status=ProjectStatus.DRAFT)
    listed = client.get("/api/v1/projects").json()
    assert [p["id"] for p in listed] == [project.pk]
    assert client.get("/api/v1/projects?domain=hardship").json()[0]["id"] == project.pk
    assert client.get("/api/v1/projects?domain=nonsense").status_code == 422
    assert client.get("/api/v1/projects/999999").status_code == 404
    assert client.get("/api/v1/orders/NOPE").status_code == 404
    assert client.get("/api/v1/campaigns").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/orders" in schema["paths"]
