from django.core.management.base import BaseCommand

from gongyi.ledger.translog.live import publish_checkpoint


class Command(BaseCommand):
    help = "Integrate queued log records and sign a checkpoint if the tree grew since the last one."

    def handle(self, *args, **options):
        checkpoint = publish_checkpoint()
        if checkpoint is None:
            self.stdout.write("no new records: no checkpoint published")
            return
        self.stdout.write(checkpoint.note)
