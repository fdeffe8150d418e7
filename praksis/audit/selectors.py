"""Reading and verifying the access log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from praksis.audit.models import AccessLogEntry, Action, ChainHead
from praksis.audit.services import GENESIS, Access, entry_hash, head_seal, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic


def person_access_log(*, actor: Actor, person_id: int) -> QuerySet[AccessLogEntry]:
    """Who touched this person's data (REQ-23). Viewing the log is itself logged (REQ-22)."""
    require(actor, "access_log.read")
    log_access(
        actor,
        Access(
            action=Action.READ,
            object_type="access_log",
            object_id=person_id,
            person_id=person_id,
            purpose="access log review",
        ),
    )
    return AccessLogEntry.objects.filter(clinic=actor.clinic, person_id=person_id).order_by("-seq")


@dataclass
class ChainProblem:
    clinic: str
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"row {self.seq}" if self.seq is not None else "chain head"
        return f"{self.clinic}: {where}: {self.problem}"


def verify_clinic_chain(clinic: Clinic, *, chunk_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk the clinic's chain in order; yield every break found (edit, gap, re-order, cut)."""
    expected_seq, prev = 0, GENESIS
    rows = AccessLogEntry.objects.filter(clinic=clinic).order_by("seq")
    for row in rows.iterator(chunk_size=chunk_size):
        expected_seq += 1
        if row.seq != expected_seq:
            yield ChainProblem(clinic.slug, row.seq, f"expected row {expected_seq} (missing)")
            expected_seq = row.seq
        if row.prev_hash != prev:
            yield ChainProblem(clinic.slug, row.seq, "does not follow the previous row")
        if entry_hash(row) != row.hash:
            yield ChainProblem(clinic.slug, row.seq, "content does not match its hash")
        prev = row.hash
    head = ChainHead.objects.filter(clinic=clinic).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head is not None and head.seq and head.seal != head_seal(clinic.pk, head.seq, head.hash):
        yield ChainProblem(clinic.slug, None, "chain head was altered")
    if head_seq != expected_seq or head_hash != prev:
        yield ChainProblem(
            clinic.slug,
            None,
            f"head says {head_seq} rows, the log has {expected_seq}: rows were removed",
        )
