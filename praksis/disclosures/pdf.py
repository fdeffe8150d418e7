"""The referral letter (or the cover letter of any disclosure) as a PDF (WeasyPrint).

The letter is rendered from the recorded disclosure each time it is printed: the clinic's
letterhead, the patient (or the animal and its owner), the recipient, the reason or
question, what is sent, the selected journal entries decrypted through the journal's own
selector (``praksis.disclosures.entries``), and the basis — with the consent relied on.
Signed entries never change, and only follow-ups written before the disclosure are
printed beside them, so a reprint says what was sent. Printing is access-logged (action
"print") with its purpose.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.disclosures import entries as journal_entries
from praksis.disclosures.models import Basis, Channel, Kind
from praksis.disclosures.selectors import disclosure_get


def _selected(disclosure, purpose: str, actor: Actor) -> list:
    """The chosen entries, decrypted, each with the follow-ups that existed when sent."""
    wanted = {e.pk for e in disclosure.journal_entries.all()}
    if not wanted:
        return []
    require(actor, "journal.read")
    subject = (
        {"animal_id": disclosure.animal_id}
        if disclosure.animal_id
        else {"person_id": disclosure.person_id}
    )
    tree = journal_entries.journal(actor, subject, purpose)
    chosen = []
    for view in tree:
        for candidate in [view, *view.followups]:
            if candidate.id in wanted:
                candidate.followups = [
                    f
                    for f in candidate.followups
                    if f.created_at <= disclosure.recorded_at and f.id not in wanted
                ]
                chosen.append(candidate)
    chosen.sort(key=lambda v: (v.created_at, v.id))
    return chosen


def disclosure_letter_pdf(*, actor: Actor, disclosure_id: int, purpose: str = "") -> bytes:
    """Render the letter; journal content only for roles that may read the journal."""
    purpose = (purpose or "").strip()[:200]
    disclosure = disclosure_get(actor=actor, disclosure_id=disclosure_id, purpose=purpose)
    label = f"disclosure {disclosure.pk}: {disclosure.kind}"
    entries = _selected(disclosure, f"{purpose or label}"[:200], actor)
    log_access(
        actor,
        Access(
            Action.PRINT,
            "disclosure",
            disclosure.pk,
            person_id=disclosure.person_id,
            purpose=purpose or label,
            detail=f"journal_entries={len(entries)}",
        ),
    )
    clinic = actor.clinic
    labels = journal_entries.labels(clinic)
    with translation.override(clinic.language), timezone.override(clinic.zone):
        html = render_to_string(
            "disclosures/letter.html",
            {
                "clinic": clinic,
                "d": disclosure,
                "person": disclosure.person,
                "animal": disclosure.animal,
                "kind_label": Kind(disclosure.kind).label,
                "basis_label": Basis(disclosure.basis).label,
                "channel_label": Channel(disclosure.channel).label,
                "is_referral": disclosure.kind == Kind.REFERRAL,
                "entries": entries,
                "labels": labels,
                "printed_at": timezone.now(),
            },
        )
        return HTML(string=html).write_pdf()
