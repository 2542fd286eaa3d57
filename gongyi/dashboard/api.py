"""The festival dashboard's JSON under /api/v1/dashboard: the cached snapshot, cacheable by any proxy for TTL s."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.utils.http import parse_etags
from ninja import Router, Schema, Status

from gongyi.core.api_errors import ErrorOut, field_error
from gongyi.dashboard.selectors import public_campaign
from gongyi.dashboard.services import cached_snapshot, ttl_seconds

router = Router(tags=["dashboard"])


class PoolOut(Schema):
    name: str
    sponsor: str
    total_fen: int
    matched_fen: int
    forfeited_fen: int
    left_fen: int
    left_percent: float
    available_now_fen: int


class HourOut(Schema):
    hour: datetime
    gifts: int
    amount_fen: int


class ProjectRowOut(Schema):
    rank: int
    id: int
    title: str
    organisation: str
    raised_fen: int
    matched_fen: int
    incentive_fen: int
    gifts: int
    donors: int
    target_fen: int
    progress_percent: int


class DriveOut(Schema):
    slug: str
    name: str
    givers: int
    gifts: int
    units: int
    total_fen: int


class UnitRowOut(Schema):
    rank: int
    name: str
    detail: str
    givers: int
    gifts: int
    total_fen: int


class DistrictRowOut(Schema):
    rank: int
    code: str
    name: str
    units: int
    givers: int
    total_fen: int


class RecentGiftOut(Schema):
    name: str
    amount_fen: int
    matched_fen: int
    project: str
    paid_at: datetime


class SnapshotOut(Schema):
    slug: str
    name: str
    tagline: str
    starts_at: datetime
    ends_at: datetime
    is_open: bool
    sponsor: str
    sponsor_commitment_fen: int
    raised_fen: int
    matched_fen: int
    incentive_fen: int
    total_fen: int
    gifts: int
    donors: int
    projects: int
    pools: list[PoolOut]
    hours: list[HourOut]
    top_projects: list[ProjectRowOut]
    drive: DriveOut | None
    top_units: list[UnitRowOut]
    districts: list[DistrictRowOut]
    latest_gifts: list[RecentGiftOut]
    generated_at: datetime
    ttl_seconds: int


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): a conditional GET may send the tag with or without W/."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}


@router.get(
    "/{slug}",
    response={200: SnapshotOut, 304: None, 404: ErrorOut},
    summary="活动大屏数据（缓存快照，金额单位：分）",
    url_name="dashboard_festival",
)
def festival(request, response: HttpResponse, slug: str):
    campaign = public_campaign(slug)
    if campaign is None:
        return field_error(404, "slug", "活动不存在或未公开")
    ttl = ttl_seconds()
    snapshot = cached_snapshot(campaign)
    response["Cache-Control"] = f"public, max-age={ttl}"
    response["ETag"] = snapshot.etag
    if _matches(request.headers.get("If-None-Match", ""), snapshot.etag):
        return Status(304, None)
    return {**snapshot.data, "ttl_seconds": ttl}
