"""Writing the access log. Called inside the transaction of the read or write it records."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from praksis.audit.models import (
    LANE_SPAN,
    AccessLogEntry,
    AccessReview,
    ChainHead,
    ReviewMethod,
    ReviewOutcome,
)
from praksis.clinics.access import Actor, require
from praksis.core.access_log import Access
from praksis.core.crypto import mac
from praksis.core.errors import ValidationFailed

GENESIS = "0" * 64
_PURPOSE = "access-log-chain"


def entry_message(entry: AccessLogEntry) -> str:
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [
        entry.clinic_id, entry.seq, at, entry.user_id, entry.actor, entry.role,
        entry.person_id, entry.action, entry.object_type, entry.object_id, entry.purpose,
        entry.detail, entry.channel, entry.request_id, entry.prev_hash,
    ]  # fmt: skip
    # REQ-20: the Norwegian fields, only where set (rows without them hash as before).
    if entry.hpr_number is not None or entry.organisation_number is not None:
        fields += ["no", entry.hpr_number, entry.organisation_number]
    return "\x1f".join("" if f is None else str(f) for f in fields)


def entry_hash(entry: AccessLogEntry) -> str:
    return mac(_PURPOSE, entry_message(entry))


def head_seal(clinic_id: int, seq: int, last_hash: str) -> str:
    return mac(_PURPOSE, f"head\x1f{clinic_id}\x1f{seq}\x1f{last_hash}")


_COLUMNS = (
    "clinic_id", "seq", "at", "user_id", "actor", "role", "person_id", "action", "object_type",
    "object_id", "purpose", "detail", "channel", "request_id", "hpr_number",
    "organisation_number", "prev_hash", "hash",
)  # fmt: skip
# Built from the constant column list above, never from input.
_INSERT = (
    f"INSERT INTO audit_accesslogentry ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)


def lane_count() -> int:
    """How many chains side by side a clinic's log has (see ``models``)."""
    return max(1, settings.AUDIT_LOG_LANES) if connection.vendor == "postgresql" else 1


def heads_create(clinic_id: int) -> None:
    """The clinic's lane heads, each empty and sealed (existing ones are kept)."""
    heads = []
    for lane in range(lane_count()):
        seq = lane * LANE_SPAN
        seal = head_seal(clinic_id, seq, GENESIS) if lane else ""
        heads.append(ChainHead(clinic_id=clinic_id, lane=lane, seq=seq, hash=GENESIS, seal=seal))
    ChainHead.objects.bulk_create(heads, ignore_conflicts=True)


_LOCK_FREE = (
    "SELECT lane, seq, hash FROM audit_chainhead WHERE clinic_id = %s "
    "ORDER BY lane LIMIT 1 FOR UPDATE SKIP LOCKED"
)
_LOCK_LANE = "SELECT lane, seq, hash FROM audit_chainhead WHERE clinic_id = %s AND lane = %s"


def _lock_head(cursor, clinic_id: int) -> tuple[int, int, str]:
    """A head of the clinic's log — lane, seq, hash — locked until the transaction ends.

    PostgreSQL: the first lane no other transaction holds (a transaction keeps finding
    the lane it already holds, so it never waits once it has one); when all are taken,
    wait for one at random. SQLite: the one lane (writers take turns anyway).
    """
    if connection.vendor == "postgresql":
        cursor.execute(_LOCK_FREE, [clinic_id])
        row = cursor.fetchone()
        if row is None:
            heads_create(clinic_id)  # a clinic from before lanes, or more lanes configured
            cursor.execute(_LOCK_FREE, [clinic_id])
            row = cursor.fetchone()
        if row is None:
            lane = secrets.randbelow(lane_count())
            cursor.execute(_LOCK_LANE + " FOR UPDATE", [clinic_id, lane])
            row = cursor.fetchone()
        return row
    cursor.execute(_LOCK_LANE, [clinic_id, 0])
    row = cursor.fetchone()
    if row is None:
        heads_create(clinic_id)
        cursor.execute(_LOCK_LANE, [clinic_id, 0])
        row = cursor.fetchone()
    return row


_batch = threading.local()


@contextlib.contextmanager
def access_batch():
    """Collect the accesses logged inside the block and append them in one go at its end.

    For a write that touches several records (an online booking registers a person, a
    consent and an appointment): one lock of the chain head instead of one per row. Use
    it inside the write's transaction, so the rows commit (or roll back) with the data.
    """
    if getattr(_batch, "pending", None) is not None:  # nested: the outer batch writes
        yield
        return
    _batch.pending = []
    try:
        yield
        pending = _batch.pending
    finally:
        _batch.pending = None
    for actor, accesses in pending:
        _append(actor, accesses)


