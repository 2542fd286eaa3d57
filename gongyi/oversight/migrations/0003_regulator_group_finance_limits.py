"""Data: the ``regulator`` and ``federation_staff`` groups (gongyi.core.roles) and the default finance limits.

Defaults (regulation.md §4): foundations ≥70% charity spending, management ≤10% (Charity Law art. 61);
social groups, social service institutions and the federation (a 社会团体) ≥70%, management ≤13%
(民发〔2016〕189号); management cost under ¥200,000 exempt (189号 art. 11); fundraising cost ≤3% of donations
(the 2025 draft, not final: change or clear it in the admin); warnings 2 points before a limit.
"""

from django.db import migrations

GROUPS = ("regulator", "federation_staff")

LIMITS = {
    "foundation": (7000, 1000, "《慈善法》第六十一条：公募基金会"),
    "social_group": (7000, 1300, "民发〔2016〕189号：具有公开募捐资格的社会团体"),
    "social_service": (7000, 1300, "民发〔2016〕189号：具有公开募捐资格的社会服务机构"),
    "federation": (7000, 1300, "民发〔2016〕189号：慈善总会（社会团体）"),
}


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    FinanceLimit = apps.get_model("oversight", "FinanceLimit")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    for kind, (charity_bp, management_bp, basis) in LIMITS.items():
        FinanceLimit.objects.get_or_create(
            organisation_kind=kind,
            organisation=None,
            defaults={
                "min_charity_spending_bp": charity_bp,
                "max_management_bp": management_bp,
                "max_fundraising_cost_bp": 300,
                "warning_margin_bp": 200,
                "management_exemption_fen": 20_000_000,
                "basis": basis,
            },
        )


def unseed(apps, schema_editor):
    FinanceLimit = apps.get_model("oversight", "FinanceLimit")
    FinanceLimit.objects.filter(organisation__isnull=True, organisation_kind__in=list(LIMITS)).delete()
    # The groups stay: users may have been put in them.


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("oversight", "0002_complaints_rules_finance"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
