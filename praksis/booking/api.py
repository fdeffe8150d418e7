"""Booking API: public endpoints for clients and integrations, staff endpoints for the desk."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from praksis.booking import selectors, services
from praksis.booking.availability import free_slot_rows
from praksis.booking.models import Appointment
from praksis.clinics.models import Clinic
from praksis.clinics.selectors import clinic_by_slug
from praksis.core import ratelimit
from praksis.core.errors import RateLimited, ValidationFailed
from praksis.core.input import check_date
from praksis.core.middleware import client_ip

public_router = Router(tags=["public booking"], auth=None)
staff_router = Router(tags=["appointments"])

MAX_RANGE_DAYS = 92


def _clinic(slug: str) -> Clinic:
    clinic = clinic_by_slug(slug)
    if clinic is None:
        raise Http404
    return clinic


def _limit(request, scope: str, limit: int) -> None:
    wait = ratelimit.hit(scope=scope, key=client_ip(request) or "-", limit=limit)
    if wait:
        raise RateLimited(wait)


def _date(value: str | None, field: str) -> date:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed({field: [_("Enter a date as YYYY-MM-DD.")]}) from None
    check_date(day, field)
    return day


class ServiceOut(Schema):
    id: int
    name: str
    duration_minutes: int
    price: str


class ServicePage(Schema):
    items: list[ServiceOut]
    count: int


class SlotOut(Schema):
    start: str
    end: str
    practitioner: int
    practitioner_name: str


class SlotPage(Schema):
    items: list[SlotOut]
    count: int


class PublicBookingIn(Schema):
    service: int | str | None = None
    start: str | None = None
    practitioner: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    identity_number: str | None = None
    birth_date: str | None = None
    animal_name: str | None = None
    animal_species: str | None = None
    accept_privacy_notice: bool | None = None
    marketing_opt_in: bool | None = None


class BookingCreated(Schema):
    id: int
    reference: str
    start: str
    end: str
    service: int
    practitioner: int
    manage_url: str


class BookingRequestIn(Schema):
    service: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    preferred_weekdays: list[int] | None = None
    preferred_time: str | None = None
    source: str | None = None
    message: str | None = None
    accept_privacy_notice: bool | None = None


class BookingRequestCreated(Schema):
    id: int
    status: str


def _iso(clinic: Clinic, value: datetime) -> str:
    return value.astimezone(clinic.zone).isoformat()


@public_router.get("public/{slug:clinic}/services", response=ServicePage)
def public_services(request, clinic: str):
    _limit(request, "read", settings.PUBLIC_RATE_LIMIT_READS)
    the_clinic = _clinic(clinic)
    items = [
        {
            "id": s.pk,
            "name": s.localized_name(),
            "duration_minutes": s.duration_minutes,
            "price": str(s.price),
        }
        for s in selectors.services_public(clinic=the_clinic)
    ]
    return {"items": items, "count": len(items)}


@public_router.get("public/{slug:clinic}/availability", response=SlotPage)
def public_availability(
    request,
    clinic: str,
    service: str = Query(None),
    from_: str = Query(None, alias="from"),
    to: str = Query(None),
    practitioner: int | None = None,
):
    _limit(request, "read", settings.PUBLIC_RATE_LIMIT_READS)
    the_clinic = _clinic(clinic)
    errors: dict[str, list] = {}
    service_obj = None
    try:
        service_obj = services._service(the_clinic, service, public=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        date_from = _date(from_, "from")
    except ValidationFailed as exc:
        errors.update(exc.errors)
        date_from = None
    try:
        date_to = _date(to or from_, "to")
    except ValidationFailed as exc:
        errors.update(exc.errors)
        date_to = None
    if date_from and date_to and date_to < date_from:
        errors["to"] = [_("The end date must not be before the start date.")]
    if date_from and date_to and date_to - date_from > timedelta(days=MAX_RANGE_DAYS):
        errors["to"] = [_("Ask for at most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    rows = free_slot_rows(
        clinic=the_clinic,
        service=service_obj,
        date_from=date_from,
        date_to=date_to,
        practitioner_id=practitioner,
    )
    # Each practitioner's tail of a slot object, written once; the practitioners are the
    # service's few, so their names come from a small query, not from scanning the slots.
    tails = {
        pk: f',"practitioner":{pk},"practitioner_name":{json.dumps(name)}}}'
        for pk, name in service_obj.practitioners.filter(clinic=the_clinic).values_list(
            "pk", "name"
        )
    }
    # Up to tens of thousands of slots: written as JSON directly (the schema above still
    # documents the shape) instead of validating each item on the way out.
    items = ",".join(
        f'{{"start":"{start_iso}","end":"{end_iso}"{tails[pid]}'
        for _start, pid, _end, start_iso, end_iso in rows
    )
    return HttpResponse(
        f'{{"items":[{items}],"count":{len(rows)}}}', content_type="application/json"
    )


@public_router.post("public/{slug:clinic}/bookings", response={201: BookingCreated})
def public_book(request, clinic: str, payload: PublicBookingIn):
    _limit(request, "book", settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    the_clinic = _clinic(clinic)
    appointment = services.booking_public_create(
        clinic=the_clinic,
        data=payload.model_dump(),
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(
        201,
        {
            "id": appointment.pk,
            "reference": appointment.reference,
            "start": _iso(the_clinic, appointment.start),
            "end": _iso(the_clinic, appointment.end),
            "service": appointment.service_id,
            "practitioner": appointment.practitioner_id,
            "manage_url": services.manage_url(appointment),
        },
    )


@public_router.post("public/{slug:clinic}/booking-requests", response={201: BookingRequestCreated})
def public_booking_request(request, clinic: str, payload: BookingRequestIn):
    _limit(request, "book", settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    created = services.booking_request_create(
        clinic=_clinic(clinic), data=payload.model_dump(), ip_address=client_ip(request)
    )
    return Status(201, {"id": created.pk, "status": created.status})


# --- Staff ------------------------------------------------------------------------------


class AppointmentOut(Schema):
    id: int
    reference: str
    start: str
    end: str
    status: str
    channel: str
    service: int
    service_name: str
    practitioner: int
    practitioner_name: str
    person: int
    person_name: str
    animal: int | None
    identity_match: str


class IdentityIn(Schema):
    same_person: bool


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    count: int


class AppointmentIn(Schema):
    person: int
    service: int
    start: str
    practitioner: int | None = None
    channel: str = "phone"
    animal: int | None = None
    note: str = ""
    # A start that has passed: true records a visit that has already taken place.
    allow_past: bool = False


class CancelIn(Schema):
    reason: str = ""


class MoveIn(Schema):
    start: str
    practitioner: int | None = None


class ConvertIn(Schema):
    person: int
    start: str
    practitioner: int | None = None
    service: int | None = None


class RequestOut(Schema):
    id: int
    status: str
    first_name: str
    last_name: str
    email: str
    phone: str
    preferred_weekdays: list[int]
    preferred_time: str
    source: str
    message: str
    service: int | None
    created_at: datetime


class RequestPage(Schema):
    items: list[RequestOut]
    count: int


def _appointment_out(a: Appointment, zone) -> dict:
    return {
        "id": a.pk,
        "reference": a.reference,
        "start": a.start.astimezone(zone).isoformat(),
        "end": a.end.astimezone(zone).isoformat(),
        "status": a.status,
        "channel": a.channel,
        "service": a.service_id,
        "service_name": a.service.localized_name(),
        "practitioner": a.practitioner_id,
        "practitioner_name": a.practitioner.name,
        "person": a.person_id,
        "person_name": a.person.full_name,
        "animal": a.animal_id,
        "identity_match": a.identity_match,
    }


@staff_router.get("appointments", response=AppointmentPage)
def list_appointments(request, practitioner: int | None = None):
    actor = request.auth
    today = datetime.now(actor.clinic.zone).date()
    params = request.GET
    date_from = _date(params.get("from"), "from") if params.get("from") else today
    date_to = _date(params.get("to"), "to") if params.get("to") else date_from + timedelta(days=6)
    if date_to < date_from or date_to - date_from > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed({"to": [_("Choose a range of at most 92 days.")]})
    items = selectors.appointments_between(
        actor=actor, date_from=date_from, date_to=date_to, practitioner_id=practitioner
    )
    zone = actor.clinic.zone
    return {"items": [_appointment_out(a, zone) for a in items], "count": len(items)}


@staff_router.post("appointments", response={201: AppointmentOut})
def create_appointment(request, payload: AppointmentIn):
    actor = request.auth
    appointment = services.appointment_book(
        actor=actor,
        service_id=payload.service,
        person_id=payload.person,
        start=payload.start,
        channel=payload.channel,
        practitioner_id=payload.practitioner,
        animal_id=payload.animal,
        note=payload.note,
        allow_past=payload.allow_past,
    )
    appointment = selectors.appointment_get(actor=actor, appointment_id=appointment.pk)
    return Status(201, _appointment_out(appointment, actor.clinic.zone))


@staff_router.get("appointments/{int:appointment_id}", response=AppointmentOut)
def read_appointment(request, appointment_id: int):
    appointment = selectors.appointment_get(actor=request.auth, appointment_id=appointment_id)
    return _appointment_out(appointment, request.auth.clinic.zone)


@staff_router.post("appointments/{int:appointment_id}/cancel", response=AppointmentOut)
def cancel_appointment(request, appointment_id: int, payload: CancelIn):
    actor = request.auth
    services.appointment_cancel(actor=actor, appointment_id=appointment_id, reason=payload.reason)
    return read_appointment(request, appointment_id)


@staff_router.post("appointments/{int:appointment_id}/move", response=AppointmentOut)
def move_appointment(request, appointment_id: int, payload: MoveIn):
    services.appointment_move(
        actor=request.auth,
        appointment_id=appointment_id,
        start=payload.start,
        practitioner_id=payload.practitioner,
    )
    return read_appointment(request, appointment_id)


@staff_router.post("appointments/{int:appointment_id}/no-show", response=AppointmentOut)
def no_show(request, appointment_id: int):
    services.appointment_mark_no_show(actor=request.auth, appointment_id=appointment_id)
    return read_appointment(request, appointment_id)


@staff_router.get("booking-requests", response=RequestPage)
def list_requests(request):
    items = selectors.open_requests(actor=request.auth)
    return {"items": items, "count": len(items)}


@staff_router.post("booking-requests/{int:request_id}/convert", response={201: AppointmentOut})
def convert_request(request, request_id: int, payload: ConvertIn):
    actor = request.auth
    appointment = services.booking_request_convert(
        actor=actor,
        request_id=request_id,
        person_id=payload.person,
        start=payload.start,
        practitioner_id=payload.practitioner,
        service_id=payload.service,
    )
    appointment = selectors.appointment_get(actor=actor, appointment_id=appointment.pk)
    return Status(201, _appointment_out(appointment, actor.clinic.zone))


@staff_router.post("booking-requests/{int:request_id}/decline", response=RequestOut)
def decline_request(request, request_id: int, payload: CancelIn):
    declined = services.booking_request_decline(
        actor=request.auth, request_id=request_id, reason=payload.reason
    )
    return declined


@staff_router.post("appointments/{int:appointment_id}/identity", response=AppointmentOut)
def confirm_identity(request, appointment_id: int, payload: IdentityIn):
    """Settle an online booking that gave the identity number of a person on file: the
    same person (the booking stays) or not (it is cancelled and the booker told)."""
    services.appointment_identity_confirm(
        actor=request.auth, appointment_id=appointment_id, same_person=payload.same_person
    )
    return read_appointment(request, appointment_id)
