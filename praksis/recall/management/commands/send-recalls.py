from django.core.management.base import BaseCommand

from praksis.recall.services import recall_messages_enqueue


class Command(BaseCommand):
    help = "Queue the recall messages that are due (idempotent; run daily or more often)."

    def handle(self, *args, **options):
        queued = recall_messages_enqueue()
        self.stdout.write(f"recall messages queued: {queued}")
