"""Payments in the admin: orders (with refunds), which gateways are configured, refunds, bills, differences.

Everything here is read-only as a model form; every change goes through a service, behind its own
permission: ``payments.start_refund`` (refunds), ``payments.import_bill`` (import and reconcile bills),
``payments.resolve_difference`` (recover a gift from a bill, or mark a difference handled).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.ledger.admin import ReadOnlyAdmin
from gongyi.payments.gateways import ALL_GATEWAYS, statuses
from gongyi.payments.models import (
    Bill,
    BillLine,
    DifferenceKind,
    DifferenceStatus,
    Gateway,
    Order,
    PaymentEvent,
    PaymentNotification,
    ReconciliationDifference,
    RefundRequest,
    RefundStatus,
)

REFUND_PERMISSION = "payments.start_refund"
IMPORT_PERMISSION = "payments.import_bill"
RESOLVE_PERMISSION = "payments.resolve_difference"


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(fen)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("out_trade_no", "project", "amount_yuan", "gateway", "channel", "status", "created_at", "paid_at")
    list_filter = ("status", "gateway")
    search_fields = ("out_trade_no", "provider_txn_id")
    actions = ["start_refund"]
    change_list_template = "payments/admin/order_change_list.html"

    @admin.display(description="金额", ordering="amount_fen")
    def amount_yuan(self, obj: Order) -> str:
        return format_yuan(obj.amount_fen)

    def get_urls(self):
        return [
            path("gateways/", self.admin_site.admin_view(self.gateways_view), name="payments_order_gateways"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "gateway_statuses": statuses()}
        return super().changelist_view(request, extra_context=extra_context)

    def gateways_view(self, request):
        """Which gateways are configured, what each one still needs (variable names, never values)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "支付渠道配置",
            "opts": self.model._meta,
            "gateway_statuses": statuses(),
        }
        return TemplateResponse(request, "payments/admin/gateways.html", context)

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    @admin.action(description="发起退款（需填写理由）", permissions=["refund"])
    def start_refund(self, request, queryset):
        from gongyi.giving.models import Gift
        from gongyi.giving.services import RefundError, request_refund

        orders = list(queryset.order_by("pk"))
        reason = (request.POST.get("reason") or "").strip()
        if request.POST.get("confirm") != "yes" or not reason:
            if request.POST.get("confirm") == "yes":
                messages.error(request, "请填写退款理由。")
            return TemplateResponse(
                request,
                "payments/admin/refund_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "发起退款",
                    "opts": self.model._meta,
                    "orders": orders,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "reason": reason,
                },
            )
        for order in orders:
            gift = Gift.objects.filter(order=order).first()
            if gift is None:
                messages.error(request, f"{order.out_trade_no}：没有已确认的捐赠，不能退款。")
                continue
            try:
                refund = request_refund(gift=gift, reason=reason, actor=request.user)
            except RefundError as exc:
                messages.error(request, f"{order.out_trade_no}：{exc.message}")
                continue
            messages.success(
                request,
                f"{order.out_trade_no}：退款 {refund.refund_no}（{format_yuan(refund.amount_fen)}）"
                f"{refund.get_status_display()}。",
            )
        return None


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "gateway", "order", "provider_txn_id", "outcome", "received_at")
    list_filter = ("gateway", "outcome")
    search_fields = ("order__out_trade_no", "provider_txn_id")


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "refund_no",
        "order",
        "gateway",
        "amount_yuan",
        "status",
        "reason",
        "requested_by",
        "requested_at",
        "finished_at",
        "message",
    )
    list_filter = ("status", "gateway")
    search_fields = ("refund_no", "order__out_trade_no", "provider_refund_id")
    actions = ["settle_now"]

    @admin.display(description="退款金额", ordering="amount_fen")
    def amount_yuan(self, obj: RefundRequest) -> str:
        return format_yuan(obj.amount_fen)

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    @admin.action(description="向支付渠道查询结果（未答复的重新提交）", permissions=["refund"])
    def settle_now(self, request, queryset):
        from gongyi.payments.sweeps import settle_refund

        unfinished = queryset.filter(status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING]).select_related("order")
        for refund in unfinished:
            state = settle_refund(refund=refund)
            refund.refresh_from_db()
            if state is None:
                messages.warning(request, f"{refund.refund_no}：暂时无法得到渠道答复（{refund.message}）。")
            else:
                messages.info(request, f"{refund.refund_no}：{refund.get_status_display()}。")


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "actor", "order", "at", "details")
    list_filter = ("kind",)
    search_fields = ("order__out_trade_no",)


