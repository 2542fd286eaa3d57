"""The regulator's read-only pages (民政局) under ``/oversight/regulator/``, and finance controls under
``/oversight/finance/``: projects, organisations, ledger accounts and entries, complaints, disclosures, the
audit trail, finance controls — each with an Excel export. Federation staff see the same pages.

Nothing here writes: these are GET views, and ``RegulatorReadOnlyMiddleware`` refuses the regulator's
unsafe requests anywhere else. Aid cases are reached only through the aid app's own pages, which log every
read of personal data.
"""

from __future__ import annotations

from datetime import date
from functools import wraps

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from gongyi.core.roles import can_oversee, is_read_only
from gongyi.ledger.models import AccountKind, EntryKind
from gongyi.oversight.exports import Sheet, xlsx_response, yuan
from gongyi.oversight.finance import STATUS_LABELS, percent
from gongyi.oversight.models import OPEN_COMPLAINT_STATUSES, Complaint, DisclosureItem
from gongyi.oversight.selectors import (
    complaint_stats,
    disclosure_worklist,
    finance_controls,
    finance_warnings,
    ledger_accounts,
    ledger_entries,
    organisations_overview,
    overdue_complaints,
    projects_overview,
    scoped_items,
)
from gongyi.oversight.trail import SOURCES, TrailFilter, TrailPage, trail_rows
from gongyi.projects.models import Project, ProjectStatus

EXPORT_ROW_LIMIT = 100_000


