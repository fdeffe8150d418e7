"""Breaches API (owner only): register, list, read; each carries its 72-hour deadline."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status

from praksis.breaches import services

router = Router(tags=["breaches"])


class BreachIn(Schema):
    description: str | None = None
    discovered_at: str | None = None
    nature: str = ""
    data_categories: str = ""
    person_categories: str = ""
    approx_persons: int | str | None = None
    approx_records: int | str | None = None
    consequences: str = ""
    measures: str = ""
    contact_point: str = ""
    risk: str = ""
    no_notification_reason: str = ""


class UpdateOut(Schema):
    at: datetime
    by: str
    text: str


class BreachOut(Schema):
    id: int
    description: str
    discovered_at: datetime
    notify_authority_by: datetime
    overdue: bool
    registered_at: datetime
    nature: str
    data_categories: str
    person_categories: str
    approx_persons: int | None
    approx_records: int | None
    consequences: str
    measures: str
    contact_point: str
    risk: str
    no_notification_reason: str
    authority: str
    authority_channel: str
    authority_notified_at: datetime | None
    authority_reference: str
    late_reason: str
    updates: list[UpdateOut]


class BreachPage(Schema):
    items: list[BreachOut]
    count: int


def _out(breach, updates, clinic) -> dict:
    authority = services.authority_for(clinic)
    return {
        "id": breach.pk,
        "description": breach.description,
        "discovered_at": breach.discovered_at,
        "notify_authority_by": breach.notify_authority_by,
        "overdue": breach.clock_running and services.clock(breach)["overdue"],
        "registered_at": breach.registered_at,
        "nature": breach.nature,
        "data_categories": breach.data_categories,
        "person_categories": breach.person_categories,
        "approx_persons": breach.approx_persons,
        "approx_records": breach.approx_records,
        "consequences": breach.consequences,
        "measures": breach.measures,
        "contact_point": breach.contact_point,
        "risk": breach.risk,
        "no_notification_reason": breach.no_notification_reason,
        "authority": authority["name"],
        "authority_channel": str(authority["channel"]),
        "authority_notified_at": breach.authority_notified_at,
        "authority_reference": breach.authority_reference,
        "late_reason": breach.late_reason,
        "updates": [{"at": u.at, "by": u.by_name, "text": u.text} for u in updates],
    }


@router.post("breaches", response={201: BreachOut})
def create_breach(request, payload: BreachIn):
    data = payload.dict()
    breach = services.breach_register(
        actor=request.auth,
        description=data.pop("description"),
        discovered_at=data.pop("discovered_at"),
        **data,
    )
    return Status(201, _out(breach, [], request.auth.clinic))


@router.get("breaches", response=BreachPage)
def list_breaches(request):
    items = services.breach_list(actor=request.auth)
    updates = services.updates_by_breach(clinic=request.auth.clinic, breaches=items)
    clinic = request.auth.clinic
    return {
        "items": [_out(b, updates.get(b.pk, []), clinic) for b in items],
        "count": len(items),
    }


@router.get("breaches/{int:breach_id}", response=BreachOut)
def read_breach(request, breach_id: int):
    breach = services.breach_get(actor=request.auth, breach_id=breach_id)
    return _out(breach, services.breach_updates(breach=breach), request.auth.clinic)
