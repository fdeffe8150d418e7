"""The journal's part of a withdrawn explicit consent to health data (therapy clinics,
GDPR-only; GDPR art. 9(2)(a), 17(1)(b); ``praksis.privacy.health_consent``).

A client who withdraws the consent their client card and treatment notes rest on gets no
new notes (the services refuse them); what was written is deleted by the retention sweep
once the ``health_notes`` period of the clinic has passed since the withdrawal — unless a
legal hold keeps it (a claim under the treatment injury insurance), or the client gave the
consent again. The client record itself (bookings, receipts) stays under its own rules.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from praksis.clinics.models import Regime
from praksis.core.personal_data import Rule, engine
from praksis.journal.models import ClientCard, JournalEntry
from praksis.people.models import Person
from praksis.privacy.models import Consent, Purpose


def _health_notes_due(now):
    def q(clinic_ids, cutoff):
        withdrawn = Consent.objects.filter(
            person=OuterRef("pk"), purpose=Purpose.HEALTH_DATA, withdrawn_at__lte=cutoff
        )
        return Q(clinic_id__in=clinic_ids) & Exists(withdrawn)

    in_force = Consent.objects.filter(
        person=OuterRef("pk"), purpose=Purpose.HEALTH_DATA, withdrawn_at__isnull=True
    )
    notes = Exists(JournalEntry.objects.filter(person=OuterRef("pk"))) | Exists(
        ClientCard.objects.filter(person=OuterRef("pk"))
    )
    held = Exists(
        JournalEntry.objects.filter(
            person=OuterRef("pk"),
            pk__in=engine().active_holds().filter(record_type="journal").values("record_id"),
        )
    )
    return (
        Person.objects.filter(engine().by_clinic_cutoff("health_notes", now, q, [Regime.GDPR_ONLY]))
        .filter(notes)
        .exclude(Exists(in_force))
        .exclude(engine().person_held("pk"))
        .exclude(held)
    )


def _delete_health_notes(qs) -> int:
    from praksis.journal.personal_data import _purge_journals

    ids = list(qs.values_list("pk", flat=True))
    ClientCard.objects.filter(person_id__in=ids).delete()
    _purge_journals("person", ids)
    return len(ids)


# What goes is journal data (the evidence rows say so); when is the ``health_notes`` policy.
HEALTH_NOTES_RULE = Rule(
    "health-notes-withdrawn", "journal", "delete", _health_notes_due,
    _delete_health_notes, recheck=True, order=32,
)  # fmt: skip
