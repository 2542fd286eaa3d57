"""Named funds (冠名基金): funds under the federation named for a donor company or person.

A named fund is not a legal entity (regulation §8): it has no bank account of its own and is accounted
for inside the federation's books, as a sub-ledger of two accounts:

* ``fund:<id>:principal`` (``NAMED_FUND_PRINCIPAL``) — contributions the founder asked to keep (留本);
* ``fund:<id>:available`` (``NAMED_FUND``) — what may be granted to projects: contributions not kept,
  plus income (interest) on the kept principal.

So *available = contributions − principal kept + income − grants*, and a principal-kept fund spends only
what is not principal. Every figure of a fund — its statement, its balance — is read from those two
accounts; the rows here say *who* gave, *what* was granted to *which* project, and who approved it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from gongyi.core.masking import mask_name


class FundKind(models.TextChoices):
    KEEP_PRINCIPAL = "keep_principal", "留本冠名基金（本金保留，只用收益）"
    SPEND = "spend", "动本冠名基金（本金可用）"


class FounderKind(models.TextChoices):
    ORGANISATION = "organisation", "单位"
    PERSON = "person", "个人"


class FundStatus(models.TextChoices):
    PLEDGED = "pledged", "筹建中（未达起设金额）"
    ACTIVE = "active", "已设立"
    CLOSED = "closed", "已终止"


class NamedFund(models.Model):
    """One named fund: its founder, type, commitments and the federation that manages it.

    ``minimum_fen`` (起设金额) is what live contributions must reach before the fund is *active* and may
    grant; ``yearly_commitment_fen`` × ``commitment_years`` is what the founder promised to add in the
    years after the agreement (河南 2025: ≥ 20% of the initial fund each year for 3 years). All three are
    set per fund; their defaults come from settings, read when the fund is created.
    """

    name = models.CharField("基金名称", max_length=100, unique=True)
    founder_kind = models.CharField("冠名方类型", max_length=16, choices=FounderKind.choices)
    founder_name = models.CharField("冠名方", max_length=100)
    founder_uscc = models.CharField("冠名方统一社会信用代码", max_length=18, blank=True)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name="管理机构", on_delete=models.PROTECT, related_name="named_funds"
    )
    kind = models.CharField("基金类型", max_length=16, choices=FundKind.choices)
    purpose = models.CharField("资助方向", max_length=300, help_text="公开显示")
    minimum_fen = models.BigIntegerField("起设金额（分）")
    yearly_commitment_fen = models.BigIntegerField("每年承诺注资（分）")
    commitment_years = models.PositiveSmallIntegerField("承诺年限（年）")
    agreement_signed_on = models.DateField("协议签订日期")
    status = models.CharField("状态", max_length=16, choices=FundStatus.choices, default=FundStatus.PLEDGED)
    established_on = models.DateField("设立日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "冠名基金"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_fen__gte=0, yearly_commitment_fen__gte=0), name="fund_commitments_nonneg"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(established_on__isnull=False), name="fund_active_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_founder(self) -> str:
        """Organisations by name; a person masked (the fund's own name carries what they agreed to show)."""
        if self.founder_kind == FounderKind.PERSON:
            return mask_name(self.founder_name)
        return self.founder_name

    @property
    def keeps_principal(self) -> bool:
        return self.kind == FundKind.KEEP_PRINCIPAL


class ContributionSource(models.TextChoices):
    OFFLINE_GIFT = "offline_gift", "线下捐赠（转账/现金）"
    TRANSFER = "transfer", "从非限定性捐赠划入"
    INCOME = "income", "本金收益（利息）"


class ContributionStatus(models.TextChoices):
    LIVE = "live", "有效"
    REVERSED = "reversed", "已冲回"


class FundContribution(models.Model):
    """Money that entered the fund, with the ledger entry that brought it (one entry, one contribution)."""

    fund = models.ForeignKey(NamedFund, on_delete=models.PROTECT, related_name="contributions")
    amount_fen = models.BigIntegerField("金额（分）")
    to_principal = models.BooleanField("计入留本本金", default=False)
    source = models.CharField("来源", max_length=16, choices=ContributionSource.choices)
    reference = models.CharField("单号", max_length=64, blank=True, help_text="线下捐赠单号等，不含个人信息")
    contributed_on = models.DateField("到账日期")
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="fund_contribution", verbose_name="记账分录"
    )
    status = models.CharField("状态", max_length=8, choices=ContributionStatus.choices, default=ContributionStatus.LIVE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "冠名基金注资"
        ordering = ["contributed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fund_contribution_positive"),
            models.CheckConstraint(
                condition=~Q(source="income") | Q(to_principal=False), name="fund_income_not_principal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id}: {self.amount_fen}"


class GrantStatus(models.TextChoices):
    PROPOSED = "proposed", "待审批"
    POSTED = "posted", "已拨付入账"
    REJECTED = "rejected", "未批准"


class FundGrant(models.Model):
    """A project drawing on a fund: proposed by one staff member, approved (and posted) by another."""

    fund = models.ForeignKey(NamedFund, on_delete=models.PROTECT, related_name="grants")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="fund_grants")
    amount_fen = models.BigIntegerField("金额（分）")
    purpose = models.CharField("用途", max_length=200, help_text="公开显示，请勿填写个人信息")
    status = models.CharField("状态", max_length=16, choices=GrantStatus.choices, default=GrantStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="fund_grant"
    )

    class Meta:
        verbose_name = verbose_name_plural = "冠名基金拨款"
        ordering = ["-id"]
        permissions = [("approve_fundgrant", "可审批冠名基金拨款")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fund_grant_positive"),
            models.CheckConstraint(condition=~Q(decided_by=F("proposed_by")), name="fund_grant_not_by_proposer"),
            models.CheckConstraint(
                condition=~Q(status="posted") | Q(entry__isnull=False), name="fund_grant_posted_has_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} → {self.project_id}: {self.amount_fen}"


class FundEventKind(models.TextChoices):
    CREATED = "created", "设立登记"
    CONTRIBUTED = "contributed", "注资"
    CONTRIBUTION_REVERSED = "contribution_reversed", "注资冲回"
    INCOME = "income", "收益入账"
    ESTABLISHED = "established", "达到起设金额"
    GRANT_PROPOSED = "grant_proposed", "拨款申请"
    GRANT_POSTED = "grant_posted", "拨款审批入账"
    GRANT_REJECTED = "grant_rejected", "拨款未批准"


class FundEvent(models.Model):
    """Append-only trail of a fund: who did what, when, with which details."""

    fund = models.ForeignKey(NamedFund, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=FundEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "冠名基金操作记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.kind}"
