from django.core.management.base import BaseCommand, CommandError

from praksis.audit.checkpoints import checkpoint_write
from praksis.core import evidence


class Command(BaseCommand):
    help = (
        "Sign the head of every clinic's access log into the evidence store "
        "(run every few minutes)."
    )

    def handle(self, *args, **options):
        if not evidence.configured():
            raise CommandError("PRAKSIS_EVIDENCE_DIR is not set: there is no evidence store")
        try:
            record = checkpoint_write("scheduled")
        except (evidence.EvidenceError, OSError) as exc:
            raise CommandError(f"checkpoint not written: {exc}") from exc
        self.stdout.write(f"checkpoint {record['n']}: {len(record['heads'])} lane(s)")
