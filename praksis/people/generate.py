"""Synthetic people in bulk, for benchmarks and load tests (``praksis generate``).

Why not :func:`praksis.people.services.person_create`: it validates input, looks for
duplicates and writes one access-log row per person — right for staff at a desk, far too
slow for a million rows. Here the values come from :mod:`praksis.people.synthetic` (valid
by construction, REQ-41: synthetic numbers only), rows go in with ``bulk_create`` in
batches, and each batch commits in its own transaction together with ONE access-log row
that says what was generated, so a failure loses at most one batch and the chain stays
short and intact. On PostgreSQL the people go in with binary ``COPY`` instead, their ids
reserved from the table's sequence first so that later steps and the log still know them:
``bulk_create`` reached about 9,000 people/s there (model instances and a 5,000-row
``INSERT`` built in Python), binary ``COPY`` fed row by row as the values are made reaches
20,000-30,000/s on two cores, the server indexing while Python makes the next rows.

A batch is built by a pipeline: people first, then the steps in :data:`BATCH_STEPS`, each
of which hangs records off the people just inserted (animals for a veterinary clinic
today; bookings and journal entries belong there once those models exist). A step returns
the access records to log for what it created.

Memory stays flat apart from the set of identity numbers (and chip ids) already used in
the clinic, which is what keeps them unique without a query per person.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.clinics.access import system_actor
from praksis.clinics.models import Clinic
from praksis.people.models import Animal, AnimalOwner, Person
from praksis.people.synthetic import ANIMAL_NAMES, SPECIES_BREEDS, person_values

DEFAULT_BATCH_SIZE = 5000
PURPOSE = "synthetic data"
# Weighted like the demo: dogs and cats first; only these three species are chipped.
_SPECIES = ("dog", "dog", "cat", "cat", "horse", "rabbit")
_CHIPPED = frozenset({"dog", "cat", "horse"})
_CHIP_COUNTRY = {"NO": "578", "SE": "752"}  # ISO 3166 numeric, as in ISO 11784


@dataclass
class Generation:
    """What one run needs across batches: the clinic, the random source, what is taken."""

    clinic: Clinic
    rng: random.Random
    today: date
    identities: set[str]
    serial: int
    chips: set[str] | None = None  # loaded on first use (only clinics with animals)
    id_sequence: str | None = None  # PostgreSQL: the sequence behind Person.id
    column_types: list[int] | None = None  # PostgreSQL: type oids, for binary COPY
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class GenerateResult:
    clinic: str
    counts: dict[str, int]
    seconds: float

    @property
    def persons(self) -> int:
        return self.counts.get("person", 0)

    @property
    def rate(self) -> float:
        """People per second, the figure benchmarks compare."""
        return self.persons / self.seconds if self.seconds > 0 else float("inf")


# A step gets the ids of the people a batch just inserted and returns what to log.
BatchStep = Callable[[Generation, list[int], datetime], list[Access]]


def generate_persons(
    clinic: Clinic,
    count: int,
    *,
    seed: int | str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Add ``count`` synthetic people (and what hangs off them) to ``clinic``.

    ``seed`` makes the run reproducible for the same existing data and the same day
    (birth dates count back from today). ``on_batch`` is told how many people each
    committed batch added — the command's progress bar, kept out of this module.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    run = _start(clinic, seed)
    for size in _batch_sizes(count, batch_size):
        _generate_batch(run, size)
        if on_batch is not None:
            on_batch(size)
    return GenerateResult(
        clinic=clinic.slug, counts=dict(run.counts), seconds=time.perf_counter() - started
    )


def _start(clinic: Clinic, seed: int | str | None) -> Generation:
    """Load once what must stay unique, so no batch needs a query per person."""
    people = Person.objects.filter(clinic=clinic)
    identities = set(
        people.filter(identity_number__isnull=False).values_list("identity_number", flat=True)
    )
    rng = random.Random(seed) if seed is not None else random.Random()
    return Generation(
        clinic=clinic,
        rng=rng,
        today=timezone.localdate(),
        identities=identities,
        serial=people.count(),
    )


def _batch_sizes(count: int, batch_size: int) -> Iterator[int]:
    full, rest = divmod(count, batch_size)
    yield from [batch_size] * full
    if rest:
        yield rest


def _generate_batch(run: Generation, size: int) -> None:
    """One transaction: the people, every step's records, and their access-log rows."""
    now = timezone.now()
    with transaction.atomic():
        insert = _copy_people if connection.vendor == "postgresql" else _bulk_create_people
        ids = insert(run, _new_people(run, size), size, now)
        accesses = [_summary("person", ids)]
        for step in BATCH_STEPS:
            accesses += step(run, ids, now)
        log_accesses(system_actor(run.clinic, channel="cli"), accesses)
    run.counts["person"] += len(ids)


