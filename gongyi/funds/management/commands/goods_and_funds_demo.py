from django.core.management.base import BaseCommand

from gongyi.funds.demo import load_goods_and_funds_demo


class Command(BaseCommand):
    help = "Load the in-kind gift, offline gifts and named fund of the demo (after `gongyi demo`; safe to run twice)."

    def handle(self, *args, **options):
        report = load_goods_and_funds_demo()
        if report is None:
            self.stderr.write("run `gongyi demo` first: the federation and its projects are missing")
            return
        self.stdout.write(
            f"物资: {report.in_kind_gifts_added} gifts, {report.handouts_added} hand-outs; "
            f"线下: {report.offline_gifts_added} gifts; "
            f"冠名基金: {report.funds_added} funds, {report.grants_added} grants"
        )
