"""Service messages about bookings, queued in the outbox in the booking's transaction.

Service messages carry no marketing (REQ-29): only what the client needs about the
booking, in the clinic's language, with the manage link and the calendar file.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from praksis.booking.models import IntakeForm
from praksis.core.links import base_url
from praksis.messaging.services import message_enqueue

SUBJECTS = {
    "confirmation": lambda: _("Your booking is confirmed"),
    "change": lambda: _("Your booking has been moved"),
    "cancellation": lambda: _("Your booking is cancelled"),
    "reminder": lambda: _("Reminder of your booking"),
}


def notify_appointment(appointment, kind: str, *, token: str | None = None) -> int:
    """Queue the e-mail (and for reminders the SMS) about ``appointment``; count queued."""
    from praksis.booking.calendar import appointment_ics
    from praksis.booking.services import manage_url
    from praksis.booking.sms_replies import reply_request

    clinic = appointment.clinic
    person = appointment.person
    queued = 0
    with translation.override(clinic.language), timezone.override(clinic.zone):
        local_start = appointment.start.astimezone(clinic.zone)
        context = {
            "kind": kind,
            "appointment": appointment,
            "clinic": clinic,
            "service_name": appointment.service.localized_name(clinic.language),
            "local_start": local_start,
            "manage_url": manage_url(appointment, token) if token else "",
            # JA/NEJ (NEI) answers to a reminder SMS, when the clinic asks for them.
            "reply_words": reply_request(clinic) if kind == "reminder" else None,
        }
        if kind in ("confirmation", "reminder"):
            # The service's intake form: answered in the client's account (issue 15).
            form = IntakeForm.objects.filter(service_id=appointment.service_id, active=True).first()
            if form is not None:
                context["intake_title"] = form.title
                context["intake_url"] = f"{base_url()}/{clinic.slug}/account/"
        dedupe = f"{kind}:{appointment.pk}:{appointment.sequence}" if kind == "reminder" else None
        related = ("appointment", appointment.pk)
        email, phone = appointment.contact_email, appointment.contact_phone
        if email:
            body = render_to_string("booking/email/appointment.txt", context)
            ics = appointment_ics(appointment, language=clinic.language)
            message = message_enqueue(
                clinic=clinic,
                channel="email",
                to=email,
                subject=f"{SUBJECTS[kind]()} – {clinic.name}",
                body=body,
                kind=kind,
                person=person,
                dedupe_key=dedupe and f"{dedupe}:email",
                attachment=("booking.ics", "text/calendar", ics),
                related=related,
            )
            queued += message is not None
        if phone and kind in ("reminder", "cancellation"):
            body = render_to_string("booking/sms/appointment.txt", context).strip()
            message = message_enqueue(
                clinic=clinic,
                channel="sms",
                to=phone,
                subject="",
                body=body,
                kind=kind,
                person=person,
                dedupe_key=dedupe and f"{dedupe}:sms",
                related=related,
            )
            queued += message is not None
    return queued


SERIES_SUBJECTS = {
    "confirmation": lambda: _("Your bookings are confirmed"),
    "change": lambda: _("Your bookings have been moved"),
    "cancellation": lambda: _("Your bookings are cancelled"),
}


def notify_series(appointments: list, *, tokens: dict[int, str], kind: str = "confirmation") -> int:
    """Tell the client about several bookings of a recurring series in one e-mail (booked,
    moved or cancelled): every time, with its manage link while it stands, and one
    calendar file with all of them; not one message per booking. A cancellation also
    goes by SMS, as one text, as a single booking's does."""
    from praksis.booking.calendar import appointments_ics
    from praksis.booking.services import manage_url

    if not appointments:
        return 0
    first = appointments[0]
    clinic, person = first.clinic, first.person
    email, phone = first.contact_email, first.contact_phone
    queued = 0
    with translation.override(clinic.language), timezone.override(clinic.zone):
        context = {
            "kind": kind,
            "clinic": clinic,
            "service_name": first.service.localized_name(clinic.language),
            "count": len(appointments),
            "local_start": first.start.astimezone(clinic.zone),
            "items": [
                {
                    "appointment": a,
                    "local_start": a.start.astimezone(clinic.zone),
                    "manage_url": manage_url(a, tokens[a.pk]) if a.pk in tokens else "",
                }
                for a in appointments
            ],
        }
        if email:
            message = message_enqueue(
                clinic=clinic,
                channel="email",
                to=email,
                subject=f"{SERIES_SUBJECTS[kind]()} – {clinic.name}",
                body=render_to_string("booking/email/series.txt", context),
                kind=kind,
                person=person,
                attachment=(
                    "bookings.ics",
                    "text/calendar",
                    appointments_ics(appointments, language=clinic.language),
                ),
                related=("appointment", first.pk),
            )
            queued += message is not None
        if phone and kind == "cancellation":
            message = message_enqueue(
                clinic=clinic,
                channel="sms",
                to=phone,
                subject="",
                body=render_to_string("booking/sms/series.txt", context).strip(),
                kind=kind,
                person=person,
                related=("appointment", first.pk),
            )
            queued += message is not None
    return queued


def notify_request(request, kind: str) -> int:
    """Acknowledge a booking request (or say it was declined) to the requester."""
    clinic = request.clinic
    if not request.email:
        return 0
    with translation.override(clinic.language), timezone.override(clinic.zone):
        subject = (
            _("We have received your booking request")
            if kind == "received"
            else _("About your booking request")
        )
        body = render_to_string(
            "booking/email/request.txt", {"kind": kind, "request": request, "clinic": clinic}
        )
        message = message_enqueue(
            clinic=clinic,
            channel="email",
            to=request.email,
            subject=f"{subject} – {clinic.name}",
            body=body,
            kind="request",
            related=("booking_request", request.pk),
        )
    return int(message is not None)
