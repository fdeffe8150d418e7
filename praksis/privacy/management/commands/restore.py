from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from praksis.core.backup import BackupError
from praksis.privacy.restore import RestoreRefused, restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database, then replay every erasure newer than it "
        "from the evidence store's ledger; /healthz answers 503 until that is done."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the .praksis-backup file")

    def handle(self, *args, backup, **options):
        try:
            done = restore(Path(backup), say=self.stdout.write)
        except (RestoreRefused, BackupError, OSError) as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        self.stdout.write(
            f"restored; {done['replayed']} erasure(s) replayed from a ledger of {done['ledger']}"
        )
