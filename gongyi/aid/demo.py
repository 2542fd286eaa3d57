"""The aid demo: Ezhou's townships and villages, the three-level station network with staff, three
programmes with their review chains, and cases at every stage in several villages — one paid through the
ledger, one publicly noticed, one paused by an objection.

``load_aid_demo()`` is safe to run any number of times: regions, stations, users and programmes are
updated in place, and a demo person's case is created only if that ID number is not registered yet. It
needs ``gongyi.demo.services.load_demo()`` first (the projects). Every case moves through the services,
so the demo exercises the same rules, consents, calculator, notices and postings as real use.

The people, ID numbers (valid check digits, fictional) and diagnoses below are invented; they are here in
plaintext only so the tests can prove none of them reaches the database unencrypted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.models import (
    AidCase,
    AidProgramme,
    Beneficiary,
    CaseStatus,
    ConsentKind,
    ConsentSigner,
    DisbursementMethod,
    DocumentKind,
    FollowUpKind,
    ReviewDecision,
    ReviewStep,
    Role,
)
from gongyi.core.checkdigits import id_check_char
from gongyi.orgs.models import Region
from gongyi.projects.models import Project

# --- the network ------------------------------------------------------------------------------------------
# (township code, name, district code, [(village code, name, has station, station staffed)]). Township codes
# follow GB/T 10114 (district + 3 digits), village codes add 3 more; the numbers are illustrative.
TOWNSHIPS = [
    (
        "420702100",
        "太和镇",
        "420702",
        [
            ("420702100201", "太和村", True, False),
            ("420702100202", "上屋邵村", True, True),
            ("420702100203", "新屋郭村", False, False),
        ],
    ),
    (
        "420702101",
        "东沟镇",
        "420702",
        [("420702101201", "东沟村", True, True), ("420702101202", "高峰村", False, False)],
    ),
    (
        "420702102",
        "梁子镇",
        "420702",
        [("420702102201", "梁子村", False, False), ("420702102202", "毛塘村", False, False)],
    ),
    ("420703100", "华容镇", "420703", [("420703100201", "华容村", True, True), ("420703100202", "龙王村", True, True)]),
    ("420703101", "段店镇", "420703", [("420703101201", "段店村", True, True), ("420703101202", "新华村", True, True)]),
    ("420703102", "蒲团乡", "420703", [("420703102201", "蒲团村", True, True), ("420703102202", "胡林村", True, True)]),
    (
        "420704001",
        "凤凰街道",
        "420704",
        [("420704001001", "南浦社区", True, True), ("420704001002", "寿山社区", False, False)],
    ),
    ("420704100", "泽林镇", "420704", [("420704100201", "泽林村", True, True), ("420704100202", "万秀村", True, True)]),
    (
        "420704101",
        "杜山镇",
        "420704",
        [("420704101201", "东港村", True, True), ("420704101202", "杜山村", False, False)],
    ),
]
DISTRICTS = {"420702": ("梁子湖区", "liangzihu"), "420703": ("华容区", "huarong"), "420704": ("鄂城区", "echeng")}
PINYIN = {
    "太和镇": "taihe",
    "东沟镇": "donggou",
    "梁子镇": "liangzi",
    "华容镇": "huarong",
    "段店镇": "duandian",
    "蒲团乡": "putuan",
    "凤凰街道": "fenghuang",
    "泽林镇": "zelin",
    "杜山镇": "dushan",
    "太和村": "taihecun",
    "上屋邵村": "shangwushao",
    "东沟村": "donggoucun",
    "华容村": "huarongcun",
    "龙王村": "longwang",
    "段店村": "duandiancun",
    "新华村": "xinhua",
    "蒲团村": "putuancun",
    "胡林村": "hulin",
    "南浦社区": "nanpu",
    "泽林村": "zelincun",
    "万秀村": "wanxiu",
    "东港村": "donggang",
}
CITY = "420700"
DEMO_PASSWORD_FILE = "aid_demo_password"  # noqa: S105 - a file name

# --- programmes ------------------------------------------------------------------------------------------

DABING_STEPS = [
    ("village", Role.STATION_STAFF, "村级初审：入户调查、民主评议", True),
    ("township", Role.STATION_STAFF, "乡镇（街道）审核", False),
    ("district", Role.DISTRICT_STAFF, "区慈善会复核", False),
    ("city", Role.CITY_STAFF, "市慈善总会审定", False),
]
PROGRAMMES = [
    {
        "code": "dabing",
        "case_prefix": "DB",
        "name": "大病救助",
        "project": "鄂州市慈善大病救助",
        "standards": "救助对象：鄂州市户籍、患重特大疾病、经基本医保、大病保险和医疗救助后"
        "个人负担仍然较重的困难群众。\n"
        "计算：合规自付费用 = 医疗总费用 − 基本医保 − 大病保险 − 医疗救助 − 商业保险 − 单位报销 − 其他慈善救助；"
        "减起付线后按类别比例救助：特困 80%、低保 70%（不设起付线），低边 60%（起付线 2,000 元），"
        "因病致贫 50%（起付线 5,000 元），其他 40%（起付线 10,000 元）；单笔不超过 3 万元，每人每年不超过 5 万元。\n"
        "票据须为申请前一年内开具，每张票据只能使用一次。\n"
        "流程：村（社区）受理并入户调查 → 乡镇（街道）审核 → 区慈善会复核 → 市慈善总会审定 → 公示7天 → 拨付。",
        "notice_length": "7d",
        "calculator": {
            "method": "ratio",
            "deductible_fen": {"tekun": 0, "dibao": 0, "dibian": 200_000, "yinbing": 500_000, "other": 1_000_000},
            "ratio_bp": {"tekun": 8000, "dibao": 7000, "dibian": 6000, "yinbing": 5000, "other": 4000},
            "bill_validity_days": 365,
            "round_to_fen": 100,
        },
        "per_case_cap_fen": 3_000_000,
        "per_year_cap_fen": 5_000_000,
        "required_documents": ["diagnosis", "invoice", "settlement", "hardship_proof"],
        "requires_diagnosis": True,
        "steps": DABING_STEPS,
    },
    {
        "code": "tongxiang",
        "case_prefix": "TX",
        "name": "童享阳光助养",
        "project": "童享阳光",
        "standards": "救助对象：孤儿、事实无人抚养儿童和特困、低保、低边家庭的在读儿童。\n"
        "标准（定额，按年核定、按月发放）：特困 3,600 元/年，低保 2,400 元/年，低边 1,800 元/年；社工每季度家访一次。\n"
        "未满14周岁儿童的信息由监护人同意后处理，公示时不公开姓名。\n"
        "流程：村（社区）受理并入户调查 → 乡镇（街道）审核 → 区慈善会审定 → 公示5天 → 拨付。",
        "notice_length": "5d",
        "calculator": {"method": "fixed", "fixed_fen": {"tekun": 360_000, "dibao": 240_000, "dibian": 180_000}},
        "per_case_cap_fen": 360_000,
        "per_year_cap_fen": 360_000,
        "required_documents": ["hardship_proof", "school_proof"],
        "requires_diagnosis": False,
        "steps": [
            ("village", Role.STATION_STAFF, "村级初审：入户调查", True),
            ("township", Role.STATION_STAFF, "乡镇（街道）审核", False),
            ("district", Role.DISTRICT_STAFF, "区慈善会审定", False),
        ],
    },
    {
        "code": "shuangzhong",
        "case_prefix": "SZ",
        "name": "双重症家庭救助",
        "project": "鄂州市慈善大病救助",
        "standards": "救助对象：家庭中有两名及以上成员同时患重特大疾病的困难家庭。\n"
        "计算：全家合规自付费用分段累进救助：2 万元以内 50%，2 万至 5 万元 60%，5 万元以上 70%；"
        "每户每年不超过 5 万元。\n"
        "流程：村（社区）受理并入户调查 → 乡镇（街道）审核 → 区慈善会复核 → 市慈善总会审定 → 公示7个工作日 → 拨付。",
        "notice_length": "7wd",
        "calculator": {
            "method": "tiers",
            "tiers": {
                c: [[2_000_000, 5000], [5_000_000, 6000], [None, 7000]] for c in ("tekun", "dibao", "dibian", "yinbing")
            },
            "bill_validity_days": 365,
            "round_to_fen": 100,
        },
        "per_case_cap_fen": 5_000_000,
        "per_year_cap_fen": 5_000_000,
        "required_documents": ["diagnosis", "invoice", "settlement", "hardship_proof"],
        "requires_diagnosis": True,
        "steps": DABING_STEPS,
    },
]

# --- people and their cases ------------------------------------------------------------------------------


def demo_id_number(region: str, birth: str, sequence: int) -> str:
    """A fictional ID number with a correct GB 11643 check digit."""
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + id_check_char(first17)


@dataclass(frozen=True)
class DemoPerson:
    name: str
    id_number: str
    phone: str
    village: str
    programme: str
    hardship_class: str
    diagnosis: str
    stage: str
    invoices: tuple[tuple[str, int, int], ...] = ()  # (number, yuan, days before today)
    deductions_yuan: dict = field(default_factory=dict)
    guardian: tuple[str, str, str] | None = None  # (name, id number, relation)


PEOPLE = [
    DemoPerson(
        "陈桂兰",
        demo_id_number("420702", "19620314", 22),
        "13907110321",
        "420702100201",
        "dabing",
        "dibao",
        "慢性肾衰竭（尿毒症期）维持性血液透析",
        "draft",
        (("04207260001", 23_800, 40),),
        {"basic_insurance_fen": 14_000},
    ),
    DemoPerson(
        "刘建国",
        demo_id_number("420703", "19580702", 31),
        "13907110432",
        "420703101201",
        "dabing",
        "tekun",
        "右肺腺癌（Ⅳ期）靶向治疗",
        "village",
        (("04207260002", 61_500, 60), ("04207260003", 18_200, 20)),
        {"basic_insurance_fen": 38_000, "critical_illness_insurance_fen": 12_000, "medical_assistance_fen": 9_000},
    ),
    DemoPerson(
        "周秀英",
        demo_id_number("420703", "19701123", 42),
        "13907110543",
        "420703101202",
        "dabing",
        "yinbing",
        "乳腺浸润性导管癌术后辅助化疗",
        "township",
        (("04207260004", 73_000, 90),),
        {"basic_insurance_fen": 35_000, "critical_illness_insurance_fen": 10_000},
    ),
    DemoPerson(
        "吴志强",
        demo_id_number("420704", "19850509", 51),
        "13907110654",
        "420704100201",
        "dabing",
        "dibian",
        "急性髓系白血病（M2型）诱导化疗",
        "district",
        (("04207260005", 128_000, 75),),
        {"basic_insurance_fen": 70_000, "critical_illness_insurance_fen": 26_000, "commercial_insurance_fen": 8_000},
    ),
    DemoPerson(
        "黄丽华",
        demo_id_number("420704", "19660930", 62),
        "13907110765",
        "420704101201",
        "dabing",
        "dibao",
        "冠状动脉粥样硬化性心脏病，支架植入术后",
        "city",
        (("04207260006", 56_000, 50),),
        {"basic_insurance_fen": 33_000, "medical_assistance_fen": 5_000},
    ),
    DemoPerson(
        "徐德明",
        demo_id_number("420703", "19550118", 71),
        "13907110876",
        "420703100201",
        "dabing",
        "tekun",
        "脑梗死后遗症伴肺部感染",
        "notice",
        (("04207260007", 42_600, 30),),
        {"basic_insurance_fen": 26_000, "medical_assistance_fen": 6_000},
    ),
    DemoPerson(
        "朱春梅",
        demo_id_number("420703", "19790406", 82),
        "13907110987",
        "420703102201",
        "dabing",
        "yinbing",
        "系统性红斑狼疮伴狼疮性肾炎",
        "objection",
        (("04207260008", 66_000, 100),),
        {"basic_insurance_fen": 30_000, "critical_illness_insurance_fen": 9_000},
    ),
    DemoPerson(
        "胡海涛",
        demo_id_number("420702", "19901212", 93),
        "13907111098",
        "420702100202",
        "dabing",
        "dibao",
        "乙肝肝硬化失代偿期，肝移植术后",
        "approved",
        (("04207260009", 210_000, 120),),
        {"basic_insurance_fen": 110_000, "critical_illness_insurance_fen": 40_000, "medical_assistance_fen": 20_000},
    ),
    DemoPerson(
        "郭美玲",
        demo_id_number("420703", "19730821", 104),
        "13907111109",
        "420703102202",
        "dabing",
        "dibao",
        "宫颈鳞状细胞癌同步放化疗",
        "disbursed",
        (("04207260010", 52_000, 80), ("04207260011", 16_000, 45)),
        {"basic_insurance_fen": 34_000, "critical_illness_insurance_fen": 9_000, "medical_assistance_fen": 6_000},
    ),
    DemoPerson(
        "何永福",
        demo_id_number("420702", "19680227", 115),
        "13907111210",
        "420702101201",
        "dabing",
        "other",
        "腰椎间盘突出症（择期手术）",
        "rejected",
        (("04207260012", 28_000, 30),),
        {"basic_insurance_fen": 9_000},
    ),
    DemoPerson(
        "罗小雨",
        demo_id_number("420703", "20160601", 122),
        "",
        "420703101201",
        "tongxiang",
        "dibao",
        "",
        "notice",
        (),
        {},
        ("罗志军", demo_id_number("420703", "19860315", 133), "父亲"),
    ),
    DemoPerson(
        "马国庆",
        demo_id_number("420704", "19631001", 141),
        "13907111321",
        "420704100202",
        "shuangzhong",
        "dibian",
        "本人胃恶性肿瘤术后化疗；配偶慢性肾衰竭血液透析",
        "village",
        (("04207260013", 96_000, 70), ("04207260014", 58_000, 40)),
        {"basic_insurance_fen": 72_000, "critical_illness_insurance_fen": 18_000},
    ),
]

# Which reviews each stage needs (index into the programme's steps), and how many days ago the last one was.
STAGE_REVIEWS = {"draft": 0, "village": 0, "township": 1, "district": 2, "city": 3}
NOTICE_AGO = {"notice": 2, "objection": 3, "approved": 12, "disbursed": 20}


# The logins ``gongyi demo`` prints (all of them are in ``AidDemoReport.logins``).
SHOWN_LOGINS = (
    "aid_federation",
    "aid_city",
    "aid_regulator",
    "aid_district_huarong",
    "aid_township_duandian",
    "aid_village_duandiancun",
    "aid_social_worker",
)


@dataclass
class AidDemoReport:
    cases_added: int
    password: str | None
    logins: list[tuple[str, str]]  # (username, what they are)
    totp_secrets: dict[str, str] = field(default_factory=dict)  # username → TOTP secret (base32)

    def lines(self, shown: tuple[str, ...] = SHOWN_LOGINS) -> list[str]:
        """What ``gongyi demo`` prints: staff sign in at /me/auth/login/ with the password, then a TOTP code."""
        lines = [
            f"aid casework: {self.cases_added} cases added; staff sign in at /me/auth/login/?next=/aid/ with "
            f"password {self.password} and a code from an authenticator app holding the user's TOTP secret:"
        ]
        for username, role in self.logins:
            if username in shown:
                lines.append(f"  {username:<24} TOTP secret {self.totp_secrets.get(username, '?')}  {role}")
        return lines


def _password() -> tuple[str, str | None]:
    path = Path(settings.GONGYI["DATA_DIR"]) / DEMO_PASSWORD_FILE
    if path.exists():
        return path.read_text().strip(), None
    password = secrets.token_urlsafe(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password, password


def _staff_user(username: str, password_hash: str, label: str, logins: list, totp_secrets: dict):
    """A demo staff user sharing the demo password (hashed once: thirty PBKDF2 runs would be slow), with a TOTP
    authenticator of its own (aid pages need password + TOTP, like the back office); its secret is reported."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=f"{username}@example.invalid", password=password_hash)
        user.save()
    logins.append((username, label))
    totp_secrets[username] = _totp_secret(user)
    return user


