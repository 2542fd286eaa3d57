from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from gongyi.campaigns.models import Campaign
from gongyi.core.money import format_yuan
from gongyi.reports.models import ReportTrigger
from gongyi.reports.selectors import campaigns_on, local_today
from gongyi.reports.services import ReportInputError, generate_daily_report


class Command(BaseCommand):
    help = "Generate the daily report (日报, Excel and PDF) of a campaign for a local day (default: yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", help="campaign slug (default: every campaign running that day)")
        parser.add_argument("--date", help="local date YYYY-MM-DD, Asia/Shanghai (default: yesterday)")

    def handle(self, *args, campaign=None, date=None, **options):
        day = self._day(date)
        if campaign:
            found = Campaign.objects.filter(slug=campaign).first()
            if found is None:
                raise CommandError(f"no campaign with slug {campaign!r}")
            campaigns = [found]
        else:
            campaigns = list(campaigns_on(day))
            if not campaigns:
                self.stdout.write(f"no campaign runs on {day:%Y-%m-%d}; nothing to do")
                return
        for item in campaigns:
            try:
                report = generate_daily_report(campaign=item, day=day, trigger=ReportTrigger.COMMAND)
            except ReportInputError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(
                f"{item.slug} {day:%Y-%m-%d} v{report.version}: {report.gifts} gifts, {report.givers} givers, "
                f"{format_yuan(report.amount_fen)} given, {format_yuan(report.matched_fen)} matched"
            )
            self.stdout.write(f"  {report.xlsx.path}")
            self.stdout.write(f"  {report.pdf.path}")

    @staticmethod
    def _day(text: str | None):
        if not text:
            return local_today() - timedelta(days=1)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {text!r}") from None
