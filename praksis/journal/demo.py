"""Demo journals: signed entries with the profile's template fields, one amendment, one
draft, and (therapy) a client card — written through the journal services by the demo
practitioner, so they are encrypted, signed and access-logged like real entries. Signing
an entry that names a recall interval or the next vaccination sets the recall, as in use.
Idempotent: a clinic that has journal entries gets nothing more."""

from __future__ import annotations

from datetime import date, timedelta

from praksis.clinics.access import Actor
from praksis.journal.models import EntryKind, JournalEntry
from praksis.journal.services import client_card_save, entry_create, followup_add
from praksis.people.models import Animal, Person
from praksis.privacy.health_consent import needs_health_consent
from praksis.privacy.models import Purpose
from praksis.privacy.services import consent_give_at_desk

# Per profile (texts in the clinic's language: the optician and the therapist are
# Swedish, the vet and the dentist Norwegian): (text, template fields) for each subject.
ENTRIES = {
    "optician": [
        (
            "Synundersökning. Besvär vid läsning på nära håll sedan ett halvår.",
            {
                "visual_acuity_right": "1,0",
                "visual_acuity_left": "0,8",
                "sphere_right": "+1.25",
                "cylinder_right": "-0.50",
                "axis_right": 90,
                "sphere_left": "+1.50",
                "cylinder_left": "-0.75",
                "axis_left": 80,
                "addition": "+2.00",
                "recommendation": "Progressiva glasögon. Ny kontroll om två år.",
                "recall_months": 24,
            },
        ),
        (
            "Kontaktlinsundersökning. Inga besvär med nuvarande linser.",
            {
                "visual_acuity_right": "1,0",
                "visual_acuity_left": "1,0",
                "sphere_right": "-2.75",
                "sphere_left": "-3.00",
                "recommendation": "Fortsätt med månadslinser.",
                "recall_months": 12,
            },
        ),
    ],
    "therapy": [
        (
            "Klassisk massage, fokus nacke och skuldror. Ömhet över vänster trapezius.",
            {"treatment_date": None, "products_sold": "Massageolja 100 ml"},
        ),
        ("Samtal om stress och sömn. Andningsövningar genomgångna.", {"treatment_date": None}),
    ],
    "veterinary": [
        (
            "Helsesjekk og vaksinasjon.",
            {
                "anamnesis": "Eier forteller om god matlyst og normal aktivitet.",
                "findings": "Normal allmenntilstand. Tannstein overkjeve.",
                "diagnosis": "Frisk. Lett tannstein.",
                "treatment": "Vaksinert (DHPPi + L4).",
                "next_vaccination": None,  # set per subject: overdue or this month
            },
        ),
        (
            "Nedsatt matlyst i tre dager.",
            {
                "anamnesis": "Kastet opp to ganger, drikker normalt.",
                "findings": "Øm ved palpasjon av kraniale abdomen. Temperatur 39,1.",
                "diagnosis": "Mild gastritt.",
                "treatment": "Skånekost i fem dager.",
                "prescriptions": "Omeprazol; 10 mg x 1 i 7 dager;",
            },
        ),
    ],
    "dental": [
        (
            "Årlig undersøkelse. Ingen smerter.",
            {
                "findings": "Karies distalt på 36. Gingiva frisk.",
                "treatment": "Komposittfylling 36 DO.",
                "teeth": "36",
                "recall_months": 12,
            },
        ),
        (
            "Smerter bak i underkjeven til venstre ved tygging.",
            {
                "findings": "Delvis frembrutt visdomstann 38 med perikoronitt.",
                "treatment": "Skylling. Henvises for vurdering av fjerning.",
                "teeth": "38",
            },
        ),
    ],
}
AMENDMENT = {
    "optician": ("Axel höger är 85°, inte 90°.", "Skrivfel vid journalföringen."),
    "therapy": ("Ömheten satt över höger trapezius.", "Fel sida angiven."),
    "veterinary": ("Temperatur 38,9, ikke 39,1.", "Feil avlest termometer."),
    "dental": ("Fyllingen gjelder 36 DO, ikke 36 MO.", "Skrivefeil."),
}
DRAFT = {
    "optician": "Utprovning av progressiva glasögon – påbörjad.",
    "therapy": "Uppföljning om två veckor – anteckning påbörjad.",
    "veterinary": "Kontroll etter gastritt – notat påbegynt.",
    "dental": "Kontroll etter fylling – notat påbegynt.",
}
CARD = ("Nötter (ingen mandelolja).", "Whiplashskada 2019, undvik hård behandling av nacken.")


def seed_journal(clinic, *, actor: Actor, people: list[Person], today: date) -> list[JournalEntry]:
    """Write the demo journal once; the clinic's signed entries (new or already there)."""
    if not JournalEntry.objects.filter(clinic=clinic).exists() and people:
        _write(clinic, actor, people, today)
    return list(
        JournalEntry.objects.filter(clinic=clinic, kind=EntryKind.NOTE, signed_at__isnull=False)
        .select_related("person", "animal")
        .order_by("pk")
    )


def _subjects(clinic, people: list[Person]) -> list[dict]:
    if not clinic.has_animals:
        return [{"person_id": p.pk} for p in people]
    animals = Animal.objects.filter(clinic=clinic, ownerships__person__in=people).order_by("pk")
    return [{"animal_id": a.pk} for a in animals[: len(people)]]


def _write(clinic, actor: Actor, people: list[Person], today: date) -> None:
    templates = ENTRIES[clinic.profile]
    first = None
    subjects = _subjects(clinic, people)
    if needs_health_consent(clinic):  # therapy: the explicit consent first (art. 9(2)(a))
        for subject in subjects:
            consent_give_at_desk(
                actor=actor, person_id=subject["person_id"], purpose=Purpose.HEALTH_DATA,
                channel="desk",
            )  # fmt: skip
    for index, subject in enumerate(subjects):
        text, fields = templates[index % len(templates)]
        fields = dict(fields)
        if "next_vaccination" in fields:
            # Vaccinations fall due: some overdue, some later this month (the recall list).
            offset = (-21, 4, -3, 9)[index // 2 % 4]
            fields["next_vaccination"] = (today + timedelta(days=offset)).isoformat()
        if "treatment_date" in fields:
            fields["treatment_date"] = today.isoformat()
        entry = entry_create(actor=actor, **subject, text=text, fields=fields, sign=True)
        first = first or entry
    if first is None:
        return
    text, reason = AMENDMENT[clinic.profile]
    followup_add(actor=actor, entry_id=first.pk, kind=EntryKind.AMENDMENT, text=text, reason=reason)
    subject = {"person_id": first.person_id} if first.person_id else {"animal_id": first.animal_id}
    entry_create(actor=actor, **subject, text=DRAFT[clinic.profile])
    if clinic.profile == "therapy":
        allergies, injuries = CARD
        client_card_save(
            actor=actor, person_id=first.person_id, allergies=allergies, injuries=injuries
        )