def _new_people(run: Generation, size: int) -> Iterator[dict]:
    """Values made as the insert consumes them: with COPY, Python makes the next rows
    while the server indexes the last ones (two cores busy instead of one)."""
    clinic, rng, today, taken = run.clinic, run.rng, run.today, run.identities
    first = run.serial
    run.serial += size
    for serial in range(first, first + size):
        yield person_values(rng, clinic, serial, taken=taken, today=today)


def _bulk_create_people(
    run: Generation, values: Iterator[dict], size: int, now: datetime
) -> list[int]:
    """The portable path (SQLite): one INSERT ... RETURNING id per chunk Django picks."""
    people = Person.objects.bulk_create(
        Person(clinic=run.clinic, created_at=now, updated_at=now, **row) for row in values
    )
    return [person.pk for person in people]


def _copy_people(run: Generation, values: Iterator[dict], size: int, now: datetime) -> list[int]:
    """PostgreSQL: reserve ids from the sequence, then stream the rows with COPY.

    Reserving with ``nextval`` keeps concurrent writers safe (no id is handed out twice)
    and gives the ids the access-log row and the later steps need, which COPY cannot
    return. Constraints and indexes are checked exactly as for an INSERT.
    """
    meta = Person._meta
    fields = meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields}
    fixed = {"clinic_id": run.clinic.pk, "created_at": now, "updated_at": now}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if run.id_sequence is None or run.column_types is None:
            run.id_sequence, run.column_types = _copy_setup(cursor, [f.column for f in fields])
        # A constant sequence name: looking it up per row costs three times as much.
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [run.id_sequence, size],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(sql) as copy:
            copy.set_types(run.column_types)
            for pk, row in zip(ids, values, strict=True):
                record = {**defaults, **row, **fixed, meta.pk.attname: pk}
                copy.write_row([record[f.attname] for f in fields])
    return ids


def _copy_setup(cursor, columns: list[str]) -> tuple[str, list[int]]:
    """The id sequence and the columns' type oids, asked once per run.

    Binary COPY needs the exact types; the catalogue is the authority, not the models.
    """
    table = Person._meta.db_table
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, Person._meta.pk.column])
    (sequence,) = cursor.fetchone()
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    oids = dict(cursor.fetchall())
    return sequence, [int(oids[column]) for column in columns]


def _summary(object_type: str, ids: list[int]) -> Access:
    """One access-log row for a whole batch: how many, and the range of their ids."""
    return Access(
        action=Action.CREATE,
        object_type=object_type,
        purpose=PURPOSE,
        detail=f"generated {len(ids)} {object_type}s ids {min(ids)}-{max(ids)}",
    )


def _animals(run: Generation, person_ids: list[int], now: datetime) -> list[Access]:
    """A veterinary clinic's clients own one animal, some two (as in the demo)."""
    if not run.clinic.has_animals:
        return []
    if run.chips is None:
        run.chips = set(
            Animal.objects.filter(clinic=run.clinic, chip_id__isnull=False).values_list(
                "chip_id", flat=True
            )
        )
    rng = run.rng
    animals: list[Animal] = []
    owners: list[int] = []
    for person_id in person_ids:
        for _ in range(rng.choice((1, 1, 1, 2))):
            animals.append(_new_animal(run, now))
            owners.append(person_id)
    animals = Animal.objects.bulk_create(animals)
    AnimalOwner.objects.bulk_create(
        AnimalOwner(clinic=run.clinic, animal=animal, person_id=owner, is_primary=True)
        for animal, owner in zip(animals, owners, strict=True)
    )
    run.counts["animal"] += len(animals)
    return [_summary("animal", [a.pk for a in animals])]


def _new_animal(run: Generation, now: datetime) -> Animal:
    rng = run.rng
    species = rng.choice(_SPECIES)
    return Animal(
        clinic=run.clinic,
        name=rng.choice(ANIMAL_NAMES),
        species=species,
        breed=rng.choice(SPECIES_BREEDS[species]),
        birth_date=run.today - timedelta(days=rng.randint(365, 365 * 14)),
        chip_id=_new_chip(run) if species in _CHIPPED else None,
        created_at=now,
    )


def _new_chip(run: Generation) -> str:
    """A 15-digit ISO 11784 code with the clinic's country prefix, unused in the clinic."""
    assert run.chips is not None
    prefix = _CHIP_COUNTRY.get(run.clinic.country, "578")
    while True:
        chip = f"{prefix}{run.rng.randrange(10**12):012d}"
        if chip not in run.chips:
            run.chips.add(chip)
            return chip


# What hangs off each batch of people, in order. Bookings and journal entries go here.
BATCH_STEPS: tuple[BatchStep, ...] = (_animals,)
