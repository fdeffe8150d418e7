"""``praksis retention-sweep [--dry-run]``: delete or strip what has passed its retention.

Previews the due records per rule and clinic, then applies the rules in committed
batches with evidence (REQ-11). A progress bar when stdout is a terminal, plain lines
otherwise (cron, logs). Exits non-zero when a rule fails; what was committed before the
failure stays done, and the next run continues from there.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from praksis.privacy.retention import preview, sweep


class Command(BaseCommand):
    help = "Delete or strip what has passed its retention (per rule and clinic), with evidence."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count, change nothing")
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")

    def handle(self, *args, dry_run, batch_size, **options):
        planned = preview()
        for o in planned:
            self.stdout.write(f"{o.rule:28} {o.clinic:24} {o.count:>8}")
        total = sum(o.count for o in planned)
        if dry_run:
            self.stdout.write(f"dry run: {total} row(s) due, nothing changed")
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        tty = sys.stdout.isatty()
        try:
            with tqdm(total=total, disable=not tty, unit="row") as bar:
                done = sweep(batch_size=batch_size, progress=bar.update)
        except Exception as exc:
            raise CommandError(f"retention sweep failed: {type(exc).__name__}") from exc
        if not tty:
            for o in done:
                self.stdout.write(f"done {o.rule:23} {o.clinic:24} {o.count:>8}")
        self.stdout.write(f"retention sweep done: {sum(o.count for o in done)} row(s)")
