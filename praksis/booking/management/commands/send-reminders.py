from django.core.management.base import BaseCommand

from praksis.booking.services import reminders_enqueue


class Command(BaseCommand):
    help = "Queue booking reminders that are due (idempotent; run every few minutes)."

    def handle(self, *args, **options):
        queued = reminders_enqueue()
        self.stdout.write(f"reminders queued: {queued}")
