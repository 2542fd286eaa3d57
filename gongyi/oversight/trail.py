"""The unified audit trail (reads only): one filterable, paginated list over every event table.

Sources: project reviews (``ProjectStatusChange``), spending (``ExpenditureEvent``), payments and refunds
(``PaymentEvent``), 一日捐 (``DriveEvent``), donor flags (``DonorFlag``), complaints (``ComplaintEvent``), rule
changes with before and after (``RuleChangeEvent``) and changes made in the Django admin (``LogEntry``, with
its change message). Aid casework keeps its own trail and access log, read through the aid app's pages.

The page is one ``UNION ALL`` query of (source, time, actor, row id) ordered by time, sliced in the database,
plus one count and one query per source for the rows on the page — so the cost of a page does not grow with
the size of the tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.db.models import CharField, F, QuerySet, Value
from django.urls import NoReverseMatch, reverse

from gongyi.core.masking import mask_payer
from gongyi.oversight.models import ComplaintEvent, ComplaintEventKind, ComplaintStatus, RuleChangeEvent


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    model_path: str  # "app_label.Model"
    time_field: str
    actor_field: str


SOURCES = (
    Source("project", "项目审核", "projects.ProjectStatusChange", "at", "actor_id"),
    Source("spending", "支出审批", "spending.ExpenditureEvent", "at", "actor_id"),
    Source("payment", "支付与退款", "payments.PaymentEvent", "at", "actor_id"),
    Source("drive", "一日捐", "drives.DriveEvent", "at", "actor_id"),
    Source("flag", "违规捐赠人标记", "matching.DonorFlag", "flagged_at", "flagged_by_id"),
    Source("complaint", "举报投诉", "oversight.ComplaintEvent", "at", "actor_id"),
    Source("rule", "规则变更", "oversight.RuleChangeEvent", "at", "actor_id"),
    Source("admin", "后台修改", "admin.LogEntry", "action_time", "user_id"),
)
SOURCE_LABELS = {s.key: s.label for s in SOURCES}


@dataclass(frozen=True)
class TrailFilter:
    sources: tuple[str, ...] = ()  # empty = every source
    actor: str = ""  # part of a username
    since: date | None = None  # local dates, inclusive
    until: date | None = None


@dataclass(frozen=True)
class TrailRow:
    source: str
    source_label: str
    at: datetime
    actor: str
    subject: str
    action: str
    before: str
    after: str
    note: str
    link: str


def _model(path: str):
    from django.apps import apps

    return apps.get_model(path)


def _available() -> list[Source]:
    """The sources whose app is installed (each app's label is the first part of its model path)."""
    from django.apps import apps

    labels = {config.label for config in apps.get_app_configs()}
    return [s for s in SOURCES if s.model_path.split(".")[0] in labels]


def _bounds(filters: TrailFilter) -> tuple[datetime | None, datetime | None]:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(filters.since, time.min, tzinfo=zone) if filters.since else None
    end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=zone) if filters.until else None
    return start, end


def trail_queryset(filters: TrailFilter) -> QuerySet | None:
    """The union of (ev_source, ev_at, ev_actor, ev_id) over the chosen sources, newest first."""
    start, end = _bounds(filters)
    actor_ids = None
    if filters.actor:
        actor_ids = list(
            get_user_model().objects.filter(username__icontains=filters.actor.strip()).values_list("pk", flat=True)
        )
    parts = []
    for source in _available():
        if filters.sources and source.key not in filters.sources:
            continue
        qs = _model(source.model_path).objects.all()
        if start is not None:
            qs = qs.filter(**{f"{source.time_field}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{source.time_field}__lt": end})
        if actor_ids is not None:
            qs = qs.filter(**{f"{source.actor_field}__in": actor_ids})
        parts.append(
            qs.order_by()
            .annotate(
                ev_source=Value(source.key, output_field=CharField()),
                ev_at=F(source.time_field),
                ev_actor=F(source.actor_field),
                ev_id=F("pk"),
            )
            .values("ev_source", "ev_at", "ev_actor", "ev_id")
        )
    if not parts:
        return None
    first, rest = parts[0], parts[1:]
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("-ev_at", "-ev_id")


class TrailPage:
    """A page of the trail for Django's Paginator: ``count()`` and slicing both run in the database."""

    def __init__(self, filters: TrailFilter):
        self.filters = filters
        self.queryset = trail_queryset(filters)

    def count(self) -> int:
        return 0 if self.queryset is None else self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if self.queryset is None:
            return []
        return describe(list(self.queryset[item]))


