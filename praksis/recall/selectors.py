"""Reads of recalls: the receptionists' call list, and a subject's next recall.

Who is called: a person, or for an animal its primary owner (the "contact"). Never a
restricted person (GDPR Art. 18, ``Person.restricted_at``), never one who withdrew their
recall consent without giving it again, never about a deceased animal. The call list
shows what the desk needs to phone (name, number, due date, the kind of visit, the last
visit's date, earlier attempts) and nothing from the journal but dates.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic
from praksis.people.models import Animal, AnimalOwner, Person
from praksis.privacy.models import Consent, Purpose, Restriction, RestrictionScope
from praksis.recall.models import CallAttempt, Recall, RecallPolicy, Status

MAX_ROWS = 1000
DEFAULT_LEAD_DAYS = 14


# --- Dates ------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the 31st becomes the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_today(clinic: Clinic, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(clinic.zone).date()


def lead_days(clinic: Clinic) -> int:
    policy = RecallPolicy.objects.filter(clinic=clinic).first()
    return policy.message_lead_days if policy else DEFAULT_LEAD_DAYS


# --- Subjects and contacts --------------------------------------------------------------


def subject_of(actor: Actor, *, person_id: int | None = None, animal_id: int | None = None):
    """The person or animal of the actor's clinic with this id (404 for any other)."""
    if (person_id is None) == (animal_id is None):
        raise ValueError("give exactly one of person_id and animal_id")
    model = Person if person_id is not None else Animal
    subject = model.objects.filter(clinic=actor.clinic, pk=person_id or animal_id).first()
    if subject is None:
        raise Http404
    return subject


def primary_owners(clinic: Clinic, animal_ids: Iterable[int]) -> dict[int, Person]:
    """Each animal's primary owner (the first one registered, if several are marked)."""
    owners: dict[int, Person] = {}
    rows = (
        AnimalOwner.objects.filter(clinic=clinic, animal_id__in=set(animal_ids), is_primary=True)
        .select_related("person")
        .order_by("pk")
    )
    for row in rows:
        owners.setdefault(row.animal_id, row.person)
    return owners


def contacts_for(clinic: Clinic, recalls: list[Recall]) -> dict[int, Person | None]:
    """Who to contact about each recall: the person, or the animal's primary owner."""
    owners = primary_owners(clinic, [r.animal_id for r in recalls if r.animal_id])
    return {r.pk: r.person if r.person_id else owners.get(r.animal_id) for r in recalls}


@dataclass(frozen=True)
class RecallConsents:
    active: dict[int, int]  # person id -> id of their active recall consent
    opted_out: set[int]  # withdrew a recall consent and has no active one
    # Art. 18 (REQ-28): a restriction of their recall in force (``praksis.privacy.restriction``).
    restricted: frozenset[int] = frozenset()


def recall_consents(clinic: Clinic, person_ids: Iterable[int]) -> RecallConsents:
    active: dict[int, int] = {}
    withdrawn: set[int] = set()
    rows = Consent.objects.filter(
        clinic=clinic, person_id__in=set(person_ids), purpose=Purpose.RECALL
    ).values_list("pk", "person_id", "withdrawn_at")
    for pk, person_id, withdrawn_at in rows.order_by("given_at", "pk"):
        if withdrawn_at is None:
            active[person_id] = pk
        else:
            withdrawn.add(person_id)
    restricted = Restriction.objects.filter(
        clinic=clinic,
        person_id__in=set(person_ids),
        scope=RestrictionScope.RECALL,
        ended_at__isnull=True,
    ).values_list("person_id", flat=True)
    return RecallConsents(
        active=active, opted_out=withdrawn - set(active), restricted=frozenset(restricted)
    )


def may_recall(contact: Person | None, consents: RecallConsents, animal: Animal | None) -> bool:
    """Whether anyone may be contacted about a recall at all (by phone or message)."""
    if contact is None or contact.restricted_at is not None or contact.pk in consents.restricted:
        return False
    if animal is not None and animal.deceased_on is not None:
        return False
    return contact.pk not in consents.opted_out


# --- Visits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Visits:
    last: dict[tuple[str, int], date]
    next: dict[tuple[str, int], date]


# Where visits are seen: ``source(clinic, kind, ids, now)`` yields ``(id, last, next)`` for
# subjects of ``kind`` ("person" or "animal") — the latest visit up to ``now`` and the
# earliest booking after it, either None. The booking app (appointments) and the journal
# (signed entries) are registered by the composition layer (praksis.site.wiring).
VisitSource = Callable[[Clinic, str, set[int], datetime], Iterable[tuple[int, Any, Any]]]
_VISIT_SOURCES: list[VisitSource] = []


def register_visit_source(source: VisitSource) -> None:
    if source not in _VISIT_SOURCES:
        _VISIT_SOURCES.append(source)


