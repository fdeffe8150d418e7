"""Reads of bookings, scoped to the actor's clinic and access-logged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Max, Min, Q, QuerySet
from django.http import Http404

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking.models import Appointment, BookingRequest, Practitioner, Service
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic


def services_public(*, clinic: Clinic) -> QuerySet[Service]:
    return Service.objects.filter(clinic=clinic, active=True, online_bookable=True).order_by(
        "name", "pk"
    )


def practitioners(*, clinic: Clinic) -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(clinic=clinic, active=True).order_by("name", "pk")


def local_range(clinic: Clinic, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = clinic.zone
    return (
        datetime.combine(date_from, time(0), tzinfo=zone),
        datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone),
    )


def appointments_between(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    practitioner_id: int | None = None,
    include_cancelled: bool = False,
    fields: tuple[str, ...] = (),
) -> list:
    """The clinic's appointments in a local date range (a calendar), logged as one list:
    models, or with ``fields`` just those values as dicts (the calendar grid: hundreds of
    bookings, no model instances)."""
    require(actor, "person.read")
    start, end = local_range(actor.clinic, date_from, date_to)
    qs = Appointment.objects.filter(clinic=actor.clinic, start__lt=end, end__gt=start).order_by(
        "start", "practitioner_id"
    )
    qs = (
        qs.values(*fields)
        if fields
        else qs.select_related("service", "person", "practitioner", "animal")
    )
    if practitioner_id:
        qs = qs.filter(practitioner_id=practitioner_id)
    if not include_cancelled:
        qs = qs.exclude(status=Appointment.Status.CANCELLED)
    items = list(qs[:2000])
    log_access(
        actor,
        Access(
            Action.LIST,
            "appointment",
            purpose="calendar",
            detail=f"{date_from}..{date_to}; results={len(items)}",
        ),
    )
    return items


def appointment_get(*, actor: Actor, appointment_id: int) -> Appointment:
    require(actor, "person.read")
    appointment = (
        Appointment.objects.select_related("service", "person", "practitioner", "animal")
        .filter(clinic=actor.clinic, pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404
    log_access(
        actor,
        Access(Action.READ, "appointment", appointment.pk, person_id=appointment.person_id),
    )
    return appointment


def person_appointments(*, actor: Actor, person_id: int) -> list[Appointment]:
    """A person's bookings (shown within an already logged read of the person)."""
    return list(
        Appointment.objects.filter(clinic=actor.clinic, person_id=person_id)
        .select_related("service", "practitioner")
        .order_by("-start")[:50]
    )


def open_requests(*, actor: Actor) -> list[BookingRequest]:
    require(actor, "person.read")
    items = list(
        BookingRequest.objects.filter(clinic=actor.clinic, status=BookingRequest.Status.OPEN)
        .select_related("service")
        .order_by("created_at")[:500]
    )
    log_access(
        actor,
        Access(Action.LIST, "booking_request", purpose="requests", detail=f"results={len(items)}"),
    )
    return items


def identity_matches_open(*, actor: Actor) -> list[Appointment]:
    """Online bookings that gave the identity number of a person on file with other
    contact details: staff confirm them (the booking grants nothing until then)."""
    require(actor, "person.read")
    items = list(
        Appointment.objects.filter(
            clinic=actor.clinic, identity_match=Appointment.IdentityMatch.TO_CONFIRM
        )
        .select_related("service", "person", "practitioner")
        .order_by("start")[:200]
    )
    log_access(
        actor,
        Access(
            Action.LIST, "appointment", purpose="identity matches", detail=f"results={len(items)}"
        ),
    )
    return items


def open_request_count(*, actor: Actor) -> int:
    """How many booking requests wait for an answer. A count shows no one: not logged."""
    require(actor, "person.read")
    return BookingRequest.objects.filter(
        clinic=actor.clinic, status=BookingRequest.Status.OPEN
    ).count()


def identity_matches_count(*, actor: Actor) -> int:
    """How many online bookings wait for staff to confirm an identity match (a count)."""
    require(actor, "person.read")
    return Appointment.objects.filter(
        clinic=actor.clinic, identity_match=Appointment.IdentityMatch.TO_CONFIRM
    ).count()


_VISITED = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED, Appointment.Status.COMPLETED)


def visit_dates(clinic: Clinic, kind: str, ids: set[int], now: datetime):
    """``(id, last, next)`` of ``kind`` ("person"/"animal") subjects: the latest booked or
    completed appointment up to ``now``, the earliest booked one after it (the recall
    list's visits; one query)."""
    rows = (
        Appointment.objects.filter(clinic=clinic, **{f"{kind}_id__in": ids})
        .values(f"{kind}_id")
        .annotate(
            last=Max("start", filter=Q(start__lte=now, status__in=_VISITED)),
            next=Min("start", filter=Q(start__gt=now, status=Appointment.Status.BOOKED)),
        )
        .order_by()
    )
    return [(row[f"{kind}_id"], row["last"], row["next"]) for row in rows]
