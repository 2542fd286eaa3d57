"""Loading the demo: safe to run any number of times; never touches data that is not the demo's."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gongyi.campaigns.models import Campaign
from gongyi.demo import data
from gongyi.giving.services import confirm_payment
from gongyi.orgs.models import Organisation, Region
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.services import OrderRequest, create_order
from gongyi.projects.models import Project, ProjectStatus
from gongyi.projects.services import change_project_status


@dataclass
class DemoReport:
    campaign: Campaign
    projects: int
    gifts_added: int
    admin_username: str
    admin_password: str | None


def load_demo(*, with_gifts: bool = True) -> DemoReport:
    with transaction.atomic():
        for code, name, level, parent in data.REGIONS:
            Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent})
        federation = _organisation(data.FEDERATION)
        orgs = {o["name"]: _organisation(o) for o in data.ORGANISATIONS}
        orgs[federation.name] = federation
        campaign = _campaign(orgs)
        admin_user, password = _admin()
        projects = [_project(row, index, federation, campaign, admin_user) for index, row in enumerate(data.PROJECTS)]
        _matching_pool(campaign)
    gifts_added = _demo_gifts(projects) if with_gifts else 0
    return DemoReport(campaign, len(projects), gifts_added, admin_user.username, password)


def _organisation(row: dict) -> Organisation:
    row = dict(row)
    region = row.pop("region", None)
    org = Organisation.objects.filter(name=row["name"]).first()
    if org is None:
        org = Organisation(**row, region_id=region)
        org.save()
    return org


def _campaign(orgs: dict[str, Organisation]) -> Campaign:
    spec = data.CAMPAIGN
    campaign = Campaign.objects.filter(slug=spec["slug"]).first()
    if campaign is not None:
        return campaign
    # A three-day window around today, like 20–22 May in the seed: yesterday 00:00 to the day after tomorrow.
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    campaign = Campaign.objects.create(
        slug=spec["slug"],
        name=spec["name"],
        tagline=spec["tagline"],
        description=spec["description"],
        guiding_units=spec["guiding_units"],
        host=orgs[spec["host"]],
        sponsor=orgs[spec["sponsor"]],
        sponsor_commitment_fen=spec["sponsor_commitment_fen"],
        starts_at=datetime.combine(today - timedelta(days=1), time(0), tzinfo=tz),
        ends_at=datetime.combine(today + timedelta(days=2), time(0), tzinfo=tz),
    )
    campaign.co_hosts.set([orgs[name] for name in spec["co_hosts"]])
    return campaign


def _matching_pool(campaign: Campaign) -> None:
    """The sponsor's pool: a tranche each festival day, a verifiable random ratio, the usual caps."""
    from gongyi.matching.models import IncentiveRule, MatchingPool, PoolTranche
    from gongyi.matching.services import save_pool

    if MatchingPool.objects.filter(campaign=campaign).exists():
        return
    spec = data.MATCHING_POOL
    pool = save_pool(
        pool=MatchingPool(
            campaign=campaign,
            sponsor=campaign.sponsor,
            name=spec["name"],
            total_fen=spec["total_fen"],
            window_start=campaign.starts_at,
            window_end=campaign.ends_at,
            min_gift_fen=spec["min_gift_fen"],
            ratio_kind="random",
            ratio_bp=None,
            ratio_min_bp=spec["ratio_min_bp"],
            ratio_max_bp=spec["ratio_max_bp"],
            per_donor_daily_cap_fen=spec["per_donor_daily_cap_fen"],
            per_project_cap_fen=spec["per_project_cap_fen"],
        )
    )
    days = (campaign.ends_at - campaign.starts_at).days
    for day in range(days):
        PoolTranche.objects.create(
            pool=pool,
            at=campaign.starts_at + timedelta(days=day),
            fen=spec["total_fen"] // days + (spec["total_fen"] % days if day == 0 else 0),
        )
    for rule in spec["incentives"]:
        IncentiveRule.objects.create(pool=pool, **rule)


def _project(row, index: int, federation: Organisation, campaign: Campaign, actor) -> Project:
    title, domain, target_yuan, summary, story, beneficiaries, use = row
    project = Project.objects.filter(title=title, organisation=federation).first()
    if project is not None:
        return project
    today = timezone.localdate()
    project = Project.objects.create(
        organisation=federation,
        campaign=campaign,
        title=title,
        summary=summary,
        story=story,
        domain=domain,
        target_fen=target_yuan * 100,
        filing_number=f"53420700MJ{index + 1:04d}2025{index + 1:02d}",
        purpose=f"{summary}。",
        fundraising_starts_on=today - timedelta(days=30),
        fundraising_ends_on=today + timedelta(days=335),
        fundraising_area="全国",
        lead_name="刘洋",
        lead_office_address=data.FEDERATION["address"],
        bank_account_name="鄂州市慈善总会",
        bank_name="中国工商银行鄂州分行营业部",
        bank_account_number="1820 0210 0902 4567 890",
        beneficiaries=beneficiaries,
        use_of_funds=use,
    )
    change_project_status(project=project, to_status=ProjectStatus.IN_REVIEW, actor=actor, note="演示数据")
    return change_project_status(project=project, to_status=ProjectStatus.PUBLISHED, actor=actor, note="演示数据")


def _admin():
    User = get_user_model()
    password_file = Path(settings.GONGYI["DATA_DIR"]) / "admin_password"
    user = User.objects.filter(username="admin").first()
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser("admin", "admin@example.invalid", password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
        return user, password
    return user, (password_file.read_text().strip() if password_file.exists() else None)


def _demo_gifts(projects: list[Project]) -> int:
    """A few gifts through the real money path, so pages are not empty; only for projects with none."""
    added = 0
    now = timezone.now()
    for p_index, project in enumerate(projects):
        if project.gifts_count:
            continue
        for d_index, (_, name, message) in enumerate(data.DEMO_DONORS[: 3 + p_index % 5]):
            order = create_order(
                request=OrderRequest(
                    project_id=project.pk,
                    amount_fen=(1000, 2000, 5000, 10000, 888, 20000)[(p_index + d_index) % 6],
                    gateway="sandbox",
                    donor_name=name,
                    anonymous=not name,
                    message=message,
                )
            )
            confirm_payment(
                gateway="sandbox",
                payment=VerifiedPayment(
                    out_trade_no=order.out_trade_no,
                    provider_txn_id="SBDEMO" + secrets.token_hex(8).upper(),
                    amount_fen=order.amount_fen,
                    payer=f"demo-donor-{d_index}",
                    paid_at=now - timedelta(minutes=7 * (p_index + 1) * (d_index + 1)),
                ),
                raw_body="(demo)",
            )
            added += 1
    return added
