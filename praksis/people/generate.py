"""Synthetic people in bulk, for benchmarks and load tests (``praksis generate``).

Why not :func:`praksis.people.services.person_create`: it validates input, looks for
duplicates and writes one access-log row per person — right for staff at a desk, far too
slow for a million rows. Here the values come from :mod:`praksis.people.synthetic` (valid
by construction, REQ-41: synthetic numbers only), rows go in with ``bulk_create`` in
batches, and each batch commits in its own transaction together with ONE access-log row
that says what was generated, so a failure loses at most one batch and the chain stays
short and intact. On PostgreSQL rows go in with binary ``COPY`` instead (see
:func:`_insert`), their ids reserved from the table's sequence first so that later steps
and the log still know them.

A batch is built by a pipeline: people first, then the steps in :data:`BATCH_STEPS`, each
of which hangs records off the people just inserted (animals for a veterinary clinic
today; bookings and journal entries belong there once those models exist). A step returns
the access records to log for what it created.

Memory stays flat apart from the set of identity numbers (and chip ids) already used in
the clinic, which is what keeps them unique without a query per person. Numbers on file
are known by their keyed hashes only (:class:`TakenIdentities`); each new number is
sealed under a data key made for its person (:func:`vault.seal_new_identity`, no query),
and the batch's data keys go in right after its people.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.clinics.access import system_actor
from praksis.clinics.models import Clinic
from praksis.people.models import Animal, AnimalOwner, DataKey, Person, animal_name_key
from praksis.people.synthetic import ANIMAL_NAMES, SPECIES_BREEDS, person_values
from praksis.people.vault import SealedIdentity, identity_digests, seal_new_identity

DEFAULT_BATCH_SIZE = 5000
PURPOSE = "synthetic data"
# Weighted like the demo: dogs and cats first; only these three species are chipped.
_SPECIES = ("dog", "dog", "cat", "cat", "horse", "rabbit")
_CHIPPED = frozenset({"dog", "cat", "horse"})
_CHIP_COUNTRY = {"NO": "578", "SE": "752"}  # ISO 3166 numeric, as in ISO 11784


class TakenIdentities(set):
    """Identity numbers taken in a clinic: those made in this run (in the set itself)
    and those on file, of which only the keyed hashes can be read."""

    def __init__(self, clinic_id: int, on_file: set[bytes]):
        super().__init__()
        self.clinic_id = clinic_id
        self.on_file = on_file

    def __contains__(self, number: object) -> bool:
        if super().__contains__(number):
            return True
        if not self.on_file or not isinstance(number, str):
            return False
        return any(d in self.on_file for d in identity_digests(self.clinic_id, number))

    @classmethod
    def of(cls, clinic: Clinic) -> TakenIdentities:
        on_file = Person.objects.filter(clinic=clinic, identity_hash__isnull=False)
        return cls(clinic.pk, {bytes(h) for h in on_file.values_list("identity_hash", flat=True)})


@dataclass
class Generation:
    """What one run needs across batches: the clinic, the random source, what is taken."""

    clinic: Clinic
    rng: random.Random
    today: date
    identities: TakenIdentities
    serial: int
    chips: set[str] | None = None  # loaded on first use (only clinics with animals)
    # PostgreSQL, per table: the id sequence and the columns' type oids (for binary COPY).
    copy_setup: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
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
    rng = random.Random(seed) if seed is not None else random.Random()
    return Generation(
        clinic=clinic,
        rng=rng,
        today=timezone.localdate(),
        identities=TakenIdentities.of(clinic),
        serial=Person.objects.filter(clinic=clinic).count(),
    )


def _batch_sizes(count: int, batch_size: int) -> Iterator[int]:
    full, rest = divmod(count, batch_size)
    yield from [batch_size] * full
    if rest:
        yield rest


def _generate_batch(run: Generation, size: int) -> None:
    """One transaction: the people, every step's records, and their access-log rows."""
    now = timezone.now()
    fixed = {"clinic_id": run.clinic.pk, "created_at": now, "updated_at": now}
    sealed: list[tuple[int, SealedIdentity]] = []  # filled as the insert takes the rows
    with transaction.atomic():
        _no_commit_wait()
        rows = ({**row, **fixed} for row in _new_people(run, size, sealed))
        ids = _insert(run, Person, rows, size)
        _insert_data_keys(run, [(ids[index], identity) for index, identity in sealed], now)
        accesses = [_summary("person", ids)]
        for step in BATCH_STEPS:
            accesses += step(run, ids, now)
        log_accesses(system_actor(run.clinic, channel="cli"), accesses)
    run.counts["person"] += len(ids)


