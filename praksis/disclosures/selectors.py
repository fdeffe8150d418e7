"""Reading the disclosure log: per person (any role that sees people), the whole clinic
(the owner), and for other apps — the access report's recipients (Art. 15(1)(c)) and the
recipients to tell after a rectification, erasure or restriction (Art. 19)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic
from praksis.disclosures.models import Disclosure
from praksis.people.models import Person

LIST_LIMIT = 500


def _scoped(clinic: Clinic) -> QuerySet[Disclosure]:
    return (
        Disclosure.objects.filter(clinic=clinic)
        .select_related("person", "animal", "consent")
        .prefetch_related("journal_entries")
        .order_by("-disclosed_at", "-pk")
    )


def disclosure_list(
    *, actor: Actor, person_id: int | None = None, limit: int = LIST_LIMIT
) -> list[Disclosure]:
    """One person's disclosures (``person.read``), or the clinic's whole log (the owner's
    ``privacy.manage``); newest first, the read logged."""
    if person_id is None:
        require(actor, "privacy.manage")
        items = list(_scoped(actor.clinic)[:limit])
    else:
        require(actor, "person.read")
        if not Person.objects.filter(clinic=actor.clinic, pk=person_id).exists():
            raise Http404
        items = list(_scoped(actor.clinic).filter(person_id=person_id)[:limit])
    log_access(
        actor,
        Access(
            Action.LIST,
            "disclosure",
            person_id or "",
            person_id=person_id,
            detail=f"results={len(items)}",
        ),
    )
    return items


def disclosure_get(*, actor: Actor, disclosure_id: int, purpose: str = "") -> Disclosure:
    require(actor, "person.read")
    disclosure = _scoped(actor.clinic).filter(pk=disclosure_id).first()
    if disclosure is None:
        raise Http404
    log_access(
        actor,
        Access(
            Action.READ,
            "disclosure",
            disclosure.pk,
            person_id=disclosure.person_id,
            purpose=purpose[:200],
        ),
    )
    return disclosure


def disclosures_for_person(clinic: Clinic, person_id: int) -> list[Disclosure]:
    """Every disclosure of the person's data, oldest first (for the access report).

    Not logged here: the caller logs the read or export it is part of.
    """
    return list(
        Disclosure.objects.filter(clinic=clinic, person_id=person_id)
        .select_related("animal", "consent")
        .order_by("disclosed_at", "pk")
    )


@dataclass
class Recipient:
    name: str
    address: str
    channel: str  # how they were last reached
    last_disclosed_at: datetime
    kinds: list[str] = field(default_factory=list)

    @property
    def channel_label(self) -> str:
        from praksis.disclosures.models import Channel

        return str(Channel(self.channel).label)


def recipients_of(clinic: Clinic, person_id: int) -> list[Recipient]:
    """The distinct recipients of the person's data (Art. 19 notices), each with the
    address and channel of the latest disclosure to them; most recent first.

    Recipients are the same when their names match case-insensitively, spaces trimmed.
    Not logged here: the caller logs the work it is part of.
    """
    return recipients_of_many(clinic, [person_id]).get(person_id, [])


def recipients_of_many(clinic: Clinic, person_ids) -> dict[int, list[Recipient]]:
    """``recipients_of`` for several people in one query: person id -> recipients."""
    found: dict[int, dict[str, Recipient]] = {}
    rows = (
        Disclosure.objects.filter(clinic=clinic, person_id__in=list(person_ids))
        .order_by("-disclosed_at", "-pk")
        .values_list(
            "person_id", "recipient_name", "recipient_address", "channel", "disclosed_at", "kind"
        )
    )
    for person_id, name, address, channel, at, kind in rows:
        key = " ".join(name.split()).casefold()
        per_person = found.setdefault(person_id, {})
        recipient = per_person.get(key)
        if recipient is None:
            recipient = per_person[key] = Recipient(name, address, channel, at)
        if kind not in recipient.kinds:
            recipient.kinds.append(kind)
    return {person_id: list(r.values()) for person_id, r in found.items()}
