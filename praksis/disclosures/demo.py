"""Demo disclosures, recorded through the disclosure service (rules checked, logged as
disclosures): the vet sends a blood sample to a laboratory (the owner's assignment), the
dentist refers a patient with the patient's consent naming the recipient (seeds 003/004).
Idempotent: a clinic with disclosures gets nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from praksis.clinics.access import Actor
from praksis.disclosures.models import Channel, Disclosure, Kind
from praksis.disclosures.services import disclosure_record
from praksis.privacy.models import Purpose
from praksis.privacy.services import consent_give_at_desk

if TYPE_CHECKING:
    from praksis.journal.models import JournalEntry  # given by the demo seed (praksis.site)

LAB = "Fjordlab Veterinærdiagnostikk AS"
SPECIALIST = "Kjevekirurgisk senter Vestby"


def seed_disclosures(clinic, *, actor: Actor, entries: list[JournalEntry]) -> None:
    if not entries or Disclosure.objects.filter(clinic=clinic).exists():
        return
    if clinic.profile == "veterinary":
        _lab_sample(actor, entries[0])
    elif clinic.profile == "dental":
        _referral(actor, entries[1] if len(entries) > 1 else entries[0])


def _lab_sample(actor: Actor, entry: JournalEntry) -> None:
    owner_id = entry.animal.ownerships.order_by("pk").values_list("person_id", flat=True)[0]
    disclosure_record(
        actor=actor,
        person_id=owner_id,
        animal_id=entry.animal_id,
        kind=Kind.LAB_SAMPLE,
        recipient_name=LAB,
        recipient_address="Postboks 12, 3001 Drammen",
        description=f"Blodprøve (hematologi og biokjemi) fra {entry.animal.name}.",
        channel=Channel.PORTAL,
        journal_entry_ids=[entry.pk],
    )


def _referral(actor: Actor, entry: JournalEntry) -> None:
    consent = consent_give_at_desk(
        actor=actor,
        person_id=entry.person_id,
        purpose=Purpose.DISCLOSURE,
        channel="desk",
        third_party=SPECIALIST,
    )
    disclosure_record(
        actor=actor,
        person_id=entry.person_id,
        kind=Kind.REFERRAL,
        recipient_name=SPECIALIST,
        recipient_address="Storgata 8, 1540 Vestby",
        description="Henvisning med journalnotat og røntgenbeskrivelse.",
        reason="Vurdering av fjerning av visdomstann 38 med gjentatt perikoronitt.",
        channel=Channel.ENCRYPTED_EMAIL,
        consent_id=consent.pk,
        journal_entry_ids=[entry.pk],
    )
