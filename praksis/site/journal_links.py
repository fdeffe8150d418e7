"""The journal as the features that point at its entries see it: disclosures send signed
entries along (``praksis.disclosures.entries``), an order may name the entry that
prescribed it (``praksis.sales.entries``). Registered by ``praksis.site.wiring``."""

from __future__ import annotations

from django.db.models import Q

from praksis.audit.models import Action
from praksis.clinics.models import Clinic
from praksis.journal.fields import fields_for
from praksis.journal.models import EntryKind, JournalEntry
from praksis.journal.selectors import journal_read
from praksis.people.models import AnimalOwner

# --- Disclosures ----------------------------------------------------------------------


def disclosure_chosen(clinic: Clinic, ids, subject: dict) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(clinic=clinic, pk__in=set(ids), **subject))


def disclosure_choices(clinic: Clinic, person, animals, limit: int) -> list[dict]:
    qs = JournalEntry.objects.filter(clinic=clinic, signed_at__isnull=False)
    qs = qs.filter(animal__in=animals) if clinic.has_animals else qs.filter(person=person)
    names = {a.pk: a.name for a in animals}
    return [
        {
            "id": e.pk,
            "created_at": e.created_at,
            "kind": EntryKind(e.kind).label,
            "author": e.author_name,
            "animal": names.get(e.animal_id, ""),
        }
        for e in qs.order_by("-created_at", "-pk")[:limit]
    ]


def disclosure_journal(actor, subject: dict, purpose: str) -> list:
    return journal_read(actor=actor, purpose=purpose, action=Action.PRINT, **subject)


def field_labels(clinic: Clinic) -> dict[str, str]:
    return {f.name: f.label for f in fields_for(clinic.profile)}


# --- Sales ----------------------------------------------------------------------------


def entry_of_clinic(clinic: Clinic, entry_id: int | None) -> JournalEntry | None:
    return JournalEntry.objects.filter(clinic=clinic, pk=entry_id).first()


def notes_for_order(clinic: Clinic, person, limit: int) -> list[JournalEntry]:
    animals = AnimalOwner.objects.filter(clinic=clinic, person=person).values("animal_id")
    return list(
        JournalEntry.objects.filter(clinic=clinic, kind="note")
        .filter(Q(person=person) | Q(animal_id__in=animals))
        .select_related("animal")
        .only("id", "created_at", "signed_at", "author_name", "animal__name")
        .order_by("-created_at")[:limit]
    )
