from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from praksis.people.vault import rewrap_all


class Command(BaseCommand):
    help = (
        "Re-wrap every data key under the current PRAKSIS_KEY. Run with the new key in "
        "PRAKSIS_KEY and the old one in PRAKSIS_KEY_PREVIOUS; safe to run again."
    )

    def handle(self, *args, **options):
        if not settings.PRAKSIS_KEY_PREVIOUS:
            raise CommandError("set PRAKSIS_KEY_PREVIOUS to the key being replaced")
        count = rewrap_all()
        self.stdout.write(f"data keys re-wrapped: {count}")
