"""What the review of the access log (REQ-22) learns from the apps above the log.

Registered into ``praksis.audit.sources`` by ``praksis.site.wiring``: the relations that
give a user a reason to open a person's data (bookings, the journal, data-subject
requests), the clinic's working hours and closed days (booking), and the persons' names
and the persons who are the clinic's own staff (people).
"""

from __future__ import annotations

from datetime import date

from django.db.models import CharField, Exists, Max, Min, Q, Value
from django.db.models.functions import Concat, Upper

from praksis.booking.models import Appointment, BookingRequest, ClosedDay, WorkingHours
from praksis.clinics.models import Clinic, Role
from praksis.journal.models import JournalEntry
from praksis.people.models import Person
from praksis.privacy.models import DataSubjectRequest

# The relations are conditions on a log row: ``user`` and ``person`` are its
# OuterRef("user_id") and OuterRef("person_id"), ``role`` its column.


def booking_relation(clinic: Clinic, user, person):
    """The person has a booking with the user (as practitioner) or booked by them; at the
    desk, any booking or booking request of the person."""
    bookings = Appointment.objects.filter(clinic=clinic, person_id=person)
    return Exists(bookings.filter(Q(practitioner__user_id=user) | Q(created_by_user_id=user))) | (
        Q(role=Role.RECEPTIONIST)
        & (
            Exists(bookings)
            | Exists(BookingRequest.objects.filter(clinic=clinic, person_id=person))
        )
    )


def journal_relation(clinic: Clinic, user, person):
    """The user wrote in the person's journal (or their animal's)."""
    journal = JournalEntry.objects.filter(clinic=clinic, author_user_id=user)
    return Exists(journal.filter(person_id=person)) | Exists(
        journal.filter(animal__ownerships__person_id=person)
    )


def request_relation(clinic: Clinic, user, person):
    """For the owner, a data-subject request of the person."""
    return Q(role=Role.OWNER) & Exists(
        DataSubjectRequest.objects.filter(clinic=clinic, person_id=person)
    )


def working_hours(clinic: Clinic):
    """Per weekday, the earliest start and the latest end of the active practitioners'
    weekly hours."""
    spans = (
        WorkingHours.objects.filter(clinic=clinic, practitioner__active=True)
        .values("weekday")
        .annotate(first=Min("start"), last=Max("end"))
        .order_by()
    )
    return [(span["weekday"], span["first"], span["last"]) for span in spans]


def closed_days(clinic: Clinic, first: date, last: date) -> list[date]:
    return list(
        ClosedDay.objects.filter(clinic=clinic, date__gte=first, date__lte=last).values_list(
            "date", flat=True
        )
    )


def person_names(clinic: Clinic, person_ids: set[int]) -> dict[int, str]:
    return {
        pk: f"{first} {last}"
        for pk, first, last in Person.objects.filter(clinic=clinic, pk__in=person_ids)
        .values_list("pk", "first_name", "last_name")
        .order_by()
    }


def person_matches(clinic: Clinic, emails: list[str], name_keys: list[str], limit: int):
    """Persons whose e-mail (upper case) or "first last" name key is one of those given."""
    return (
        Person.objects.filter(clinic=clinic)
        .annotate(
            email_upper=Upper("email"),
            name=Concat("first_name_key", Value(" "), "last_name_key", output_field=CharField()),
        )
        .filter(Q(email_upper__in=emails) | Q(name__in=name_keys))
        .values_list("pk", "email_upper", "name")[:limit]
    )
