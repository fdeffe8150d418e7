"""The person page (``staff:person``): the person and their animals from the people app,
with the sections other apps give it — bookings, the journal and its retention, the
recall, consents."""

from __future__ import annotations

from django.shortcuts import render

from praksis.booking.selectors import person_appointments
from praksis.booking.waitlist_views import waitlist_rows
from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.journal.selectors import journal_summary
from praksis.people import selectors
from praksis.people.identity import format_identity
from praksis.privacy.models import Consent
from praksis.privacy.retention import journal_retention
from praksis.privacy.services import desk_purposes
from praksis.recall.selectors import recall_for


def _display_identity(person, clinic) -> str:
    if not person.identity_number:
        return ""
    return format_identity(person.identity_number, clinic.country)


@staff_view("person.read")
def person_detail(request, person_id: int):
    actor = request.actor
    person = selectors.person_get(
        actor=actor, person_id=person_id, purpose=request.GET.get("purpose", "")[:200]
    )
    animals = selectors.animals_of(actor=actor, person=person) if actor.clinic.has_animals else []
    journal = journal_summary(actor=actor, person_id=person.pk)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "identity": _display_identity(person, actor.clinic),
            "animals": animals,
            "can_view_log": can(actor, "access_log.read"),
            "can_read_journal": can(actor, "journal.read"),
            "can_write_person": can(actor, "person.write"),
            "journal": journal,
            "journal_retention": journal_retention(actor.clinic, journal.last_entry_at),
            "recall": recall_for(actor=actor, person=person),
            "consents": Consent.objects.filter(clinic=actor.clinic, person=person).order_by(
                "-given_at"
            ),
            "consent_purposes": desk_purposes(actor.clinic),
            "appointments": [
                {"appointment": a, "local": a.start.astimezone(actor.clinic.zone)}
                for a in person_appointments(actor=actor, person_id=person.pk)
            ],
            "waitlist": waitlist_rows(actor, person_id=person.pk),
        },
    )