def _totp_secret(user) -> str:
    """The user's TOTP secret, enrolling one (allauth's ``TOTP.activate``) when there is none."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import decrypt

    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        return decrypt(totp.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _regions() -> dict[str, Region]:
    for code, name, district, villages in TOWNSHIPS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": "township", "parent_id": district})
        for village_code, village_name, _, _ in villages:
            Region.objects.update_or_create(
                code=village_code, defaults={"name": village_name, "level": "village", "parent_id": code}
            )
    return {r.code: r for r in Region.objects.filter(code__startswith="4207")}


def _network(regions, password_hash: str, logins: list, totp_secrets: dict) -> dict[str, object]:
    users: dict[str, object] = {}

    def staff(username: str, label: str):
        return _staff_user(username, password_hash, label, logins, totp_secrets)

    federation = staff("aid_federation", "慈善总会工作人员（全部）")
    services.grant_role(user=federation, role=Role.FEDERATION_STAFF)
    users["federation"] = federation
    city = staff("aid_city", "市级工作人员（鄂州市）")
    services.grant_role(user=city, role=Role.CITY_STAFF, region=regions[CITY])
    users["city"] = city
    regulator = staff("aid_regulator", "民政局监管（只读）")
    services.grant_role(user=regulator, role=Role.REGULATOR)
    users["regulator"] = regulator
    for code, (name, pinyin) in DISTRICTS.items():
        services.create_station(region=regions[code], name=f"{name}慈善服务站")
        user = staff(f"aid_district_{pinyin}", f"区级工作人员（{name}）")
        services.grant_role(user=user, role=Role.DISTRICT_STAFF, region=regions[code])
        users[code] = user
    for code, name, _district, villages in TOWNSHIPS:
        station = services.create_station(region=regions[code], name=f"{name}慈善服务站")
        user = staff(f"aid_township_{PINYIN[name]}", f"乡镇服务站（{name}）")
        services.grant_role(user=user, role=Role.STATION_STAFF, station=station)
        users[code] = user
        for village_code, village_name, has_station, staffed in villages:
            if not has_station:
                continue
            village_station = services.create_station(region=regions[village_code], name=f"{village_name}慈善服务站")
            if staffed:
                user = staff(f"aid_village_{PINYIN[village_name]}", f"村服务站（{name}{village_name}）")
                services.grant_role(user=user, role=Role.STATION_STAFF, station=village_station)
                users[village_code] = user
    worker = staff("aid_social_worker", "社工（华容区）")
    services.grant_role(user=worker, role=Role.SOCIAL_WORKER, region=regions["420703"])
    users["social_worker"] = worker
    return users


def _programmes() -> dict[str, AidProgramme]:
    result = {}
    for spec in PROGRAMMES:
        project = Project.objects.filter(title=spec["project"]).order_by("id").first()
        if project is None:
            continue
        values = {k: v for k, v in spec.items() if k not in ("code", "project", "steps")}
        programme, _ = AidProgramme.objects.update_or_create(code=spec["code"], defaults={**values, "project": project})
        programme.full_clean()
        for position, (level, role, name, home_visit) in enumerate(spec["steps"], start=1):
            ReviewStep.objects.update_or_create(
                programme=programme,
                position=position,
                defaults={"level": level, "role": role, "name": name, "requires_home_visit": home_visit},
            )
        result[spec["code"]] = programme
    return result


def _pdf(title: str, body: str) -> bytes:
    """A one-page PDF (valid enough for viewers) whose bytes carry the text, to prove files are encrypted."""
    text = f"{title}\n{body}".encode()
    stream = b"BT /F1 12 Tf 72 720 Td (gongyi demo document) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n% " + text.replace(b"\n", b"\n% ") + b"\n"
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _ensure_funds(project: Project, needed_fen: int) -> bool:
    """A company's directed gift through the real money path, if the project cannot pay the demo case."""
    if services.project_balance_fen(project) >= needed_fen:
        return True
    if not settings.GONGYI.get("SANDBOX_ENABLED"):
        return False
    from gongyi.giving.models import Gift
    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.services import OrderRequest, create_order

    txn = f"SBDEMOAIDFUND{project.pk}"
    if not Gift.objects.filter(provider_txn_id=txn).exists():
        order = create_order(
            request=OrderRequest(
                project_id=project.pk,
                amount_fen=100_000_00,
                gateway="sandbox",
                donor_name="鄂州市爱心企业（演示）",
                message="定向支持大病救助",
            )
        )
        confirm_payment(
            gateway="sandbox",
            payment=VerifiedPayment(
                out_trade_no=order.out_trade_no,
                provider_txn_id=txn,
                amount_fen=order.amount_fen,
                payer="demo-company",
                paid_at=timezone.now() - timedelta(days=25),
            ),
            raw_body="(aid demo)",
        )
    return services.project_balance_fen(project) >= needed_fen


