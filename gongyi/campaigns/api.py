from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from gongyi.campaigns.selectors import campaign_figures, public_campaigns

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    id: int
    slug: str
    name: str
    tagline: str
    starts_at: datetime
    ends_at: datetime
    host: str
    co_hosts: list[str]
    guiding_units: list[str]
    sponsor: str | None
    is_open: bool
    raised_fen: int
    matched_fen: int
    gifts: int
    projects: int


@router.get("", response=list[CampaignOut], summary="List public campaigns")
def list_campaigns(request):
    result = []
    for c in public_campaigns().prefetch_related("co_hosts"):
        figures = campaign_figures(c)
        result.append(
            CampaignOut(
                id=c.pk,
                slug=c.slug,
                name=c.name,
                tagline=c.tagline,
                starts_at=c.starts_at,
                ends_at=c.ends_at,
                host=c.host.name,
                co_hosts=[o.name for o in c.co_hosts.all()],
                guiding_units=c.guiding_unit_list,
                sponsor=c.sponsor.name if c.sponsor else None,
                is_open=c.is_open(),
                raised_fen=figures.raised_fen,
                matched_fen=figures.matched_fen,
                gifts=figures.gifts,
                projects=figures.projects,
            )
        )
    return result
