"""The "today" page, where staff land after signing in: the day's bookings per
practitioner, what waits for an answer, privacy deadlines and failed messages.

Composition layer (ARCHITECTURE.md): it asks several apps through their selectors and
is imported by none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import render
from django.utils import timezone

from praksis.booking.models import Appointment, Practitioner
from praksis.booking.selectors import (
    appointments_between,
    identity_matches_count,
    open_request_count,
    practitioners,
)
from praksis.clinics.access import Actor, can
from praksis.clinics.auth import staff_view
from praksis.messaging.selectors import failed_count
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import effective_due, requests_due_soon


@dataclass
class Column:
    """One practitioner's bookings of the day."""

    practitioner: Practitioner | None
    appointments: list[Appointment] = field(default_factory=list)


def day_by_practitioner(*, actor: Actor, day) -> list[Column]:
    """Every active practitioner, with the day's bookings (the list read is logged once)."""
    columns = {p.pk: Column(p) for p in practitioners(clinic=actor.clinic)}
    for appointment in appointments_between(actor=actor, date_from=day, date_to=day):
        column = columns.setdefault(appointment.practitioner_id, Column(appointment.practitioner))
        column.appointments.append(appointment)
    return list(columns.values())


def privacy_deadlines(*, actor: Actor, day) -> list[dict]:
    """For those who handle privacy requests: those due within a week, soonest first."""
    if not can(actor, "privacy.manage"):
        return []
    items: list[DataSubjectRequest] = requests_due_soon(actor=actor, today=day)
    return [
        {"request": r, "due": effective_due(r), "overdue": effective_due(r) < day} for r in items
    ]


@staff_view("person.read")
def today_page(request):
    actor = request.actor
    day = timezone.localdate()  # the clinic's day: staff_view sets its time zone
    context = {
        "day": day,
        "columns": day_by_practitioner(actor=actor, day=day),
        "requests_waiting": open_request_count(actor=actor),
        "identity_matches": identity_matches_count(actor=actor),
        "privacy_due": privacy_deadlines(actor=actor, day=day),
        "can_manage_privacy": can(actor, "privacy.manage"),
        "can_write": can(actor, "person.write"),
        "failed_messages": failed_count(actor=actor),
    }
    return render(request, "staff/today.html", context)
