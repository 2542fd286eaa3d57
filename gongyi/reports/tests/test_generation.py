"""Generating daily reports: stored versions with their files, the schedule (once per campaign day, catching
up), the command, the staff pages and API (staff only), the demo."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from gongyi.reports.models import DailyReport, ReportTrigger
from gongyi.reports.selectors import DailyFigures, daily_figures, local_today
from gongyi.reports.services import (
    ReportInputError,
    ensure_daily_report,
    generate_daily_report,
    run_scheduled_reports,
)
from gongyi.reports.tests.glyphs import pdf_page_count
from gongyi.reports.tests.helpers import give_at, local, make_festival

pytestmark = pytest.mark.django_db


@pytest.fixture
def festival():
    festival = make_festival(starts_at=local(2026, 5, 20, 0))
    give_at(festival.projects[0], paid_at=local(2026, 5, 20, 9), fen=10_000, payer="a", unit=festival.units[0])
    give_at(festival.projects[1], paid_at=local(2026, 5, 21, 9), fen=2_000, payer="b")
    return festival


def staff_user(*permissions: str, username: str = "staff"):
    user = get_user_model().objects.create_user(username, is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="reports"))
    return get_user_model().objects.get(pk=user.pk)


def test_each_generation_is_a_new_version_with_its_figures_and_files(festival):
    first = generate_daily_report(campaign=festival.campaign, day=date(2026, 5, 21), trigger=ReportTrigger.STAFF)
    give_at(festival.projects[2], paid_at=local(2026, 5, 21, 20), fen=3_000, payer="c")
    second = generate_daily_report(campaign=festival.campaign, day=date(2026, 5, 21), trigger=ReportTrigger.COMMAND)

    assert (first.version, second.version) == (1, 2)
    assert (first.gifts, first.amount_fen, second.gifts, second.amount_fen) == (1, 2_000, 2, 5_000)
    first.refresh_from_db()
    assert first.amount_fen == 2_000  # an earlier version keeps what it said
    assert DailyFigures.from_json(second.figures) == DailyFigures.from_json(
        daily_figures(festival.campaign, date(2026, 5, 21)).to_json() | {"computed_at": second.figures["computed_at"]}
    )
    for report in (first, second):
        assert report.xlsx.name.startswith("reports/daily/report-festival/2026-05-21/daily-report-festival-20260521-")
        with report.pdf.open("rb") as handle:
            assert pdf_page_count(handle.read()) == 1
        with report.xlsx.open("rb") as handle:
            assert load_workbook(io.BytesIO(handle.read()))["总览"]["A1"].value == "第二届湖北数字公益节 · 日报"


def test_a_future_day_or_unknown_trigger_is_refused_and_writes_nothing(festival):
    with pytest.raises(ReportInputError) as error:
        generate_daily_report(campaign=festival.campaign, day=local_today() + timedelta(days=1), trigger="staff")
    assert error.value.field == "day"
    with pytest.raises(ReportInputError):
        generate_daily_report(campaign=festival.campaign, day=date(2026, 5, 21), trigger="cron")
    assert not DailyReport.objects.exists()


def test_the_schedule_makes_each_campaign_days_report_once_and_catches_up(festival):
    today = date(2026, 5, 22)  # the festival ran 20–22 May; the task runs at 00:10 on the 22nd
    made = run_scheduled_reports(today=today)
    assert sorted((r.campaign.slug, r.day, r.trigger) for r in made) == [
        ("other-festival", date(2026, 5, 20), ReportTrigger.SCHEDULED),
        ("other-festival", date(2026, 5, 21), ReportTrigger.SCHEDULED),
        ("report-festival", date(2026, 5, 20), ReportTrigger.SCHEDULED),
        ("report-festival", date(2026, 5, 21), ReportTrigger.SCHEDULED),
    ]  # not the 19th: no campaign ran that day
    assert run_scheduled_reports(today=today) == []  # idempotent: a retry adds nothing
    assert ensure_daily_report(campaign=festival.campaign, day=date(2026, 5, 21)) is None


def test_one_failing_campaign_does_not_stop_the_others(festival):
    real = generate_daily_report
    calls = []

    def flaky(*, campaign, day, trigger, actor=None):
        calls.append(campaign.slug)
        if campaign.slug == "other-festival":
            raise RuntimeError("disk full")
        return real(campaign=campaign, day=day, trigger=trigger, actor=actor)

    with mock.patch("gongyi.reports.services.generate_daily_report", side_effect=flaky):
        made = run_scheduled_reports(today=date(2026, 5, 21))
    assert {r.campaign.slug for r in made} == {"report-festival"} and "other-festival" in calls


def test_the_periodic_task_runs_ten_minutes_after_beijing_midnight():
    from gongyi.reports.tasks import daily_reports

    validate = daily_reports.task_class().validate_datetime
    assert validate(datetime(2026, 5, 21, 16, 10))  # UTC: 00:10 on the 22nd in Beijing
    assert not validate(datetime(2026, 5, 22, 0, 10))


def test_the_command_generates_for_a_campaign_and_date(festival, capsys):
    call_command("daily_report", "--campaign", "report-festival", "--date", "2026-05-20")
    report = DailyReport.objects.get()
    assert (report.day, report.trigger, report.amount_fen) == (date(2026, 5, 20), ReportTrigger.COMMAND, 10_000)
    out = capsys.readouterr().out
    assert "report-festival 2026-05-20 v1: 1 gifts, 1 givers, ¥100.00 given" in out and report.pdf.path in out
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("daily_report", "--date", "21/05/2026")
    with pytest.raises(CommandError, match="no campaign"):
        call_command("daily_report", "--campaign", "nope")


def test_the_command_without_a_campaign_reports_every_campaign_of_the_day(festival):
    call_command("daily_report", "--date", "2026-05-21")
    assert {r.campaign.slug for r in DailyReport.objects.all()} == {"report-festival", "other-festival"}


def test_staff_pages_list_show_generate_and_serve_files(festival, client):
    viewer = staff_user("view_dailyreport", username="viewer")
    report = generate_daily_report(campaign=festival.campaign, day=date(2026, 5, 21), trigger=ReportTrigger.STAFF)

    assert client.get(reverse("reports-daily")).status_code == 302  # not signed in: to the login page
    client.force_login(get_user_model().objects.create_user("plain"))
    assert client.get(reverse("reports-daily")).status_code == 302  # not staff
    client.force_login(staff_user(username="bare"))
    assert client.get(reverse("reports-daily")).status_code == 403  # staff without the permission

    client.force_login(viewer)
    page = client.get(reverse("reports-daily"))
    assert page.status_code == 200 and "2026-05-21" in page.text and "立即生成" not in page.text
    detail = client.get(reverse("reports-daily-detail", args=[report.pk]))
    assert detail.status_code == 200 and "医路同行" in detail.text and "未计入单位" in detail.text
    pdf = client.get(reverse("reports-daily-pdf", args=[report.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(reverse("reports-daily-xlsx", args=[report.pk]))
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    post = client.post(reverse("reports-daily-generate"), {"campaign": "report-festival", "day": "2026-05-21"})
    assert post.status_code == 403 and DailyReport.objects.count() == 1

    client.force_login(staff_user("view_dailyreport", "add_dailyreport", username="maker"))
    post = client.post(reverse("reports-daily-generate"), {"campaign": "report-festival", "day": "2026-05-21"})
    newer = DailyReport.objects.get(version=2)
    assert post.status_code == 302 and post["Location"] == reverse("reports-daily-detail", args=[newer.pk])
    assert newer.generated_by.username == "maker" and newer.trigger == ReportTrigger.STAFF
    bad = client.post(
        reverse("reports-daily-generate"), {"campaign": "report-festival", "day": "tomorrow"}, follow=True
    )
    assert "日期格式应为" in bad.text and DailyReport.objects.count() == 2


def test_the_api_is_for_staff_with_the_permissions(festival, client):
    assert client.get("/api/v1/reports/daily").status_code == 401
    client.force_login(staff_user(username="bare"))
    assert client.get("/api/v1/reports/daily").status_code == 403
    client.force_login(staff_user("view_dailyreport", "add_dailyreport", username="maker"))
    created = client.post(
        "/api/v1/reports/daily", json.dumps({"campaign": "report-festival", "day": "2026-05-21"}), "application/json"
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["version"], body["gifts"], body["amount_fen"]) == (1, 1, 2_000)
    assert body["figures"]["by_project"][0]["label"] == "医路同行"
    listed = client.get("/api/v1/reports/daily", {"campaign": "report-festival"}).json()
    assert [r["id"] for r in listed] == [body["id"]]
    assert client.get(f"/api/v1/reports/daily/{body['id']}").json()["pdf_url"] == reverse(
        "reports-daily-pdf", args=[body["id"]]
    )
    missing = client.post(
        "/api/v1/reports/daily", json.dumps({"campaign": "nope", "day": "2026-05-21"}), "application/json"
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "campaign"