def log_accesses(actor: Actor, accesses: Iterable[Access]) -> list[AccessLogEntry]:
    """Append rows for ``accesses`` to the clinic's chain, in the caller's transaction."""
    accesses = list(accesses)
    if not accesses:
        return []
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        if pending and pending[-1][0] is actor:
            pending[-1][1].extend(accesses)
        else:
            pending.append((actor, accesses))
        return []
    return _append(actor, accesses)


def _append(actor: Actor, accesses: list[Access]) -> list[AccessLogEntry]:
    """Lock a lane's head, insert, move the head: plain statements, since this runs on
    every request that touches personal data. The head stays locked until the caller's
    transaction ends; other requests take other lanes meanwhile."""
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
    ):
        return _append_alone(actor, accesses)
    clinic_id = actor.clinic.pk
    now: datetime = timezone.now()
    # No savepoint: a failed append must fail the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        lane, seq, prev = _lock_head(cursor, clinic_id)
        rows, seq, prev = _chain(actor, accesses, seq, prev, now)
        at = connection.ops.adapt_datetimefield_value(now)
        cursor.executemany(_INSERT, _values(rows, at))
        seal = head_seal(clinic_id, seq, prev)
        cursor.execute(_MOVE_HEAD, [seq, prev, seal, at, clinic_id, lane])
    return rows


_MOVE_HEAD = (
    "UPDATE audit_chainhead SET seq = %s, hash = %s, seal = %s, updated_at = %s "
    "WHERE clinic_id = %s AND lane = %s"
)


def _append_alone(actor: Actor, accesses: list[Access]) -> list[AccessLogEntry]:
    """A read outside any transaction (a search, opening a record): its log rows are
    the only write, so they get a transaction of their own in two round trips on
    PostgreSQL — BEGIN with a free lane's head, then insert, move the head and COMMIT
    sent together (pipeline mode) — instead of five."""
    from psycopg import pq

    clinic_id = actor.clinic.pk
    now: datetime = timezone.now()
    connection.ensure_connection()
    raw = connection.connection
    try:
        with raw.pipeline():
            raw.execute("BEGIN")
            head = raw.execute(_LOCK_FREE, [clinic_id]).fetchone()
            if head is not None:
                lane, seq, prev = head
                rows, seq, prev = _chain(actor, accesses, seq, prev, now)
                with raw.cursor() as cursor:
                    cursor.executemany(_INSERT, _values(rows, now))
                seal = head_seal(clinic_id, seq, prev)
                raw.execute(_MOVE_HEAD, [seq, prev, seal, now, clinic_id, lane])
            raw.execute("COMMIT")
    except BaseException:
        if raw.info.transaction_status != pq.TransactionStatus.IDLE:
            raw.execute("ROLLBACK")
        raise
    if connection.queries_logged:  # what ran, for query counts (it bypassed Django's cursor)
        statements = ["BEGIN", _LOCK_FREE % clinic_id]
        if head is not None:
            statements += [f"{len(rows)} times: {_INSERT}", _MOVE_HEAD]
        connection.queries_log.extend(
            {"sql": sql, "time": "0.000"} for sql in [*statements, "COMMIT"]
        )
    if head is None:  # every lane taken (or none yet): the path that waits or makes them
        with transaction.atomic():
            return _append(actor, accesses)
    return rows


def _norwegian_fields(actor: Actor) -> tuple[str | None, str | None]:
    """REQ-20: in a Norwegian clinic each row carries the user's HPR number (empty for
    staff without one, and for the application itself) and the clinic's organisation
    number, as they are at the access; elsewhere neither (None)."""
    if actor.clinic.country != "NO":
        return None, None
    hpr = (actor.user.hpr_number or "") if actor.user is not None else ""
    return hpr[:12], (actor.clinic.organisation_number or "")[:20]


