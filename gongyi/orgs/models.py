"""Organisations (慈善组织, the federation itself) and the GB/T 2260 regions they work in."""

from __future__ import annotations

from django.db import models

from gongyi.core.checkdigits import check_uscc, normalize_uscc
from gongyi.core.validators import validate_uscc_format


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    DISTRICT = "district", "区/县"
    ZONE = "zone", "功能区"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"


class Region(models.Model):
    """An administrative division, keyed by its GB/T 2260 code (longer codes below county level)."""

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class OrganisationKind(models.TextChoices):
    FEDERATION = "federation", "慈善总会"
    FOUNDATION = "foundation", "基金会"
    SOCIAL_GROUP = "social_group", "社会团体"
    SOCIAL_SERVICE = "social_service", "社会服务机构"
    COMPANY = "company", "企业"
    GOVERNMENT = "government", "机关"
    OTHER = "other", "其他"


class Organisation(models.Model):
    """A charity organisation or other body named on projects and campaigns.

    The credit code is stored normalised; ``uscc_check_ok`` records whether its GB 32100 check character
    matched, since some legal pilot codes fail the check (staff are warned, the code is kept).
    """

    name = models.CharField("名称", max_length=128, unique=True)
    short_name = models.CharField("简称", max_length=32, blank=True)
    kind = models.CharField(
        "类型", max_length=24, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    uscc = models.CharField(
        "统一社会信用代码",
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc_format],
    )
    uscc_check_ok = models.BooleanField("信用代码校验通过", default=False, editable=False)
    region = models.ForeignKey(Region, verbose_name="登记地", null=True, blank=True, on_delete=models.PROTECT)
    registered_on = models.DateField("登记日期", null=True, blank=True)
    has_public_fundraising = models.BooleanField("具有公开募捐资格", default=False)
    fundraising_certificate_no = models.CharField("公开募捐资格证书编号", max_length=64, blank=True)
    fundraising_certificate_issuer = models.CharField("发证机关", max_length=64, blank=True)
    fundraising_certificate_valid_from = models.DateField("资格取得日期", null=True, blank=True)
    contact_person = models.CharField("联系人", max_length=32, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    address = models.CharField("办公地址", max_length=200, blank=True)
    website = models.URLField("网站", blank=True)
    description = models.TextField("简介", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(has_public_fundraising=False) | ~models.Q(fundraising_certificate_no=""),
                name="org_fundraising_needs_certificate",
                violation_error_message="具有公开募捐资格的组织须填写资格证书编号",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Normalising and recording the check result is data hygiene, not domain logic.
        if self.uscc:
            self.uscc = normalize_uscc(self.uscc)
            self.uscc_check_ok = check_uscc(self.uscc).check_ok
        else:
            self.uscc = None
            self.uscc_check_ok = False
        super().save(*args, **kwargs)

    @property
    def uscc_warning(self) -> str:
        if not self.uscc:
            return "未填写统一社会信用代码"
        result = check_uscc(self.uscc)
        return "" if result.check_ok else f"统一社会信用代码校验未通过：{result.message}（请核对证书）"
