"""What the booking app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, gettext_lazy

from praksis.booking.models import (
    Appointment,
    BookingPolicy,
    BookingRequest,
    SmsReply,
    WaitlistEntry,
)
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


# An entry on the waiting list is kept this long after it ended (booked, withdrawn or
# expired): long enough to answer "was I on the list?", no longer (GDPR art. 5.1 e).
WAITLIST_RETENTION_DAYS = 30


def waitlist_entries_of(clinic, person):
    """A person's places on the waiting list: theirs, or given on the public page from
    their e-mail address or phone number before they were a client."""
    about = Q(person=person)
    if person.email:
        about |= Q(person__isnull=True, email__iexact=person.email)
    if person.phone:
        about |= Q(person__isnull=True, phone=person.phone)
    return WaitlistEntry.objects.filter(clinic=clinic).filter(about)


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
        # That the client answered a booking's intake form (the answers: the journal's).
        Holding("booking.IntakeResponse", "client", "appointment__person", DELETE,
                clock="last_visit", section="bookings"),
        # The waiting list: an entry made before they were a client is found by the
        # e-mail address or phone number it gave; the times offered go with the entry.
        Holding("booking.WaitlistEntry", "waitlist", "person|email|phone", DELETE,
                clock="ended", portable=True, section="waitlist"),
        Holding("booking.WaitlistOffer", "waitlist", "entry__person", DELETE,
                clock="ended", portable=True, section="waitlist"),
    )  # fmt: skip
    labels = {
        "appointments": gettext_lazy("Bookings"),
        "booking_requests": gettext_lazy("Booking requests"),
        "waitlist": gettext_lazy("Waiting list"),
    }
    reasons = {
        "appointments": gettext_lazy(
            "Not needed by any record we keep: journal entries and invoices carry their own dates."
        ),
        "booking_requests": gettext_lazy("A booking request is needed only until it is answered."),
        "waitlist": gettext_lazy(
            "A place on the waiting list is needed only while the person waits for a time."
        ),
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
            "waitlist": list(waitlist_entries_of(ctx.clinic, person).values_list("pk", flat=True)),
        }
        ctx.relate("appointment", found["appointments"])
        ctx.relate("booking_request", found["booking_requests"])
        ctx.relate("waitlist_entry", found["waitlist"])
        for key, ids in found.items():
            ctx.delete_unless_held(self.label, key, ids)

    def apply(self, plan) -> None:
        targets = plan.targets.get(self.label, {})
        clinic = plan.clinic
        # The times offered to an entry go with it (on delete cascade).
        WaitlistEntry.objects.filter(clinic=clinic, pk__in=targets.get("waitlist", [])).delete()
        BookingRequest.objects.filter(
            clinic=clinic, pk__in=targets.get("booking_requests", [])
        ).delete()
        Appointment.objects.filter(clinic=clinic, pk__in=targets.get("appointments", [])).delete()

    def activity(self, cutoff):
        return (Appointment.objects.filter(start__gt=cutoff),)

    def retention_days(self, clinic, record_type):
        if record_type == "waitlist":
            return WAITLIST_RETENTION_DAYS
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
        return [
            _bookings_section(subject),
            _booking_requests_section(subject),
            _waitlist_section(subject),
        ]


# --- The access report and the export ------------------------------------------------


def _bookings_section(subject: Subject) -> Section:
    rows = (
        Appointment.objects.filter(clinic=subject.clinic, person=subject.person)
        .select_related("service", "practitioner", "animal")
        .order_by("-start", "-pk")
    )
    replies: dict[int, list[str]] = {}
    for r in SmsReply.objects.filter(
        clinic=subject.clinic, appointment__person=subject.person
    ).order_by("received_at", "pk"):
        replies.setdefault(r.appointment_id, []).append(
            f"{r.received_at.astimezone(subject.clinic.zone):%Y-%m-%d %H:%M} {r.from_phone}: "
            f"{r.body} ({r.get_outcome_display()})"
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
                "confirmed_at": a.confirmed_at,
                "sms_replies": "; ".join(replies.get(a.pk, [])),
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
            "confirmed_at": gettext("Confirmed by SMS"),
            "sms_replies": gettext("SMS replies"),
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


def _waitlist_section(subject: Subject) -> Section:
    """The person's places on the waiting list, each with the times it was offered."""
    rows = (
        waitlist_entries_of(subject.clinic, subject.person)
        .select_related("service", "practitioner")
        .prefetch_related("offers")
        .order_by("-created_at", "-pk")
    )
    zone = subject.clinic.zone
    items = []
    for e in rows:
        window = ""
        if e.earliest or e.latest:
            window = "–".join(t.strftime("%H:%M") if t else "" for t in (e.earliest, e.latest))
        offers = "; ".join(
            f"{o.start.astimezone(zone):%Y-%m-%d %H:%M} ({o.get_status_display()})"
            for o in sorted(e.offers.all(), key=lambda o: o.start)
        )
        items.append(
            {
                "created_at": e.created_at,
                "service": e.service.localized_name(),
                "practitioner": e.practitioner.name if e.practitioner_id else None,
                "name": f"{e.first_name} {e.last_name}".strip(),
                "email": e.email,
                "phone": e.phone,
                "weekdays": ", ".join(str(WEEKDAYS[d]) for d in e.weekdays or [] if d in WEEKDAYS),
                "times": window,
                "status": e.get_status_display(),
                "channel": e.get_channel_display(),
                "expires_at": e.expires_at,
                "offers": offers,
            }
        )
    return Section(
        key="waitlist",
        title=gettext("Waiting list"),
        columns={
            "created_at": gettext("Put on the list"),
            "service": gettext("Service"),
            "practitioner": gettext("Practitioner"),
            "name": gettext("Name"),
            "email": gettext("E-mail"),
            "phone": gettext("Phone"),
            "weekdays": gettext("Days that suit"),
            "times": gettext("Times that suit"),
            "status": gettext("Status"),
            "channel": gettext("Added through"),
            "expires_at": gettext("On the list until"),
            "offers": gettext("Times offered"),
        },
        items=items,
        portable=True,
        order=23,
    )


def _waitlist_due(now):
    """Entries that ended (booked, withdrawn, expired) more than the period ago; an
    entry still waiting ends when it expires. A legal hold on the person keeps them."""
    cutoff = now - timedelta(days=WAITLIST_RETENTION_DAYS)
    return WaitlistEntry.objects.filter(expires_at__lte=cutoff).exclude(
        Q(person__isnull=False) & engine().person_held("person_id")
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
    Rule("waitlist-ended", "waitlist", "delete", _waitlist_due, _delete, order=12),
)  # fmt: skip

register(BookingData())