def _case(person: DemoPerson, programmes, regions, users, today: date) -> AidCase | None:
    programme = programmes.get(person.programme)
    if programme is None:
        return None
    region = regions[person.village]
    township, district = region.parent_id, region.parent.parent_id
    intake = users.get(person.village) or users[township]
    guardian = services.GuardianInput(*person.guardian) if person.guardian else None
    case = services.open_case(
        actor=intake,
        programme=programme,
        region=region,
        person=services.PersonInput(
            person.name,
            person.id_number,
            person.phone,
            f"{region.parent.name}{region.name}",
            "家庭成员3人" if not person.guardian else "父亲务工，母亲残疾，兄妹2人",
        ),
        hardship_class=person.hardship_class,
        diagnosis=person.diagnosis,
        hospital="鄂州市中心医院" if person.diagnosis else "",
        situation="经入户了解，家庭主要劳动力因病无法务工，收入微薄，医疗费用负担沉重。",
        guardian=guardian,
        deductions={k: v * 100 for k, v in person.deductions_yuan.items()},
        today=today - timedelta(days=30),
    )
    for number, yuan, days_ago in person.invoices:
        services.add_invoice(
            actor=intake,
            case=case,
            code="42060126",
            number=number,
            amount_fen=yuan * 100,
            issued_on=today - timedelta(days=days_ago),
        )
    if person.stage == "draft":
        return case
    signer = ConsentSigner.GUARDIAN if case.applicant_under_14 else ConsentSigner.SELF
    kinds = [ConsentKind.SENSITIVE, ConsentKind.PUBLICATION, ConsentKind.SHARING]
    if case.applicant_under_14:
        kinds.append(ConsentKind.GUARDIAN)
    for kind in kinds:
        services.record_consent(actor=intake, case=case, kind=kind, signer=signer)
    for kind in programme.required_documents:
        label = DocumentKind(kind).label
        body = person.diagnosis if kind == "diagnosis" else f"{person.name} {label}"
        upload = SimpleUploadedFile(f"{label}.pdf", _pdf(label, body), content_type="application/pdf")
        services.add_document(actor=intake, case=case, kind=kind, file=upload)
    ago = NOTICE_AGO.get(person.stage, 0)
    decided_on = today - timedelta(days=ago)
    services.submit_case(actor=intake, case=case, today=decided_on - timedelta(days=3))
    steps = list(programme.steps.order_by("position"))
    reviewers = {
        "village": users.get(person.village),
        "township": users[township],
        "district": users[district],
        "city": users["city"],
    }
    count = STAGE_REVIEWS.get(person.stage, len(steps))
    if person.stage == "rejected":
        services.review_case(
            actor=reviewers["village"],
            case=case,
            decision=ReviewDecision.APPROVE,
            opinion="情况属实",
            no_conflict_declared=True,
            home_visit_on=today - timedelta(days=1),
            today=today,
        )
        services.review_case(
            actor=reviewers["township"],
            case=case,
            decision=ReviewDecision.REJECT,
            opinion="择期手术费用已由医保和单位报销大部分，家庭不属于困难家庭，不符合大病救助条件。",
            no_conflict_declared=True,
            today=today,
        )
        return case
    for step in steps[:count]:
        services.review_case(
            actor=reviewers[step.level],
            case=case,
            decision=ReviewDecision.APPROVE,
            opinion="经核实，情况属实，同意上报。",
            no_conflict_declared=True,
            home_visit_on=decided_on - timedelta(days=2) if step.requires_home_visit else None,
            today=decided_on,
        )
    if person.stage == "objection":
        notice = case.notices.get(status="running")
        services.file_objection(
            notice_id=notice.pk, text="听说申请人家里新盖了楼房，请核实其家庭经济状况。", today=today
        )
    if person.stage in ("approved", "disbursed"):
        services.complete_due_notices(today=today)
    if person.stage == "disbursed":
        case.refresh_from_db()
        if _ensure_funds(programme.project, case.approved_fen):
            services.disburse(
                actor=users["federation"],
                case=case,
                amount_fen=case.approved_fen,
                method=DisbursementMethod.BENEFICIARY_ACCOUNT,
                paid_on=today - timedelta(days=3),
                account_holder=person.name,
                bank_name="湖北农信鄂州华容支行",
                account_number="6217 9830 0012 3456 789",
            )
            services.record_follow_up(
                actor=users["social_worker"],
                case=case,
                kind=FollowUpKind.HOME_VISIT,
                on=today - timedelta(days=1),
                services="心理疏导、营养指导、链接医院随访",
                notes="已收到救助金，按期复查，情绪较前稳定；下次随访安排在一个月后。",
                volunteers="华容区“暖心”志愿服务队",
            )
    return case


