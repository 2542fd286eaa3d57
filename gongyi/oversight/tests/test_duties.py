"""Disclosure items in the database: kept in step with project dates, filed, marked overdue, reminded."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from gongyi.orgs.models import Region
from gongyi.oversight.models import DisclosureItem, DisclosureReminder, ItemStatus, ProjectTimeline
from gongyi.oversight.selectors import disclosure_worklist, region_prefix
from gongyi.oversight.services import (
    DisclosureError,
    file_disclosure_report,
    mark_overdue,
    run_disclosure_duties,
    send_reminders,
    sync_disclosure_schedule,
)
from gongyi.oversight.tasks import disclosure_duties
from gongyi.projects.models import Domain, Project, ProjectStatus
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def dated(title: str, starts: str, ends: str, *, domain: str = "hardship", status=ProjectStatus.PUBLISHED) -> Project:
    project = make_project(title=title, status=status)
    Project.objects.filter(pk=project.pk).update(
        fundraising_starts_on=date.fromisoformat(starts), fundraising_ends_on=date.fromisoformat(ends), domain=domain
    )
    project.refresh_from_db()
    return project


@pytest.fixture
def officer(django_user_model):
    user = django_user_model.objects.create_user("officer", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_disclosurereport"))
    return django_user_model.objects.get(pk=user.pk)


def due_dates(project) -> list[tuple[str, date, str]]:
    return list(DisclosureItem.objects.filter(project=project).values_list("kind", "due_on", "status"))


def test_sync_makes_the_schedule_and_follows_date_changes():
    project = dated("七个月", "2026-03-01", "2026-09-30")
    result = sync_disclosure_schedule(project=project)
    assert (result.created, result.withdrawn) == (3, 0)
    assert due_dates(project) == [
        ("quarterly", date(2026, 6, 1), "pending"),
        ("quarterly", date(2026, 9, 1), "pending"),
        ("final", date(2026, 12, 30), "pending"),
    ]
    assert sync_disclosure_schedule(project=project).created == 0  # idempotent

    # Shortened to two months: the quarterly items are withdrawn, a new final item appears.
    Project.objects.filter(pk=project.pk).update(fundraising_ends_on=date(2026, 4, 30))
    project.refresh_from_db()
    result = sync_disclosure_schedule(project=project)
    assert (result.created, result.withdrawn) == (1, 3)
    assert [row for row in due_dates(project) if row[2] != "withdrawn"] == [("final", date(2026, 7, 30), "pending")]

    draft = dated("草稿", "2026-03-01", "2026-09-30", status=ProjectStatus.DRAFT)
    assert sync_disclosure_schedule(project=draft).created == 0


def test_emergency_items_and_a_given_response_phase():
    project = dated("应急", "2026-07-01", "2026-07-20", domain=Domain.EMERGENCY)
    sync_disclosure_schedule(project=project)
    assert [row[:2] for row in due_dates(project)] == [
        ("emergency", date(2026, 7, 6)),
        ("emergency", date(2026, 7, 11)),
        ("emergency", date(2026, 7, 16)),
        ("final", date(2026, 10, 20)),
    ]
    ProjectTimeline.objects.create(project=project, response_ends_on=date(2026, 7, 10))
    assert sync_disclosure_schedule(project=project).withdrawn == 2


def test_overdue_marking_on_a_given_day():
    project = dated("七个月", "2026-03-01", "2026-09-30")
    sync_disclosure_schedule(project=project)
    assert mark_overdue(today=date(2026, 6, 1)) == 0  # the due day itself is still on time
    assert mark_overdue(today=date(2026, 6, 2)) == 1
    item = DisclosureItem.objects.get(due_on=date(2026, 6, 1))
    assert (item.status, item.overdue_since) == (ItemStatus.OVERDUE, date(2026, 6, 2))
    assert mark_overdue(today=date(2026, 6, 3)) == 0
    assert mark_overdue(today=date(2027, 1, 1)) == 2


def test_reminders_once_when_due_soon_then_weekly_while_overdue(caplog):
    project = dated("七个月", "2026-03-01", "2026-09-30")
    emergency = dated("应急", "2026-07-01", "2026-07-20", domain=Domain.EMERGENCY)
    sync_disclosure_schedule(project=project)
    sync_disclosure_schedule(project=emergency)

    assert send_reminders(today=date(2026, 5, 20)) == []  # 12 days ahead: not yet
    upcoming = send_reminders(today=date(2026, 5, 25))
    assert [(r.item.due_on, r.kind) for r in upcoming] == [(date(2026, 6, 1), "upcoming")]
    assert "须于 2026-06-01 前公开" in upcoming[0].message
    assert send_reminders(today=date(2026, 5, 26)) == []  # once
    mark_overdue(today=date(2026, 6, 2))
    caplog.set_level("WARNING")
    overdue = send_reminders(today=date(2026, 6, 2))
    overdue_june = [r for r in overdue if r.item.project_id == project.pk]
    assert [(r.item.due_on, r.kind) for r in overdue_june] == [(date(2026, 6, 1), "overdue")]
    assert "已逾期 1 天" in overdue_june[0].message
    assert "已逾期 1 天" in caplog.text
    assert send_reminders(today=date(2026, 6, 2)) == []  # the task may run hourly: once a day at most
    assert not [r for r in send_reminders(today=date(2026, 6, 8)) if r.item.project_id == project.pk]
    again = [r for r in send_reminders(today=date(2026, 6, 9)) if r.item.project_id == project.pk]
    assert [(r.item.due_on, r.kind) for r in again] == [(date(2026, 6, 1), "overdue")]
    assert DisclosureReminder.objects.filter(item__project=project, kind="overdue").count() == 2

    # Emergency items are reminded two days ahead, not seven.
    assert not [r for r in send_reminders(today=date(2026, 7, 3)) if r.item.project_id == emergency.pk]
    soon = [r for r in send_reminders(today=date(2026, 7, 4)) if r.item.project_id == emergency.pk]
    assert [(r.item.due_on, r.kind) for r in soon] == [(date(2026, 7, 6), "upcoming")]


def png_upload(name="report.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_filing_a_report_marks_its_items_done_and_publishes_it(officer):
    today = timezone.localdate()
    # Ended four months ago after two months: the final report was due a month ago.
    project = dated("两个月", str(today - timedelta(days=180)), str(today - timedelta(days=120)))
    sync_disclosure_schedule(project=project)
    [item] = DisclosureItem.objects.filter(project=project)
    assert item.due_on < today

    report = file_disclosure_report(
        project=project,
        title="项目结束公开",
        body="募得款物全部用于困难家庭。",
        items=[item],
        attachment=png_upload(),
        filed_by=officer,
    )
    item.refresh_from_db()
    assert (item.status, item.report, item.done_on, item.filed_late) == ("done", report, today, True)
    assert (report.period_start, report.period_end) == (item.period_start, item.period_end)

    with pytest.raises(DisclosureError) as twice:
        file_disclosure_report(project=project, title="再报", body="x", items=[item], filed_by=officer)
    assert twice.value.field == "items"

    page = Client().get(f"/accounts/projects/{project.pk}/").content.decode()
    assert "项目结束公开" in page and "逾期公开" in page
    attachment = Client().get(f"/oversight/reports/{report.pk}/attachment/")
    assert attachment.status_code == 200 and attachment["Content-Type"] == "image/png"
    schedule = Client().get(f"/api/v1/oversight/projects/{project.pk}/schedule").json()
    assert [(i["kind"], i["status"], i["filed_late"]) for i in schedule] == [("final", "done", True)]
    reports = Client().get(f"/api/v1/oversight/projects/{project.pk}/reports").json()
    assert [(r["title"], r["item_ids"]) for r in reports] == [("项目结束公开", [item.pk])]


def test_filing_refusals_write_nothing(officer, django_user_model):
    first = dated("甲", "2026-03-01", "2026-04-30")
    second = dated("乙", "2026-03-01", "2026-04-30")
    sync_disclosure_schedule(project=first)
    sync_disclosure_schedule(project=second)
    other_item = DisclosureItem.objects.get(project=second)
    plain = django_user_model.objects.create_user("plain", password=None, is_staff=True)
    cases = [
        ({"filed_by": plain}, "filed_by"),
        ({"title": " "}, "title"),
        ({"body": ""}, "body"),
        ({"items": [other_item]}, "items"),
        ({"period_start": date(2026, 5, 1), "period_end": date(2026, 4, 1)}, "period_end"),
        ({"attachment": SimpleUploadedFile("x.svg", b"<svg/>")}, "attachment"),
    ]
    for changes, field in cases:
        arguments = {"project": first, "title": "标题", "body": "内容", "filed_by": officer, **changes}
        with pytest.raises(DisclosureError) as refused:
            file_disclosure_report(**arguments)
        assert refused.value.field == field
    assert not first.disclosure_reports.exists()
    assert DisclosureItem.objects.filter(status="done").count() == 0


def test_worklist_lists_overdue_and_due_items_by_scope():
    today = timezone.localdate()
    region = Region.objects.create(code="420704", name="鄂城区", level="district")
    late = dated("逾期", str(today - timedelta(days=200)), str(today - timedelta(days=100)))
    soon = dated("将到期", str(today - timedelta(days=60)), str(today - timedelta(days=80 - 90)))
    late.organisation.region = region
    late.organisation.save()
    for project in (late, soon):
        sync_disclosure_schedule(project=project)
    worklist = disclosure_worklist(today=today, horizon_days=120)
    assert [i.project.title for i in worklist.overdue] == ["逾期"]  # not yet marked by the task, still overdue
    assert [i.project.title for i in worklist.due_soon] == ["将到期"]
    scoped = disclosure_worklist(today=today, horizon_days=120, region_code="420700")
    assert [i.project.title for i in scoped.overdue] == ["逾期"]  # same organisation: both projects
    assert region_prefix("420700") == "4207" and region_prefix("420000") == "42" and region_prefix("420704") == "420704"
    assert disclosure_worklist(today=today, region_code="420300").overdue == []


def test_the_periodic_task_syncs_marks_and_reminds():
    today = timezone.localdate()
    project = dated("逾期", str(today - timedelta(days=200)), str(today - timedelta(days=100)))
    report = run_disclosure_duties(today=today)
    assert report.marked_overdue == 1 and [r.kind for r in report.reminders] == ["overdue"]
    assert DisclosureItem.objects.get(project=project).status == ItemStatus.OVERDUE
    disclosure_duties.call_local()  # the Huey task runs the same duties: nothing new today
    assert DisclosureReminder.objects.count() == 1


def test_staff_pages_and_api_need_staff(officer, django_user_model):
    today = timezone.localdate()
    project = dated("逾期", str(today - timedelta(days=200)), str(today - timedelta(days=100)))
    sync_disclosure_schedule(project=project)
    client = Client()
    assert client.get("/oversight/disclosures/").status_code == 302
    assert client.get("/api/v1/oversight/disclosures").status_code == 401
    member = django_user_model.objects.create_user("member", password=None, is_staff=False)
    client.force_login(member)
    assert client.get("/oversight/disclosures/").status_code == 302
    assert client.get("/api/v1/oversight/disclosures").status_code == 403
    client.force_login(officer)
    page = client.get("/oversight/disclosures/")
    assert page.status_code == 200 and "逾期" in page.content.decode()
    body = client.get("/api/v1/oversight/disclosures").json()
    assert [i["project"] for i in body["overdue"]] == ["逾期"] and body["overdue"][0]["overdue"]

    item = DisclosureItem.objects.get(project=project)
    form = client.get(f"/oversight/projects/{project.pk}/reports/new/?item={item.pk}")
    assert form.status_code == 200
    response = client.post(
        f"/oversight/projects/{project.pk}/reports/new/",
        {"items": [item.pk], "title": "结束公开", "body": "内容"},
    )
    assert response.status_code == 302
    assert DisclosureItem.objects.get(pk=item.pk).status == "done"
