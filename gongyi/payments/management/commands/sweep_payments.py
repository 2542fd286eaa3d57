"""``gongyi sweep_payments``: what the periodic task does, once — stuck orders, unfinished refunds, old nonces."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Query providers for orders pending too long and refunds not yet final; forget expired nonces."

    def add_arguments(self, parser):
        parser.add_argument("--stuck-minutes", type=int, default=3, help="orders pending at least this long")

    def handle(self, *args, stuck_minutes: int, **options):
        from gongyi.payments.sweeps import sweep_payments

        result = sweep_payments(stuck_after=timedelta(minutes=max(stuck_minutes, 0)))
        orders, refunds = result["orders"], result["refunds"]
        self.stdout.write(
            f"orders: {orders.confirmed} confirmed, {orders.closed} closed, {orders.still_pending} pending, "
            f"{orders.errors} errors; refunds: {refunds.recorded} recorded, {refunds.failed} failed, "
            f"{refunds.still_pending} pending, {refunds.errors} errors; nonces pruned: {result['nonces_pruned']}"
        )
