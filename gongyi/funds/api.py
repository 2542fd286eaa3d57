"""Named funds API under /api/v1/funds: the list and each fund's statement from the ledger (fen, integers)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Path, Router, Schema
from ninja.errors import HttpError

from gongyi.core.money import MAX_DATABASE_ID
from gongyi.funds import selectors

router = Router(tags=["funds"])


class FundOut(Schema):
    id: int
    name: str
    founder: str
    kind: str
    kind_label: str
    status: str
    purpose: str
    minimum_fen: int
    yearly_commitment_fen: int
    commitment_years: int
    principal_fen: int
    available_fen: int
    balance_fen: int
    granted_fen: int


class StatementLineOut(Schema):
    entry_id: int
    occurred_at: datetime
    kind: str
    label: str
    principal_fen: int
    available_fen: int
    balance_fen: int
    project_id: int | None
    reference: str


class CommitmentOut(Schema):
    label: str
    starts_on: date
    ends_on: date
    committed_fen: int
    contributed_fen: int


class StatementOut(Schema):
    fund: FundOut
    lines: list[StatementLineOut]
    commitments: list[CommitmentOut]
    agrees_with_ledger: bool


def _fund(summary) -> dict:
    fund = summary.fund
    return {
        "id": fund.pk,
        "name": fund.name,
        "founder": fund.public_founder,
        "kind": fund.kind,
        "kind_label": fund.get_kind_display(),
        "status": fund.status,
        "purpose": fund.purpose,
        "minimum_fen": fund.minimum_fen,
        "yearly_commitment_fen": fund.yearly_commitment_fen,
        "commitment_years": fund.commitment_years,
        "principal_fen": summary.principal_fen,
        "available_fen": summary.available_fen,
        "balance_fen": summary.balance_fen,
        "granted_fen": summary.granted_fen,
    }


@router.get("", response=list[FundOut], summary="冠名基金列表")
def list_funds(request):
    return [_fund(s) for s in selectors.fund_summaries(selectors.public_funds())]


@router.get("/{fund_id}", response=StatementOut, summary="冠名基金收支明细（取自账簿）")
def fund_statement(request, fund_id: int = Path(..., ge=1, le=MAX_DATABASE_ID)):
    fund = selectors.public_funds().filter(pk=fund_id).first()
    if fund is None:
        raise HttpError(404, "冠名基金不存在")
    statement = selectors.fund_statement(fund)
    (summary,) = selectors.fund_summaries([fund])
    return {
        "fund": _fund(summary),
        "lines": [
            {
                "entry_id": line.entry_id,
                "occurred_at": line.occurred_at,
                "kind": line.kind,
                "label": line.label,
                "principal_fen": line.principal_fen,
                "available_fen": line.available_fen,
                "balance_fen": line.balance_fen,
                "project_id": line.project_id,
                "reference": line.reference,
            }
            for line in statement.lines
        ],
        "commitments": [
            {
                "label": row.label,
                "starts_on": row.starts_on,
                "ends_on": row.ends_on,
                "committed_fen": row.committed_fen,
                "contributed_fen": row.contributed_fen,
            }
            for row in statement.commitments
        ],
        "agrees_with_ledger": statement.agrees_with_ledger,
    }
