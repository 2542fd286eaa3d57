"""Demo stories and daily reports for the demo festival (safe to run any number of times).

- an exemplary company (a unit of the 一日捐 demo that gives a day's profit) and an exemplary volunteer;
- a progress story featuring a project's progress update with photos (posted through the back office's own
  service by a demo editor of the organisation, when no update with photos exists yet);
- a case story, only when the aid demo has a helped case with a live publication consent;
- a few of yesterday's gifts through the real money path (so the daily report has a day to compare with),
  then yesterday's and today's daily reports.

The photos are drawn here (no real people); stories are published through ``services``, like staff do.
"""

from __future__ import annotations

import io
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw

from gongyi.campaigns.models import Campaign
from gongyi.projects.models import Project, ProjectStatus
from gongyi.reports.selectors import REPORT_TIMEZONE, day_bounds, local_today
from gongyi.stories import aid_link
from gongyi.stories.models import PosterColour, Story, StoryKind, SubjectKind
from gongyi.stories.services import PhotoInput, StoryInput, create_story, publish_story

DEMO_EDITOR = "demo-stories-editor"
YESTERDAY_TXN_PREFIX = "SBSTORY"


@dataclass
class StoriesDemoReport:
    stories_added: int = 0
    case_story: bool = False
    yesterday_gifts_added: int = 0
    reports: list = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"stories: {self.stories_added} added" + ("（含受助故事）" if self.case_story else "")]
        if self.yesterday_gifts_added:
            lines.append(f"stories: {self.yesterday_gifts_added} gifts of yesterday added for the daily report")
        for report in self.reports:
            lines.append(
                f"daily report: {report.campaign.slug} {report.day:%Y-%m-%d} v{report.version} ({report.pdf.name})"
            )
        return lines


def load_stories_demo(*, with_gifts: bool = True) -> StoriesDemoReport | None:
    """Load the demo stories and reports; None when the festival demo (``load_demo``) is not loaded."""
    from gongyi.demo.data import CAMPAIGN
    from gongyi.reports.demo import load_reports_demo

    campaign = Campaign.objects.filter(slug=CAMPAIGN["slug"]).first()
    admin = get_user_model().objects.filter(username="admin").first()
    if campaign is None or admin is None:
        return None
    report = StoriesDemoReport()
    projects = list(campaign.projects.filter(status=ProjectStatus.PUBLISHED).order_by("id"))
    if not projects:
        return report
    report.stories_added += _exemplary_company(campaign, admin)
    report.stories_added += _exemplary_volunteer(campaign, projects, admin)
    report.stories_added += _progress_story(campaign, projects, admin)
    case_added = _case_story(campaign, admin)
    report.stories_added += case_added
    report.case_story = case_added > 0 or Story.objects.filter(kind=StoryKind.CASE, title=CASE_TITLE).exists()
    if with_gifts:
        report.yesterday_gifts_added = _yesterday_gifts(campaign, projects)
    report.reports = load_reports_demo(campaign=campaign)
    return report


def _exists(title: str) -> bool:
    return Story.objects.filter(title=title).exists()


def _publish(data: StoryInput, admin, photos=()) -> int:
    with transaction.atomic():
        story = create_story(data=data, actor=admin, photos=list(photos))
        publish_story(story=story, actor=admin)
    return 1


COMPANY_TITLE = "一天的利润，捐给身边需要帮助的人"


def _exemplary_company(campaign, admin) -> int:
    from gongyi.drives.models import Unit

    if _exists(COMPANY_TITLE):
        return 0
    unit = Unit.objects.filter(name="葛店开发区某生物医药有限公司").first()
    name = unit.name if unit else "葛店开发区某生物医药有限公司"
    return _publish(
        StoryInput(
            kind=StoryKind.EXEMPLARY,
            title=COMPANY_TITLE,
            summary="企业捐出一天的利润，420名员工自愿参与慈善一日捐。",
            text=(
                "“慈善一日捐”启动当天，这家扎根葛店开发区十年的生物医药企业以单位名义捐出一天的利润，"
                "并在车间和办公楼张贴了单位的捐赠二维码。员工们自愿扫码参与，不设任何摊派。\n\n"
                "企业负责人说：“企业的发展离不开这片土地，回馈家乡是应该的。”"
                "善款将用于鄂州慈善幸福家园和大病救助项目，每一笔去向都可以在平台上查到。"
            ),
            campaign=campaign,
            unit=unit,
            subject_kind=SubjectKind.COMPANY,
            subject_name=name,
            subject_agreed=True,
            colour=PosterColour.BLUE,
        ),
        admin,
    )


VOLUNTEER_TITLE = "八年陪诊路：志愿者刘师傅的周末"