def _json_text(value) -> str:
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, dict):
        return "；".join(f"{k}: {_json_text(v) if isinstance(v, dict | list) else v}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, default=str)


def _safe_reverse(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def describe(keys: list[dict]) -> list[TrailRow]:
    """Turn the (source, id) keys of one page into rows: one query per source present on the page."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        wanted[key["ev_source"]].append(key["ev_id"])
    users = {
        u.pk: u.get_username()
        for u in get_user_model().objects.filter(pk__in={k["ev_actor"] for k in keys if k["ev_actor"]})
    }
    rows: dict[tuple[str, int], TrailRow] = {}
    for source_key, ids in wanted.items():
        for pk, row in _DESCRIBERS[source_key](ids, users).items():
            rows[(source_key, pk)] = row
    return [rows[(k["ev_source"], k["ev_id"])] for k in keys if (k["ev_source"], k["ev_id"]) in rows]


def _actor(users: dict, actor_id) -> str:
    return users.get(actor_id, "") if actor_id else "系统"


def _row(source: str, at, actor: str, subject: str, action: str, before="", after="", note="", link="") -> TrailRow:
    return TrailRow(source, SOURCE_LABELS[source], at, actor, subject, action, before, after, note, link)


def _projects(ids, users):
    from gongyi.projects.models import ProjectStatus, ProjectStatusChange

    labels = dict(ProjectStatus.choices)
    return {
        e.pk: _row(
            "project",
            e.at,
            _actor(users, e.actor_id),
            f"项目 #{e.project_id} {e.project.title}",
            "项目状态变更",
            str(labels.get(e.from_status, e.from_status)),
            str(labels.get(e.to_status, e.to_status)),
            e.note,
            _safe_reverse("accounts-project", e.project_id),
        )
        for e in ProjectStatusChange.objects.filter(pk__in=ids).select_related("project")
    }


def _spending(ids, users):
    from gongyi.spending.models import ExpenditureEvent

    result = {}
    for e in ExpenditureEvent.objects.filter(pk__in=ids).select_related("expenditure", "expenditure__project"):
        details = dict(e.details or {})
        before = ""
        if e.kind in ("approved", "posted"):
            before = e.expenditure.get_status_display() if e.kind == "approved" else "待审批"
        result[e.pk] = _row(
            "spending",
            e.at,
            _actor(users, e.actor_id),
            f"支出 #{e.expenditure_id}（{e.expenditure.project.title}，{e.expenditure.amount_fen / 100:.2f} 元）",
            e.get_kind_display(),
            before,
            _json_text(details),
            "",
            _safe_reverse("accounts-project", e.expenditure.project_id),
        )
    return result


def _payments(ids, users):
    from gongyi.payments.models import PaymentEvent

    return {
        e.pk: _row(
            "payment",
            e.at,
            _actor(users, e.actor_id),
            f"订单 {e.order.out_trade_no}" if e.order_id else "支付渠道",
            e.get_kind_display(),
            "",
            _json_text(e.details),
        )
        for e in PaymentEvent.objects.filter(pk__in=ids).select_related("order")
    }


def _drives(ids, users):
    from gongyi.drives.models import DriveEvent

    result = {}
    for e in DriveEvent.objects.filter(pk__in=ids).select_related("unit", "team"):
        subject = f"单位 {e.unit.name}" if e.unit_id else (f"团队 {e.team}" if e.team_id else "一日捐")
        result[e.pk] = _row(
            "drive", e.at, _actor(users, e.actor_id), subject, e.get_action_display(), "", _json_text(e.details)
        )
    return result


def _flags(ids, users):
    from gongyi.matching.models import DonorFlag

    donor = mask_payer
    return {
        f.pk: _row(
            "flag",
            f.flagged_at,
            _actor(users, f.flagged_by_id),
            f"配捐池 {f.pool.name} · 捐赠人 {f.donor_key.split(':', 1)[0]}:{donor(f.donor_key.split(':', 1)[-1])}",
            "标记违规、追回配捐",
            "",
            f"追回 {f.clawed_back_fen / 100:.2f} 元",
            f.reason,
            _safe_reverse("matching-signals", f.pool_id),
        )
        for f in DonorFlag.objects.filter(pk__in=ids).select_related("pool")
    }


def _complaints(ids, users):
    labels = dict(ComplaintStatus.choices)
    kinds = dict(ComplaintEventKind.choices)
    return {
        e.pk: _row(
            "complaint",
            e.at,
            _actor(users, e.actor_id),
            f"举报 {e.complaint.tracking_number}（{e.complaint.get_subject_kind_display()}）",
            str(kinds.get(e.kind, e.kind)),
            str(labels.get(e.from_status, e.from_status)),
            str(labels.get(e.to_status, e.to_status)),
            e.note,
            _safe_reverse("oversight-staff-complaint", e.complaint.tracking_number),
        )
        for e in ComplaintEvent.objects.filter(pk__in=ids).select_related("complaint")
    }


def _rules(ids, users):
    return {
        e.pk: _row(
            "rule",
            e.at,
            _actor(users, e.actor_id),
            f"{e.subject_type} #{e.subject_id}",
            e.subject_label,
            _json_text(e.before),
            _json_text(e.after),
            e.note,
        )
        for e in RuleChangeEvent.objects.filter(pk__in=ids)
    }


ADMIN_ACTIONS = {ADDITION: "新增", CHANGE: "修改", DELETION: "删除"}


def _admin(ids, users):
    return {
        e.pk: _row(
            "admin",
            e.action_time,
            _actor(users, e.user_id),
            f"{e.content_type.name if e.content_type_id else ''} {e.object_repr}".strip(),
            ADMIN_ACTIONS.get(e.action_flag, str(e.action_flag)),
            "",
            str(e.get_change_message()),
        )
        for e in LogEntry.objects.filter(pk__in=ids).select_related("content_type")
    }


_DESCRIBERS = {
    "project": _projects,
    "spending": _spending,
    "payment": _payments,
    "drive": _drives,
    "flag": _flags,
    "complaint": _complaints,
    "rule": _rules,
    "admin": _admin,
}


def trail_rows(filters: TrailFilter, *, limit: int | None = None) -> list[TrailRow]:
    """The whole filtered trail (newest first), for exports; ``limit`` caps it."""
    qs = trail_queryset(filters)
    if qs is None:
        return []
    keys = list(qs[:limit] if limit else qs)
    rows: list[TrailRow] = []
    for start in range(0, len(keys), 500):
        rows.extend(describe(keys[start : start + 500]))
    return rows
