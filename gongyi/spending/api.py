"""Public accounts API under /api/v1/accounts: the same ledger figures as the pages, in fen (integers)."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError

from gongyi.campaigns.selectors import public_campaigns
from gongyi.giving.selectors import gift_by_certificate_no
from gongyi.orgs.models import Organisation
from gongyi.oversight.selectors import project_disclosure
from gongyi.projects.selectors import public_project, public_projects
from gongyi.spending import selectors

router = Router(tags=["accounts"])


class AccountsCategoryOut(Schema):
    category: str
    label: str
    fen: int


class AccountsFiguresOut(Schema):
    raised_fen: int
    individual_fen: int
    unit_fen: int
    matched_fen: int
    incentive_fen: int
    fund_grant_fen: int
    income_fen: int
    spent_fen: int
    balance_fen: int
    spent_by_category: list[AccountsCategoryOut]


class PublicVoucherOut(Schema):
    id: int
    kind: str
    kind_label: str
    description: str
    redacted: bool
    content_type: str
    url: str


class PublicExpenditureOut(Schema):
    id: int
    spent_on: date
    category: str
    category_label: str
    amount_fen: int
    payee: str
    purpose: str
    aid_case_ref: str
    status: str
    reversal_reason: str
    vouchers: list[PublicVoucherOut]
    private_vouchers: int


class AccountsReportOut(Schema):
    id: int
    title: str
    body: str
    published_at: datetime
    period_start: date | None
    period_end: date | None
    attachment_url: str | None


class FundFlowNode(Schema):
    name: str


class FundFlowLink(Schema):
    source: str
    target: str
    value: int


class FundFlowOut(Schema):
    nodes: list[FundFlowNode]
    links: list[FundFlowLink]


class AccountsProjectRef(Schema):
    id: int
    title: str
    organisation_id: int
    organisation: str
    campaign: str | None


class ProjectAccountsOut(Schema):
    project: AccountsProjectRef
    figures: AccountsFiguresOut
    expenditures: list[PublicExpenditureOut]
    reports: list[AccountsReportOut]
    next_disclosure_due_on: date | None
    overdue_disclosures: int
    flow: FundFlowOut


class AccountsRollupRow(Schema):
    project: AccountsProjectRef
    figures: AccountsFiguresOut


class AccountsRollupOut(Schema):
    name: str
    figures: AccountsFiguresOut
    flow: FundFlowOut
    projects: list[AccountsRollupRow]


class GiftTraceLineOut(Schema):
    entry_id: int
    expenditure_id: int | None
    category: str
    category_label: str
    spent_on: date | None
    purpose: str
    payee: str
    from_gift_fen: int
    from_match_fen: int


class GiftTraceOut(Schema):
    certificate_no: str
    project: AccountsProjectRef
    refunded: bool
    gift_fen: int
    match_fen: int
    gift_spent_fen: int
    match_spent_fen: int
    gift_unspent_fen: int
    match_unspent_fen: int
    spent_before_reaching_fen: int
    rule: str
    lines: list[GiftTraceLineOut]


FIFO_RULE = (
    "fifo: income lots (each gift, the match it brought, each incentive) queue in ledger posting order; "
    "spending entries, in posting order, use the earliest lots not yet used; refunded gifts and matches "
    "taken back are not lots"
)


def _project_ref(project) -> dict:
    return {
        "id": project.pk,
        "title": project.title,
        "organisation_id": project.organisation_id,
        "organisation": project.organisation.name,
        "campaign": project.campaign.slug if project.campaign_id else None,
    }


def _expenditure(e) -> dict:
    return {
        "id": e.pk,
        "spent_on": e.spent_on,
        "category": e.category,
        "category_label": e.get_category_display(),
        "amount_fen": e.amount_fen,
        "payee": e.public_payee,
        "purpose": e.purpose,
        "aid_case_ref": e.aid_case_ref,
        "status": e.status,
        "reversal_reason": e.reversal_reason,
        "private_vouchers": e.private_vouchers,
        "vouchers": [
            {
                "id": v.pk,
                "kind": v.kind,
                "kind_label": v.get_kind_display(),
                "description": v.description,
                "redacted": v.publication == "redacted",
                "content_type": v.public_content_type,
                "url": reverse("accounts-voucher", args=[v.pk]),
            }
            for v in e.public_vouchers
        ],
    }


def _report(r) -> dict:
    return {
        "id": r.pk,
        "title": r.title,
        "body": r.body,
        "published_at": r.published_at,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "attachment_url": reverse("oversight-report-attachment", args=[r.pk]) if r.attachment else None,
    }


@router.get("/projects/{project_id}", response=ProjectAccountsOut, summary="项目公开账目")
def project_accounts(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise HttpError(404, "项目不存在或未公开")
    figures = selectors.accounts_for_project(project)
    disclosure = project_disclosure(project, today=timezone.localdate())
    return {
        "project": _project_ref(project),
        "figures": figures.as_dict(),
        "expenditures": [_expenditure(e) for e in selectors.public_expenditures(project)],
        "reports": [_report(r) for r in disclosure.reports],
        "next_disclosure_due_on": disclosure.next_item.due_on if disclosure.next_item else None,
        "overdue_disclosures": len(disclosure.overdue),
        "flow": selectors.fund_flow(project, figures),
    }


@router.get("/projects/{project_id}/flow", response=FundFlowOut, summary="项目资金流向（桑基图数据）")
def project_flow(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise HttpError(404, "项目不存在或未公开")
    return selectors.fund_flow(project)


def _rollup(name: str, rollup) -> dict:
    return {
        "name": name,
        "figures": rollup.total.as_dict(),
        "flow": selectors.fund_flow(None, rollup.total),
        "projects": [{"project": _project_ref(p), "figures": f.as_dict()} for p, f in rollup.rows],
    }


@router.get("/organisations/{organisation_id}", response=AccountsRollupOut, summary="组织公开账目（各项目合计）")
def organisation_accounts(request, organisation_id: int):
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not public_projects().filter(organisation=organisation).exists():
        raise HttpError(404, "组织不存在或没有公开的项目")
    return _rollup(organisation.name, selectors.organisation_rollup(organisation))


@router.get("/campaigns/{slug}", response=AccountsRollupOut, summary="活动公开账目（各项目合计）")
def campaign_accounts(request, slug: str):
    campaign = public_campaigns().filter(slug=slug).first()
    if campaign is None:
        raise HttpError(404, "活动不存在")
    return _rollup(campaign.name, selectors.campaign_rollup(campaign))


@router.get("/gifts/{certificate_no}", response=GiftTraceOut, summary="单笔捐款去向（先进先出）")
def gift_trace(request, certificate_no: str):
    gift = gift_by_certificate_no(certificate_no)
    if gift is None or public_project(gift.project_id) is None:
        raise HttpError(404, "捐赠证书不存在")
    trace = selectors.gift_trace(gift)
    lines = []
    for line in trace.lines:
        e = line.spend.expenditure
        lines.append(
            {
                "entry_id": line.spend.entry_id,
                "expenditure_id": e.pk if e else None,
                "category": e.category if e else "",
                "category_label": line.spend.category_label,
                "spent_on": e.spent_on if e else None,
                "purpose": e.purpose if e else line.spend.memo,
                "payee": e.public_payee if e else "",
                "from_gift_fen": line.from_gift_fen,
                "from_match_fen": line.from_match_fen,
            }
        )
    return {
        "certificate_no": gift.certificate_no,
        "project": _project_ref(trace.project),
        "refunded": trace.refunded,
        "gift_fen": trace.gift_fen,
        "match_fen": trace.match_fen,
        "gift_spent_fen": trace.gift_spent_fen,
        "match_spent_fen": trace.match_spent_fen,
        "gift_unspent_fen": trace.gift_unspent_fen,
        "match_unspent_fen": trace.match_unspent_fen,
        "spent_before_reaching_fen": trace.spent_before_reaching_fen,
        "rule": FIFO_RULE,
        "lines": lines,
    }
