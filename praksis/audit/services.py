"""Writing the access log. Called inside the transaction of the read or write it records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from praksis.audit.models import AccessLogEntry, ChainHead
from praksis.clinics.access import Actor
from praksis.core.crypto import mac

GENESIS = "0" * 64
_PURPOSE = "access-log-chain"
_READS = {"read", "search", "list"}


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


def _lock_head(clinic_id: int) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(clinic_id=clinic_id).first()
    if head is None:
        ChainHead.objects.get_or_create(clinic_id=clinic_id)
        head = ChainHead.objects.select_for_update().get(clinic_id=clinic_id)
    return head


def log_accesses(actor: Actor, accesses: Iterable[Access]) -> list[AccessLogEntry]:
    """Append rows for ``accesses`` to the clinic's chain, in the caller's transaction."""
    accesses = list(accesses)
    if not accesses:
        return []
    clinic_id = actor.clinic.pk
    now: datetime = timezone.now()
    # A transaction that only records reads need not wait for the disk flush (on
    # PostgreSQL): a crash of the database server can lose at most the last moments of
    # such rows, never make the chain inconsistent; writes of data keep full durability.
    reads_only = not connection.in_atomic_block and all(a.action in _READS for a in accesses)
    with transaction.atomic():
        if reads_only and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        head = _lock_head(clinic_id)
        seq, prev = head.seq, head.hash
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
        AccessLogEntry.objects.bulk_create(rows)
        ChainHead.objects.filter(clinic_id=clinic_id).update(
            seq=seq, hash=prev, seal=head_seal(clinic_id, seq, prev), updated_at=now
        )
    return rows


def log_access(actor: Actor, access: Access) -> AccessLogEntry:
    return log_accesses(actor, [access])[0]
