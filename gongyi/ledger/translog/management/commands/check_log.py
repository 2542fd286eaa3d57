from django.core.management.base import BaseCommand, CommandError

from gongyi.ledger.translog.audit import audit_log
from gongyi.ledger.translog.live import append_missing_entries, integrate_queued_leaves


class Command(BaseCommand):
    help = (
        "Recompute the public log from its leaf bytes and compare it with the stored subtree hashes, the tree "
        "state and every checkpoint; check every posted entry has a record. Exits non-zero on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--append-missing",
            action="store_true",
            help="first append records for posted entries that have none (entries posted before the log existed)",
        )

    def handle(self, *args, append_missing=False, **options):
        if append_missing:
            queued = append_missing_entries()
            added = integrate_queued_leaves()
            self.stdout.write(f"queued {queued} missing record(s); integrated {added} leaf/leaves")
        audit = audit_log()
        for problem in audit.problems:
            self.stderr.write(f"{problem.what}: {problem.detail}")
        if audit.problems:
            raise CommandError(f"{len(audit.problems)} public-log problem(s)")
        self.stdout.write(
            f"log OK: {audit.size} leaves, root {audit.root.hex()}, {audit.checkpoints} checkpoint(s) verified"
        )
