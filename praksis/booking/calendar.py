"""iCalendar (RFC 5545) files for appointments: stable UID, SEQUENCE bumped on change."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from icalendar import Calendar, Event

from praksis.booking.models import Appointment

PRODID = "-//Praksis//Booking//EN"


def appointment_ics(appointment: Appointment, *, language: str = "sv") -> str:
    """The appointment as a one-event calendar; CANCELLED once it is cancelled."""
    cancelled = appointment.status == Appointment.Status.CANCELLED
    cal = _calendar("CANCEL" if cancelled else "PUBLISH")
    cal.add_component(_event(appointment, language))
    return cal.to_ical().decode()


def appointments_ics(appointments: list[Appointment], *, language: str = "sv") -> str:
    """Several appointments (a recurring series) as one calendar file; a CANCEL when
    they are all cancelled."""
    cancelled = all(a.status == Appointment.Status.CANCELLED for a in appointments)
    cal = _calendar("CANCEL" if cancelled else "PUBLISH")
    for appointment in appointments:
        cal.add_component(_event(appointment, language))
    return cal.to_ical().decode()


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _event(appointment: Appointment, language: str) -> Event:
    clinic = appointment.clinic
    cancelled = appointment.status == Appointment.Status.CANCELLED
    event = Event()
    event.add("uid", appointment.uid)
    event.add("dtstamp", _utc(timezone.now()))
    event.add("dtstart", _utc(appointment.start))
    event.add("dtend", _utc(appointment.end))
    event.add("sequence", appointment.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Only what the client needs in their calendar: no identity number, no health data.
    event.add("summary", f"{appointment.service.localized_name(language)} – {clinic.name}")
    if clinic.address:
        event.add("location", clinic.address)
    event.add("description", f"Ref. {appointment.reference}")
    return event


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