def _chain(actor: Actor, accesses: list[Access], seq: int, prev: str, now: datetime):
    """The rows for ``accesses``, each chained to the one before; the new head."""
    rows = []
    hpr, organisation = _norwegian_fields(actor)
    for access in accesses:
        seq += 1
        row = AccessLogEntry(
            clinic_id=actor.clinic.pk,
            seq=seq,
            at=now,
            user_id=actor.user_id,
            actor=actor.label[:254],
            role=actor.role,
            person_id=access.person_id,
            action=access.action,
            object_type=access.object_type,
            object_id=str(access.object_id)[:64],
            purpose=access.purpose[:200],
            detail=access.detail[:500],
            channel=actor.channel,
            request_id=actor.request_id,
            hpr_number=hpr,
            organisation_number=organisation,
            prev_hash=prev,
        )
        row.hash = entry_hash(row)
        prev = row.hash
        rows.append(row)
    return rows, seq, prev


def _values(rows: list[AccessLogEntry], at) -> list[list]:
    return [[at if c == "at" else getattr(r, c) for c in _COLUMNS] for r in rows]


def log_access(actor: Actor, access: Access) -> None:
    log_accesses(actor, [access])


# --- Recording a review of the log (REQ-22) ---------------------------------------------

NOTE_MAX = 4000


def access_review_record(
    *,
    actor: Actor,
    date_from,
    date_to,
    method: str,
    outcome: str,
    note: str = "",
    size=None,
    seed=None,
    upto=None,
    follow_up: str = "",
    follows_up_id=None,
):
    """Record a review of the log and its outcome.

    The entries looked at are derived again on the server from the period, the method,
    the size, the seed and ``upto`` — exactly the rows the review screen showed —
    rather than taken from the form. A remark (follow-up, incident) needs a note.
    """
    from praksis.audit import selectors  # it imports this module

    require(actor, "access_log.read")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    period = None
    try:
        period = selectors.review_period(date_from=date_from, date_to=date_to)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if method not in ReviewMethod.values:
        errors["method"] = [_("Choose how the log was reviewed.")]
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("Choose the outcome of the review.")]
    note = str(note or "").strip()
    if outcome in (ReviewOutcome.FOLLOW_UP, ReviewOutcome.INCIDENT) and not note:
        errors["note"] = [_("Say what needs following up or what happened.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("Keep the note under %(max)d characters.") % {"max": NOTE_MAX}]
    follow_up = str(follow_up or "").strip()
    if len(follow_up) > 300:
        errors["follow_up"] = [_("Keep this under 300 characters.")]
    follows_up = None
    if follows_up_id not in (None, ""):
        try:
            follows_up = AccessReview.objects.filter(clinic=clinic, pk=int(follows_up_id)).first()
        except (TypeError, ValueError):
            follows_up = None
        if follows_up is None:
            errors["follows_up"] = [_("There is no such review.")]
    size = _collect(
        errors, selectors.clean_size, selectors.SAMPLE_SIZE if size in (None, "") else size
    )
    seed = _collect(errors, selectors.clean_seed, seed)
    upto = _collect(errors, lambda value: selectors.clean_upto(clinic, value), upto)
    if method == ReviewMethod.RANDOM and seed is None and "seed" not in errors:
        errors["seed"] = [_("A random sample is recorded with its seed.")]
    if errors:
        raise ValidationFailed(errors)

    if method == ReviewMethod.ANOMALIES:
        found = selectors.anomalies_compute(clinic=clinic, period=period, upto=upto)
        entry_ids, population = found.entry_ids, found.population
        size, seed = selectors.ANOMALY_LIMIT, None
    else:
        seed = seed if method == ReviewMethod.RANDOM else None
        entry_ids, population = selectors.sample_entry_ids(
            clinic=clinic, period=period, method=method, size=size, seed=seed, upto=upto
        )
    user = actor.user
    with transaction.atomic():
        review = AccessReview.objects.create(
            clinic=clinic,
            reviewer_user_id=actor.user_id,
            reviewer=actor.label[:254],
            reviewer_name=(user.full_name if user else "")[:200],
            period_start=period.start,
            period_end=period.end,
            method=method,
            sample_size=size,
            seed=seed,
            upto=upto,
            upto_seq=int(upto.split(",")[0]),  # lane 0's reach, as before lanes
            population=population,
            entry_ids=entry_ids,
            outcome=outcome,
            note=note,
            follow_up=follow_up,
            follows_up=follows_up,
        )
        log_access(
            actor,
            Access(
                "create",
                "access_review",
                review.pk,
                purpose=selectors.REVIEW_PURPOSE,
                detail=f"method={method} period={period} outcome={outcome} "
                f"entries={len(entry_ids)}",
            ),
        )
    return review


def _collect(errors: dict, clean, value):
    """``clean(value)``, or None with its field errors added to ``errors``."""
    try:
        return clean(value)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None
