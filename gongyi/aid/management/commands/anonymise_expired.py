"""Anonymise the personal data of beneficiaries whose cases are all finished and past retention."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand

from gongyi.aid.services import anonymise_expired


class Command(BaseCommand):
    help = "Erase personal data of aid beneficiaries past their retention period (amounts and the ledger stay)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, today=None, **options):
        count = anonymise_expired(today=today)
        self.stdout.write(f"anonymised: {count}")
