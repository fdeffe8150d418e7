"""What the booking app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, gettext_lazy

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


def requests_of(clinic, person):
    """A person's booking requests: linked to them, or sent before they were a client
    from their e-mail address or phone number."""
    about = Q(person=person)
    if person.email:
        about |= Q(person__isnull=True, email__iexact=person.email)
    if person.phone:
        about |= Q(person__isnull=True, phone=person.phone)
    return BookingRequest.objects.filter(clinic=clinic).filter(about)


class BookingData(Contract):
    label = "booking"
    stage = 50
    apply_stage = 30
    holdings = (
        Holding("booking.Appointment", "client", "person|animal", DELETE, clock="last_visit",
                portable=True, section="bookings"),
        Holding("booking.BookingRequest", "booking_request", "person|email|phone", DELETE,
                clock="expiry", portable=True, section="booking_requests"),
        # A booking's rooms and the client's SMS replies about it go with the booking.
        Holding("booking.ResourceHold", "client", "appointment__person", DELETE,
                clock="last_visit", section="bookings"),
        Holding("booking.SmsReply", "client", "appointment__person", DELETE,
                clock="last_visit", portable=True, section="bookings"),
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
        found = {
            "appointments": list(appointments.values_list("pk", flat=True)),
            "booking_requests": list(requests_of(ctx.clinic, person).values_list("pk", flat=True)),
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
        title=gettext("Bookings"),
        columns={
            "start": gettext("Starts"),
            "end": gettext("Ends"),
            "service": gettext("Service"),
            "practitioner": gettext("Practitioner"),
            "animal": gettext("Animal"),
            "status": gettext("Status"),
            "channel": gettext("Booked through"),
            "reference": gettext("Booking number"),
            "note": gettext("Note"),
            "details_given": gettext("Details given when booking"),
            "cancelled_at": gettext("Cancelled"),
            "cancel_reason": gettext("Reason for cancelling"),
            "ip_address": gettext("IP address of the online booking"),
            "created_at": gettext("Booking made"),
        },
        items=items,
        portable=True,
        order=20,
    )


def _booking_requests_section(subject: Subject) -> Section:
    rows = (
        requests_of(subject.clinic, subject.person)
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
        title=gettext("Booking requests"),
        columns={
            "created_at": gettext("Sent"),
            "service": gettext("Service"),
            "name": gettext("Name"),
            "email": gettext("E-mail"),
            "phone": gettext("Phone"),
            "weekdays": gettext("Preferred days"),
            "time_of_day": gettext("Preferred time of day"),
            "message": gettext("Message"),
            "source": gettext("Where you heard of us"),
            "status": gettext("Status"),
            "decline_reason": gettext("Reason for declining"),
            "expires_at": gettext("Deleted after"),
            "ip_address": gettext("IP address"),
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
