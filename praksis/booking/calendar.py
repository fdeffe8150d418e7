"""iCalendar (RFC 5545) files for appointments: stable UID, SEQUENCE bumped on change."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from icalendar import Calendar, Event

from praksis.booking.models import Appointment

PRODID = "-//Praksis//Booking//EN"


def appointment_ics(appointment: Appointment, *, language: str = "sv") -> str:
    """The appointment as a one-event calendar; CANCELLED once it is cancelled."""
    clinic = appointment.clinic
    cancelled = appointment.status == Appointment.Status.CANCELLED
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
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
    cal.add_component(event)
    return cal.to_ical().decode()


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
