from django.core.management.base import BaseCommand, CommandError

from gongyi.core.money import format_yuan
from gongyi.matching.models import MatchingPool
from gongyi.matching.services import PoolRuleError, award_incentives


class Command(BaseCommand):
    help = "Compute a pool's incentives (激励) after its window and post them to the ledger once."

    def add_arguments(self, parser):
        parser.add_argument("pool", type=int, nargs="?", help="pool id (default: every pool whose window ended)")

    def handle(self, *args, pool=None, **options):
        pools = MatchingPool.objects.filter(pk=pool) if pool else MatchingPool.objects.all()
        if pool and not pools.exists():
            raise CommandError(f"pool: no matching pool with id {pool}")
        for item in pools:
            try:
                report = award_incentives(pool=item)
            except PoolRuleError as exc:
                if pool:
                    raise CommandError(f"{exc.field}: {exc.message}") from exc
                continue
            state = "already awarded, nothing changed" if report.already_awarded else "awarded"
            total = sum(report.awarded.values())
            self.stdout.write(f"{item.name}: {state}; {len(report.awarded)} projects, {format_yuan(total)}")
