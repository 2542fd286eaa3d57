"""The seed's festival, organisations and projects (鄂州市 · 第二届湖北数字公益节 · 慈善一日捐)."""

from __future__ import annotations

from gongyi.core.checkdigits import uscc_check_char

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code(first8: str) -> str:
    """A GB 11714 organisation code (9 characters) with its check character."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in first8]
    check = 11 - sum(v * w for v, w in zip(values, ORG_CODE_WEIGHTS, strict=True)) % 11
    return first8 + {10: "X", 11: "0"}.get(check, str(check))


def uscc(registration: str, region: str, first8: str) -> str:
    """An 18-character credit code whose check characters are right (the numbers are illustrative)."""
    first17 = registration + region + org_code(first8)
    return first17 + uscc_check_char(first17)


REGIONS = [
    ("420000", "湖北省", "province", None),
    ("420700", "鄂州市", "city", "420000"),
    ("420702", "梁子湖区", "district", "420700"),
    ("420703", "华容区", "district", "420700"),
    ("420704", "鄂城区", "district", "420700"),
    ("420771", "葛店经济技术开发区", "zone", "420700"),
    ("420772", "临空经济区", "zone", "420700"),
]

FEDERATION = {
    "name": "鄂州市慈善总会",
    "short_name": "市慈善总会",
    "kind": "federation",
    "uscc": uscc("51", "420700", "50170012"),
    "region": "420700",
    "has_public_fundraising": True,
    "fundraising_certificate_no": "鄂民慈公募〔2017〕07号",
    "fundraising_certificate_issuer": "鄂州市民政局",
    "contact_person": "市慈善总会办公室",
    "contact_phone": "0711-3201234",
    "address": "湖北省鄂州市鄂城区滨湖南路",
    "description": "鄂州市慈善总会是依法登记、具有公开募捐资格的慈善组织，组织开展“慈善一日捐”、大病救助、"
    "助学助老等慈善项目，建设区、乡镇、村三级慈善服务网络。",
}

ORGANISATIONS = [
    {
        "name": "湖北省慈善总会",
        "short_name": "省慈善总会",
        "kind": "federation",
        "uscc": uscc("51", "420000", "41700321"),
        "region": "420000",
        "has_public_fundraising": True,
        "fundraising_certificate_no": "鄂民慈公募〔2016〕01号",
        "fundraising_certificate_issuer": "湖北省民政厅",
        "contact_person": "项目部",
        "contact_phone": "027-87234567",
        "address": "湖北省武汉市武昌区",
    },
    {
        "name": "湖北省青少年发展基金会",
        "kind": "foundation",
        "uscc": uscc("53", "420000", "41700845"),
        "region": "420000",
        "has_public_fundraising": True,
        "fundraising_certificate_no": "鄂民慈公募〔2016〕03号",
        "fundraising_certificate_issuer": "湖北省民政厅",
        "contact_person": "秘书处",
        "contact_phone": "027-87654321",
    },
    {
        "name": "湖北省妇女儿童发展基金会",
        "kind": "foundation",
        "uscc": uscc("53", "420000", "41700917"),
        "region": "420000",
        "has_public_fundraising": True,
        "fundraising_certificate_no": "鄂民慈公募〔2016〕05号",
        "fundraising_certificate_issuer": "湖北省民政厅",
        "contact_person": "秘书处",
        "contact_phone": "027-87112233",
    },
    {
        "name": "湖北省红十字基金会",
        "kind": "foundation",
        "uscc": uscc("53", "420000", "41701024"),
        "region": "420000",
        "has_public_fundraising": True,
        "fundraising_certificate_no": "鄂民慈公募〔2016〕06号",
        "fundraising_certificate_issuer": "湖北省民政厅",
        "contact_person": "秘书处",
        "contact_phone": "027-87445566",
    },
    {
        "name": "腾讯公益慈善基金会",
        "kind": "foundation",
        "uscc": uscc("53", "100000", "71783188"),
        "has_public_fundraising": True,
        "fundraising_certificate_no": "民政部公募〔2016〕12号",
        "fundraising_certificate_issuer": "民政部",
        "contact_person": "项目部",
        "contact_phone": "0755-86013388",
    },
    {
        "name": "鄂州市华容区社会工作服务中心",
        "kind": "social_service",
        "uscc": uscc("52", "420703", "MA4F2K31"),
        "region": "420703",
        "contact_person": "陈社工",
        "contact_phone": "0711-5321100",
    },
]

CAMPAIGN = {
    "slug": "hubei-digital-2",
    "name": "第二届湖北数字公益节 · 鄂州慈善一日捐",
    "tagline": "公益不是一个人做了很多，而是很多人做了一点点",
    "guiding_units": "湖北省民政厅\n共青团湖北省委\n湖北省妇女联合会\n湖北省红十字会",
    "host": "湖北省慈善总会",
    "co_hosts": [
        "湖北省青少年发展基金会",
        "湖北省妇女儿童发展基金会",
        "湖北省红十字基金会",
        "鄂州市慈善总会",
    ],
    "sponsor": "腾讯公益慈善基金会",
    "sponsor_commitment_fen": 30_000_000_00,
    "description": "活动期间，腾讯公益慈善基金会面向第二届湖北数字公益节所有在筹的公益项目，"
    "提供3000万元活动配捐和激励。"
    "鄂州市以“共同缔造”为指引，开展“慈善一日捐”，倡导单位、个人通过移动互联网自愿捐赠，"
    "扶贫、济困、扶老、救孤，助力乡村振兴和困难群体救助。",
}

# (title, domain, target yuan, summary, story, beneficiaries, use of funds)
PROJECTS = [
    (
        "鄂州慈善幸福家园",
        "rural",
        500_000,
        "村社互助，共同缔造幸福家园",
        "“幸福家园”村社互助项目依托全省联动，在鄂州各村（社区）设立互助资金，由村民共同参与、共同管理，"
        "用于本村困难群众的临时救助、助学助老和公益服务。\n每一笔善款都进入所在村的互助资金专户，使用情况在村务公开栏和本平台同步公示。",
        "鄂州市各村（社区）困难群众",
        "村（社区）互助资金：临时救助、助学、助老、公益服务",
    ),
    (
        "鄂州市慈善大病救助",
        "life_health",
        1_000_000,
        "为因病致贫的家庭减轻医疗负担",
        "市慈善总会自主长期开展的大病救助项目，对患重特大疾病、经基本医保、大病保险和医疗救助后个人负担仍然较重的"
        "困难家庭给予救助。申请经村、乡镇、区、市四级审核并公示后拨付。",
        "鄂州市户籍、患重特大疾病的困难群众",
        "按救助标准拨付医疗费用救助金",
    ),
    (
        "医路同行",
        "life_health",
        300_000,
        "送医下乡，陪伴就医",
        "联合医疗机构和社工，为行动不便的老人和慢病患者提供义诊、陪诊和健康管理服务，让看病的路不再孤单。",
        "农村老人、慢病患者",
        "义诊巡回、陪诊服务、健康包",
    ),
    (
        "童享阳光",
        "orphans",
        400_000,
        "困境儿童助养，让每个孩子都被看见",
        "为孤儿、事实无人抚养儿童和困境家庭儿童提供每月助养金，并由社工定期家访，提供学业辅导和心理陪伴。",
        "鄂州市困境儿童",
        "助养金、学习用品、社工陪伴服务",
    ),
    (
        "鄂州高中慈善阳光班",
        "education",
        600_000,
        "资助品学兼优的困难家庭高中生",
        "与省慈善总会联合开办“慈善阳光班”，资助家庭困难、品学兼优的高中学生完成三年学业。",
        "鄂州市高中阶段困难家庭学生",
        "学费、生活补助",
    ),
    (
        "一张纸献爱心",
        "hardship",
        200_000,
        "一张纸的钱，一份暖心的爱",
        "在机关、学校、商场设置一张纸献爱心捐赠箱，号召每人每天节约一张纸的钱，汇聚成帮助困难群众的善款。",
        "鄂州市困难群众",
        "临时救助",
    ),
    (
        "扶您一把",
        "elderly",
        300_000,
        "帮扶困难老人安度晚年",
        "为高龄、失能、独居困难老人提供生活物资、适老化改造和上门照料服务。",
        "鄂州市困难老人",
        "生活物资、适老化改造、上门服务",
    ),
    (
        "儿童福利院儿童关爱",
        "orphans",
        150_000,
        "为福利院的孩子们送去关爱",
        "为市儿童福利院的孩子们提供康复训练、兴趣课程和节日关爱活动。",
        "鄂州市儿童福利院儿童",
        "康复训练、兴趣课程、节日关爱",
    ),
    (
        "美丽村湾 · 修桥筑路",
        "rural",
        800_000,
        "联合爱心企业为村湾修桥、筑路、修水渠",
        "联合定向捐助企业，在农村村湾开展修桥、筑路、修水渠等公益项目，改善群众出行和生产条件。",
        "梁子湖区、华容区相关村湾群众",
        "桥梁、道路、水渠修缮",
    ),
    (
        "最美拥军 · 优抚关爱",
        "military_families",
        200_000,
        "关爱军属、退役军人困难家庭",
        "为困难军属、烈属和退役军人家庭提供节日慰问、医疗帮扶和子女助学。",
        "鄂州市困难优抚对象家庭",
        "慰问金、医疗帮扶、助学金",
    ),
    (
        "洋澜湖生态守护",
        "environment",
        150_000,
        "守护一湖碧水",
        "组织志愿者开展湖岸清洁、垃圾分类宣传和生态监测，守护洋澜湖的碧水蓝天。",
        "洋澜湖周边居民",
        "清洁工具、宣传物料、志愿者保险",
    ),
]

DEMO_DONORS = [
    ("张**", "张伟", "愿大家都健康平安！"),
    ("", "", "一点心意"),
    ("李娜", "李娜", "加油！"),
    ("王芳", "王芳", ""),
    ("刘洋", "刘洋", "人人为我，我为人人"),
    ("陈静", "陈静", "为家乡出一份力"),
    ("杨帆", "杨帆", ""),
    ("赵磊", "赵磊", "孩子们加油"),
    ("", "", ""),
    ("黄敏", "黄敏", "善行鄂州"),
]

MATCHING_POOL = {
    "name": "腾讯公益 · 第二届湖北数字公益节鄂州配捐",
    "total_fen": 1_000_000_00,
    "min_gift_fen": 100,
    "ratio_min_bp": 5000,
    "ratio_max_bp": 15000,
    "per_donor_daily_cap_fen": 999_00,
    "per_project_cap_fen": 50_000_00,
    "incentives": [
        {
            "kind": "tiers",
            "metric": "donors",
            "tiers": [{"min": 100, "fen": 1_000_00}, {"min": 1000, "fen": 10_000_00}],
        },
        {"kind": "share", "metric": "donors", "pool_fen": 50_000_00, "min_metric": 10, "cap_fen": 20_000_00},
    ],
}
