"""Demo recalls for the call list: some overdue, some due later this month, set by the
receptionist through the recall service (access-logged). Signed journal entries set more
(recall interval, next vaccination). Therapy clinics do not recall their clients.
Idempotent: a clinic with a recall not set from the journal gets nothing more."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from praksis.clinics.access import Actor
from praksis.people.models import Animal, Person
from praksis.recall.models import Recall
from praksis.recall.services import recall_set

REASONS = {"optician": "synundersökning", "dental": "undersøkelse", "veterinary": "vaksinasjon"}


def due_dates(today: date) -> list[date]:
    """Two overdue, one due today and one later this month (today when the month ends)."""
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return [
        today - timedelta(days=40),
        today - timedelta(days=12),
        today,
        min(today + timedelta(days=7), month_end),
    ]


def seed_recalls(clinic, *, actor: Actor, people: list[Person], today: date) -> None:
    reason = REASONS.get(clinic.profile)
    if reason is None or not people:
        return
    if Recall.objects.filter(clinic=clinic, source_entry__isnull=True).exists():
        return
    for person, due in zip(people, due_dates(today), strict=False):
        subject = {"person": person}
        if clinic.has_animals:
            animal = Animal.objects.filter(clinic=clinic, ownerships__person=person).first()
            if animal is None:
                continue
            subject = {"animal": animal}
        recall_set(actor=actor, **subject, interval_months=12, due_date=due, reason=reason)