def _exemplary_volunteer(campaign, projects, admin) -> int:
    if _exists(VOLUNTEER_TITLE):
        return 0
    project = next((p for p in projects if p.title == "医路同行"), projects[0])
    return _publish(
        StoryInput(
            kind=StoryKind.EXEMPLARY,
            title=VOLUNTEER_TITLE,
            summary="每个周末，他开车把村里的老人送到医院复查，八年没有间断。",
            text=(
                "刘师傅是鄂州市青年志愿者协会的一名老会员。八年前，他第一次开车送村里的独居老人去市里复查，"
                "从此每个周末都会出现在“医路同行”的陪诊名单上。\n\n"
                "挂号、排队、取药、听医生嘱咐，他都陪着老人一步步走完。他说：“老人最怕的不是病，是没人陪。”"
                "今年公益节，他又带着协会的年轻人一起报名，成了项目的“陪诊队长”。"
            ),
            campaign=campaign,
            project=project,
            subject_kind=SubjectKind.VOLUNTEER,
            subject_name="刘师傅",
            subject_agreed=True,
            colour=PosterColour.GREEN,
        ),
        admin,
        photos=[PhotoInput(drawn_photo("volunteer", 7), "周末陪诊路上")],
    )


PROGRESS_INTRO = "项目执行机构发布的最新进展：新修的便民桥已经通行。"
PROGRESS_UPDATE_TITLE = "村湾便民桥完工通行"


def _progress_story(campaign, projects, admin) -> int:
    from gongyi.backoffice.models import OrgRole, ProgressUpdate
    from gongyi.backoffice.selectors import scope_for
    from gongyi.backoffice.services import PhotoInput as UpdatePhoto
    from gongyi.backoffice.services import grant_organisation_membership, post_progress_update

    if Story.objects.filter(kind=StoryKind.PROGRESS).exists():
        return 0
    update = (
        ProgressUpdate.objects.filter(project__campaign=campaign, withdrawn_at__isnull=True, photos__isnull=False)
        .order_by("-published_at")
        .first()
    )
    if update is None:
        project = next((p for p in projects if p.title == "鄂州慈善幸福家园"), projects[0])
        editor = get_user_model().objects.filter(username=DEMO_EDITOR).first()
        if editor is None:
            editor = get_user_model().objects.create_user(DEMO_EDITOR)  # no password: a demo author only
        if not editor.office_memberships.filter(organisation=project.organisation).exists():
            grant_organisation_membership(
                user=editor, organisation=project.organisation, role=OrgRole.EDITOR, actor=admin
            )
        update = post_progress_update(
            scope=scope_for(editor),
            project=project,
            title=PROGRESS_UPDATE_TITLE,
            text=(
                "在村民互助资金和爱心捐赠的支持下，长港镇某村村湾的便民桥于本周完工通行。"
                "桥长18米、宽3米，取代了原来雨天无法通行的漫水路，村里60多户人家和孩子们上学不再绕行两公里。"
                "工程决算和票据已在村务公开栏和本平台公示。"
            ),
            photos=[
                UpdatePhoto(drawn_photo("bridge", 3), "新桥通行"),
                UpdatePhoto(drawn_photo("village", 5), "村民验收"),
            ],
            actor=editor,
        )
    return _publish(
        StoryInput(
            kind=StoryKind.PROGRESS,
            title=update.title,
            text=PROGRESS_INTRO,
            campaign=campaign,
            progress_update=update,
            colour=PosterColour.ORANGE,
        ),
        admin,
    )


CASE_TITLE = "重病之后，一家人重新站了起来"


def _case_story(campaign, admin) -> int:
    """A case story only when the aid demo gave a helped adult case with a live publication consent."""
    if not aid_link.aid_installed() or _exists(CASE_TITLE):
        return 0
    from gongyi.aid.models import AidCase, CaseStatus

    numbers = AidCase.objects.filter(
        status__in=[CaseStatus.DISBURSED, CaseStatus.CLOSED, CaseStatus.APPROVED], applicant_under_14=False
    ).values_list("case_number", flat=True)
    for number in numbers:
        facts = aid_link.case_facts(number)
        if facts is None or facts.anonymised or facts.missing_consents or not facts.helped:
            continue
        project = Project.objects.filter(title="鄂州市慈善大病救助").first()
        return _publish(
            StoryInput(
                kind=StoryKind.CASE,
                title=CASE_TITLE,
                summary="大病救助金到账后，社工和志愿者继续上门陪伴。",
                text=(
                    "去年冬天，家里的顶梁柱突发重病住院，医保报销后仍有一大笔自付费用。"
                    "村里的慈善服务站上门了解情况，帮助一家人申请了市慈善总会的大病救助。"
                    "经村、镇、区、市四级审核和公示，救助金直接拨付到位。\n\n"
                    "社工随后定期上门，帮忙链接复查和康复资源，志愿者陪着孩子做功课。"
                    "如今病情稳定，一家人说：“谢谢每一位素不相识的捐赠人。”"
                ),
                campaign=campaign if project is None or project.campaign_id == campaign.pk else None,
                project=project,
                aid_case_number=number,
                colour=PosterColour.RED,
            ),
            admin,
        )
    return 0


