"""Access-log review API for owners: the flagged accesses of a period (REQ-22)."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema

from praksis.audit import selectors
from praksis.clinics.access import require

router = Router(tags=["access-log"])


class FlaggedEntryOut(Schema):
    id: int
    seq: int
    at: datetime
    user_id: int | None
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    person_id: int | None
    purpose: str
    flags: list[str]


class FlaggedList(Schema):
    count: int
    items: list[FlaggedEntryOut]


class MassLookupOut(Schema):
    user_id: int
    actor: str
    role: str
    first: datetime
    last: datetime
    persons: int


class AnomaliesOut(Schema):
    period_from: str
    period_to: str
    upto: str
    population: int
    no_relation: FlaggedList
    out_of_hours: FlaggedList
    colleagues: FlaggedList
    mass_lookups: list[MassLookupOut]


_ENTRY_FIELDS = (
    "id", "seq", "at", "user_id", "actor", "role", "action", "object_type", "object_id",
    "person_id", "purpose",
)  # fmt: skip


def _rows(rows, count) -> dict:
    items = [
        {**{name: getattr(row.entry, name) for name in _ENTRY_FIELDS}, "flags": row.flag_kinds}
        for row in rows
    ]
    return {"count": count, "items": items}


@router.get("access-log/anomalies", response=AnomaliesOut)
def anomalies(
    request,
    from_: str = Query(None, alias="from"),
    to: str = Query(None),
    upto: str | None = None,
):
    """Accesses with no booking or journal relation, outside hours, to colleagues' or
    one's own record, and mass lookups. Owners only; the viewing is logged."""
    actor = request.auth
    require(actor, "access_log.read")  # before the dates: a refusal says nothing else
    period = selectors.review_period(date_from=from_, date_to=to or from_)
    found = selectors.anomalies_find(actor=actor, period=period, upto=upto)
    return {
        "period_from": period.start.isoformat(),
        "period_to": period.end.isoformat(),
        "upto": found.upto,
        "population": found.population,
        "no_relation": _rows(found.no_relation, found.no_relation_count),
        "out_of_hours": _rows(found.out_of_hours, found.out_of_hours_count),
        "colleagues": _rows(found.colleagues, found.colleagues_count),
        "mass_lookups": [m.__dict__ for m in found.mass_lookups],
    }
