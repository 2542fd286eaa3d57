"""Writes for the disclosure schedule: keep items in step with project dates, file reports, mark overdue, remind;
and the finance limits (saved with their before and after). Complaints are written by ``oversight.complaints``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.oversight import schedule
from gongyi.oversight.models import (
    OPEN_STATUSES,
    DisclosureItem,
    DisclosureKind,
    DisclosureReminder,
    DisclosureReport,
    FinanceLimit,
    ItemStatus,
    ProjectTimeline,
    ReminderKind,
)
from gongyi.projects.models import Domain, Project, ProjectStatus
from gongyi.spending.uploads import UploadRefused, check_upload

logger = logging.getLogger(__name__)

FILE_PERMISSION = "oversight.add_disclosurereport"
SCHEDULED_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)
UPCOMING_LEAD_DAYS = 7
EMERGENCY_LEAD_DAYS = 2
OVERDUE_REMIND_EVERY_DAYS = 7


class DisclosureError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SyncResult:
    created: int
    withdrawn: int
    reopened: int


@dataclass(frozen=True)
class DutyReport:
    synced_projects: int
    marked_overdue: int
    reminders: list[DisclosureReminder]


def _atomic():
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def schedule_input(project: Project) -> schedule.ScheduleInput:
    timeline = ProjectTimeline.objects.filter(project=project).first()
    return schedule.ScheduleInput(
        starts_on=project.fundraising_starts_on,
        ends_on=project.fundraising_ends_on,
        is_emergency=project.domain == Domain.EMERGENCY,
        response_ends_on=timeline.response_ends_on if timeline else None,
        implementation_starts_on=timeline.implementation_starts_on if timeline else None,
        implementation_ends_on=timeline.implementation_ends_on if timeline else None,
    )


def sync_disclosure_schedule(*, project: Project) -> SyncResult:
    """Make the project's items match its schedule: add missing ones, withdraw open ones no longer owed.

    Only published and closed projects owe disclosures. Items already done are never touched.
    """
    expected = schedule.disclosure_schedule(schedule_input(project)) if project.status in SCHEDULED_STATUSES else []
    wanted = {(item.kind, item.due_on): item for item in expected}
    created = withdrawn = reopened = 0
    with _atomic():
        existing = {(i.kind, i.due_on): i for i in DisclosureItem.objects.select_for_update().filter(project=project)}
        for key, item in wanted.items():
            row = existing.get(key)
            if row is None:
                try:
                    with transaction.atomic():
                        DisclosureItem.objects.create(
                            project=project,
                            kind=item.kind,
                            period_start=item.period_start,
                            period_end=item.period_end,
                            due_on=item.due_on,
                        )
                    created += 1
                except IntegrityError:  # a concurrent sync made it first
                    pass
            elif row.status == ItemStatus.WITHDRAWN:
                DisclosureItem.objects.filter(pk=row.pk, status=ItemStatus.WITHDRAWN).update(
                    status=ItemStatus.PENDING, overdue_since=None
                )
                reopened += 1
        for key, row in existing.items():
            if key not in wanted and row.status in OPEN_STATUSES:
                DisclosureItem.objects.filter(pk=row.pk, status__in=OPEN_STATUSES).update(status=ItemStatus.WITHDRAWN)
                withdrawn += 1
    return SyncResult(created, withdrawn, reopened)


def sync_all_schedules() -> int:
    count = 0
    for project in Project.objects.filter(status__in=SCHEDULED_STATUSES).only(
        "pk", "status", "domain", "fundraising_starts_on", "fundraising_ends_on"
    ):
        sync_disclosure_schedule(project=project)
        count += 1
    return count


def file_disclosure_report(
    *,
    project: Project,
    title: str,
    body: str,
    filed_by,
    items: Sequence[DisclosureItem] = (),
    period_start: date | None = None,
    period_end: date | None = None,
    attachment=None,
) -> DisclosureReport:
    """Publish a report (or progress update) on the project's account page and mark its items done.

    Refused (nothing written): no permission, empty title or body, an item of another project or not
    open, a bad period, or an attachment that is not a PDF/JPG/PNG/WebP of at most 10 MB.
    """
    if not (filed_by.is_active and filed_by.is_staff and filed_by.has_perm(FILE_PERMISSION)):
        raise DisclosureError("filed_by", "没有发布信息公开报告的权限")
    title, body = title.strip(), body.strip()
    if not title:
        raise DisclosureError("title", "请填写标题")
    if len(title) > DisclosureReport._meta.get_field("title").max_length:
        raise DisclosureError("title", "标题过长")
    if not body:
        raise DisclosureError("body", "请填写公开内容")
    if period_start and period_end and period_end < period_start:
        raise DisclosureError("period_end", "报告期结束不能早于开始")
    checked = None
    if attachment:
        try:
            checked = check_upload(attachment, field="attachment")
        except UploadRefused as exc:
            raise DisclosureError(exc.field, exc.message) from None
    today = timezone.localdate()
    with _atomic():
        item_ids = [item.pk for item in items]
        locked = list(DisclosureItem.objects.select_for_update().filter(pk__in=item_ids))
        if len(locked) != len(set(item_ids)):
            raise DisclosureError("items", "公开事项不存在")
        for item in locked:
            if item.project_id != project.pk:
                raise DisclosureError("items", "公开事项不属于该项目")
            if item.status not in OPEN_STATUSES:
                raise DisclosureError("items", f"公开事项（截止 {item.due_on}）已{item.get_status_display()}")
        if locked and period_start is None and period_end is None:
            period_start = min(item.period_start for item in locked)
            period_end = max(item.period_end for item in locked)
        report = DisclosureReport(
            project=project,
            title=title,
            body=body,
            period_start=period_start,
            period_end=period_end,
            filed_by=filed_by,
        )
        if checked is not None:
            report.attachment = attachment
            report.attachment_content_type = checked.content_type
            report.attachment_sha256 = checked.sha256
        report.save()
        if item_ids:
            DisclosureItem.objects.filter(pk__in=item_ids, status__in=OPEN_STATUSES).update(
                status=ItemStatus.DONE, report=report, done_on=today
            )
        logger.info("disclosure report %s filed for project %s by %s", report.pk, project.pk, filed_by.pk)
    return report


def mark_overdue(*, today: date) -> int:
    """Move every pending item whose last day has passed to overdue; return how many moved."""
    moved = 0
    with _atomic():
        for item_id, due_on in DisclosureItem.objects.filter(status=ItemStatus.PENDING, due_on__lt=today).values_list(
            "pk", "due_on"
        ):
            moved += DisclosureItem.objects.filter(pk=item_id, status=ItemStatus.PENDING).update(
                status=ItemStatus.OVERDUE, overdue_since=due_on + timedelta(days=1)
            )
    return moved


def _remind(item: DisclosureItem, kind: str, today: date, message: str) -> DisclosureReminder | None:
    try:
        with transaction.atomic():
            reminder = DisclosureReminder.objects.create(item=item, kind=kind, on=today, message=message[:300])
    except IntegrityError:  # already reminded today (another run of the task)
        return None
    log = logger.warning if kind == ReminderKind.OVERDUE else logger.info
    log("disclosure reminder: %s", message)
    return reminder


def send_reminders(*, today: date) -> list[DisclosureReminder]:
    """Remind once when an item comes within its lead time, and every 7 days while it is overdue."""
    sent: list[DisclosureReminder] = []
    horizon = today + timedelta(days=UPCOMING_LEAD_DAYS)
    with _atomic():
        upcoming = (
            DisclosureItem.objects.filter(status=ItemStatus.PENDING, due_on__gte=today, due_on__lte=horizon)
            .exclude(pk__in=DisclosureReminder.objects.filter(kind=ReminderKind.UPCOMING).values("item_id"))
            .select_related("project")
        )
        for item in upcoming:
            lead = EMERGENCY_LEAD_DAYS if item.kind == DisclosureKind.EMERGENCY else UPCOMING_LEAD_DAYS
            if (item.due_on - today).days > lead:
                continue
            message = (
                f"{item.project.title}：{item.get_kind_display()}（{item.period_start}至{item.period_end}）"
                f"须于 {item.due_on} 前公开"
            )
            if reminder := _remind(item, ReminderKind.UPCOMING, today, message):
                sent.append(reminder)
        recent = today - timedelta(days=OVERDUE_REMIND_EVERY_DAYS - 1)
        overdue = (
            DisclosureItem.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today)
            .exclude(
                pk__in=DisclosureReminder.objects.filter(kind=ReminderKind.OVERDUE, on__gte=recent).values("item_id")
            )
            .select_related("project")
        )
        for item in overdue:
            days = (today - item.due_on).days
            message = (
                f"{item.project.title}：{item.get_kind_display()}（{item.period_start}至{item.period_end}）"
                f"截止 {item.due_on}，已逾期 {days} 天"
            )
            if reminder := _remind(item, ReminderKind.OVERDUE, today, message):
                sent.append(reminder)
    return sent


def run_disclosure_duties(*, today: date | None = None) -> DutyReport:
    """The periodic task's work: sync every schedule, mark overdue items, send due reminders."""
    today = today or timezone.localdate()
    synced = sync_all_schedules()
    moved = mark_overdue(today=today)
    reminders = send_reminders(today=today)
    return DutyReport(synced, moved, reminders)