def _no_commit_wait() -> None:
    """PostgreSQL: commit this batch without waiting for its WAL to reach the disk.

    A crash could lose the last batches, never half of one: the people, their records
    and the access-log row that announces them commit or vanish together, so the chain
    stays intact — and synthetic load-test data can simply be generated again. Saves a
    WAL flush of several megabytes per batch.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _new_people(
    run: Generation, size: int, sealed: list[tuple[int, SealedIdentity]]
) -> Iterator[dict]:
    """Values made as the insert consumes them: with COPY, Python makes the next rows
    while the server indexes the last ones (two cores busy instead of one). An identity
    number is stored sealed and hashed; ``sealed`` gets (row index, its new data key)."""
    clinic, rng, today, taken = run.clinic, run.rng, run.today, run.identities
    first = run.serial
    run.serial += size
    for index, serial in enumerate(range(first, first + size)):
        values = person_values(rng, clinic, serial, taken=taken, today=today)
        number = values.pop("identity_number")
        if number:
            identity = seal_new_identity(clinic.pk, number)
            values["identity_hash"] = identity.digest
            values["identity_ciphertext"] = identity.ciphertext
            sealed.append((index, identity))
        yield values


def _insert(run: Generation, model: type[Model], rows: Iterable[dict], size: int) -> list[int]:
    """Insert ``size`` rows of ``model`` (attribute name -> value); their ids, in order.

    PostgreSQL gets binary ``COPY``: ``bulk_create`` reached about 9,000 people/s there
    (model instances and a 5,000-row ``INSERT`` built in Python); COPY fed row by row
    while the values are made reaches 20,000-30,000/s on two cores. Elsewhere (SQLite)
    ``bulk_create``, which returns the ids itself.
    """
    if connection.vendor == "postgresql":
        return _copy(run, model, rows, size)
    return [obj.pk for obj in model.objects.bulk_create(model(**row) for row in rows)]


def _insert_data_keys(
    run: Generation, sealed: list[tuple[int, SealedIdentity]], now: datetime
) -> None:
    """The data keys the batch's identity numbers were sealed under, one per person.

    Nobody needs their ids, so SQLite gets one prepared ``INSERT`` run for every row
    (``bulk_create`` would build a model instance and SQL text per key: a third of the
    batch's time); PostgreSQL gets COPY like the people.
    """
    if not sealed:
        return
    clinic_id = run.clinic.pk
    if connection.vendor == "postgresql":
        rows = (
            {"clinic_id": clinic_id, "person_id": person_id, "kek_id": identity.kek_id,
             "wrapped_key": identity.wrapped_key, "created_at": now}
            for person_id, identity in sealed
        )  # fmt: skip
        _copy(run, DataKey, rows, len(sealed))
        return
    created = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {DataKey._meta.db_table}"  # noqa: S608 - a constant table name
            " (clinic_id, person_id, kek_id, wrapped_key, created_at) VALUES (%s, %s, %s, %s, %s)",
            [
                (clinic_id, person_id, identity.kek_id, identity.wrapped_key, created)
                for person_id, identity in sealed
            ],
        )


def _copy(run: Generation, model: type[Model], rows: Iterable[dict], size: int) -> list[int]:
    """Reserve ids from the table's sequence, then stream the rows with binary COPY.

    Reserving with ``nextval`` keeps concurrent writers safe (no id is handed out twice)
    and yields the ids the access log and the later steps need, which COPY cannot
    return. Constraints, indexes and foreign keys are checked exactly as for an INSERT.
    """
    meta = model._meta
    fields = meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if meta.db_table not in run.copy_setup:
            run.copy_setup[meta.db_table] = _copy_setup(cursor, model)
        sequence, types = run.copy_setup[meta.db_table]
        # A constant sequence name: looking it up per row costs three times as much.
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, size])
        ids = [pk for (pk,) in cursor.fetchall()]
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(sql) as copy:
            copy.set_types(types)
            for pk, row in zip(ids, rows, strict=True):
                record = {**defaults, **row, meta.pk.attname: pk}
                copy.write_row([record[f.attname] for f in fields])
    return ids


def _copy_setup(cursor, model: type[Model]) -> tuple[str, list[int]]:
    """The id sequence and the columns' type oids of ``model``'s table, asked once per run.

    Binary COPY needs the exact types; the catalogue is the authority, not the models.
    """
    meta = model._meta
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
    (sequence,) = cursor.fetchone()
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [meta.db_table],
    )
    oids = dict(cursor.fetchall())
    return sequence, [int(oids[f.column]) for f in meta.concrete_fields]


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
    animals: list[dict] = []
    owners: list[int] = []
    for person_id in person_ids:
        for _ in range(run.rng.choice((1, 1, 1, 2))):
            animals.append(_animal_values(run, now))
            owners.append(person_id)
    animal_ids = _insert(run, Animal, animals, len(animals))
    ownerships = (
        {"clinic_id": run.clinic.pk, "animal_id": animal, "person_id": owner, "is_primary": True}
        for animal, owner in zip(animal_ids, owners, strict=True)
    )
    _insert(run, AnimalOwner, ownerships, len(animal_ids))
    run.counts["animal"] += len(animal_ids)
    return [_summary("animal", animal_ids)]


def _animal_values(run: Generation, now: datetime) -> dict:
    rng = run.rng
    species = rng.choice(_SPECIES)
    name = rng.choice(ANIMAL_NAMES)
    return {
        "clinic_id": run.clinic.pk,
        "name": name,
        "name_key": animal_name_key(name),
        "species": species,
        "breed": rng.choice(SPECIES_BREEDS[species]),
        "birth_date": run.today - timedelta(days=rng.randint(365, 365 * 14)),
        "chip_id": _new_chip(run) if species in _CHIPPED else None,
        "created_at": now,
    }


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
