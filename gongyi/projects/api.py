from __future__ import annotations

from datetime import date, datetime

from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gongyi.core.money import MAX_DATABASE_ID
from gongyi.projects.models import Domain, Project
from gongyi.projects.selectors import (
    figures_for,
    figures_for_many,
    latest_gifts,
    public_project,
    public_projects,
)

router = Router(tags=["projects"])


class ProjectSummaryOut(Schema):
    id: int
    title: str
    summary: str
    domain: str
    domain_label: str
    status: str
    organisation: str
    campaign: int | None
    target_fen: int
    raised_fen: int
    matched_fen: int
    donors: int
    gifts: int


class OrganisationOut(Schema):
    name: str
    uscc: str | None
    has_public_fundraising: bool
    fundraising_certificate_no: str
    contact_person: str
    contact_phone: str
    address: str


class FundraisingPlanOut(Schema):
    filing_number: str
    purpose: str
    starts_on: date
    ends_on: date
    area: str
    lead_name: str
    lead_office_address: str
    donation_methods: str
    bank_account_name: str
    bank_name: str
    bank_account_number: str
    beneficiaries: str
    use_of_funds: str
    fundraising_cost: str
    leftover_handling: str
    enquiry_method: str


class GiftOut(Schema):
    name: str
    fen: int
    message: str
    paid_at: datetime


class ProjectOut(ProjectSummaryOut):
    story: str
    incentive_fen: int
    organisation_detail: OrganisationOut
    plan: FundraisingPlanOut
    latest_gifts: list[GiftOut]


def _summary(project: Project, figures) -> dict:
    return {
        "id": project.pk,
        "title": project.title,
        "summary": project.summary,
        "domain": project.domain,
        "domain_label": project.get_domain_display(),
        "status": project.status,
        "organisation": project.organisation.name,
        "campaign": project.campaign_id,
        "target_fen": project.target_fen,
        "raised_fen": figures.raised_fen,
        "matched_fen": figures.matched_fen,
        "donors": figures.donors,
        "gifts": figures.gifts,
    }


@router.get("", response=list[ProjectSummaryOut], summary="List public projects")
def list_projects(
    request,
    campaign: int | None = Query(None, ge=1, le=MAX_DATABASE_ID),
    domain: str | None = Query(None, description="领域: " + ", ".join(Domain.values)),
):
    if domain and domain not in Domain.values:
        raise HttpError(422, f"domain: 未知领域，可选 {', '.join(Domain.values)}")
    qs = public_projects(domain=domain)
    if campaign is not None:
        qs = qs.filter(campaign_id=campaign)
    projects = list(qs)
    figures = figures_for_many(projects)
    return [_summary(p, figures[p.pk]) for p in projects]


@router.get("/{project_id}", response=ProjectOut, summary="One public project with its figures")
def get_project(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise HttpError(404, "project: 项目不存在或未公开")
    figures = figures_for(project)
    org = project.organisation
    return {
        **_summary(project, figures),
        "story": project.story,
        "incentive_fen": figures.incentive_fen,
        "organisation_detail": {
            "name": org.name,
            "uscc": org.uscc,
            "has_public_fundraising": org.has_public_fundraising,
            "fundraising_certificate_no": org.fundraising_certificate_no,
            "contact_person": org.contact_person,
            "contact_phone": org.contact_phone,
            "address": org.address,
        },
        "plan": {
            "filing_number": project.filing_number,
            "purpose": project.purpose,
            "starts_on": project.fundraising_starts_on,
            "ends_on": project.fundraising_ends_on,
            "area": project.fundraising_area,
            "lead_name": project.lead_name,
            "lead_office_address": project.lead_office_address,
            "donation_methods": project.donation_methods,
            "bank_account_name": project.bank_account_name,
            "bank_name": project.bank_name,
            "bank_account_number": project.bank_account_number,
            "beneficiaries": project.beneficiaries,
            "use_of_funds": project.use_of_funds,
            "fundraising_cost": project.fundraising_cost,
            "leftover_handling": project.leftover_handling,
            "enquiry_method": project.enquiry_method,
        },
        "latest_gifts": [
            {"name": g.public_name, "fen": g.amount_fen, "message": g.message, "paid_at": g.paid_at}
            for g in latest_gifts(project)
        ],
    }
