"""Clinic set-up API for bookings (owner only): the booking policy, services, staff hours
and absences, closing days and public holidays. Staff are addressed by their membership id."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Router, Schema, Status

from praksis.booking import resources, setup
from praksis.booking.models import Absence, Appointment, BookingPolicy, ClosedDay
from praksis.booking.policy_setup import booking_policy_get, booking_policy_update
from praksis.core.api_body import JsonArray

router = Router(tags=["clinic set-up"])


class SetupServiceIn(Schema):
    name: str | None = None
    names: dict[str, str] | None = None
    duration_minutes: int | None = None
    buffer_minutes: int | None = None
    price: Decimal | None = None  # including VAT
    vat_rate: Decimal | None = None  # percent, one of the country's rates
    online_bookable: bool | None = None
    active: bool | None = None
    practitioners: list[int] | None = None  # membership ids (the ids of /staff)
    resources: list[int] | None = None  # rooms and equipment it needs (ids of /resources)


class SetupServiceOut(Schema):
    id: int
    name: str
    names: dict[str, str]
    duration_minutes: int
    buffer_minutes: int
    price: str
    vat_rate: str
    online_bookable: bool
    active: bool
    practitioners: list[int]
    # Practitioners without a staff account (from before set-up): kept, not editable here.
    other_practitioners: list[str]
    resources: list[int]


class SetupServicePage(Schema):
    items: list[SetupServiceOut]
    count: int


class HourIn(Schema):
    weekday: int  # 0 = Monday
    start: str  # "HH:MM" on the clinic's clock
    end: str  # "HH:MM", at most "24:00"


class HourOut(Schema):
    weekday: int
    start: str
    end: str


class BookingRef(Schema):
    """A booking that stays on a closed day or in an absence, for staff to move."""

    id: int
    reference: str
    start: str
    end: str
    practitioner_name: str
    service_name: str


class AbsenceIn(Schema):
    start: str  # "YYYY-MM-DDTHH:MM" on the clinic's clock (or with an offset)
    end: str
    reason: str = ""


class AbsenceOut(Schema):
    id: int
    start: str
    end: str
    reason: str


class AbsencePage(Schema):
    items: list[AbsenceOut]
    count: int


class AbsenceCreated(AbsenceOut):
    affected_bookings: list[BookingRef]


class ClosingDayIn(Schema):
    date: str  # YYYY-MM-DD
    reason: str = ""


class ClosingDayOut(Schema):
    id: int
    date: date
    reason: str
    bookings: int  # booked appointments still on that day


class ClosingDayPage(Schema):
    items: list[ClosingDayOut]
    count: int


class ClosingDayCreated(ClosingDayOut):
    affected_bookings: list[BookingRef]


class HolidayOut(Schema):
    date: date
    name: str
    closed: bool


class HolidayPage(Schema):
    items: list[HolidayOut]
    count: int


class HolidaysIn(Schema):
    dates: list[str] | None = None  # YYYY-MM-DD, among those offered
    all: bool = False


class HolidaysAdded(Schema):
    items: list[ClosingDayOut]
    count: int
    affected_bookings: list[BookingRef]


def _service_out(row: setup.ServiceRow) -> dict:
    s = row.service
    return {
        "id": s.pk,
        "name": s.name,
        "names": s.names,
        "duration_minutes": s.duration_minutes,
        "buffer_minutes": s.buffer_minutes,
        "price": str(s.price),
        "vat_rate": str(s.vat_rate),
        "online_bookable": s.online_bookable,
        "active": s.active,
        "practitioners": row.practitioners,
        "other_practitioners": row.others,
        "resources": list(row.resources),
    }


def _local(actor, value: datetime) -> str:
    return value.astimezone(actor.clinic.zone).isoformat()


def _booking_refs(actor, appointments: list[Appointment]) -> list[dict]:
    return [
        {
            "id": a.pk,
            "reference": a.reference,
            "start": _local(actor, a.start),
            "end": _local(actor, a.end),
            "practitioner_name": a.practitioner.name,
            "service_name": a.service.localized_name(),
        }
        for a in appointments
    ]


def _absence_out(actor, absence: Absence) -> dict:
    return {
        "id": absence.pk,
        "start": _local(actor, absence.start),
        "end": _local(actor, absence.end),
        "reason": absence.reason,
    }


def _closing_out(day: ClosedDay, bookings: int) -> dict:
    return {"id": day.pk, "date": day.date, "reason": day.reason, "bookings": bookings}


# --- Services ---------------------------------------------------------------------------


@router.get("services", response=SetupServicePage)
def list_services(request):
    items = [_service_out(row) for row in setup.services_list(actor=request.auth)]
    return {"items": items, "count": len(items)}


@router.post("services", response={201: SetupServiceOut})
def create_service(request, payload: SetupServiceIn):
    actor = request.auth
    service = setup.service_create(actor=actor, data=payload.model_dump(exclude_unset=True))
    return Status(201, _service_out(setup.service_get(actor=actor, service_id=service.pk)))


@router.get("services/{int:service_id}", response=SetupServiceOut)
def read_service(request, service_id: int):
    return _service_out(setup.service_get(actor=request.auth, service_id=service_id))


@router.patch("services/{int:service_id}", response=SetupServiceOut)
def update_service(request, service_id: int, payload: SetupServiceIn):
    actor = request.auth
    setup.service_update(
        actor=actor, service_id=service_id, data=payload.model_dump(exclude_unset=True)
    )
    return _service_out(setup.service_get(actor=actor, service_id=service_id))


# --- Rooms and equipment ----------------------------------------------------------------


class ResourceIn(Schema):
    name: str | None = None
    kind: str | None = None  # room | equipment
    active: bool | None = None


class ResourceOut(Schema):
    id: int
    name: str
    kind: str
    active: bool
    services: list[int]  # the services that need it


class ResourcePage(Schema):
    items: list[ResourceOut]
    count: int


def _resource_out(resource) -> dict:
    return {
        "id": resource.pk,
        "name": resource.name,
        "kind": resource.kind,
        "active": resource.active,
        "services": sorted(s.pk for s in resource.services.all()),
    }


@router.get("resources", response=ResourcePage)
def list_resources(request):
    items = [_resource_out(r) for r in resources.resources_list(actor=request.auth)]
    return {"items": items, "count": len(items)}


@router.post("resources", response={201: ResourceOut})
def create_resource(request, payload: ResourceIn):
    data = payload.model_dump(exclude_unset=True)
    return Status(201, _resource_out(resources.resource_create(actor=request.auth, data=data)))


@router.get("resources/{int:resource_id}", response=ResourceOut)
def read_resource(request, resource_id: int):
    return _resource_out(resources.resource_get(actor=request.auth, resource_id=resource_id))


@router.patch("resources/{int:resource_id}", response=ResourceOut)
def update_resource(request, resource_id: int, payload: ResourceIn):
    """Rename, change the kind, or deactivate (``{"active": false}``); never deleted."""
    data = payload.model_dump(exclude_unset=True)
    resource = resources.resource_update(actor=request.auth, resource_id=resource_id, data=data)
    return _resource_out(resource)


# --- Weekly hours and absences -----------------------------------------------------------


def _week_out(rows) -> list[dict]:
    return [
        {"weekday": h.weekday, "start": setup.format_hhmm(h.start), "end": setup.format_hhmm(h.end)}
        for h in rows
    ]


@router.get("staff/{int:membership_id}/hours", response=list[HourOut])
def read_hours(request, membership_id: int):
    return _week_out(setup.hours_get(actor=request.auth, membership_id=membership_id))


@router.put("staff/{int:membership_id}/hours", response=list[HourOut])
def replace_hours(request, membership_id: int, week: Annotated[list[HourIn], JsonArray(...)]):
    """Replace the week: ``[{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}, ...]``.
    Several stretches of one day are its hours with breaks between them."""
    rows = setup.hours_replace(
        actor=request.auth,
        membership_id=membership_id,
        week=[item.model_dump() for item in week],
    )
    return _week_out(rows)


@router.get("staff/{int:membership_id}/absences", response=AbsencePage)
def list_absences(request, membership_id: int):
    actor = request.auth
    items = setup.absences_list(actor=actor, membership_id=membership_id)
    return {"items": [_absence_out(actor, a) for a in items], "count": len(items)}


@router.post("staff/{int:membership_id}/absences", response={201: AbsenceCreated})
def create_absence(request, membership_id: int, payload: AbsenceIn):
    actor = request.auth
    absence, affected = setup.absence_add(
        actor=actor,
        membership_id=membership_id,
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    body = _absence_out(actor, absence) | {"affected_bookings": _booking_refs(actor, affected)}
    return Status(201, body)


@router.delete("absences/{int:absence_id}", response={204: None})
def delete_absence(request, absence_id: int):
    setup.absence_delete(actor=request.auth, absence_id=absence_id)
    return Status(204, None)


# --- Closing days -----------------------------------------------------------------------


@router.get("closing-days", response=ClosingDayPage)
def list_closing_days(request):
    items = [_closing_out(r.day, r.bookings) for r in setup.closing_days_list(actor=request.auth)]
    return {"items": items, "count": len(items)}


@router.post("closing-days", response={201: ClosingDayCreated})
def create_closing_day(request, payload: ClosingDayIn):
    actor = request.auth
    day, affected = setup.closing_day_add(actor=actor, day=payload.date, reason=payload.reason)
    body = _closing_out(day, len(affected)) | {"affected_bookings": _booking_refs(actor, affected)}
    return Status(201, body)


@router.delete("closing-days/{int:closing_day_id}", response={204: None})
def delete_closing_day(request, closing_day_id: int):
    setup.closing_day_delete(actor=request.auth, closing_day_id=closing_day_id)
    return Status(204, None)


@router.get("closing-days/public-holidays", response=HolidayPage)
def list_public_holidays(request):
    """This year's and next year's public holidays of the clinic's country, named in the
    caller's language where known."""
    items = [
        {"date": h.date, "name": h.name, "closed": h.closed}
        for h in setup.holidays_offered(actor=request.auth)
    ]
    return {"items": items, "count": len(items)}


