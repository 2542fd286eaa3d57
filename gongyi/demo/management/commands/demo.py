from django.conf import settings
from django.core.management.base import BaseCommand

from gongyi.demo.services import load_demo


class Command(BaseCommand):
    help = "Load the seed's festival, organisations, projects, units and sandbox gifts (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--no-gifts", action="store_true", help="do not add demo gifts")

    def handle(self, *args, no_gifts=False, **options):
        if not settings.GONGYI["SANDBOX_ENABLED"] and not no_gifts:
            self.stderr.write("sandbox gateway disabled: loading without demo gifts")
            no_gifts = True
        report = load_demo(with_gifts=not no_gifts)
        self.stdout.write(f"campaign: {report.campaign.name}")
        self.stdout.write(f"projects: {report.projects}; demo gifts added: {report.gifts_added}")
        if not no_gifts:
            from gongyi.drives.demo import load_drives_demo

            drives = load_drives_demo()
            if drives is not None:
                self.stdout.write(
                    f"一日捐: {drives.units} units, {drives.gifts_added} gifts added, {drives.teams} teams"
                )
            from gongyi.donors.demo import load_donors_demo

            donors = load_donors_demo()
            if donors is not None:
                for line in donors.lines():
                    self.stdout.write(line)
            from gongyi.spending.demo import load_transparency_demo

            spending = load_transparency_demo()
            self.stdout.write(
                f"spending: {spending.expenditures_added} expenditures, {spending.reports_added} reports added"
            )
        if not no_gifts:
            from gongyi.funds.demo import load_goods_and_funds_demo

            goods = load_goods_and_funds_demo()
            self.stdout.write(f"in-kind, offline gifts and named funds: {goods}")
        if not no_gifts:
            from gongyi.aid.demo import load_aid_demo

            aid = load_aid_demo()
            if aid is not None:
                for line in aid.lines():
                    self.stdout.write(line)
        from gongyi.oversight.demo import load_oversight_demo

        oversight = load_oversight_demo()
        if oversight is not None:
            self.stdout.write(f"oversight: {oversight.complaints_added} complaints added")
            self.stdout.write(
                f"regulator login: {oversight.regulator_login}  (/me/auth/login/?next=/oversight/regulator/)"
            )
        from gongyi.stories.demo import load_stories_demo

        stories = load_stories_demo(with_gifts=not no_gifts)
        if stories is not None:
            for line in stories.lines():
                self.stdout.write(line)
        from gongyi.ledger.translog.live import publish_checkpoint

        checkpoint = publish_checkpoint()
        if checkpoint is not None:
            self.stdout.write(f"public log: checkpoint at {checkpoint.size} leaves")
        from gongyi.dashboard.demo import dashboard_demo_lines

        for line in dashboard_demo_lines():
            self.stdout.write(line)
        password = report.admin_password or "(unchanged; see var/admin_password)"
        self.stdout.write(f"admin login: {report.admin_username} / {password}")
