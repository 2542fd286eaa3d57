"""The double-entry ledger: accounts, journal entries and their lines.

Invariants (enforced by database triggers, see migration 0002, and tested by expecting the database
to refuse):

1. An entry is *posted* only when it has at least two lines and its lines sum to zero.
2. Lines are never updated or deleted, and no line is added to a posted entry.
3. A posted entry is never edited or deleted; a mistake is corrected by a reversing entry.

Amounts are signed fen: positive is a debit, negative a credit. An account's balance is the sum of
the lines of its posted entries; ``debits_fen`` and ``credits_fen`` on the account move with each
posting in the same transaction and are checked against the lines by ``gongyi check_ledger``.
"""

from __future__ import annotations

from django.db import models


class AccountKind(models.TextChoices):
    PROVIDER_CLEARING = "provider_clearing", "支付渠道待清算"
    BANK = "bank", "银行存款"
    PROJECT_DONATIONS = "project_donations", "项目公众捐赠"
    PROJECT_MATCHING = "project_matching", "项目配捐"
    PROJECT_INCENTIVES = "project_incentives", "项目激励"
    MATCHING_POOL = "matching_pool", "配捐池"
    SPONSOR_COMMITMENT = "sponsor_commitment", "配捐方应拨付（承诺）"
    FORFEITED_MATCHING = "forfeited_matching", "收回配捐"
    REFUNDS_PAYABLE = "refunds_payable", "应退捐款"
    PROJECT_SPENDING = "project_spending", "项目支出"
    EXPENDITURE_PAYABLE = "expenditure_payable", "应付项目支出款"
    CASH = "cash", "库存现金"
    GENERAL_FUND = "general_fund", "非限定性捐赠（统筹使用）"
    IN_KIND_STOCK = "in_kind_stock", "捐赠物资库存"
    IN_KIND_DONATIONS = "in_kind_donations", "物资捐赠收入"
    IN_KIND_HANDOUTS = "in_kind_handouts", "捐赠物资发放"
    NAMED_FUND = "named_fund", "冠名基金（可用）"
    NAMED_FUND_PRINCIPAL = "named_fund_principal", "冠名基金（留本）"
    PROJECT_FUND_GRANTS = "project_fund_grants", "项目冠名基金拨款"


# Accounts whose balance is normally a credit (what the fund holds for a purpose) are shown negated.
CREDIT_NORMAL_KINDS = frozenset(
    {
        AccountKind.PROJECT_DONATIONS,
        AccountKind.PROJECT_MATCHING,
        AccountKind.PROJECT_INCENTIVES,
        AccountKind.MATCHING_POOL,
        AccountKind.FORFEITED_MATCHING,
        AccountKind.REFUNDS_PAYABLE,
        AccountKind.EXPENDITURE_PAYABLE,
        AccountKind.GENERAL_FUND,
        AccountKind.IN_KIND_DONATIONS,
        AccountKind.NAMED_FUND,
        AccountKind.NAMED_FUND_PRINCIPAL,
        AccountKind.PROJECT_FUND_GRANTS,
    }
)


class Account(models.Model):
    code = models.CharField("科目代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=128)
    kind = models.CharField("类型", max_length=32, choices=AccountKind.choices)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    debits_fen = models.BigIntegerField("借方累计（分）", default=0, editable=False)
    credits_fen = models.BigIntegerField("贷方累计（分）", default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "会计科目"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(debits_fen__gte=0, credits_fen__gte=0), name="account_totals_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def balance_fen(self) -> int:
        """Balance in the account's normal direction (credit-normal accounts read positive)."""
        raw = self.debits_fen - self.credits_fen
        return -raw if self.kind in CREDIT_NORMAL_KINDS else raw


class EntryKind(models.TextChoices):
    GIFT = "gift", "捐赠"
    GIFT_REVERSAL = "gift_reversal", "捐赠冲回（退款）"
    MATCH = "match", "配捐"
    MATCH_REVERSAL = "match_reversal", "配捐冲回"
    POOL_FUNDING = "pool_funding", "配捐池注资"
    INCENTIVE = "incentive", "激励"
    SETTLEMENT = "settlement", "渠道结算"
    ADJUSTMENT = "adjustment", "调整"
    EXPENDITURE = "expenditure", "项目支出"
    EXPENDITURE_REVERSAL = "expenditure_reversal", "项目支出冲回"
    DISBURSEMENT = "disbursement", "救助款拨付"
    DISBURSEMENT_REVERSAL = "disbursement_reversal", "救助款拨付冲回"
    IN_KIND_GIFT = "in_kind_gift", "物资捐赠入库"
    IN_KIND_GIFT_REVERSAL = "in_kind_gift_reversal", "物资捐赠冲回"
    IN_KIND_HANDOUT = "in_kind_handout", "物资发放"
    IN_KIND_HANDOUT_REVERSAL = "in_kind_handout_reversal", "物资发放冲回"
    FUND_TRANSFER = "fund_transfer", "转入冠名基金"
    FUND_INCOME = "fund_income", "冠名基金收益"
    FUND_GRANT = "fund_grant", "冠名基金拨付项目"


class JournalEntry(models.Model):
    """One balanced movement of money. ``idempotency_key`` makes posting the same fact twice impossible."""

    kind = models.CharField("类型", max_length=24, choices=EntryKind.choices)
    idempotency_key = models.CharField("幂等键", max_length=128, unique=True)
    memo = models.CharField("摘要", max_length=200)
    occurred_at = models.DateTimeField("业务发生时间")
    posted_at = models.DateTimeField("记账时间", null=True, blank=True)
    is_posted = models.BooleanField("已过账", default=False)
    reverses = models.OneToOneField(
        "self",
        verbose_name="冲回的分录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    gift = models.ForeignKey("giving.Gift", null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    class Meta:
        verbose_name = verbose_name_plural = "记账分录"
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "kind"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    amount_fen = models.BigIntegerField("金额（分，借正贷负）")

    class Meta:
        verbose_name = verbose_name_plural = "分录行"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount_fen=0), name="line_amount_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_fen}"