@router.post("closing-days/public-holidays", response={201: HolidaysAdded})
def add_public_holidays(request, payload: HolidaysIn):
    """Close on the holidays picked (``dates``) or on all offered (``"all": true``)."""
    actor = request.auth
    created, affected = setup.closing_days_add_holidays(
        actor=actor, days=payload.dates, add_all=payload.all
    )
    per_day: dict[date, int] = {}
    for a in affected:
        day = a.start.astimezone(actor.clinic.zone).date()
        per_day[day] = per_day.get(day, 0) + 1
    items = [_closing_out(c, per_day.get(c.date, 0)) for c in created]
    return Status(
        201,
        {
            "items": items,
            "count": len(items),
            "affected_bookings": _booking_refs(actor, affected),
        },
    )


# --- The booking policy (``clinic/booking-policy``, read and patch) ----------------------
# Its operation ids are those it had under the clinic's own router, so the API document
# does not change.


class PolicyOut(Schema):
    mode: str
    slot_minutes: int
    horizon_days: int
    min_notice_minutes: int
    cancel_cutoff_hours: int
    reminder_hours: int
    request_expiry_days: int
    ip_retention_days: int
    sms_reply_requests: bool


class PolicyIn(Schema):
    mode: str | None = None
    slot_minutes: int | None = None
    horizon_days: int | None = None
    min_notice_minutes: int | None = None
    cancel_cutoff_hours: int | None = None
    reminder_hours: int | None = None
    request_expiry_days: int | None = None
    ip_retention_days: int | None = None
    sms_reply_requests: bool | None = None


def _policy(policy: BookingPolicy) -> dict:
    return {field: getattr(policy, field) for field in PolicyOut.model_fields}


@router.get(
    "clinic/booking-policy", response=PolicyOut, operation_id="praksis_clinics_api_policy_read"
)
def policy_read(request):
    return _policy(booking_policy_get(actor=request.auth))


@router.patch(
    "clinic/booking-policy", response=PolicyOut, operation_id="praksis_clinics_api_policy_patch"
)
def policy_patch(request, payload: PolicyIn):
    changes = payload.model_dump(exclude_unset=True)
    return _policy(booking_policy_update(actor=request.auth, changes=changes))
