"""Recall API: the call list, recording calls, setting a person's or an animal's recall."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import Http404
from django.utils.translation import pgettext_lazy
from ninja import Query, Router, Schema, Status

from praksis.core.errors import ValidationFailed
from praksis.recall import selectors, services
from praksis.recall.models import CallAttempt, Recall

router = Router(tags=["recall"])

DEFAULT_DAYS = 30
MAX_RANGE_DAYS = 366


class RecallIn(Schema):
    interval_months: int | None = None
    due_date: str | None = None
    reason: str = ""


class RecallOut(Schema):
    id: int
    person: int | None
    animal: int | None
    interval_months: int | None
    due_date: date
    call_on: date
    reason: str
    status: str
    created_at: datetime


class AttemptIn(Schema):
    outcome: str | None = None
    note: str = ""
    call_back_on: str | None = None


class AttemptOut(Schema):
    id: int
    recall: int
    at: datetime
    user: int | None
    outcome: str
    note: str
    call_back_on: date | None


class CallListItem(Schema):
    id: int
    person: int
    name: str
    animal: int | None
    animal_name: str
    phone: str
    due_date: date
    call_on: date
    reason: str
    last_visit: date | None
    next_booking: date | None
    attempts: list[AttemptOut]


class CallListPage(Schema):
    items: list[CallListItem]
    count: int


def _recall_out(recall: Recall) -> dict:
    return {
        "id": recall.pk,
        "person": recall.person_id,
        "animal": recall.animal_id,
        "interval_months": recall.interval_months,
        "due_date": recall.due_date,
        "call_on": recall.call_on,
        "reason": recall.reason,
        "status": recall.status,
        "created_at": recall.created_at,
    }


def _attempt_out(attempt: CallAttempt) -> dict:
    return {
        "id": attempt.pk,
        "recall": attempt.recall_id,
        "at": attempt.at,
        "user": attempt.user_id,
        "outcome": attempt.outcome,
        "note": attempt.note,
        "call_back_on": attempt.call_back_on,
    }


@router.get("recall/call-list", response=CallListPage)
def call_list(
    request,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
    include_contacted: bool = False,
):
    """Active recalls to call about from ``from`` to ``to`` (default: today + 30 days)."""
    actor = request.auth
    errors: dict[str, list] = {}
    dates: dict[str, date | None] = {}
    for name, value in (("from", from_), ("to", to)):
        try:
            dates[name] = services.parse_date(value, name)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    date_from = dates["from"] or selectors.local_today(actor.clinic)
    date_to = dates["to"] or date_from + timedelta(days=DEFAULT_DAYS)
    if date_to < date_from or date_to - date_from > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed(
            {"to": [pgettext_lazy("recall", "Choose a range of at most 366 days.")]}
        )
    rows = selectors.call_list(
        actor=actor, date_from=date_from, date_to=date_to, include_contacted=include_contacted
    )
    items = [
        {
            "id": row.recall_id,
            "person": row.person_id,
            "name": row.name,
            "animal": row.animal_id,
            "animal_name": row.animal_name,
            "phone": row.phone,
            "due_date": row.due_date,
            "call_on": row.call_on,
            "reason": row.reason,
            "last_visit": row.last_visit,
            "next_booking": row.next_booking,
            "attempts": [_attempt_out(a) for a in row.attempts],
        }
        for row in rows
    ]
    return {"items": items, "count": len(items)}


@router.post("recall/{int:recall_id}/attempts", response={201: AttemptOut})
def record_attempt(request, recall_id: int, payload: AttemptIn):
    actor = request.auth
    if not selectors.recall_exists(clinic=actor.clinic, recall_id=recall_id):
        raise Http404
    attempt = services.call_attempt_record(
        actor=actor,
        recall_id=recall_id,
        outcome=payload.outcome or "",
        note=payload.note,
        call_back_on=services.parse_date(payload.call_back_on, "call_back_on"),
    )
    return Status(201, _attempt_out(attempt))


def _set(request, payload: RecallIn, **subject_id) -> Status:
    actor = request.auth
    subject = selectors.subject_of(actor, **subject_id)
    kind = "person" if "person_id" in subject_id else "animal"
    recall = services.recall_set(
        actor=actor,
        **{kind: subject},
        interval_months=payload.interval_months,
        due_date=payload.due_date,
        reason=payload.reason,
    )
    return Status(201, _recall_out(recall))


@router.post("persons/{int:person_id}/recall", response={201: RecallOut})
def set_person_recall(request, person_id: int, payload: RecallIn):
    return _set(request, payload, person_id=person_id)


@router.post("animals/{int:animal_id}/recall", response={201: RecallOut})
def set_animal_recall(request, animal_id: int, payload: RecallIn):
    return _set(request, payload, animal_id=animal_id)
