from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from praksis.core import backup


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database with its manifest, then delete the "
        "backups past PRAKSIS_BACKUP_DAYS (35)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="the backup directory (default PRAKSIS_BACKUP_DIR)")
        parser.add_argument("--keep", action="store_true", help="do not delete expired backups")

    def handle(self, *args, out, keep, **options):
        directory = Path(out or settings.PRAKSIS_BACKUP_DIR)
        try:
            target = backup.backup(directory)
        except (backup.BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(str(target))
        if not keep:
            for gone in backup.expire(directory):
                self.stdout.write(f"expired: {gone.name}")
