from copy import copy

from django import forms
from django.contrib import admin, messages

from gongyi.ledger.admin import ReadOnlyAdmin
from gongyi.matching.models import DonorFlag, IncentiveAward, IncentiveRule, Match, MatchingPool, PoolTranche
from gongyi.matching.services import (
    PoolRuleError,
    pool_related_snapshot,
    prepare_pool,
    record_pool_related_change,
    save_pool,
    validate_pool_rules,
)


class MatchingPoolForm(forms.ModelForm):
    class Meta:
        model = MatchingPool
        fields = (
            "campaign", "sponsor", "name", "total_fen", "timezone", "window_start", "window_end",
            "match_from_minute", "match_to_minute", "min_gift_fen", "ratio_kind", "ratio_bp", "ratio_min_bp",
            "ratio_max_bp", "ratio_seed", "per_gift_cap_fen", "per_donor_daily_cap_fen",
            "per_donor_project_daily_cap_fen", "per_project_daily_cap_fen", "per_project_cap_fen",
            "limit_to_projects", "projects", "refund_returns_to_pool", "clawback_returns_to_pool", "is_active",
        )

    def clean(self):
        cleaned = super().clean()
        candidate = copy(self.instance)
        for name, value in cleaned.items():
            if name != "projects" and hasattr(candidate, name):
                setattr(candidate, name, value)
        try:
            prepare_pool(candidate)
            validate_pool_rules(candidate)
        except PoolRuleError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)
        return cleaned


class TrancheInline(admin.TabularInline):
    model = PoolTranche
    extra = 1


class IncentiveRuleInline(admin.StackedInline):
    model = IncentiveRule
    extra = 0


@admin.register(MatchingPool)
class MatchingPoolAdmin(admin.ModelAdmin):
    form = MatchingPoolForm
    list_display = ("name", "campaign", "sponsor", "total_fen", "matched_fen", "forfeited_fen", "is_active")
    readonly_fields = ("matched_fen", "forfeited_fen", "ratio_seed_sha256", "created_at")
    filter_horizontal = ("projects",)
    inlines = [TrancheInline, IncentiveRuleInline]

    def save_model(self, request, obj, form, change):
        # The related rules as they were, kept on the request (the admin instance is shared between requests).
        request.gongyi_pool_related_before = (
            pool_related_snapshot(MatchingPool.objects.get(pk=obj.pk)) if change else None
        )
        save_pool(pool=obj, actor=request.user)
        messages.info(request, f"配捐池已保存；池内余额 {obj.left_fen / 100:.2f} 元已记入账簿。")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record_pool_related_change(
            pool=form.instance, before=getattr(request, "gongyi_pool_related_before", None), actor=request.user
        )


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    list_display = (
        "gift",
        "pool",
        "project",
        "donor_key",
        "local_day",
        "ratio_bp",
        "matched_fen",
        "limited_by",
        "status",
    )
    list_filter = ("status", "pool", "limited_by")
    search_fields = ("donor_key", "gift__order__out_trade_no")


@admin.register(DonorFlag)
class DonorFlagAdmin(ReadOnlyAdmin):
    list_display = ("donor_key", "pool", "reason", "clawed_back_fen", "flagged_by", "flagged_at")


@admin.register(IncentiveAward)
class IncentiveAwardAdmin(ReadOnlyAdmin):
    list_display = ("pool", "project", "fen", "awarded_at")
