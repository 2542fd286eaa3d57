"""Complaints: filed by anyone, followed by number, handled to an answer, flagged when overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gongyi.oversight import contact as sealing
from gongyi.oversight.complaints import (
    TRACKING_PATTERN,
    ComplaintError,
    answer_complaint,
    close_complaint,
    file_complaint,
    flag_overdue_complaints,
    mark_duplicate,
    reject_complaint,
    reveal_contact,
    start_investigation,
    triage_complaint,
)
from gongyi.oversight.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintOutcome,
    ComplaintStatus,
)
from gongyi.oversight.selectors import complaint_stats, public_complaint
from gongyi.oversight.tasks import complaint_duties
from gongyi.oversight.tests.conftest import client_for
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db

TEXT = "项目点发放物资时少发了一袋米，请核实处理。"


def png(name: str = "evidence.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def file(project, **kwargs) -> Complaint:
    values = {"subject_kind": "project", "subject_ref": str(project.pk), "text": TEXT, "is_anonymous": True}
    return file_complaint(**(values | kwargs))


def trail(complaint) -> list[tuple[str, str, str, str | None]]:
    return [
        (e.kind, e.from_status, e.to_status, e.actor.username if e.actor else None)
        for e in ComplaintEvent.objects.filter(complaint=complaint).order_by("at", "id")
    ]


def counts() -> tuple[int, int, int]:
    return Complaint.objects.count(), ComplaintEvent.objects.count(), ComplaintAttachment.objects.count()


def test_the_lifecycle_writes_an_event_for_every_change_and_the_public_page_follows(handler, second_handler):
    project = make_project(title="幸福家园")
    complaint = file(project, contact="13900001111")
    assert TRACKING_PATTERN.match(complaint.tracking_number)
    assert complaint.tracking_number.startswith("JB" + timezone.localdate().strftime("%Y%m%d"))
    assert (complaint.project, complaint.organisation, complaint.subject_label) == (
        project,
        project.organisation,
        "幸福家园",
    )
    assert complaint.answer_due_on == timezone.localdate() + timedelta(days=15)
    assert complaint.status == ComplaintStatus.RECEIVED

    complaint = triage_complaint(complaint=complaint, actor=handler, handler=second_handler)
    assert complaint.handler == second_handler and complaint.triaged_at is not None
    complaint = start_investigation(complaint=complaint, actor=second_handler, note="调阅发放清单")
    complaint = answer_complaint(
        complaint=complaint,
        actor=second_handler,
        answer="经核查，发放清单与实物一致，少领的一袋米已补发。",
        outcome=ComplaintOutcome.PARTLY_UPHELD,
    )
    assert complaint.status == ComplaintStatus.ANSWERED and not complaint.answered_late
    complaint = close_complaint(complaint=complaint, actor=second_handler)
    assert complaint.status == ComplaintStatus.CLOSED
    assert trail(complaint) == [
        ("filed", "", "received", None),
        ("triaged", "received", "triaged", "handler"),
        ("investigating", "triaged", "investigating", "handler2"),
        ("answered", "investigating", "answered", "handler2"),
        ("closed", "answered", "closed", "handler2"),
    ]

    page = Client().get(reverse("oversight-complaint", args=[complaint.tracking_number]))
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "已办结" in text and "部分属实" in text and "少领的一袋米已补发" in text
    assert TEXT not in text and "13900001111" not in text and "139****1111" not in text
    # A number typed in lower case finds the page.
    lower = Client().get(reverse("oversight-complaint", args=[complaint.tracking_number.lower()]))
    assert lower.status_code == 302 and lower["Location"].endswith(f"/{complaint.tracking_number}/")


def test_an_answer_that_would_expose_someone_is_not_public(handler):
    complaint = file(make_project())
    triage_complaint(complaint=complaint, actor=handler)
    with pytest.raises(ComplaintError) as refused:
        answer_complaint(
            complaint=complaint, actor=handler, answer="该户另有房产，已调整。", outcome="upheld", is_public=False
        )
    assert refused.value.field == "answer_private_reason"
    answer_complaint(
        complaint=complaint,
        actor=handler,
        answer="该户另有房产，已调整救助金额。",
        outcome=ComplaintOutcome.UPHELD,
        is_public=False,
        private_reason="涉及受助家庭财产",
    )
    view = public_complaint(complaint.tracking_number, today=timezone.localdate())
    assert view.answer == "" and view.answer_withheld and view.outcome_label == "反映属实"
    text = Client().get(reverse("oversight-complaint", args=[complaint.tracking_number])).content.decode()
    assert "已向举报人作出答复" in text and "另有房产" not in text
    assert "该户另有房产" not in Client().get(reverse("oversight-complaints")).content.decode()


def test_transitions_out_of_order_and_unauthorised_actors_are_refused_with_nothing_written(
    handler, regulator, django_user_model
):
    complaint = file(make_project())
    before = counts()
    with pytest.raises(ComplaintError) as refused:
        answer_complaint(complaint=complaint, actor=handler, answer="已经处理完毕。", outcome="upheld")
    assert refused.value.field == "status" and "已收到" in refused.value.message
    with pytest.raises(ComplaintError):
        close_complaint(complaint=complaint, actor=handler)
    plain = django_user_model.objects.create_user("plain", password=None, is_staff=True)
    for actor in (regulator, plain):
        with pytest.raises(ComplaintError) as refused:
            triage_complaint(complaint=complaint, actor=actor)
        assert refused.value.field == "actor"
    with pytest.raises(ComplaintError) as refused:
        triage_complaint(complaint=complaint, actor=handler, handler=plain)
    assert refused.value.field == "handler"
    assert counts() == before
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.RECEIVED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject_kind": "bogus"}, "subject_kind"),
        ({"subject_ref": "999999"}, "subject_ref"),
        ({"subject_kind": "organisation", "subject_ref": "没有这个组织"}, "subject_ref"),
        ({"subject_kind": "unit", "subject_ref": "ZZZZZZ"}, "subject_ref"),
        ({"subject_kind": "aid_case", "subject_ref": "<script>"}, "subject_ref"),
        ({"text": "太短"}, "text"),
        ({"text": "长" * 5001}, "text"),
        ({"is_anonymous": True, "name": "张三"}, "name"),
        ({"is_anonymous": False, "name": ""}, "name"),
        ({"contact": "1" * 101}, "contact"),
        ({"attachments": [png(f"{i}.png") for i in range(6)]}, "attachments"),
        (
            {"attachments": [SimpleUploadedFile("a.exe", b"MZ\x90\x00", content_type="application/octet-stream")]},
            "attachments",
        ),
        (
            {"attachments": [SimpleUploadedFile("fake.png", b"%PDF-1.4 not a png", content_type="image/png")]},
            "attachments",
        ),
        ({"honeypot": "http://spam.example"}, "website"),
    ],
)
def test_filing_refusals_name_the_field_and_write_nothing(kwargs, field):
    project = make_project()
    with pytest.raises(ComplaintError) as refused:
        file(project, **kwargs)
    assert refused.value.field == field
    assert counts() == (0, 0, 0)


def test_subjects_resolve_by_number_name_code_or_case_number():
    from gongyi.spending.tests.helpers import make_unit

    project = make_project(title="童享阳光")
    by_title = file(project, subject_ref="童享阳光")
    assert by_title.project == project
    org = file_complaint(
        subject_kind="organisation", subject_ref=project.organisation.name, text=TEXT, is_anonymous=True
    )
    assert org.organisation == project.organisation and org.project is None
    unit = make_unit()
    by_code = file_complaint(subject_kind="unit", subject_ref=unit.code.lower(), text=TEXT, is_anonymous=True)
    assert (by_code.subject_ref, by_code.subject_label) == (unit.code, unit.name)
    case = file_complaint(subject_kind="aid_case", subject_ref="DB-2025-017", text=TEXT, is_anonymous=True)
    assert case.subject_label == "救助案件 DB-2025-017"
    other = file_complaint(subject_kind="other", subject_ref="张三家门口的募捐箱", text=TEXT, is_anonymous=True)
    # What the complainant typed under "other" may name a person: the public page shows only the kind.
    assert public_complaint(other.tracking_number, today=timezone.localdate()).subject_label == "其他"


def test_the_deadline_setting_is_read_when_the_complaint_is_received(settings):
    project = make_project()
    settings.GONGYI_COMPLAINT_ANSWER_DAYS = 5
    assert file(project).answer_due_on == timezone.localdate() + timedelta(days=5)
    settings.GONGYI_COMPLAINT_ANSWER_DAYS = 30
    assert file(project).answer_due_on == timezone.localdate() + timedelta(days=30)


def test_filing_is_rate_limited_by_address(settings):
    settings.GONGYI_COMPLAINT_RATE_LIMIT = 2
    project = make_project()
    file(project, ip="10.0.0.1")
    file(project, ip="10.0.0.1")
    with pytest.raises(ComplaintError) as refused:
        file(project, ip="10.0.0.1")
    assert refused.value.field == "rate_limit"
    file(project, ip="10.0.0.2")  # another address
    assert Complaint.objects.count() == 3
    assert "10.0.0.1" not in str(list(Complaint.objects.values_list("ip_digest", flat=True)))


def test_overdue_complaints_are_flagged_once_for_the_regulator(handler, regulator, settings):
    settings.GONGYI_COMPLAINT_ANSWER_DAYS = 15
    project = make_project()
    twenty_days_ago = timezone.now() - timedelta(days=20)
    late = file(project, now=twenty_days_ago)
    answered_late = file(project, now=twenty_days_ago)
    in_time = file(project)
    assert late.answer_due_on == timezone.localdate(twenty_days_ago) + timedelta(days=15)
    triage_complaint(complaint=answered_late, actor=handler)
    answered_late = answer_complaint(
        complaint=answered_late, actor=handler, answer="已核实并答复举报人。", outcome="not_upheld"
    )
    assert answered_late.answered_late

    flagged = flag_overdue_complaints()
    assert [c.pk for c in flagged] == [late.pk]
    late.refresh_from_db()
    assert late.overdue_flagged_at is not None and late.status == ComplaintStatus.RECEIVED
    event = ComplaintEvent.objects.get(complaint=late, kind="overdue_flagged")
    assert event.actor is None and "已逾期 5 天" in event.note
    assert flag_overdue_complaints() == []  # once
    complaint_duties.call_local()  # the hourly task: still once
    assert ComplaintEvent.objects.filter(kind="overdue_flagged").count() == 1
    in_time.refresh_from_db()
    assert in_time.overdue_flagged_at is None

    page = client_for(regulator).get(reverse("oversight-regulator"))
    text = page.content.decode()
    listed = text[text.index('id="overdue-complaints"') :].split("</table>")[0]
    assert page.status_code == 200 and late.tracking_number in listed and in_time.tracking_number not in listed
    assert 'id="overdue-complaints-count">1<' in text
    public = Client().get(reverse("oversight-complaint", args=[late.tracking_number])).content.decode()
    assert "已超过答复期限，已报告监管部门" in public and "逾期未答复，已报告监管部门" in public
    # Answering later keeps the flag: the record shows it was late.
    triage_complaint(complaint=late, actor=handler)
    late = answer_complaint(complaint=late, actor=handler, answer="已核实并答复举报人。", outcome="upheld")
    assert late.overdue_flagged_at is not None and late.answered_late


def test_refusing_and_merging_are_replies(handler):
    project = make_project()
    original = file(project)
    copy = file(project)
    refused = file(project)
    triage_complaint(complaint=original, actor=handler)
    answer_complaint(complaint=original, actor=handler, answer="已责令项目执行方整改并补发。", outcome="upheld")
    with pytest.raises(ComplaintError) as same:
        mark_duplicate(complaint=copy, actor=handler, original=copy)
    assert same.value.field == "duplicate_of"
    merged = mark_duplicate(complaint=copy, actor=handler, original=original)
    assert (merged.status, merged.outcome, merged.duplicate_of) == ("duplicate", "merged", original)
    view = public_complaint(copy.tracking_number, today=timezone.localdate())
    assert view.is_replied and view.merged_answer == "已责令项目执行方整改并补发。"
    # A merge into a merged complaint goes to the original.
    third = file(project)
    assert mark_duplicate(complaint=third, actor=handler, original=copy).duplicate_of == original

    with pytest.raises(ComplaintError) as short:
        reject_complaint(complaint=refused, actor=handler, reason="不")
    assert short.value.field == "reason"
    refused = reject_complaint(complaint=refused, actor=handler, reason="不属于本会受理范围，请向公安机关报案。")
    assert (refused.status, refused.outcome) == ("rejected", "not_accepted")
    assert refused.answered_at is not None and refused.closed_at is not None
    with pytest.raises(ComplaintError):
        triage_complaint(complaint=refused, actor=handler)


def test_contact_and_name_are_sealed_and_opened_only_by_a_handler_with_a_record(handler, regulator):
    complaint = file(make_project(), is_anonymous=False, name="王小明", contact="13912345678")
    row = Complaint.objects.filter(pk=complaint.pk).values("complainant_name_sealed", "contact_sealed", "contact_hint")
    stored = str(list(row))
    assert "13912345678" not in stored and "王小明" not in stored and complaint.contact_hint == "139****5678"
    opened = reveal_contact(complaint=complaint, actor=handler)
    assert (opened.name, opened.contact) == ("王小明", "13912345678")
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="contact_viewed", actor=handler).count() == 1
    with pytest.raises(ComplaintError):
        reveal_contact(complaint=complaint, actor=regulator)
    # A sealed value moved to another complaint does not open.
    with pytest.raises(sealing.ContactUnreadable):
        sealing.open_sealed(complaint.contact_sealed, aad=sealing.aad_for("JB20990101AAAAAAAAAA", "contact"))


def test_the_contact_key_can_come_from_the_environment_and_old_secret_keys_still_open(monkeypatch, settings):
    import base64

    token = sealing.seal("13900001111", aad="x")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key that is long enough for the test"
    monkeypatch.setenv(sealing.ENV_KEY, base64.b64encode(b"k" * 32).decode())
    assert sealing.open_sealed(token, aad="x") == "13900001111"
    fresh = sealing.seal("13900002222", aad="x")
    assert sealing.open_sealed(fresh, aad="x") == "13900002222" and fresh.split(":")[1] != token.split(":")[1]


def test_attachments_are_kept_private_and_every_opening_is_recorded(handler, regulator, media_root):
    complaint = file(make_project(), attachments=[png(), png("第二张.png")])
    attachments = list(complaint.attachments.all())
    assert len(attachments) == 2 and all(a.content_type == "image/png" for a in attachments)
    assert all("第二张" not in a.file.name for a in attachments)  # random names
    public = Client().get(reverse("oversight-complaint", args=[complaint.tracking_number])).content.decode()
    assert "attachments" not in public and "/media/" not in public
    url = reverse("oversight-staff-complaint-attachment", args=[complaint.tracking_number, attachments[0].pk])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    response = client_for(regulator).get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert ComplaintEvent.objects.filter(kind="attachment_viewed", actor=regulator).count() == 1


def test_the_public_form_names_the_bad_field_and_files_with_a_tracking_number():
    project = make_project(title="医路同行")
    client = Client()
    page = client.get(reverse("oversight-complaint-new"), {"kind": "project", "ref": str(project.pk)})
    text = page.content.decode()
    assert page.status_code == 200 and 'name="website"' in text and f'value="{project.pk}"' in text
    bad = client.post(
        reverse("oversight-complaint-new"),
        {"subject_kind": "project", "subject_ref": str(project.pk), "text": "太短", "is_anonymous": "on"},
    )
    assert bad.status_code == 400 and 'id="error-text"' in bad.content.decode()
    assert "举报内容：请具体说明举报的事实" in bad.content.decode()
    bot = client.post(
        reverse("oversight-complaint-new"),
        {"subject_kind": "project", "subject_ref": str(project.pk), "text": TEXT, "website": "x"},
    )
    assert bot.status_code == 400 and not Complaint.objects.exists()
    good = client.post(
        reverse("oversight-complaint-new"),
        {
            "subject_kind": "project",
            "subject_ref": "医路同行",
            "text": TEXT,
            "is_anonymous": "on",
            "contact": "someone@example.com",
            "attachments": [png()],
        },
    )
    complaint = Complaint.objects.get()
    assert good.status_code == 303 and good["Location"].endswith(f"/{complaint.tracking_number}/?new=1")
    assert complaint.contact_hint == "s***@example.com" and complaint.attachments.count() == 1
    followed = client.get(good["Location"]).content.decode()
    assert complaint.tracking_number in followed and "请记下查询编号" in followed
    lookup = client.get(reverse("oversight-complaints"), {"no": complaint.tracking_number.lower()})
    assert lookup.status_code == 302
    assert Client().get(reverse("oversight-complaint", args=["JB20990101AAAAAAAAAA"])).status_code == 404


def test_statistics_by_subject_and_outcome(handler):
    project = make_project()
    for outcome in ("upheld", "upheld", "not_upheld"):
        c = file(project)
        triage_complaint(complaint=c, actor=handler)
        answer_complaint(complaint=c, actor=handler, answer="已核实并答复。", outcome=outcome)
    org = file_complaint(
        subject_kind="organisation", subject_ref=project.organisation.name, text=TEXT, is_anonymous=True
    )
    reject_complaint(complaint=org, actor=handler, reason="不属于本会受理范围。")
    file_complaint(subject_kind="aid_case", subject_ref="DB-1", text=TEXT, is_anonymous=True)
    file(project, now=timezone.now() - timedelta(days=30))  # overdue, unanswered

    stats = complaint_stats(today=timezone.localdate())
    assert stats.total == 6
    assert (stats.count("project", "upheld"), stats.count("project", "not_upheld"), stats.count("project", "")) == (
        2,
        1,
        1,
    )
    assert stats.count("organisation", "not_accepted") == 1 and stats.count("aid_case", "") == 1
    assert stats.subject_totals == {"project": 4, "organisation": 1, "aid_case": 1, "unit": 0, "other": 0}
    assert (stats.replied, stats.replied_on_time, stats.open_overdue) == (4, 4, 1)
    page = Client().get(reverse("oversight-complaint-stats"))
    assert page.status_code == 200 and 'id="stat-total">6<' in page.content.decode()
    api = Client().get("/api/v1/oversight/complaints/stats").json()
    assert api["total"] == 6 and api["by_subject"]["project"] == 4 and api["by_outcome"]["pending"] == 2
    assert {
        "subject_kind": "project",
        "subject": "募捐项目",
        "outcome": "upheld",
        "outcome_label": "反映属实",
        "count": 2,
    } in api["table"]


def test_the_api_files_follows_and_names_the_field(settings, handler, regulator):
    settings.GONGYI_COMPLAINT_RATE_LIMIT = 3
    project = make_project()
    client = Client()
    url = "/api/v1/oversight/complaints"
    bad = client.post(
        url, {"subject_kind": "project", "subject_ref": str(project.pk), "text": "短"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"] == [
        {"field": "text", "message": "请具体说明举报的事实（至少10个字）"}
    ]
    made = client.post(
        url,
        {"subject_kind": "project", "subject_ref": str(project.pk), "text": TEXT, "contact": "13900001111"},
        content_type="application/json",
    )
    assert made.status_code == 201
    number = made.json()["tracking_number"]
    assert made.json()["answer_due_on"] == str(timezone.localdate() + timedelta(days=15))
    for _ in range(2):
        client.post(
            url,
            {"subject_kind": "project", "subject_ref": str(project.pk), "text": TEXT},
            content_type="application/json",
        )
    limited = client.post(
        url, {"subject_kind": "project", "subject_ref": str(project.pk), "text": TEXT}, content_type="application/json"
    )
    assert limited.status_code == 429 and limited.json()["errors"][0]["field"] == "rate_limit"

    tracked = client.get(f"{url}/{number.lower()}").json()
    assert tracked["status"] == "received" and tracked["answer"] == "" and "13900001111" not in str(tracked)
    assert client.get(f"{url}/JB2099").status_code == 404

    handler_client = client_for(handler)
    staff_url = f"/api/v1/oversight/staff/complaints/{number}"
    assert (
        handler_client.post(
            f"{staff_url}/answer", {"answer": "已核实。", "outcome": "upheld"}, content_type="application/json"
        ).status_code
        == 400
    )
    assert handler_client.post(f"{staff_url}/triage", {}, content_type="application/json").json()["status"] == "triaged"
    answered = handler_client.post(
        f"{staff_url}/answer", {"answer": "已核实并整改。", "outcome": "upheld"}, content_type="application/json"
    )
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert client.get(f"{url}/{number}").json()["answer"] == "已核实并整改。"
    listed = client_for(regulator).get("/api/v1/oversight/staff/complaints", {"status": "answered"}).json()
    assert [row["tracking_number"] for row in listed] == [number] and listed[0]["contact_hint"] == "139****1111"
    assert Client().get("/api/v1/oversight/staff/complaints").status_code == 401


def test_handlers_work_through_the_staff_pages_and_the_regulator_only_reads(handler, regulator):
    complaint = file(make_project(), is_anonymous=False, name="王小明", contact="13912345678")
    staff = client_for(handler)
    listing = staff.get(reverse("oversight-staff-complaints"), {"status": "received"})
    assert listing.status_code == 200 and complaint.tracking_number in listing.content.decode()
    detail = staff.get(reverse("oversight-staff-complaint", args=[complaint.tracking_number])).content.decode()
    assert TEXT in detail and "139****5678" in detail and "13912345678" not in detail and 'id="do-triage"' in detail
    revealed = staff.get(
        reverse("oversight-staff-complaint-contact", args=[complaint.tracking_number])
    ).content.decode()
    assert "13912345678" in revealed and "王小明" in revealed
    action = reverse("oversight-staff-complaint-action", args=[complaint.tracking_number, "triage"])
    assert staff.post(action, {"note": "受理"}).status_code == 302
    answer_url = reverse("oversight-staff-complaint-action", args=[complaint.tracking_number, "answer"])
    unchecked = staff.post(answer_url, {"outcome": "upheld", "answer": "已核实并整改。"})  # not public, no reason
    assert unchecked.status_code == 400 and "不公开时须说明理由" in unchecked.content.decode()
    assert (
        staff.post(answer_url, {"outcome": "upheld", "answer": "已核实并整改。", "is_public": "on"}).status_code == 302
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.answer_is_public) == ("answered", True)
    close_url = reverse("oversight-staff-complaint-action", args=[complaint.tracking_number, "close"])
    assert staff.post(close_url, {}).status_code == 302
    again = staff.post(close_url, {})
    assert again.status_code == 400 and "不能办结" in again.content.decode()

    reader = client_for(regulator)
    page = reader.get(reverse("oversight-staff-complaint", args=[complaint.tracking_number])).content.decode()
    assert TEXT in page and 'id="do-' not in page and "reveal-contact" not in page and "只读账户" in page
    assert reader.get(reverse("oversight-staff-complaint-contact", args=[complaint.tracking_number])).status_code == 403
    export = reader.get(reverse("oversight-staff-complaints-export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert Client().get(reverse("oversight-staff-complaints")).status_code == 302


def test_received_dates_are_local():
    # 23:30 UTC on 1 July is 07:30 on 2 July in Shanghai: the deadline counts from the local day.
    when = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    complaint = file(make_project(), now=when)
    assert complaint.answer_due_on == date(2026, 7, 2) + timedelta(days=15)
