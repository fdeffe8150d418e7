"""The journal's care relation (REQ-20), as the booking app knows it: a booking of the
subject with the user as its practitioner (``praksis.journal.care``)."""

from __future__ import annotations

from praksis.booking.models import Appointment


def booked_with(clinic, user_id, *, person_id=None, animal_id=None, since, until) -> bool:
    """Whether the user has a booking (not cancelled) with the person or the animal that
    starts between ``since`` and ``until``."""
    bookings = Appointment.objects.filter(
        clinic=clinic, practitioner__user_id=user_id, start__gte=since, start__lte=until
    ).exclude(status=Appointment.Status.CANCELLED)
    if person_id is not None:
        return bookings.filter(person_id=person_id).exists()
    return bookings.filter(animal_id=animal_id).exists()
