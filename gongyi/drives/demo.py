"""The demo's 慈善一日捐: a drive over the festival, a few dozen units across Ezhou's districts, their staff's
gifts through the real money path, some units' own gifts (online and by bank transfer), a few teams.

``load_drives_demo()`` is safe to run any number of times: it adds units that are missing and adds gifts
only to a drive that has none. It needs ``gongyi.demo.services.load_demo()`` to have run first (regions,
campaign, projects).
"""

from __future__ import annotations

import io
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from gongyi.demo.data import CAMPAIGN, FEDERATION, uscc
from gongyi.drives.models import Drive, GiftCredit, Team, Unit, UnitOfflineGift, UnitStatus
from gongyi.drives.services import (
    Attribution,
    UnitInput,
    create_team,
    create_unit,
    record_offline_unit_gift,
    record_order_attribution,
    register_unit,
    save_drive,
)

# name, kind, district, parent, headcount, USCC registration code
UNITS = [
    ("鄂州市民政局", "agency", "420704", "", 86, "11"),
    ("鄂州市财政局", "agency", "420704", "", 120, "11"),
    ("鄂州市教育局", "agency", "420704", "", 95, "11"),
    ("鄂州市卫生健康委员会", "agency", "420704", "", 110, "11"),
    ("鄂州市中心医院", "hospital", "420704", "鄂州市卫生健康委员会", 1850, "12"),
    ("鄂州市中医医院", "hospital", "420704", "鄂州市卫生健康委员会", 620, "12"),
    ("鄂州市妇幼保健院", "hospital", "420704", "鄂州市卫生健康委员会", None, "12"),
    ("湖北省鄂州高级中学", "school", "420704", "鄂州市教育局", 310, "12"),
    ("鄂州市第一中学", "school", "420704", "鄂州市教育局", 260, "12"),
    ("鄂州职业大学", "school", "420704", "鄂州市教育局", 700, "12"),
    ("鄂城区教育局", "agency", "420704", "", 60, "11"),
    ("鄂城区实验小学", "school", "420704", "鄂城区教育局", 140, "12"),
    ("鄂城区人民政府办公室", "agency", "420704", "", 75, "11"),
    ("鄂城区凤凰街道办事处", "agency", "420704", "", 48, "11"),
    ("鄂城区某建材有限公司", "company", "420704", "", 210, "91"),
    ("鄂州市青年志愿者协会", "social_org", "420704", "", 35, "51"),
    ("鄂州市义工联合会", "social_org", "420704", "", None, "51"),
    ("华容区人民政府", "agency", "420703", "", 92, "11"),
    ("华容区教育局", "agency", "420703", "", 50, "11"),
    ("华容区华容镇中心小学", "school", "420703", "华容区教育局", 88, "12"),
    ("华容区人民医院", "hospital", "420703", "", 540, "12"),
    ("华容区葛店镇人民政府", "agency", "420703", "", 45, "11"),
    ("华容区某物流有限公司", "company", "420703", "", 130, "91"),
    ("梁子湖区人民政府", "agency", "420702", "", 80, "11"),
    ("梁子湖区人民医院", "hospital", "420702", "", 300, "12"),
    ("梁子湖区太和镇中心小学", "school", "420702", "", 60, "12"),
    ("梁子湖区某水产养殖有限公司", "company", "420702", "", 40, "91"),
    ("梁子湖区某生态农业公司", "company", "420702", "", None, "91"),
    ("葛店经济技术开发区管理委员会", "agency", "420771", "", 150, "11"),
    ("葛店开发区某生物医药有限公司", "company", "420771", "", 420, "91"),
    ("葛店开发区某光电科技有限公司", "company", "420771", "", 260, "91"),
    ("临空经济区管理委员会", "agency", "420772", "", 120, "11"),
    ("临空经济区某航空物流有限公司", "company", "420772", "", 800, "91"),
    ("临空经济区某电子有限公司", "company", "420772", "", None, "91"),
]
PENDING_UNITS = [
    ("鄂城区某餐饮有限公司", "company", "420704", "", 25, "91"),
    ("华容区某农民专业合作社", "company", "420703", "", None, "93"),
]
# Units that also give as themselves online (office funds / a day's profit), in yuan.
OWN_ONLINE_GIFTS = {"鄂州市民政局": 2000, "华容区某物流有限公司": 5000, "葛店开发区某生物医药有限公司": 10000}
# Units that gave by bank transfer, in yuan.
OWN_BANK_GIFTS = {"鄂州市中心医院": 20000, "临空经济区某航空物流有限公司": 30000}
TEAMS = [
    ("民政人一起捐", "点滴爱心，汇聚暖流", 5000, "张老师", 0),
    ("鄂高2003届校友队", "母校在心，爱心在行", 10000, "李同学", 1),
    ("梁子湖护湖小分队", "一湖清水，人人有责", 3000, "王队长", 2),
]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
]
DAY_PAY_YUAN = (80, 100, 120, 150, 180, 200, 230, 260, 300, 350, 500)