class BillImportForm(forms.Form):
    gateway = forms.ChoiceField(label="支付渠道", choices=[(g, Gateway(g).label) for g in ALL_GATEWAYS])
    bill_date = forms.DateField(label="账单日期", widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(
        label="账单文件",
        required=False,
        help_text="微信支付交易账单 CSV、支付宝业务明细 CSV 或其 zip、沙箱账单 CSV；留空则从支付渠道接口下载。",
    )

    def clean_bill_date(self):
        value = self.cleaned_data["bill_date"]
        if value >= timezone.localdate():
            raise forms.ValidationError("只能对已结束的日期对账")
        return value


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = (
        "bill_date",
        "gateway",
        "source",
        "payments_count",
        "payments_yuan",
        "refunds_count",
        "refunds_yuan",
        "open_differences",
        "imported_by",
        "imported_at",
        "reconciled_at",
    )
    list_filter = ("gateway", "source")
    exclude = ("content",)
    actions = ["reconcile_again"]
    change_list_template = "payments/admin/bill_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("content")
            .annotate(open_count=Count("differences", filter=Q(differences__status=DifferenceStatus.OPEN)))
        )

    @admin.display(description="收款金额", ordering="payments_fen")
    def payments_yuan(self, obj: Bill) -> str:
        return format_yuan(obj.payments_fen)

    @admin.display(description="退款金额", ordering="refunds_fen")
    def refunds_yuan(self, obj: Bill) -> str:
        return format_yuan(obj.refunds_fen)

    @admin.display(description="待处理差异", ordering="open_count")
    def open_differences(self, obj: Bill) -> str:
        return str(getattr(obj, "open_count", 0))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="payments_bill_import"),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm(IMPORT_PERMISSION)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def import_view(self, request):
        """Import a bill (uploaded, or downloaded from the provider) and reconcile it at once."""
        from gongyi.payments.reconciliation import ReconciliationError, reconcile_day

        if not self.has_import_permission(request):
            raise PermissionDenied
        yesterday = timezone.localdate() - timedelta(days=1)
        form = BillImportForm(request.POST or None, request.FILES or None, initial={"bill_date": yesterday})
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = reconcile_day(
                    gateway=form.cleaned_data["gateway"],
                    bill_date=form.cleaned_data["bill_date"],
                    content=upload.read() if upload else None,
                    filename=upload.name if upload else "",
                    actor=request.user,
                )
            except ReconciliationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _report_message(report))
                url = reverse("admin:payments_reconciliationdifference_changelist")
                return HttpResponseRedirect(f"{url}?bill__id__exact={report.bill.pk}")
        context = {
            **self.admin_site.each_context(request),
            "title": "导入对账单并对账",
            "opts": self.model._meta,
            "form": form,
            "gateway_statuses": statuses(),
        }
        return TemplateResponse(request, "payments/admin/bill_import.html", context)

    @admin.action(description="重新对账", permissions=["import"])
    def reconcile_again(self, request, queryset):
        from gongyi.payments.reconciliation import reconcile_bill

        for bill in queryset.defer("content"):
            messages.info(request, _report_message(reconcile_bill(bill=bill)))


def _report_message(report) -> str:
    bill = report.bill
    imported = "已导入" if report.imported else "此前已导入同一文件"
    counts = "，".join(f"{DifferenceKind(kind).label} {count}" for kind, count in report.counts().items())
    return (
        f"{bill.get_gateway_display()} {bill.bill_date} 账单{imported}：收款 {bill.payments_count} 笔，"
        f"退款 {bill.refunds_count} 笔；差异 {len(report.differences)} 项"
        f"{'（' + counts + '）' if counts else ''}，新发现 {report.new} 项，已消除 {report.cleared} 项。"
    )


@admin.register(BillLine)
class BillLineAdmin(ReadOnlyAdmin):
    list_display = ("bill", "line_no", "kind", "out_trade_no", "provider_txn_id", "amount_yuan", "occurred_at")
    list_filter = ("kind", "bill__gateway")
    search_fields = ("out_trade_no", "provider_txn_id", "refund_no")

    @admin.display(description="金额", ordering="amount_fen")
    def amount_yuan(self, obj: BillLine) -> str:
        return format_yuan(obj.amount_fen)


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(ReadOnlyAdmin):
    list_display = (
        "bill",
        "kind",
        "out_trade_no",
        "provider_txn_id",
        "refund_no",
        "here_yuan",
        "there_yuan",
        "detail",
        "status",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    )
    list_filter = ("status", "kind", "bill__gateway", "bill")
    search_fields = ("out_trade_no", "provider_txn_id", "refund_no", "key")
    actions = ["recover_gift", "mark_resolved"]

    @admin.display(description="本地金额", ordering="here_fen")
    def here_yuan(self, obj: ReconciliationDifference) -> str:
        return _yuan(obj.here_fen)

    @admin.display(description="账单金额", ordering="there_fen")
    def there_yuan(self, obj: ReconciliationDifference) -> str:
        return _yuan(obj.there_fen)

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm(RESOLVE_PERMISSION)

    @admin.action(description="从账单找回捐赠（先向支付渠道核实，再确认）", permissions=["resolve"])
    def recover_gift(self, request, queryset):
        from gongyi.payments.reconciliation import ReconciliationError, recover_gift_from_bill

        for difference in queryset.order_by("pk"):
            try:
                gift = recover_gift_from_bill(difference=difference, actor=request.user)
            except ReconciliationError as exc:
                messages.error(request, f"{difference.key}：{exc}")
                continue
            messages.success(
                request,
                f"{difference.out_trade_no}：已确认捐赠 {format_yuan(gift.amount_fen)}，证书 {gift.certificate_no}。",
            )

    @admin.action(description="标记为已人工处理（需填写说明）", permissions=["resolve"])
    def mark_resolved(self, request, queryset):
        from gongyi.payments.reconciliation import ReconciliationError, resolve_difference

        differences = list(queryset.order_by("pk"))
        note = (request.POST.get("note") or "").strip()
        if request.POST.get("confirm") != "yes" or not note:
            if request.POST.get("confirm") == "yes":
                messages.error(request, "请填写处理说明。")
            return TemplateResponse(
                request,
                "payments/admin/resolve_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "标记对账差异为已处理",
                    "opts": self.model._meta,
                    "differences": differences,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "note": note,
                },
            )
        for difference in differences:
            try:
                resolve_difference(difference=difference, note=note, actor=request.user)
            except ReconciliationError as exc:
                messages.error(request, f"{difference.key}：{exc}")
            else:
                messages.success(request, f"{difference.key}：已标记为已处理。")
        return None
