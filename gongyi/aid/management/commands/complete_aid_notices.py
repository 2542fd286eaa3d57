"""Close the public notices whose period has passed (the periodic task does this hourly)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gongyi.aid.services import complete_due_notices


class Command(BaseCommand):
    help = "Complete aid notices past their end date without open objections; their cases await payment."

    def handle(self, *args, **options):
        self.stdout.write(f"notices completed: {complete_due_notices()}")