@dataclass
class DrivesDemoReport:
    drive: Drive
    units: int
    gifts_added: int
    teams: int


def load_drives_demo() -> DrivesDemoReport | None:
    """Load the demo drive; returns None when the festival demo (``load_demo``) has not been loaded."""
    from gongyi.campaigns.models import Campaign
    from gongyi.orgs.models import Organisation

    campaign = Campaign.objects.filter(slug=CAMPAIGN["slug"]).first()
    if campaign is None:
        return None
    year = timezone.localtime(campaign.starts_at).year
    drive = Drive.objects.filter(slug=f"ezhou-yiriju-{year}").first() or save_drive(
        slug=f"ezhou-yiriju-{year}",
        name=f"{year}年鄂州市“慈善一日捐”",
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        campaign=campaign,
        organiser=Organisation.objects.filter(name=FEDERATION["name"]).first(),
    )
    units = _units()
    teams = _teams(campaign)
    gifts_added = 0
    if not GiftCredit.objects.filter(drive=drive).exists():
        gifts_added = _gifts(campaign, units, teams)
    return DrivesDemoReport(drive=drive, units=len(units), gifts_added=gifts_added, teams=len(teams))


def _unit_input(index: int, row) -> UnitInput:
    name, kind, district, parent, headcount, registration = row
    return UnitInput(
        name=name,
        kind=kind,
        uscc=uscc(registration, district, f"{73000100 + index * 37:08d}"),
        district=district,
        parent=parent,
        contact_name=SURNAMES[index % len(SURNAMES)] + "老师",
        contact_phone=f"0711-32{index:05d}",
        headcount=headcount,
    )


def _units() -> list[Unit]:
    units = []
    for index, row in enumerate(UNITS):
        unit = Unit.objects.filter(name=row[0]).first()
        if unit is None:
            unit, _ = create_unit(data=_unit_input(index, row), actor=None)
        units.append(unit)
    for index, row in enumerate(PENDING_UNITS, start=len(UNITS)):
        if not Unit.objects.filter(name=row[0]).exists():
            register_unit(data=_unit_input(index, row))
    return [u for u in units if u.status == UnitStatus.APPROVED]


def _teams(campaign) -> list[Team]:
    projects = list(campaign.projects.filter(status="published").order_by("id"))
    teams = []
    for name, slogan, goal_yuan, leader, project_index in TEAMS:
        if not projects:
            break
        project = projects[project_index % len(projects)]
        team = Team.objects.filter(name=name, project=project).first() or create_team(
            project=project, name=name, slogan=slogan, goal_fen=goal_yuan * 100, leader_name=leader
        )
        teams.append(team)
    return teams


