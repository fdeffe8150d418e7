"""What the booking app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy

from praksis.booking.models import Appointment, BookingPolicy, BookingRequest
from praksis.core.personal_data import (
    DELETE,
    Contract,
    Holding,
    Rule,
    Section,
    Subject,
    engine,
    register,
)


class BookingData(Contract):
    label = "booking"
    stage = 50
    apply_stage = 30
    holdings = (
        Holding("booking.Appointment", "client", "person|animal", DELETE, clock="last_visit",
                portable=True, section="bookings"),
        Holding("booking.BookingRequest", "booking_request", "person|email|phone", DELETE,
                clock="expiry", portable=True, section="booking_requests"),
    )  # fmt: skip
    labels = {
        "appointments": gettext_lazy("Bookings"),
        "booking_requests": gettext_lazy("Booking requests"),
    }
    reasons = {
        "appointments": gettext_lazy(
            "Not needed by any record we keep: journal entries and invoices carry their own dates."
        ),
        "booking_requests": gettext_lazy("A booking request is needed only until it is answered."),
    }

    def plan(self, ctx) -> None:
        """Bookings and booking requests are deleted: a kept journal entry or invoice carries
        its own date, so no record that stays needs the calendar entry."""
        person = ctx.person
        appointments = Appointment.objects.filter(clinic=ctx.clinic).filter(
            Q(person=person) | Q(animal_id__in=ctx.deleted_animal_ids)
        )
        contact = Q(person=person)
        if person.email:
            contact |= Q(person__isnull=True, email__iexact=person.email)
        if person.phone:
            contact |= Q(person__isnull=True, phone=person.phone)
        found = {
            "appointments": list(appointments.values_list("pk", flat=True)),
            "booking_requests": list(
                BookingRequest.objects.filter(clinic=ctx.clinic)
                .filter(contact)
                .values_list("pk", flat=True)
            ),
        }
        ctx.relate("appointment", found["appointments"])
        ctx.relate("booking_request", found["booking_requests"])
        for key, ids in found.items():
            ctx.delete_unless_held(self.label, key, ids)

    def apply(self, plan) -> None:
        targets = plan.targets.get(self.label, {})
        clinic = plan.clinic
        BookingRequest.objects.filter(
            clinic=clinic, pk__in=targets.get("booking_requests", [])
        ).delete()
        Appointment.objects.filter(clinic=clinic, pk__in=targets.get("appointments", [])).delete()

    def activity(self, cutoff):
        return (Appointment.objects.filter(start__gt=cutoff),)

    def retention_days(self, clinic, record_type):
        if record_type not in ("booking_request", "booking_ip"):
            return None
        policy = None
        if clinic.pk is not None:
            policy = BookingPolicy.objects.filter(clinic_id=clinic.pk).first()
        policy = policy or BookingPolicy()
        if record_type == "booking_request":
            return policy.request_expiry_days
        return policy.ip_retention_days

    def sections(self, subject: Subject) -> list[Section]:
        """The person's bookings and booking requests, in words and with real times
        (portable, Art. 20: what the person asked for)."""
        return [_bookings_section(subject), _booking_requests_section(subject)]


# --- The access report and the export ------------------------------------------------


def _bookings_section(subject: Subject) -> Section:
    rows = (
        Appointment.objects.filter(clinic=subject.clinic, person=subject.person)
        .select_related("service", "practitioner", "animal")
        .order_by("-start", "-pk")
    )
    items = []
    for a in rows:
        given = ", ".join(
            v
            for v in (
                f"{a.booked_first_name} {a.booked_last_name}".strip(),
                a.booked_email,
                a.booked_phone,
                a.booked_animal,
            )
            if v
        )
        items.append(
            {
                "start": a.start,
                "end": a.end,
                "service": a.service.localized_name(),
                "practitioner": a.practitioner.name,
                "animal": a.animal.name if a.animal_id else None,
                "status": a.get_status_display(),
                "channel": a.get_channel_display(),
                "reference": a.reference,
                "note": a.note,
                "details_given": given,
                "cancelled_at": a.cancelled_at,
                "cancel_reason": a.cancel_reason,
                "ip_address": a.ip_address,
                "created_at": a.created_at,
            }
        )
    return Section(
        key="bookings",
        title=str(gettext_lazy("Bookings")),
        columns={
            "start": str(gettext_lazy("Starts")),
            "end": str(gettext_lazy("Ends")),
            "service": str(gettext_lazy("Service")),
            "practitioner": str(gettext_lazy("Practitioner")),
            "animal": str(gettext_lazy("Animal")),
            "status": str(gettext_lazy("Status")),
            "channel": str(gettext_lazy("Booked through")),
            "reference": str(gettext_lazy("Booking number")),
            "note": str(gettext_lazy("Note")),
            "details_given": str(gettext_lazy("Details given when booking")),
            "cancelled_at": str(gettext_lazy("Cancelled")),
            "cancel_reason": str(gettext_lazy("Reason for cancelling")),
            "ip_address": str(gettext_lazy("IP address of the online booking")),
            "created_at": str(gettext_lazy("Booking made")),
        },
        items=items,
        portable=True,
        order=20,
    )


def _booking_requests_section(subject: Subject) -> Section:
    person = subject.person
    about = Q(person=person)
    if person.email:
        about |= Q(person__isnull=True, email__iexact=person.email)
    if person.phone:
        about |= Q(person__isnull=True, phone=person.phone)
    rows = (
        BookingRequest.objects.filter(clinic=subject.clinic)
        .filter(about)
        .select_related("service")
        .order_by("-created_at", "-pk")
    )
    items = [
        {
            "created_at": r.created_at,
            "service": r.service.localized_name() if r.service_id else None,
            "name": f"{r.first_name} {r.last_name}".strip(),
            "email": r.email,
            "phone": r.phone,
            "weekdays": ", ".join(
                str(WEEKDAYS[d]) for d in r.preferred_weekdays or [] if d in WEEKDAYS
            ),
            "time_of_day": r.get_preferred_time_display(),
            "message": r.message,
            "source": r.source,
            "status": r.get_status_display(),
            "decline_reason": r.decline_reason,
            "expires_at": r.expires_at,
            "ip_address": r.ip_address,
        }
        for r in rows
    ]
    return Section(
        key="booking_requests",
        title=str(gettext_lazy("Booking requests")),
        columns={
            "created_at": str(gettext_lazy("Sent")),
            "service": str(gettext_lazy("Service")),
            "name": str(gettext_lazy("Name")),
            "email": str(gettext_lazy("E-mail")),
            "phone": str(gettext_lazy("Phone")),
            "weekdays": str(gettext_lazy("Preferred days")),
            "time_of_day": str(gettext_lazy("Preferred time of day")),
            "message": str(gettext_lazy("Message")),
            "source": str(gettext_lazy("Where you heard of us")),
            "status": str(gettext_lazy("Status")),
            "decline_reason": str(gettext_lazy("Reason for declining")),
            "expires_at": str(gettext_lazy("Deleted after")),
            "ip_address": str(gettext_lazy("IP address")),
        },
        items=items,
        portable=True,
        order=22,
    )


def _booking_requests_due(now):
    return (
        BookingRequest.objects.filter(expires_at__lte=now)
        .exclude(status=BookingRequest.Status.CONVERTED)
        .exclude(Q(person__isnull=False) & engine().person_held("person_id"))
    )


def _booking_ips_due(now):
    return Appointment.objects.filter(ip_expires_at__lte=now, ip_address__isnull=False).exclude(
        engine().person_held("person_id")
    )


def _delete(qs) -> int:
    return qs.delete()[0]


def _forget_ip(qs) -> int:
    return qs.update(ip_address=None, ip_expires_at=None)


BookingData.rules = (
    Rule("booking-requests-expired", "booking_request", "delete", _booking_requests_due,
         _delete, order=10),
    Rule("booking-ip-addresses", "appointment.ip_address", "forget ip address",
         _booking_ips_due, _forget_ip, order=11),
)  # fmt: skip

register(BookingData())
