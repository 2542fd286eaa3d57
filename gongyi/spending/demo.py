"""Demo spending and disclosure: approved expenditures with generated vouchers on three demo projects.

``load_transparency_demo()`` is safe to run any number of times: an expenditure is added only when the
project has none with the same purpose, and the progress report only once. It needs ``load_demo()``
first (the projects and their gifts); projects without money are skipped. Every write goes through the
services, so the demo exercises the approval rules and the ledger postings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from gongyi.core.fonts import cjk_font
from gongyi.core.masking import mask_name
from gongyi.oversight.models import DisclosureReport
from gongyi.oversight.services import file_disclosure_report, sync_disclosure_schedule
from gongyi.projects.models import Project
from gongyi.spending.models import Category, Expenditure, PayeeKind, Publication, VoucherKind
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.services import (
    add_voucher,
    approve_expenditure,
    record_expenditure,
    required_approvals,
    set_voucher_publication,
)

CLERK = "demo_finance"
APPROVERS = ("demo_approver_li", "demo_approver_wang", "demo_approver_zhou", "demo_approver_chen")
REPORT_TITLE = "幸福家园项目进展（第一期）"

# (project title, category, share of the balance in %, payee, payee kind, purpose, case ref, vouchers)
SPEC = [
    (
        "鄂州慈善幸福家园",
        Category.MATERIALS,
        40,
        "鄂州市惠民物资供应有限公司",
        PayeeKind.ORGANISATION,
        "采购村社互助站米、油、棉被等生活物资，发放给梁子湖区困难家庭",
        "",
        ("invoice", "handover"),
    ),
    (
        "鄂州慈善幸福家园",
        Category.MANAGEMENT,
        3,
        "鄂州市慈善总会",
        PayeeKind.ORGANISATION,
        "项目执行管理费（物资运输与发放组织）",
        "",
        ("invoice",),
    ),
    (
        "鄂州市慈善大病救助",
        Category.AID,
        35,
        "张明华",
        PayeeKind.PERSON,
        "大病救助金拨付（经村、镇、区、市四级审核并公示）",
        "DB-2025-017",
        ("handover",),
    ),
    (
        "童享阳光",
        Category.MATERIALS,
        30,
        "鄂州市文体用品商行",
        PayeeKind.ORGANISATION,
        "为困境儿童采购学习用品和冬衣",
        "",
        ("invoice", "photo", "handover"),
    ),
]
RECIPIENTS = [("张明华", "420704********1234"), ("李桂英", "420702********5678"), ("王建国", "420703********0021")]


@dataclass
class TransparencyDemoReport:
    expenditures_added: int
    reports_added: int


def _user(username: str, permission: str):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, is_staff=True, email=f"{username}@example.invalid")
        user.set_unusable_password()  # the admin sets a password to try the staff pages as this user
        user.save()
    app_label, codename = permission.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(pk=user.pk)  # fresh, without a stale permission cache


def _canvas(width: int, height: int, title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([8, 8, width - 9, height - 9], outline="#a8242a", width=3)
    draw.text((24, 20), title, fill="#a8242a", font=cjk_font(28))
    return image, draw


def _png(image: Image.Image, name: str) -> SimpleUploadedFile:
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def invoice_pdf(*, seller: str, buyer: str, purpose: str, amount_fen: int) -> SimpleUploadedFile:
    """A one-page demo invoice (演示用, not a real 发票) as PDF."""
    image, draw = _canvas(900, 560, "增值税普通发票（演示样张）")
    font = cjk_font(22)
    rows = [
        f"销售方：{seller}",
        f"购买方：{buyer}",
        f"项目：{purpose[:30]}",
        f"金额：¥{amount_fen // 100:,}.{amount_fen % 100:02d}",
        f"开票日期：{timezone.localdate():%Y年%m月%d日}",
        "本发票为演示数据，不具有法律效力",
    ]
    for index, row in enumerate(rows):
        draw.text((40, 90 + index * 60), row, fill="#222", font=font)
    buffer = BytesIO()
    image.save(buffer, "PDF", resolution=100)
    return SimpleUploadedFile("invoice.pdf", buffer.getvalue(), content_type="application/pdf")


def handover_list_png(*, purpose: str, masked: bool) -> SimpleUploadedFile:
    """A signed hand-over list; ``masked`` draws the redacted copy (names and ID numbers masked)."""
    image, draw = _canvas(900, 460, "物资/款项发放签收表" + ("（脱敏）" if masked else ""))
    font = cjk_font(20)
    draw.text((40, 70), purpose[:36], fill="#555", font=font)
    draw.text((40, 120), "序号    姓名        身份证号                    签收", fill="#222", font=font)
    for index, (name, id_number) in enumerate(RECIPIENTS, start=1):
        shown_name = mask_name(name) if masked else name
        shown_id = id_number[:3] + "*" * 11 + id_number[-4:] if masked else id_number
        y = 120 + index * 56
        draw.text((40, y), f"{index}        {shown_name:<6}    {shown_id}", fill="#222", font=font)
        draw.text((740, y), "■■■" if masked else "（签名）", fill="#1b5e20", font=font)
    return _png(image, "handover-redacted.png" if masked else "handover.png")


def site_photo_png() -> SimpleUploadedFile:
    image, draw = _canvas(800, 520, "发放现场（演示照片）")
    draw.rectangle([60, 120, 740, 440], fill="#fdecea")
    for x in range(100, 700, 120):
        draw.ellipse([x, 220, x + 70, 290], fill="#f0764a")
        draw.rectangle([x + 10, 290, x + 60, 400], fill="#d3333a")
    return _png(image, "photo.png")


def _add_vouchers(expenditure: Expenditure, kinds, clerk, approver) -> None:
    for kind in kinds:
        if kind == "invoice":
            voucher = add_voucher(
                expenditure=expenditure,
                kind=VoucherKind.INVOICE,
                description="发票（演示样张）",
                file=invoice_pdf(
                    seller=expenditure.payee,
                    buyer=expenditure.project.organisation.name,
                    purpose=expenditure.purpose,
                    amount_fen=expenditure.amount_fen,
                ),
                uploaded_by=clerk,
            )
            set_voucher_publication(voucher=voucher, publication=Publication.ORIGINAL, actor=approver)
        elif kind == "photo":
            voucher = add_voucher(
                expenditure=expenditure,
                kind=VoucherKind.PHOTO,
                description="发放现场",
                file=site_photo_png(),
                uploaded_by=clerk,
            )
            set_voucher_publication(voucher=voucher, publication=Publication.ORIGINAL, actor=approver)
        else:
            voucher = add_voucher(
                expenditure=expenditure,
                kind=VoucherKind.HANDOVER_LIST,
                description="签收表（姓名、证件号已脱敏）",
                file=handover_list_png(purpose=expenditure.purpose, masked=False),
                redacted_file=handover_list_png(purpose=expenditure.purpose, masked=True),
                uploaded_by=clerk,
            )
            set_voucher_publication(voucher=voucher, publication=Publication.REDACTED, actor=approver)


def load_transparency_demo() -> TransparencyDemoReport:
    """Add the demo expenditures (recorded, vouchered, approved, posted) and a progress report, once."""
    clerk = _user(CLERK, "spending.add_expenditure")
    clerk.user_permissions.add(
        Permission.objects.get(content_type__app_label="oversight", codename="add_disclosurereport")
    )
    clerk = get_user_model().objects.get(pk=clerk.pk)
    needed = required_approvals()
    approvers = [_user(name, "spending.approve_expenditure") for name in APPROVERS[: max(needed, 2)]]
    yesterday = timezone.localdate() - timedelta(days=1)
    added = 0
    projects: dict[str, Project] = {}
    for title, category, percent, payee, payee_kind, purpose, case_ref, vouchers in SPEC:
        project = Project.objects.filter(title=title, status__in=["published", "closed"]).first()
        if project is None:
            continue
        projects[title] = project
        if Expenditure.objects.filter(project=project, purpose=purpose).exists():
            continue
        amount = accounts_for_project(project).balance_fen * percent // 100 // 100 * 100
        if amount <= 0:
            continue
        expenditure = record_expenditure(
            project=project,
            category=category,
            amount_fen=amount,
            payee=payee,
            payee_kind=payee_kind,
            purpose=purpose,
            spent_on=yesterday,
            aid_case_ref=case_ref,
            recorded_by=clerk,
        )
        _add_vouchers(expenditure, vouchers, clerk, approvers[0])
        for approver in approvers[: expenditure.required_approvals]:
            approve_expenditure(expenditure=expenditure, approver=approver, note="凭证齐全，同意")
        added += 1
    reports = 0
    home = projects.get("鄂州慈善幸福家园")
    if home is not None:
        sync_disclosure_schedule(project=home)
        if not DisclosureReport.objects.filter(project=home, title=REPORT_TITLE).exists():
            file_disclosure_report(
                project=home,
                title=REPORT_TITLE,
                body=(
                    "首批生活物资已采购并发放到梁子湖区困难家庭，签收表（脱敏）和发票已在支出明细中公开。\n"
                    "下一步：村社互助站开展邻里互助活动，并于季度末公开募捐与实施情况。"
                ),
                period_start=home.fundraising_starts_on,
                period_end=timezone.localdate(),
                filed_by=clerk,
            )
            reports += 1
    for project in projects.values():
        sync_disclosure_schedule(project=project)
    return TransparencyDemoReport(expenditures_added=added, reports_added=reports)
