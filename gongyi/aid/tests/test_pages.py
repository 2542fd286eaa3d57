"""Pages and API in use: the access log the regulator browses, reveal with a reason, the objection form,
the PIPL export, and refusals that name the field."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.models import AccessLog, AidCase, CaseStatus, Notice, Objection
from gongyi.aid.tests.fixtures import (
    PERSON_ID,
    SECRET_DIAGNOSIS,
    SECRET_NAME,
    approve_all,
    ready_case,
    staff_client,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return staff_client(user)


def test_revealing_needs_a_reason_and_every_read_is_logged_for_the_regulator(network):
    case = ready_case(network)
    village = client_for(network.users["village"])
    page = village.get(reverse("aid-case", args=[case.case_number])).content.decode()
    assert "测**" in page and SECRET_NAME not in page and SECRET_DIAGNOSIS not in page and "查看个人信息" in page
    refused = village.post(reverse("aid-case-reveal", args=[case.case_number]), {"reason": "other"})
    assert refused.status_code == 400 and "须填写说明" in refused.content.decode() and not AccessLog.objects.exists()
    shown = village.post(
        reverse("aid-case-reveal", args=[case.case_number]), {"reason": "home_visit", "note": "入户前核对"}
    )
    text = shown.content.decode()
    assert shown.status_code == 200 and SECRET_NAME in text and PERSON_ID in text and SECRET_DIAGNOSIS in text
    assert shown["Cache-Control"] == "no-store"
    log = AccessLog.objects.get()
    assert (log.user, log.case, log.reason, log.note, log.channel) == (
        network.users["village"],
        case,
        "home_visit",
        "入户前核对",
        "page",
    )
    assert "beneficiary.id_number" in log.fields and "case.diagnosis" in log.fields and log.roles == "station_staff"

    api = client_for(network.users["district"]).post(
        f"/api/v1/aid/cases/{case.case_number}/personal", {"reason": "review"}, content_type="application/json"
    )
    assert api.status_code == 200 and api.json()["id_number"] == PERSON_ID
    regulator = client_for(network.users["regulator"])
    browse = regulator.get(reverse("aid-access-log"), {"case": case.case_number}).content.decode()
    assert "village" in browse and "district" in browse and "入户前核对" in browse and SECRET_NAME not in browse
    rows = regulator.get("/api/v1/aid/access-log", {"user": "district"}).json()
    assert [(r["user"], r["case_number"], r["channel"]) for r in rows] == [("district", case.case_number, "api")]
    assert client_for(network.users["city"]).get(reverse("aid-access-log")).status_code == 403


def test_the_regulator_reads_everything_and_changes_nothing(network):
    case = ready_case(network)
    regulator = client_for(network.users["regulator"])
    assert regulator.get(reverse("aid-cases")).status_code == 200
    assert case.case_number in regulator.get(reverse("aid-cases")).content.decode()
    page = regulator.get(reverse("aid-case", args=[case.case_number])).content.decode()
    assert "提交审核" not in page and "登记票据" not in page
    for name in ("aid-case-submit", "aid-case-invoice", "aid-case-withdraw", "aid-case-close", "aid-case-export"):
        assert regulator.post(reverse(name, args=[case.case_number]), {"reason": "x"}).status_code == 403
    assert regulator.post("/api/v1/aid/cases/" + case.case_number + "/submit").status_code == 403
    assert AidCase.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_anyone_can_object_on_the_notice_page_and_the_case_pauses(network):
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    notice = Notice.objects.get(case=case)
    public = Client()
    page = public.get(reverse("aid-notices")).content.decode()
    assert "测**" in page and "华容区 段店镇 段店村" in page and "¥17,500.00" in page and "提出异议" in page
    assert SECRET_NAME not in page and PERSON_ID not in page and SECRET_DIAGNOSIS not in page
    bad = public.post(reverse("aid-objection", args=[notice.pk]), {"text": "短"})
    assert bad.status_code == 400 and "至少5个字" in bad.content.decode()
    filed = public.post(
        reverse("aid-objection", args=[notice.pk]), {"text": "申请人家里开了超市。", "contact": "13911112222"}
    )
    assert filed.status_code == 201
    objection = Objection.objects.get()
    assert objection.tracking_number in filed.content.decode()
    assert AidCase.objects.get(pk=case.pk).status == CaseStatus.OBJECTION
    assert "异议核查中" in public.get(reverse("aid-notices")).content.decode()
    assert "13911112222" not in public.get(reverse("aid-notices")).content.decode()
    assert public.post(reverse("aid-objection", args=[999999]), {"text": "不存在的公示异议"}).status_code == 404
    api = public.post(f"/api/v1/aid/notices/{notice.pk}/objections", {"text": "x"}, content_type="application/json")
    assert api.status_code == 400 and api.json()["errors"] == [
        {"field": "text", "message": "请具体说明异议的事实和理由（至少5个字）"}
    ]


def test_the_beneficiary_export_holds_their_data_and_is_logged(network):
    case = ready_case(network)
    response = client_for(network.users["district"]).post(
        reverse("aid-case-export", args=[case.case_number]), {"reason": "本人书面申请 2026-001"}
    )
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["person"]["id_number"] == PERSON_ID and data["cases"][0]["diagnosis"] == SECRET_DIAGNOSIS
    assert data["cases"][0]["case_number"] == case.case_number and len(data["cases"][0]["consents"]) == 3
    log = AccessLog.objects.get()
    assert (log.reason, log.fields, log.note) == ("rights_request", "export:all", "本人书面申请 2026-001")


def test_api_refusals_name_the_field(network):
    village = client_for(network.users["village"])
    body = {
        "programme": "dabing",
        "village": network.village.code,
        "name": "某某",
        "id_number": "420703197001010010",
        "hardship_class": "dibao",
        "diagnosis": "某病",
    }
    response = village.post("/api/v1/aid/cases", body, content_type="application/json")
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["field"] == "id_number" and "校验位应为" in response.json()["errors"][0]["message"]
    )
    case = ready_case(network)
    over = village.post(
        f"/api/v1/aid/cases/{case.case_number}/invoices",
        {"number": "0001", "code": "42060126", "amount_fen": 100, "issued_on": str(timezone.localdate())},
        content_type="application/json",
    )
    assert over.status_code == 400 and over.json()["errors"][0]["field"] == "invoice_number"
    assert "已用于本申请" in over.json()["message"]
    bad_type = village.post(
        f"/api/v1/aid/cases/{case.case_number}/invoices",
        {"number": "1", "amount_fen": "lots", "issued_on": "2026-01-01"},
        content_type="application/json",
    )
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "amount_fen"
    calc = village.post(
        "/api/v1/aid/calculate",
        {
            "programme": "dabing",
            "hardship_class": "dibao",
            "invoices": [{"amount_fen": 1_000_000, "issued_on": str(timezone.localdate() - timedelta(days=1))}],
        },
        content_type="application/json",
    )
    assert calc.status_code == 200 and calc.json()["award_fen"] == 700_000
    assert calc.json()["steps"][-1]["label"] == "核定救助金额"


def test_intake_page_takes_an_application(network):
    village = client_for(network.users["village"])
    form = village.get(reverse("aid-case-new")).content.decode()
    assert "段店村" in form and "泽林村" not in form
    data = {
        "programme": "dabing",
        "village": network.village.code,
        "name": "页面申请",
        "id_number": PERSON_ID,
        "hardship_class": "dibao",
        "diagnosis": "页面诊断",
        "basic_insurance_fen": "1,000",
    }
    refused = village.post(reverse("aid-case-new"), data)
    assert refused.status_code == 400 and "金额格式不正确" in refused.content.decode()
    data["basic_insurance_fen"] = "1000.50"
    created = village.post(reverse("aid-case-new"), data)
    assert created.status_code == 302
    case = AidCase.objects.get()
    assert created["Location"] == reverse("aid-case", args=[case.case_number]) and case.basic_insurance_fen == 100_050


def test_case_page_shows_the_working_and_the_review_form_to_the_right_reviewer(network):
    case = services.submit_case(actor=network.users["village"], case=ready_case(network))
    page = client_for(network.users["village"]).get(reverse("aid-case", args=[case.case_number])).content.decode()
    assert "按比例救助（70%）：¥25,000.00 × 70% = <b>¥17,500.00</b>" in page and 'id="review-form"' in page
    other = client_for(network.users["township"]).get(reverse("aid-case", args=[case.case_number])).content.decode()
    assert 'id="review-form"' not in other
    done = client_for(network.users["village"]).post(
        reverse("aid-case-review", args=[case.case_number]),
        {"decision": "approve", "home_visit_on": str(timezone.localdate())},
    )
    assert done.status_code == 400 and "须声明本人与申请人无利害关系" in done.content.decode()
