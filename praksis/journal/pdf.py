"""The journal as a PDF (WeasyPrint): amendments printed beside their originals."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from praksis.audit.models import Action
from praksis.clinics.access import Actor
from praksis.journal.fields import fields_for
from praksis.journal.selectors import journal_read
from praksis.journal.services import subject_of


def journal_pdf(
    *, actor: Actor, person_id: int | None = None, animal_id: int | None = None, purpose: str = ""
) -> bytes:
    """Render the whole journal; the print is access-logged (action "print")."""
    subject = subject_of(actor, person_id=person_id, animal_id=animal_id)
    entries = journal_read(
        actor=actor,
        person_id=person_id,
        animal_id=animal_id,
        purpose=purpose or "print",
        action=Action.PRINT,
    )
    clinic = actor.clinic
    labels = {f.name: f.label for f in fields_for(clinic.profile)}
    with translation.override(clinic.language), timezone.override(clinic.zone):
        html = render_to_string(
            "journal/print.html",
            {
                "clinic": clinic,
                "subject": subject,
                "is_animal": person_id is None,
                "entries": entries,
                "labels": labels,
                "printed_at": timezone.now(),
                "printed_by": actor.user.full_name if actor.user else actor.label,
            },
        )
        return HTML(string=html).write_pdf()
