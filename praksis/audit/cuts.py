"""Removing the access log's oldest rows with a sealed cut (REQ-10, REQ-21).

The log is kept for the clinic's period (at least 5 years in Sweden) and then removed —
the only deletion the log allows. Rows go from the start of a lane only, as a whole run:
the rows after its previous cut (or from the lane's first row) up to a row ``seq``. A
:class:`~praksis.audit.models.ChainCut` records where the lane now starts — the last
removed row's ``seq`` and ``hash``, how many went, the time of the newest one, when —
sealed with the chain's key and chained to the lane's previous cut. Verification
(``selectors.verify_clinic_chain``) then starts the lane from its last cut: a row deleted
any other way, rows left behind a cut, or a forged, altered or dropped cut are all found.

The rows are deleted through ``praksis.core.db.purge_allowed``; the append-only triggers
still refuse every other UPDATE and DELETE. A cut stops early rather than hide anything:

* at the first row that is not due (a row of a person under a legal hold, a row the
  caller did not claim): the cut is by ``seq``, so the held row and every later row of
  its lane stay until the hold is released — the lane's newer rows wait for it;
* at the first row that does not verify (a gap, an edited row, a broken link): removing
  it would destroy the evidence, so the lane stays as it is and verification keeps
  reporting it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from praksis.audit.models import LANE_SPAN, AccessLogEntry, ChainCut, ChainHead
from praksis.audit.services import _PURPOSE, GENESIS, entry_hash
from praksis.core.crypto import mac
from praksis.core.db import purge_allowed


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def cut_seal(cut: ChainCut, prev_seal: str) -> str:
    """The HMAC over a cut and the seal of the lane's cut before it ("" for the first)."""
    fields = [
        "cut", cut.clinic_id, cut.lane, cut.from_seq, cut.seq, cut.hash, cut.count,
        _utc(cut.last_at), _utc(cut.cut_at), prev_seal,
    ]  # fmt: skip
    return mac(_PURPOSE, "\x1f".join(str(f) for f in fields))


def lane_of(seq: int) -> int:
    return seq // LANE_SPAN


def lane_start(clinic_id: int, lane: int) -> tuple[int, str, str]:
    """Where a lane starts now: after its last cut — (seq, hash, seal) — or at its
    beginning (the lane's base, the genesis hash, no seal)."""
    cut = ChainCut.objects.filter(clinic_id=clinic_id, lane=lane).order_by("-seq").first()
    if cut is None:
        return lane * LANE_SPAN, GENESIS, ""
    return cut.seq, cut.hash, cut.seal


def cut_lane(
    clinic_id: int,
    lane: int,
    *,
    upto: int,
    allowed: set[int] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Remove the lane's rows from its start up to row ``upto`` with a sealed cut, as far
    as they run whole, intact and (when ``allowed`` is given: their primary keys) due.
    Returns the primary keys removed (none: no cut is made).

    Inside one transaction: the lane's head is locked first, so two sweepers never cut
    the same lane at once (appends go to other lanes meanwhile, or wait a moment).
    """
    upto = min(upto, (lane + 1) * LANE_SPAN)
    with transaction.atomic():
        ChainHead.objects.select_for_update().filter(clinic_id=clinic_id, lane=lane).first()
        start, prev, prev_seal = lane_start(clinic_id, lane)
        if upto <= start:
            return []
        rows = AccessLogEntry.objects.filter(
            clinic_id=clinic_id, seq__gt=start, seq__lte=upto
        ).order_by("seq")
        removed: list[int] = []
        last = None
        expected = start
        for row in rows.iterator(chunk_size=2000):
            expected += 1
            intact = row.seq == expected and row.prev_hash == prev and entry_hash(row) == row.hash
            if not intact or (allowed is not None and row.pk not in allowed):
                break
            removed.append(row.pk)
            prev, last = row.hash, row
        if last is None:
            return []
        with purge_allowed():
            deleted, _ = AccessLogEntry.objects.filter(
                clinic_id=clinic_id, seq__gt=start, seq__lte=last.seq
            ).delete()
        if deleted != len(removed):  # cannot happen: the run was read under the lane's lock
            raise RuntimeError(f"access log cut of lane {lane}: {deleted} != {len(removed)}")
        cut = ChainCut(
            clinic_id=clinic_id,
            lane=lane,
            from_seq=start,
            seq=last.seq,
            hash=last.hash,
            count=len(removed),
            last_at=last.at,
            cut_at=now or timezone.now(),
        )
        cut.seal = cut_seal(cut, prev_seal)
        cut.save(force_insert=True)
    return removed


def cut_rows(qs) -> list[int]:
    """Cut the log rows of ``qs`` (due rows of any clinics), lane by lane in clinic and
    lane order: each lane from its start up to its last row in ``qs``, stopping at the
    first row not in ``qs``. Returns the primary keys removed."""
    claimed: dict[tuple[int, int], set[int]] = {}
    reach: dict[tuple[int, int], int] = {}
    for pk, clinic_id, seq in qs.order_by().values_list("pk", "clinic_id", "seq"):
        key = (clinic_id, lane_of(seq))
        claimed.setdefault(key, set()).add(pk)
        reach[key] = max(reach.get(key, 0), seq)
    removed: list[int] = []
    for (clinic_id, lane), pks in sorted(claimed.items()):
        removed += cut_lane(clinic_id, lane, upto=reach[(clinic_id, lane)], allowed=pks)
    return removed