def oversight_reader(view):
    """The regulator and federation staff; others are sent to sign in or refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_oversee(request.user):
            return render(request, "oversight/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def finance_reader(view):
    """Finance controls: the regulator, federation staff, and any staff member."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (can_oversee(request.user) or (request.user.is_active and request.user.is_staff)):
            return render(request, "oversight/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _reverse_or_empty(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def aid_links() -> list[tuple[str, str]]:
    """The aid app's pages the regulator reads cases through (when the app is installed and mounted)."""
    if not apps.is_installed("gongyi.aid"):
        return []
    links = [
        ("个人信息访问日志", _reverse_or_empty("aid-access-log")),
        ("救助案件（查看个人信息须说明事由并记入日志）", _reverse_or_empty("aid-cases")),
        ("服务站覆盖", _reverse_or_empty("aid-coverage")),
        ("公示", _reverse_or_empty("aid-notices")),
    ]
    return [(label, url) for label, url in links if url]


def _base(request, section: str) -> dict:
    return {"section": section, "read_only": is_read_only(request.user), "today": timezone.localdate()}


def _year(request, today: date) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= today.year + 1:
        return int(raw)
    return today.year


@require_GET
@oversight_reader
def dashboard(request):
    today = timezone.localdate()
    project_counts = dict(Project.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    worklist = disclosure_worklist(today=today, horizon_days=30)
    context = _base(request, "home") | {
        "project_counts": [(value, label, project_counts.get(value, 0)) for value, label in ProjectStatus.choices],
        "stats": complaint_stats(today=today),
        "open_complaints": Complaint.objects.filter(status__in=OPEN_COMPLAINT_STATUSES).count(),
        "overdue_complaints": overdue_complaints(today=today)[:20],
        "worklist": worklist,
        "finance_year": today.year,
        "finance_warnings": finance_warnings(year=today.year, today=today),
        "previous_year_warnings": finance_warnings(year=today.year - 1, today=today),
        "recent_trail": TrailPage(TrailFilter())[0:10],
        "aid_links": aid_links(),
    }
    return render(request, "oversight/regulator/dashboard.html", context)


# --- projects and organisations ---------------------------------------------------------------------------------


@require_GET
@oversight_reader
def projects(request):
    today = timezone.localdate()
    status = request.GET.get("status") if request.GET.get("status") in ProjectStatus.values else None
    rows = projects_overview(today=today, status=status)
    if request.GET.get("format") == "xlsx":
        header = (
            "编号", "项目", "组织", "状态", "备案编号", "募捐开始", "募捐结束", "目标（元）", "公众捐赠（元）",
            "其中一日捐（元）", "配捐（元）", "激励（元）", "收入合计（元）", "支出（元）", "管理费用（元）",
            "募捐成本（元）", "结余（元）", "待公开事项", "逾期公开事项", "举报投诉",
        )  # fmt: skip
        data = (
            (
                r.project.pk,
                r.project.title,
                r.project.organisation.name,
                r.project.get_status_display(),
                r.project.filing_number,
                r.project.fundraising_starts_on,
                r.project.fundraising_ends_on,
                yuan(r.project.target_fen),
                yuan(r.figures.raised_fen),
                yuan(r.figures.unit_fen),
                yuan(r.figures.matched_fen),
                yuan(r.figures.incentive_fen),
                yuan(r.figures.income_fen),
                yuan(r.figures.spent_fen),
                yuan(r.figures.spent_by_category.get("management", 0)),
                yuan(r.figures.spent_by_category.get("fundraising", 0)),
                yuan(r.figures.balance_fen),
                r.open_disclosures,
                r.overdue_disclosures,
                r.complaints,
            )
            for r in rows
        )
        return xlsx_response("projects", [Sheet("项目", header, data)])
    context = _base(request, "projects") | {"rows": rows, "status": status, "statuses": ProjectStatus.choices}
    return render(request, "oversight/regulator/projects.html", context)


@require_GET
@oversight_reader
def organisations(request):
    today = timezone.localdate()
    rows = organisations_overview()
    finance = {row.organisation.pk: row for row in finance_controls(year=today.year - 1, today=today)}
    if request.GET.get("format") == "xlsx":
        header = (
            "编号", "名称", "类型", "统一社会信用代码", "信用代码校验", "登记地", "公开募捐资格", "资格证书编号",
            "项目数", "举报投诉数", f"{today.year - 1}年财务控制",
        )  # fmt: skip
        data = (
            (
                o.pk,
                o.name,
                o.get_kind_display(),
                o.uscc or "",
                "通过" if o.uscc_check_ok else "未通过",
                o.region.name if o.region_id else "",
                "有" if o.has_public_fundraising else "无",
                o.fundraising_certificate_no,
                o.project_count,
                o.complaint_count,
                finance[o.pk].assessment.status_label if o.pk in finance else "",
            )
            for o in rows
        )
        return xlsx_response("organisations", [Sheet("组织", header, data)])
    context = _base(request, "organisations") | {"rows": rows, "finance": finance, "finance_year": today.year - 1}
    return render(request, "oversight/regulator/organisations.html", context)


# --- the ledger ----------------------------------------------------------------------------------------------------


@require_GET
@oversight_reader
def ledger(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in AccountKind.values else None
    accounts = ledger_accounts(kind=kind)
    if request.GET.get("format") == "xlsx":
        header = ("科目代码", "名称", "类型", "项目", "借方累计（元）", "贷方累计（元）", "余额（元，按正常方向）")
        data = (
            (
                a.code,
                a.name,
                a.get_kind_display(),
                a.project.title if a.project_id else "",
                yuan(a.debits_fen),
                yuan(a.credits_fen),
                yuan(a.balance_fen),
            )
            for a in accounts.iterator(chunk_size=2000)
        )
        return xlsx_response("ledger-accounts", [Sheet("会计科目", header, data)])
    page = Paginator(accounts, 100).get_page(request.GET.get("page"))
    context = _base(request, "ledger") | {"page": page, "kind": kind, "kinds": AccountKind.choices}
    return render(request, "oversight/regulator/ledger.html", context)


@require_GET
@oversight_reader
def entries(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in EntryKind.values else None
    project_id = int(request.GET["project"]) if request.GET.get("project", "").isdigit() else None
    if project_id is not None and project_id > 2**62:
        project_id = None
    qs = ledger_entries(kind=kind, project_id=project_id)
    if request.GET.get("format") == "xlsx":
        header = (
            "分录",
            "类型",
            "摘要",
            "业务发生时间",
            "记账时间",
            "冲回的分录",
            "项目",
            "科目代码",
            "金额（元，借正贷负）",
        )
        data = (
            (
                e.pk,
                e.get_kind_display(),
                e.memo,
                e.occurred_at,
                e.posted_at,
                e.reverses_id,
                e.project.title if e.project_id else "",
                line.account.code,
                yuan(line.amount_fen),
            )
            for e in qs[:EXPORT_ROW_LIMIT]
            for line in e.lines.all()
        )
        return xlsx_response("ledger-entries", [Sheet("记账分录", header, data)])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = _base(request, "entries") | {
        "page": page,
        "kind": kind,
        "kinds": EntryKind.choices,
        "project_id": project_id,
    }
    return render(request, "oversight/regulator/entries.html", context)


# --- disclosures --------------------------------------------------------------------------------------------------


@require_GET
@oversight_reader
def disclosures(request):
    today = timezone.localdate()
    region = request.GET.get("region", "").strip()[:12] or None
    if request.GET.get("format") == "xlsx":
        header = ("项目", "组织", "类型", "期间开始", "期间结束", "截止日期", "状态", "逾期", "公开日期", "逾期公开")
        data = (
            (
                i.project.title,
                i.project.organisation.name,
                i.get_kind_display(),
                i.period_start,
                i.period_end,
                i.due_on,
                i.get_status_display(),
                "是" if i.is_overdue(today) else "",
                i.done_on,
                "是" if i.filed_late else "",
            )
            for i in scoped_items(region_code=region).exclude(status="withdrawn").order_by("due_on", "id")
        )
        return xlsx_response("disclosures", [Sheet("信息公开", header, data)])
    worklist = disclosure_worklist(today=today, horizon_days=60, region_code=region)
    context = _base(request, "disclosures") | {
        "worklist": worklist,
        "region": region or "",
        "total_items": DisclosureItem.objects.exclude(status="withdrawn").count(),
    }
    return render(request, "oversight/regulator/disclosures.html", context)


# --- the audit trail ----------------------------------------------------------------------------------------------


def _trail_filter(request) -> TrailFilter:
    keys = {s.key for s in SOURCES}
    chosen = tuple(k for k in request.GET.getlist("source") if k in keys)

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    return TrailFilter(
        sources=chosen, actor=request.GET.get("actor", "").strip()[:40], since=day("since"), until=day("until")
    )


@require_GET
@oversight_reader
def trail(request):
    filters = _trail_filter(request)
    if request.GET.get("format") == "xlsx":
        header = ("时间", "来源", "操作人", "对象", "操作", "修改前", "修改后", "说明")
        data = (
            (r.at, r.source_label, r.actor, r.subject, r.action, r.before, r.after, r.note)
            for r in trail_rows(filters, limit=EXPORT_ROW_LIMIT)
        )
        return xlsx_response("audit-trail", [Sheet("审计记录", header, data)])
    page = Paginator(TrailPage(filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = _base(request, "trail") | {
        "page": page,
        "filters": filters,
        "sources": SOURCES,
        "query": query.urlencode(),
    }
    return render(request, "oversight/regulator/trail.html", context)


# --- finance controls ------------------------------------------------------------------------------------------------


@require_GET
@finance_reader
def finance(request):
    today = timezone.localdate()
    year = _year(request, today)
    rows = finance_controls(year=year, today=today)
    if request.GET.get("format") == "xlsx":
        header = (
            "组织", "类型", "年度", "年度未结束", "总收入（元）", "线上捐赠（元）", "线下捐赠（元）",
            "物资捐赠（元）", "配捐（元）", "激励（元）", "上年收入（元）", "前三年平均（元）", "比较基数",
            "慈善活动支出（元）", "管理费用（元）", "募捐成本（元）", "其他支出（元）", "总支出（元）",
            "慈善活动支出比例", "下限", "状态", "管理费用比例", "上限", "状态", "募捐成本比例", "上限", "状态",
            "总体",
        )  # fmt: skip

        def check_cells(row, key):
            check = row.assessment.check(key)
            if check is None:
                return ("", "", STATUS_LABELS["not_applicable"])
            return (percent(check.ratio_bp), percent(check.limit_bp), check.status_label)

        data = (
            (
                r.organisation.name,
                r.organisation.get_kind_display(),
                year,
                "是" if r.assessment.in_progress else "",
                yuan(r.assessment.figures.income_fen),
                yuan(r.assessment.figures.donations_fen),
                yuan(r.assessment.figures.offline_fen),
                yuan(r.assessment.figures.in_kind_fen),
                yuan(r.assessment.figures.matched_fen),
                yuan(r.assessment.figures.incentive_fen),
                yuan(r.assessment.prior_income_fen),
                yuan(r.assessment.three_year_average_fen),
                r.assessment.basis_label,
                yuan(r.assessment.figures.charity_spending_fen),
                yuan(r.assessment.figures.management_fen),
                yuan(r.assessment.figures.fundraising_fen),
                yuan(r.assessment.figures.other_fen),
                yuan(r.assessment.figures.total_spending_fen),
                *check_cells(r, "charity_spending"),
                *check_cells(r, "management"),
                *check_cells(r, "fundraising_cost"),
                r.assessment.status_label,
            )
            for r in rows
        )
        return xlsx_response(f"finance-controls-{year}", [Sheet(f"{year}年财务控制", header, data)])
    context = _base(request, "finance") | {
        "rows": rows,
        "year": year,
        "years": list(range(today.year, today.year - 6, -1)),
        "can_oversee": can_oversee(request.user),
    }
    return render(request, "oversight/regulator/finance.html", context)
