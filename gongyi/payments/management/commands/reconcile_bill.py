"""``gongyi reconcile_bill``: import a provider's daily bill (a file, or downloaded) and list the differences."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.payments.gateways import ALL_GATEWAYS


class Command(BaseCommand):
    help = "Import a provider's daily bill and reconcile it against paid orders and refunds; changes no money."

    def add_arguments(self, parser):
        parser.add_argument("--gateway", required=True, choices=ALL_GATEWAYS)
        parser.add_argument("--date", help="bill date YYYY-MM-DD (default: yesterday, Beijing time)")
        parser.add_argument("--file", help="the bill file; without it the bill is downloaded from the provider")
        parser.add_argument(
            "--fail-on-differences", action="store_true", help="exit with status 3 when any difference is open"
        )

    def handle(self, *args, gateway: str, date: str | None, file: str | None, fail_on_differences: bool, **options):
        from gongyi.payments.models import DifferenceStatus
        from gongyi.payments.reconciliation import ReconciliationError, reconcile_day

        bill_date = _parse_date(date) if date else timezone.localdate() - timedelta(days=1)
        content = None
        if file:
            try:
                content = Path(file).read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            report = reconcile_day(
                gateway=gateway, bill_date=bill_date, content=content, filename=Path(file).name if file else ""
            )
        except ReconciliationError as exc:
            raise CommandError(str(exc)) from None
        bill = report.bill
        self.stdout.write(
            f"{gateway} {bill_date}: bill #{bill.pk} ({'imported' if report.imported else 'already imported'}), "
            f"{bill.payments_count} payments {format_yuan(bill.payments_fen)}, "
            f"{bill.refunds_count} refunds {format_yuan(bill.refunds_fen)}"
        )
        open_count = 0
        for difference in report.differences:
            open_count += difference.status == DifferenceStatus.OPEN
            here = "—" if difference.here_fen is None else format_yuan(difference.here_fen)
            there = "—" if difference.there_fen is None else format_yuan(difference.there_fen)
            self.stdout.write(
                f"  [{difference.status}] {difference.kind} {difference.key} order={difference.out_trade_no or '—'} "
                f"here={here} there={there} {difference.detail}"
            )
        self.stdout.write(
            f"{len(report.differences)} differences ({report.new} new, {open_count} open), {report.cleared} cleared"
        )
        if fail_on_differences and open_count:
            raise SystemExit(3)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {text!r}") from None
