"""``praksis generate --clinic SLUG --persons N``: synthetic people for benchmarks and load tests.

The work is in :mod:`praksis.people.generate`; this command parses, shows progress and
reports the rate, so that a benchmark can quote it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from praksis.clinics.models import Clinic
from praksis.people.generate import DEFAULT_BATCH_SIZE, GenerateResult, generate_persons


class Command(BaseCommand):
    help = (
        "Add N synthetic people (animals too for a veterinary clinic) to a clinic, in bulk, "
        "with valid synthetic identity numbers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="slug of the clinic")
        parser.add_argument("--persons", type=int, required=True, help="how many people")
        parser.add_argument("--seed", type=int, default=None, help="for a reproducible run")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="rows per insert and transaction",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"no clinic with slug {options['clinic']!r}")
        persons, batch_size = options["persons"], options["batch_size"]
        if persons < 1:
            raise CommandError("--persons must be at least 1")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        # A bar only for a person watching: logs and pipes get the one-line summary.
        quiet = options["no_progress"] or not self.stdout.isatty()
        with tqdm(total=persons, unit=" persons", disable=quiet, smoothing=0.1) as bar:
            result = generate_persons(
                clinic, persons, seed=options["seed"], batch_size=batch_size, on_batch=bar.update
            )
        self.stdout.write(_summary(result))


def _summary(result: GenerateResult) -> str:
    kinds = sorted(result.counts, key=lambda kind: kind != "person")  # people first
    made = ", ".join(f"{result.counts[kind]:,} {kind}s" for kind in kinds)
    return (
        f"{result.clinic}: generated {made} in {result.seconds:.1f} s "
        f"({result.rate:,.0f} persons/s)"
    )
