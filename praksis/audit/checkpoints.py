"""Checkpoints of the access log in the evidence store (issue 16).

The hash chain shows an edited or removed row, but not a log rolled back as a whole: a
database restored from a backup, or an older chain head put back with the rows after it
deleted, is a chain intact in itself. So the head of every lane of every clinic is
written, signed, to the evidence store outside the database (:func:`checkpoint_write`:
every few minutes by ``checkpoint-access-log``, and after each retention sweep and
erasure), and the log must extend every checkpoint (:func:`checkpoint_problems`).
"""

from __future__ import annotations

import logging

from django.db import transaction

from praksis.audit.models import LANE_SPAN, AccessLogEntry, ChainCut, ChainHead
from praksis.audit.selectors import ChainProblem
from praksis.core import evidence

logger = logging.getLogger(__name__)


def checkpoint_write(reason: str) -> dict | None:
    """Sign the head of every lane of every clinic into the evidence store (None when it
    is not configured)."""
    if not evidence.configured():
        return None
    heads = [
        [clinic_id, slug, lane, seq, digest]
        for clinic_id, slug, lane, seq, digest in ChainHead.objects.order_by(
            "clinic_id", "lane"
        ).values_list("clinic_id", "clinic__slug", "lane", "seq", "hash")
    ]
    return evidence.append("checkpoint", {"reason": reason[:100], "heads": heads})


def checkpoint_after_commit(reason: str) -> None:
    """A checkpoint once the current transaction has committed (after a sweep or an
    erasure); a store that cannot be written is logged, and the next one catches up."""

    def write():
        try:
            checkpoint_write(reason)
        except (evidence.EvidenceError, OSError):
            logger.exception("access-log checkpoint (%s) could not be written", reason)

    transaction.on_commit(write)


def latest_checkpoints() -> dict[tuple[int, int], tuple[dict, list]]:
    """The newest checkpoint of each (clinic id, lane): the record and its head. Raises
    :class:`evidence.EvidenceError` when a record does not verify."""
    latest: dict[tuple[int, int], tuple[dict, list]] = {}
    for record in evidence.records():
        if record["kind"] == "restore":
            latest.clear()  # a restore, on record: the log is measured from there on
        elif record["kind"] == "checkpoint":
            for head in record["heads"]:
                latest[(head[0], head[2])] = (record, head)
    return latest


def checkpoint_problems(clinic, latest=None) -> list[ChainProblem]:
    """Where the clinic's log does not extend its latest checkpoints: a lane gone, a head
    behind the checkpoint (rolled back), or the checkpoint's row missing or different."""
    latest = latest_checkpoints() if latest is None else latest
    heads = {h.lane: h for h in ChainHead.objects.filter(clinic=clinic)}
    problems = []
    for (clinic_id, lane), (record, (_id, _slug, _lane, seq, digest)) in sorted(latest.items()):
        if clinic_id != clinic.pk or seq == lane * LANE_SPAN:
            continue
        where = f"checkpoint {record['n']} of {record['at']}"
        row_no = seq - lane * LANE_SPAN
        head = heads.get(lane)
        if head is None or head.seq < seq:
            now = 0 if head is None else head.seq - lane * LANE_SPAN
            problems.append(
                ChainProblem(
                    clinic.slug,
                    None,
                    f"the log was rolled back or deleted: the {where} saw row {row_no}, the "
                    f"log's head is at row {now}",
                    where=f"lane {lane}" if lane else "log",
                )
            )
            continue
        row = AccessLogEntry.objects.filter(clinic=clinic, seq=seq).values_list("hash", flat=True)
        found = row.first()
        if found is None:
            if ChainCut.objects.filter(clinic=clinic, lane=lane, seq__gte=seq).exists():
                continue  # the retention sweep removed it, with a sealed cut
            problems.append(ChainProblem(clinic.slug, seq, f"the row the {where} saw is missing"))
        elif found != digest:
            problems.append(ChainProblem(clinic.slug, seq, f"differs from the {where}"))
    return problems


def vanished_clinics(latest, known_ids: set[int]) -> list[ChainProblem]:
    """Clinics a checkpoint saw that the database no longer has (their log went too)."""
    gone = {}
    for (clinic_id, _lane), (record, head) in latest.items():
        if clinic_id not in known_ids:
            gone[clinic_id] = (record, head[1])
    return [
        ChainProblem(
            slug,
            None,
            f"the clinic and its log are gone; checkpoint {r['n']} of {r['at']} saw them",
            where="log",
        )
        for _id, (r, slug) in sorted(gone.items())
    ]
