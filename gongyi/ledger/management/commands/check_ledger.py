from django.core.management.base import BaseCommand, CommandError

from gongyi.ledger.selectors import find_ledger_problems


class Command(BaseCommand):
    help = "Check that every journal entry balances and every account's totals equal the sum of its lines."

    def handle(self, *args, **options):
        problems = find_ledger_problems()
        for problem in problems:
            self.stderr.write(f"{problem.what}: {problem.detail}")
        if problems:
            raise CommandError(f"{len(problems)} ledger problem(s)")
        self.stdout.write("ledger OK: every entry balanced, every account equal to its lines")