def load_aid_demo(*, today: date | None = None) -> AidDemoReport:
    """Load (or top up) the aid demo; returns the staff logins it made and the shared demo password."""
    today = today or timezone.localdate()
    password, new_password = _password()
    logins: list[tuple[str, str]] = []
    totp_secrets: dict[str, str] = {}
    with transaction.atomic():
        regions = _regions()
        users = _network(regions, make_password(password), logins, totp_secrets)
        programmes = _programmes()
    added = 0
    for person in PEOPLE:
        if Beneficiary.objects.filter(id_number_index=services.id_number_index(person.id_number)).exists():
            continue
        with transaction.atomic():
            if _case(person, programmes, regions, users, today) is not None:
                added += 1
    return AidDemoReport(cases_added=added, password=new_password or password, logins=logins, totp_secrets=totp_secrets)


def demo_secrets() -> list[str]:
    """The plaintexts the demo seeds that must never be stored unencrypted (for the tests)."""
    values = []
    for person in PEOPLE:
        values += [person.name, person.id_number]
        if person.diagnosis:
            values.append(person.diagnosis)
        if person.phone:
            values.append(person.phone)
        if person.guardian:
            values += [person.guardian[0], person.guardian[1]]
    return values


__all__ = ["PEOPLE", "AidDemoReport", "CaseStatus", "demo_secrets", "load_aid_demo"]
