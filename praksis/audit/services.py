"""Writing the access log. Called inside the transaction of the read or write it records."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from praksis.audit.models import (
    AccessLogEntry,
    AccessReview,
    ChainHead,
    ReviewMethod,
    ReviewOutcome,
)
from praksis.clinics.access import Actor, require
from praksis.core.crypto import mac
from praksis.core.errors import ValidationFailed

GENESIS = "0" * 64
_PURPOSE = "access-log-chain"


@dataclass(frozen=True)
class Access:
    """One access to record: what was done to which object of which person."""

    action: str
    object_type: str
    object_id: str | int = ""
    person_id: int | None = None
    purpose: str = ""
    detail: str = ""


def entry_message(entry: AccessLogEntry) -> str:
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [
        entry.clinic_id, entry.seq, at, entry.user_id, entry.actor, entry.role,
        entry.person_id, entry.action, entry.object_type, entry.object_id, entry.purpose,
        entry.detail, entry.channel, entry.request_id, entry.prev_hash,
    ]  # fmt: skip
    return "\x1f".join("" if f is None else str(f) for f in fields)


def entry_hash(entry: AccessLogEntry) -> str:
    return mac(_PURPOSE, entry_message(entry))


def head_seal(clinic_id: int, seq: int, last_hash: str) -> str:
    return mac(_PURPOSE, f"head\x1f{clinic_id}\x1f{seq}\x1f{last_hash}")


_COLUMNS = (
    "clinic_id", "seq", "at", "user_id", "actor", "role", "person_id", "action", "object_type",
    "object_id", "purpose", "detail", "channel", "request_id", "prev_hash", "hash",
)  # fmt: skip
# Built from the constant column list above, never from input.
_INSERT = (
    f"INSERT INTO audit_accesslogentry ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)


def _lock_head(cursor, clinic_id: int) -> tuple[int, str]:
    """The clinic's chain head, locked until the end of the transaction."""
    sql = "SELECT seq, hash FROM audit_chainhead WHERE clinic_id = %s"
    if connection.vendor == "postgresql":
        sql += " FOR UPDATE"
    cursor.execute(sql, [clinic_id])
    row = cursor.fetchone()
    if row is None:
        ChainHead.objects.get_or_create(clinic_id=clinic_id)
        cursor.execute(sql, [clinic_id])
        row = cursor.fetchone()
    return row[0], row[1]


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
    """Three plain statements (lock the head, insert, move the head): this runs on every
    request that touches personal data, so it avoids the ORM's per-query overhead."""
    clinic_id = actor.clinic.pk
    now: datetime = timezone.now()
    ops = connection.ops
    with transaction.atomic(), connection.cursor() as cursor:
        seq, prev = _lock_head(cursor, clinic_id)
        rows = []
        for access in accesses:
            seq += 1
            row = AccessLogEntry(
                clinic_id=clinic_id,
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
                prev_hash=prev,
            )
            row.hash = entry_hash(row)
            prev = row.hash
            rows.append(row)
        at = ops.adapt_datetimefield_value(now)
        cursor.executemany(
            _INSERT,
            [[at if c == "at" else getattr(r, c) for c in _COLUMNS] for r in rows],
        )
        cursor.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s, seal = %s, updated_at = %s "
            "WHERE clinic_id = %s",
            [seq, prev, head_seal(clinic_id, seq, prev), at, clinic_id],
        )
    return rows


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
    upto_seq=None,
    follow_up: str = "",
    follows_up_id=None,
):
    """Record a review of the log and its outcome.

    The entries looked at are derived again on the server from the period, the method,
    the size, the seed and ``upto_seq`` — exactly the rows the review screen showed —
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
    upto_seq = _collect(errors, lambda value: selectors.clean_upto(clinic, value), upto_seq)
    if method == ReviewMethod.RANDOM and seed is None and "seed" not in errors:
        errors["seed"] = [_("A random sample is recorded with its seed.")]
    if errors:
        raise ValidationFailed(errors)

    if method == ReviewMethod.ANOMALIES:
        found = selectors.anomalies_compute(clinic=clinic, period=period, upto_seq=upto_seq)
        entry_ids, population = found.entry_ids, found.population
        size, seed = selectors.ANOMALY_LIMIT, None
    else:
        seed = seed if method == ReviewMethod.RANDOM else None
        entry_ids, population = selectors.sample_entry_ids(
            clinic=clinic, period=period, method=method, size=size, seed=seed, upto_seq=upto_seq
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
            upto_seq=upto_seq,
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
