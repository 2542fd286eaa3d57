from django.core.management.base import BaseCommand, CommandError

from gongyi.drives.services import settle_refunded_credits
from gongyi.drives.tallies import find_tally_problems, rebuild_tallies


class Command(BaseCommand):
    help = "Check the 一日捐 league counters against a scan of credits and gift statuses (exit 1 on a difference)."

    def add_arguments(self, parser):
        parser.add_argument("--settle-refunds", action="store_true", help="first uncredit refunded gifts still counted")
        parser.add_argument(
            "--repair", action="store_true", help="rewrite every counter from the scan (run when the site is quiet)"
        )

    def handle(self, *args, settle_refunds=False, repair=False, **options):
        if settle_refunds:
            self.stdout.write(f"uncredited refunded gifts: {settle_refunded_credits()}")
        if repair:
            self.stdout.write(f"rewrote {rebuild_tallies()} league lines from the scan")
        problems = find_tally_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} difference(s) between league counters and the scan")
        self.stdout.write("league counters equal the scan of credits")
