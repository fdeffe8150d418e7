import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from praksis.privacy.retention import preview, sweep


class Command(BaseCommand):
    help = "Delete or strip what has passed its retention (per rule and clinic), with evidence."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count, change nothing")

    def handle(self, *args, dry_run, **options):
        planned = preview()
        for o in planned:
            self.stdout.write(f"{o.rule:28} {o.clinic:24} {o.count:>8}")
        if dry_run:
            self.stdout.write(
                f"dry run: {sum(o.count for o in planned)} row(s) due, nothing changed"
            )
            return
        total = sum(o.count for o in planned)
        with tqdm(total=total, disable=not sys.stdout.isatty(), unit="row") as bar:
            done = sweep(progress=bar.update)
        self.stdout.write(f"retention sweep done: {sum(o.count for o in done)} row(s)")
