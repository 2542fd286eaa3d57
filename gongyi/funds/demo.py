"""The demo's goods and funds: the seed's 2023 in-kind gift to care homes, offline gifts, a named fund.

``load_goods_and_funds_demo()`` is safe to run any number of times: each part is added only when its marker
(the gift's description, a bank reference, the box opening's date, the fund's name, the grant's purpose)
is not there yet. It needs ``gongyi.demo.services.load_demo()`` first (the federation and the projects).
Every write goes through the services, so the demo exercises the second-person checks and the ledger:

* 2023年初 ¥103,000 of 次氯酸消毒液 and 新冠抗原检测试剂 received by the federation (seed item 七),
  quality-checked, accepted into its warehouse, and handed out in full to five care homes, each with a
  signed record — the stock accounts end at exactly ¥0;
* a company's bank transfer directed to 美丽村湾 · 修桥筑路 (a real Gift through ``confirm_payment``,
  receipt requested), a company's unrestricted transfer, and a 一张纸献爱心 box opening counted by two people;
* 同心实业冠名助学基金, a principal-kept named fund: principal and spendable contributions by bank
  transfer, a year's interest, and a grant to 鄂州高中慈善阳光班 proposed by one person, approved by another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from gongyi.core.fonts import cjk_font
from gongyi.demo.data import FEDERATION, uscc
from gongyi.funds.models import FounderKind, FundGrant, FundKind, NamedFund
from gongyi.funds.services import approve_fund_grant, create_named_fund, propose_fund_grant, record_fund_income
from gongyi.inkind.models import InKindGift, RecipientKind, ValuationBasis, Warehouse
from gongyi.inkind.services import (
    DocumentUpload,
    ItemInput,
    accept_inkind_gift,
    check_item_quality,
    hand_out,
    register_inkind_gift,
    register_warehouse,
)
from gongyi.offline.models import DonationBox, DonorKind, Method, OfflineGift, ReceiptChoice, VoucherKind
from gongyi.offline.services import VoucherUpload, confirm_offline_gift, record_offline_gift, register_donation_box
from gongyi.orgs.models import Organisation, Region
from gongyi.projects.models import Project

CLERK = "demo_goods_clerk"
CHECKER = "demo_goods_checker"
CLERK_PERMISSIONS = (
    "offline.add_offlinegift",
    "inkind.add_inkindgift",
    "inkind.add_handout",
    "inkind.add_warehouse",
    "funds.add_namedfund",
    "funds.add_fundcontribution",
    "funds.add_fundgrant",
)
CHECKER_PERMISSIONS = (
    "offline.check_offlinegift",
    "offline.void_offlinegift",
    "offline.change_offlinereceipt",
    "inkind.check_quality",
    "inkind.accept_inkindgift",
    "inkind.change_handout",
    "funds.approve_fundgrant",
)

IN_KIND_MARKER = "2023年初接收的疫情防护物资，发放全市养老机构"
IN_KIND_DONOR = "湖北省慈善总会（链接省外爱心企业捐赠）"
# (name, spec, unit, quantity, valuation yuan, basis): ¥43,000 + ¥60,000 = ¥103,000 (seed item 七)
IN_KIND_ITEMS = [
    ("次氯酸消毒液", "500ml/瓶，有效氯含量≥0.01%", "瓶", 6_000, 43_000, ValuationBasis.INVOICE),
    ("新冠病毒抗原检测试剂盒", "胶体金法，1人份/盒", "盒", 20_000, 60_000, ValuationBasis.INVOICE),
]
# (care home, district code, disinfectant bottles, antigen test boxes): every unit handed out.
CARE_HOMES = [
    ("鄂州市社会福利院", "420704", 1_500, 5_000),
    ("鄂城区凤凰街道养老服务中心", "420704", 1_200, 4_000),
    ("华容区中心敬老院", "420703", 1_200, 4_000),
    ("梁子湖区太和镇敬老院", "420702", 1_100, 4_000),
    ("葛店开发区颐养中心", "420771", 1_000, 3_000),
]
WAREHOUSE = "市慈善总会物资仓库（鄂城区）"

DIRECTED_TRANSFER = ("鄂州市华耀建材有限公司", "DEMO-BANK-0518-0001", 50_000_00, "美丽村湾 · 修桥筑路")
UNRESTRICTED_TRANSFER = ("鄂州市爱心商贸有限公司", "DEMO-BANK-0519-0002", 20_000_00)
BOX = ("YZZ-001", "鄂州市民政局一楼大厅", "一张纸献爱心", 1_286_50, ("刘敏", "陈刚"))

FUND_NAME = "同心实业冠名助学基金"
FUND_FOUNDER = "鄂州市同心实业有限公司"
FUND_TRANSFERS = [("DEMO-BANK-0301-0003", 200_000_00, True), ("DEMO-BANK-0301-0004", 100_000_00, False)]
FUND_INCOME_FEN = 3_600_00
GRANT = ("鄂州高中慈善阳光班", 80_000_00, "资助阳光班40名学生本学年学费与生活补助")


@dataclass
class GoodsDemoReport:
    in_kind_gifts_added: int = 0
    handouts_added: int = 0
    offline_gifts_added: int = 0
    funds_added: int = 0
    grants_added: int = 0


def _user(username: str, permissions) -> object:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, is_staff=True, email=f"{username}@example.invalid")
        user.set_unusable_password()  # the admin sets a password to try the staff pages as this user
        user.save()
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # fresh, without a stale permission cache


def _document(title: str, lines: list[str], *, name: str, pdf: bool = False) -> SimpleUploadedFile:
    """A demo document drawn with Pillow, marked 演示样张 (not a real voucher)."""
    image = Image.new("RGB", (900, 120 + 52 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([8, 8, image.width - 9, image.height - 9], outline="#a8242a", width=3)
    draw.text((24, 20), f"{title}（演示样张）", fill="#a8242a", font=cjk_font(28))
    font = cjk_font(20)
    for index, line in enumerate(lines):
        draw.text((40, 80 + index * 52), line, fill="#222", font=font)
    buffer = BytesIO()
    if pdf:
        image.save(buffer, "PDF", resolution=100)
        return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")
    image.save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def load_goods_and_funds_demo() -> GoodsDemoReport | None:
    """Load the goods-and-funds demo once; None when the festival demo (``load_demo``) is not loaded."""
    federation = Organisation.objects.filter(name=FEDERATION["name"]).first()
    if federation is None:
        return None
    clerk = _user(CLERK, CLERK_PERMISSIONS)
    checker = _user(CHECKER, CHECKER_PERMISSIONS)
    report = GoodsDemoReport()
    _in_kind(federation, clerk, checker, report)
    _offline(federation, clerk, checker, report)
    _fund(federation, clerk, checker, report)
    return report


def _in_kind(federation, clerk, checker, report: GoodsDemoReport) -> None:
    if InKindGift.objects.filter(description=IN_KIND_MARKER).exists():
        return
    warehouse = Warehouse.objects.filter(name=WAREHOUSE).first() or register_warehouse(
        name=WAREHOUSE, address="湖北省鄂州市鄂城区滨湖南路", keeper="仓库保管员", actor=clerk
    )
    received = date(2023, 1, 9)
    items = [
        ItemInput(name=n, spec=s, unit=u, quantity=q, valuation_fen=yuan * 100, valuation_basis=b)
        for n, s, u, q, yuan, b in IN_KIND_ITEMS
    ]
    invoice = _document(
        "捐赠物资价格证明（发票）",
        [f"{n}（{s}）{q:,}{u}，合计 ¥{yuan:,}.00" for n, s, u, q, yuan, _ in IN_KIND_ITEMS]
        + ["合计：¥103,000.00", "本文件为演示数据，不具有法律效力"],
        name="invoice.pdf",
        pdf=True,
    )
    quality = _document(
        "产品合格证及检验报告",
        ["次氯酸消毒液：卫生安全评价备案，检验合格", "抗原检测试剂：医疗器械注册证，批次检验合格", "有效期内"],
        name="quality.png",
    )
    gift = register_inkind_gift(
        donor_kind="organisation",
        donor_name=IN_KIND_DONOR,
        received_on=received,
        items=items,
        organisation=federation,
        description=IN_KIND_MARKER,
        documents=[
            DocumentUpload(kind="invoice", file=invoice, description="价格证明（演示样张）", is_public=True),
            DocumentUpload(
                kind="quality_report", file=quality, description="合格证与检验报告（演示样张）", is_public=True
            ),
        ],
        entered_by=clerk,
    )
    for item in gift.items.order_by("id"):
        check_item_quality(item=item, passed=True, checker=checker, note="合格证、检验报告齐全，在有效期内")
    accept_inkind_gift(gift=gift, warehouse=warehouse, actor=checker)
    report.in_kind_gifts_added += 1
    disinfectant, antigen = list(gift.items.order_by("id"))
    for day, (home, region_code, bottles, boxes) in enumerate(CARE_HOMES, start=11):
        region = Region.objects.filter(code=region_code).first()
        for item, quantity in ((disinfectant, bottles), (antigen, boxes)):
            hand_out(
                item=item,
                warehouse=warehouse,
                quantity=quantity,
                recipient_kind=RecipientKind.INSTITUTION,
                recipient_name=home,
                recipient_region=region,
                purpose="养老机构疫情防护",
                handed_on=date(2023, 1, day),
                signed_record=_document(
                    "物资签收单",
                    [
                        f"受赠机构：{home}",
                        f"物资：{item.name} {quantity:,}{item.unit}",
                        "经办人签字：（签名）  机构盖章：（公章）",
                    ],
                    name="signed.png",
                ),
                actor=clerk,
            )
            report.handouts_added += 1


def _project(title: str) -> Project | None:
    return Project.objects.filter(title=title, status__in=["published", "closed"]).first()


def _slip(payer: str, reference: str, fen: int) -> SimpleUploadedFile:
    return _document(
        "银行电子回单",
        [
            f"付款人：{payer}",
            f"收款人：{FEDERATION['name']}",
            f"金额：¥{fen // 100:,}.{fen % 100:02d}",
            f"流水号：{reference}",
        ],
        name="slip.png",
    )


def _offline(federation, clerk, checker, report: GoodsDemoReport) -> None:
    today = timezone.localdate()
    payer, reference, fen, title = DIRECTED_TRANSFER
    project = _project(title)
    if project is not None and not OfflineGift.objects.filter(bank_reference=reference).exists():
        gift = record_offline_gift(
            method=Method.BANK_TRANSFER,
            donor_kind=DonorKind.ORGANISATION,
            donor_name=payer,
            donor_uscc=uscc("91", "420704", "73110233"),
            amount_fen=fen,
            received_on=today - timedelta(days=3),
            organisation=federation,
            project=project,
            bank_reference=reference,
            payer_account_name=payer,
            receipt_choice=ReceiptChoice.WANTED,
            vouchers=[VoucherUpload(kind=VoucherKind.BANK_SLIP, file=_slip(payer, reference, fen))],
            entered_by=clerk,
        )
        confirm_offline_gift(gift=gift, checker=checker, note="与银行回单核对一致")
        report.offline_gifts_added += 1
    payer, reference, fen = UNRESTRICTED_TRANSFER
    if not OfflineGift.objects.filter(bank_reference=reference).exists():
        gift = record_offline_gift(
            method=Method.BANK_TRANSFER,
            donor_kind=DonorKind.ORGANISATION,
            donor_name=payer,
            donor_uscc=uscc("91", "420704", "73110519"),
            amount_fen=fen,
            received_on=today - timedelta(days=2),
            organisation=federation,
            bank_reference=reference,
            payer_account_name=payer,
            receipt_choice=ReceiptChoice.WAIVED,
            vouchers=[VoucherUpload(kind=VoucherKind.BANK_SLIP, file=_slip(payer, reference, fen))],
            entered_by=clerk,
        )
        confirm_offline_gift(gift=gift, checker=checker, note="非限定性捐赠，由总会统筹使用")
        report.offline_gifts_added += 1
    code, location, title, fen, (first, second) = BOX
    project = _project(title)
    box = DonationBox.objects.filter(code=code).first() or register_donation_box(
        code=code, location=location, project=project, placed_on=today - timedelta(days=60), actor=clerk
    )
    opened_on = today - timedelta(days=1)
    if project is not None and not OfflineGift.objects.filter(box=box, received_on=opened_on).exists():
        gift = record_offline_gift(
            method=Method.DONATION_BOX,
            donor_kind=DonorKind.PUBLIC,
            amount_fen=fen,
            received_on=opened_on,
            organisation=federation,
            project=project,
            box=box,
            counted_by=(first, second),
            receipt_choice=ReceiptChoice.ANONYMOUS,
            vouchers=[
                VoucherUpload(
                    kind=VoucherKind.BOX_RECORD,
                    file=_document(
                        "捐赠箱开箱清点记录",
                        [
                            f"箱号：{code}（{location}）",
                            f"清点金额：¥{fen // 100:,}.{fen % 100:02d}",
                            f"清点人：{first}（签名）  {second}（签名）",
                        ],
                        name="box.png",
                    ),
                )
            ],
            entered_by=clerk,
        )
        confirm_offline_gift(gift=gift, checker=checker, note="两人签字齐全，现金已存入银行")
        report.offline_gifts_added += 1


def _fund(federation, clerk, checker, report: GoodsDemoReport) -> None:
    fund = NamedFund.objects.filter(name=FUND_NAME).first()
    if fund is None:
        fund = create_named_fund(
            name=FUND_NAME,
            founder_kind=FounderKind.ORGANISATION,
            founder_name=FUND_FOUNDER,
            founder_uscc=uscc("91", "420704", "73120011"),
            organisation=federation,
            kind=FundKind.KEEP_PRINCIPAL,
            purpose="资助鄂州市品学兼优的困难家庭学生完成学业",
            agreement_signed_on=timezone.localdate() - timedelta(days=90),
            actor=clerk,
        )
        report.funds_added += 1
    for reference, fen, to_principal in FUND_TRANSFERS:
        if OfflineGift.objects.filter(bank_reference=reference).exists():
            continue
        gift = record_offline_gift(
            method=Method.BANK_TRANSFER,
            donor_kind=DonorKind.ORGANISATION,
            donor_name=FUND_FOUNDER,
            donor_uscc=fund.founder_uscc,
            amount_fen=fen,
            received_on=fund.agreement_signed_on + timedelta(days=7),
            organisation=federation,
            fund=fund,
            to_principal=to_principal,
            bank_reference=reference,
            payer_account_name=FUND_FOUNDER,
            receipt_choice=ReceiptChoice.WANTED,
            vouchers=[VoucherUpload(kind=VoucherKind.BANK_SLIP, file=_slip(FUND_FOUNDER, reference, fen))],
            entered_by=clerk,
        )
        confirm_offline_gift(gift=gift, checker=checker, note="冠名基金注资，与协议一致")
        report.offline_gifts_added += 1
    fund.refresh_from_db()
    if not fund.contributions.filter(source="income").exists():
        record_fund_income(
            fund=fund,
            amount_fen=FUND_INCOME_FEN,
            received_on=timezone.localdate() - timedelta(days=5),
            actor=clerk,
            note="本金定期存款利息",
        )
    title, fen, purpose = GRANT
    project = _project(title)
    if project is not None and not FundGrant.objects.filter(fund=fund, project=project, purpose=purpose).exists():
        grant = propose_fund_grant(fund=fund, project=project, amount_fen=fen, purpose=purpose, actor=clerk)
        approve_fund_grant(grant=grant, approver=checker, note="符合基金资助方向")
        report.grants_added += 1
