"""Re-encrypt every sealed aid value and document under the primary key (key rotation).

Production: add the new key to GONGYI_AID_KEYS, point GONGYI_AID_PRIMARY_KEY_ID at it, restart, run this;
when it reports 0 left under old keys, remove the old key. Demo: ``--new-key`` adds a key to the
persisted keyring and makes it primary first. ``--reindex`` recomputes the blind indexes after the
blind-index key was changed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gongyi.aid.rotation import reindex_blind_indexes, rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt aid personal data under the primary key; optionally add a demo key or rebuild blind indexes."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="demo mode: add a new key and make it primary")
        parser.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")
        parser.add_argument("--reindex", action="store_true", help="recompute blind indexes with the current key")

    def handle(self, *args, new_key=False, dry_run=False, reindex=False, **options):
        if new_key:
            from gongyi.aid.keys import add_demo_primary_key

            key_id = add_demo_primary_key()
            self.stdout.write(f"new primary key: {key_id}")
        report = rotate_keys(dry_run=dry_run)
        for label, count in report.resealed.items():
            self.stdout.write(f"{label}: {count} {'would be ' if dry_run else ''}re-encrypted")
        self.stdout.write(f"primary key: {report.primary_key_id}; values under other keys left: {report.left}")
        if reindex:
            changed = reindex_blind_indexes(dry_run=dry_run)
            self.stdout.write(f"blind indexes {'to rebuild' if dry_run else 'rebuilt'}: {changed}")