# --- finance limits ----------------------------------------------------------------------------------------------

# The defaults of migration 0003 (regulation.md §4), for databases emptied since (tests, a fresh demo).
DEFAULT_FINANCE_LIMITS = {
    "foundation": (7000, 1000, "《慈善法》第六十一条：公募基金会"),
    "social_group": (7000, 1300, "民发〔2016〕189号：具有公开募捐资格的社会团体"),
    "social_service": (7000, 1300, "民发〔2016〕189号：具有公开募捐资格的社会服务机构"),
    "federation": (7000, 1300, "民发〔2016〕189号：慈善总会（社会团体）"),
}


def ensure_default_finance_limits() -> int:
    """Create the default limit of each kind that has none; return how many were created."""
    created = 0
    with _atomic():
        for kind, (charity_bp, management_bp, basis) in DEFAULT_FINANCE_LIMITS.items():
            _limit, made = FinanceLimit.objects.get_or_create(
                organisation_kind=kind,
                organisation=None,
                defaults={
                    "min_charity_spending_bp": charity_bp,
                    "max_management_bp": management_bp,
                    "max_fundraising_cost_bp": 300,
                    "warning_margin_bp": 200,
                    "management_exemption_fen": 20_000_000,
                    "basis": basis,
                },
            )
            created += int(made)
    return created


def save_finance_limit(*, limit: FinanceLimit, actor) -> FinanceLimit:
    """Save a finance limit (the admin's form) and record the change with its before and after."""
    from gongyi.oversight.audit import record_rule_change, rule_snapshot

    limit.full_clean()
    with _atomic():
        before = None
        if limit.pk:
            current = FinanceLimit.objects.select_for_update().filter(pk=limit.pk).first()
            before = rule_snapshot(current, exclude=("updated_at",)) if current else None
        limit.save()
        record_rule_change(
            actor=actor, subject=limit, before=before, after=rule_snapshot(limit, exclude=("updated_at",))
        )
    return limit


def delete_finance_limit(*, limit: FinanceLimit, actor) -> None:
    """Delete a finance limit and record what it was."""
    from gongyi.oversight.audit import record_rule_change, rule_snapshot

    with _atomic():
        before = rule_snapshot(limit, exclude=("updated_at",))
        record_rule_change(actor=actor, subject=limit, before=before, after=None)
        limit.delete()
