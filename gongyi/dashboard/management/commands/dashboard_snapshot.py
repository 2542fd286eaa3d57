"""``gongyi dashboard_snapshot <slug>``: print a campaign's dashboard snapshot as JSON (for ops)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongyi.dashboard.selectors import festival_snapshot, public_campaign
from gongyi.dashboard.services import cached_snapshot, etag_for, snapshot_json


class Command(BaseCommand):
    help = "Print a public campaign's dashboard snapshot (大屏数据) as JSON, computed fresh from the database."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the campaign's slug, e.g. hubei-digital-2")
        parser.add_argument("--cached", action="store_true", help="read through the cache as the page does")
        parser.add_argument("--indent", type=int, default=2, help="JSON indent (0 for one line)")

    def handle(self, *args, slug, cached=False, indent=2, **options):
        campaign = public_campaign(slug)
        if campaign is None:
            raise CommandError(f"no public campaign {slug!r}")
        if cached:
            snapshot = cached_snapshot(campaign)
            data, etag = snapshot.data, snapshot.etag
        else:
            data = festival_snapshot(campaign, now=timezone.now()).as_dict()
            etag = etag_for(data)
        self.stdout.write(snapshot_json({**data, "etag": etag}, indent=indent or None))