def visits(
    clinic: Clinic, subjects: Iterable[tuple[str, int]], now: datetime | None = None
) -> Visits:
    """Last visit and next booking of ``("person"|"animal", id)`` subjects, as local dates.

    The last visit is the latest any registered source saw (booking: the latest past
    booked or completed appointment; journal: the latest signed entry); the next booking
    the earliest future booked one. A query per source and kind, whatever the number of
    subjects.
    """
    now = now or timezone.now()
    zone = clinic.zone
    subjects = set(subjects)
    last: dict[tuple[str, int], datetime] = {}
    upcoming: dict[tuple[str, int], datetime] = {}
    for kind in ("person", "animal"):
        ids = {pk for k, pk in subjects if k == kind}
        if not ids:
            continue
        for source in _VISIT_SOURCES:
            for pk, seen, booked in source(clinic, kind, ids, now):
                key = (kind, pk)
                if seen and seen <= now and (key not in last or seen > last[key]):
                    last[key] = seen
                if booked and (key not in upcoming or booked < upcoming[key]):
                    upcoming[key] = booked
    return Visits(
        last={k: v.astimezone(zone).date() for k, v in last.items()},
        next={k: v.astimezone(zone).date() for k, v in upcoming.items()},
    )


def subject_key(recall: Recall) -> tuple[str, int]:
    return ("person", recall.person_id) if recall.person_id else ("animal", recall.animal_id)


# --- The call list ----------------------------------------------------------------------


@dataclass
class CallListRow:
    recall_id: int
    person_id: int  # whom to call: the person, or the animal's primary owner
    name: str
    animal_id: int | None
    animal_name: str
    phone: str
    due_date: date
    call_on: date
    reason: str
    last_visit: date | None
    next_booking: date | None
    attempts: list[CallAttempt] = field(default_factory=list)

    @property
    def last_attempt(self) -> CallAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def last_outcome(self) -> str:
        return self.attempts[-1].outcome if self.attempts else ""


def call_list(
    *, actor: Actor, date_from: date, date_to: date, include_contacted: bool = False
) -> list[CallListRow]:
    """Active recalls to phone about in ``date_from..date_to`` (by their call date).

    Without ``include_contacted``, recalls already called about today are left out, so
    the list shrinks as the desk works through it. Logged as one list, with the people.
    """
    require(actor, "person.read")
    clinic = actor.clinic
    now = timezone.now()
    recalls = list(
        Recall.objects.filter(
            clinic=clinic, status=Status.ACTIVE, call_on__gte=date_from, call_on__lte=date_to
        )
        .filter(
            Q(person__isnull=False, person__restricted_at__isnull=True)
            | Q(animal__isnull=False, animal__deceased_on__isnull=True)
        )
        .select_related("person", "animal")
        .order_by("call_on", "due_date", "pk")[:MAX_ROWS]
    )
    contacts = contacts_for(clinic, recalls)
    consents = recall_consents(clinic, [c.pk for c in contacts.values() if c])
    recalls = [r for r in recalls if may_recall(contacts[r.pk], consents, r.animal)]
    attempts: dict[int, list[CallAttempt]] = defaultdict(list)
    for attempt in CallAttempt.objects.filter(
        clinic=clinic, recall_id__in=[r.pk for r in recalls]
    ).order_by("at", "pk"):
        attempts[attempt.recall_id].append(attempt)
    if not include_contacted:
        start_of_day = datetime.combine(local_today(clinic, now), time(0), tzinfo=clinic.zone)
        recalls = [
            r for r in recalls if not (attempts[r.pk] and attempts[r.pk][-1].at >= start_of_day)
        ]
    seen = visits(clinic, [subject_key(r) for r in recalls], now)
    rows = []
    for recall in recalls:
        contact = contacts[recall.pk]
        key = subject_key(recall)
        rows.append(
            CallListRow(
                recall_id=recall.pk,
                person_id=contact.pk,
                name=contact.full_name,
                animal_id=recall.animal_id,
                animal_name=recall.animal.name if recall.animal_id else "",
                phone=contact.phone,
                due_date=recall.due_date,
                call_on=recall.call_on,
                reason=recall.reason,
                last_visit=seen.last.get(key),
                next_booking=seen.next.get(key),
                attempts=attempts[recall.pk],
            )
        )
    log_access(
        actor,
        Access(
            Action.LIST,
            "recall",
            purpose="recall call list",
            detail=f"{date_from}..{date_to}; results={len(rows)}; persons="
            + ",".join(str(row.person_id) for row in rows)[:400],
        ),
    )
    return rows


def recall_for(*, actor: Actor, person: Person | None = None, animal: Animal | None = None):
    """The subject's active recall, or None.

    Shown within an already logged read of the person (the person page), like the
    person's bookings; it carries a date and the kind of visit, no journal content.
    """
    require(actor, "person.read")
    if (person is None) == (animal is None):
        raise ValueError("give exactly one of person and animal")
    subject = person or animal
    if subject.clinic_id != actor.clinic.pk:
        raise Http404
    lookup = {"person": person} if person is not None else {"animal": animal}
    return Recall.objects.filter(clinic=actor.clinic, status=Status.ACTIVE, **lookup).first()


def recall_exists(*, clinic: Clinic, recall_id: int) -> bool:
    return Recall.objects.filter(clinic=clinic, pk=recall_id).exists()