def _give(*, project, fen: int, name: str, payer: str, attribution: Attribution, minutes_ago: int) -> None:
    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.services import OrderRequest, create_order

    with transaction.atomic():
        order = create_order(
            request=OrderRequest(
                project_id=project.pk,
                amount_fen=fen,
                gateway="sandbox",
                donor_name=name,
                anonymous=not name,
                unit_code=attribution.unit_code,
            )
        )
        record_order_attribution(order=order, attribution=attribution)
    confirm_payment(
        gateway="sandbox",
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no,
            provider_txn_id="SBDRIVE" + secrets.token_hex(8).upper(),
            amount_fen=fen,
            payer=payer,
            paid_at=timezone.now() - timedelta(minutes=minutes_ago),
        ),
        raw_body="(demo)",
    )


def _gifts(campaign, units: list[Unit], teams: list[Team]) -> int:
    projects = list(campaign.projects.filter(status="published").order_by("id"))
    if not projects:
        return 0
    added = 0
    team_of_project = {team.project_id: team for team in teams}
    for index, unit in enumerate(units):
        rng = random.Random(f"gongyi-drives-demo-{unit.name}")
        if index % 11 == 10:
            continue  # a few registered units have not given yet
        for person in range(rng.randint(2, 9)):
            project = rng.choice(projects)
            anonymous = rng.random() < 0.15
            name = "" if anonymous else rng.choice(SURNAMES) + rng.choice(GIVEN)
            team = team_of_project.get(project.pk) if rng.random() < 0.2 else None
            _give(
                project=project,
                fen=rng.choice(DAY_PAY_YUAN) * 100,
                name=name,
                payer=f"demo-staff-{index}-{person}",
                attribution=Attribution(unit=unit, team=team, list_name="full" if rng.random() < 0.4 else "masked"),
                minutes_ago=rng.randint(5, 600),
            )
            added += 1
        if unit.name in OWN_ONLINE_GIFTS:
            _give(
                project=projects[0],
                fen=OWN_ONLINE_GIFTS[unit.name] * 100,
                name=unit.name,
                payer=f"demo-unit-{index}",
                attribution=Attribution(unit=unit, team=None, as_unit=True),
                minutes_ago=rng.randint(5, 600),
            )
            added += 1
    # Friends who are not in any unit join the teams.
    for t_index, team in enumerate(teams):
        for friend in range(3 + t_index):
            _give(
                project=team.project,
                fen=(50, 100, 66, 200, 520)[(friend + t_index) % 5] * 100,
                name=SURNAMES[(friend * 7 + t_index) % len(SURNAMES)] + "先生",
                payer=f"demo-friend-{t_index}-{friend}",
                attribution=Attribution(unit=None, team=team),
                minutes_ago=30 + friend * 17,
            )
            added += 1
    added += _bank_gifts(units, projects)
    return added


def _voucher_png(text: str) -> ContentFile:
    from PIL import Image, ImageDraw

    from gongyi.core.fonts import cjk_font

    image = Image.new("RGB", (600, 300), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "银行电子回单（演示）", font=cjk_font(28), fill=(40, 40, 40))
    draw.text((20, 90), text, font=cjk_font(20), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue(), name="voucher.png")


def _bank_gifts(units: list[Unit], projects) -> int:
    staff = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if staff is None:
        return 0
    added = 0
    by_name = {unit.name: unit for unit in units}
    for offset, (name, yuan) in enumerate(OWN_BANK_GIFTS.items()):
        unit = by_name.get(name)
        reference = f"DEMO-BANK-{unit.code if unit else name}-{offset}"
        if unit is None or UnitOfflineGift.objects.filter(bank_reference=reference).exists():
            continue
        record_offline_unit_gift(
            unit=unit,
            project=projects[offset % len(projects)],
            amount_fen=yuan * 100,
            received_on=timezone.localdate(),
            bank_reference=reference,
            payer_account_name=unit.name,
            voucher=_voucher_png(f"{unit.name} 转账 ¥{yuan:,}.00"),
            note="演示：单位一天利润",
            actor=staff,
        )
        added += 1
    return added