def _yesterday_gifts(campaign, projects) -> int:
    """A dozen of yesterday's gifts, some through units, so the daily report compares two real days."""
    from gongyi.drives.models import Unit, UnitStatus
    from gongyi.drives.services import Attribution, record_order_attribution
    from gongyi.giving.models import Gift
    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.services import OrderRequest, create_order

    if Gift.objects.filter(provider_txn_id__startswith=YESTERDAY_TXN_PREFIX).exists():
        return 0
    yesterday = local_today() - timedelta(days=1)
    start, end = day_bounds(yesterday)
    if not (campaign.starts_at < end and campaign.ends_at > start):
        return 0
    units = list(Unit.objects.filter(status=UnitStatus.APPROVED).order_by("id")[:6])
    rng = random.Random("gongyi-stories-demo-yesterday")
    added = 0
    for index in range(12):
        project = projects[index % len(projects)]
        unit = units[index % len(units)] if units and index % 3 else None
        fen = rng.choice((5_000, 10_000, 20_000, 8_800, 50_000))
        paid_at = datetime.combine(yesterday, time(9 + index, rng.randint(0, 59)), tzinfo=REPORT_TIMEZONE)
        with transaction.atomic():
            order = create_order(
                request=OrderRequest(
                    project_id=project.pk,
                    amount_fen=fen,
                    gateway="sandbox",
                    donor_name="" if index % 4 == 0 else "爱心市民",
                    anonymous=index % 4 == 0,
                    unit_code=unit.code if unit else "",
                )
            )
            if unit is not None:
                record_order_attribution(order=order, attribution=Attribution(unit=unit, team=None))
        confirm_payment(
            gateway="sandbox",
            payment=VerifiedPayment(
                out_trade_no=order.out_trade_no,
                provider_txn_id=YESTERDAY_TXN_PREFIX + secrets.token_hex(8).upper(),
                amount_fen=fen,
                payer=f"demo-yesterday-{index % 9}",
                paid_at=paid_at,
            ),
            raw_body="(demo)",
        )
        added += 1
    return added


# --- drawn photos (no real people in demo data) ---------------------------------------------------------------


def drawn_photo(scene: str, seed: int) -> SimpleUploadedFile:
    """A simple drawn scene as a JPEG upload: sky, hills, and a bridge, houses or a road with people."""
    rng = random.Random(f"{scene}-{seed}")
    width, height = 1200, 800
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # sky to haze
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(120 + 110 * t), int(180 + 50 * t), int(235 - 20 * t)))
    draw.ellipse((920, 70, 1040, 190), fill=(255, 226, 140))
    for layer, colour in enumerate([(126, 170, 120), (96, 150, 96), (74, 128, 80)]):
        base = 430 + layer * 70
        points = [(0, height)]
        for x in range(0, width + 100, 100):
            points.append((x, base - rng.randint(0, 90)))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    if scene == "bridge":
        draw.rectangle((0, 620, width, height), fill=(90, 140, 190))  # the stream
        draw.rectangle((200, 560, 1000, 600), fill=(200, 200, 195))
        for x in range(220, 1000, 110):
            draw.rectangle((x, 600, x + 24, 700), fill=(170, 170, 165))
        draw.line([(200, 540), (1000, 540)], fill=(160, 60, 50), width=8)
    elif scene == "village":
        for i, x in enumerate(range(120, 1100, 240)):
            top = 470 + (i % 2) * 30
            draw.rectangle((x, top, x + 160, top + 130), fill=(245, 240, 230))
            draw.polygon([(x - 15, top), (x + 80, top - 70), (x + 175, top)], fill=(150, 60, 50))
            draw.rectangle((x + 60, top + 60, x + 100, top + 130), fill=(120, 90, 70))
    else:  # a road with two people walking
        draw.polygon([(520, height), (680, height), (620, 480), (580, 480)], fill=(190, 180, 160))
    for i in range(2 if scene != "bridge" else 3):
        x = 520 + i * 70 if scene != "bridge" else 420 + i * 160
        y = 620 if scene != "bridge" else 470
        colour = [(200, 60, 60), (60, 90, 170), (230, 160, 40)][i % 3]
        draw.ellipse((x, y, x + 34, y + 34), fill=(240, 200, 170))
        draw.rounded_rectangle((x - 8, y + 36, x + 42, y + 120), radius=14, fill=colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return SimpleUploadedFile(f"{scene}.jpg", out.getvalue(), content_type="image/jpeg")
