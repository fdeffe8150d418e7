"""What the booking app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy

from praksis.booking.models import Appointment, BookingPolicy, BookingRequest
from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Rule,
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
        targets = ctx.targets.setdefault(self.label, {})
        for key, ids in found.items():
            if not ids:
                continue
            if ctx.person_hold is not None:
                hold = ctx.person_hold.reason
                ctx.decide(Decision(key, KEEP, len(ids), "hold", hold=hold))
            else:
                ctx.decide(Decision(key, DELETE, len(ids), key, law="GDPR art. 17.1"))
                targets[key] = ids

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
