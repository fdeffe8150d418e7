"""The journal as a PDF (Typst, ``journal/print.typ``): amendments printed beside their
originals. A 520-entry journal is ready in a few tenths of a second (issue 18)."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.clinics.access import Actor
from praksis.core import pdf
from praksis.journal.fields import fields_for
from praksis.journal.selectors import EntryView, journal_read
from praksis.journal.services import subject_of
from praksis.journal.templatetags.journal import fieldvalue
from praksis.people.identity import format_identity

# An entry is kept on one page (as CSS's "page-break-inside: avoid" did) when it surely
# fits on one; a longer one runs on over the page break instead of being cut off.
KEEP_LINES = 40
CHARS_PER_LINE = 80
# A longer journal is typeset in parts of this many entries (each from a new page), so a
# print's memory stays that of about 600 entries, however long the journal is.
PART_ENTRIES = 600


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _author(view: EntryView) -> str:
    return f"{view.author_name}, {view.author_title}" if view.author_title else view.author_name


def _lines(text: str, width: int = CHARS_PER_LINE) -> int:
    return sum(1 + len(line) // width for line in str(text).split("\n"))


def _words() -> dict:
    """The document's fixed words, translated once per document (not once per entry)."""
    return {
        "reason": _("Reason"),
        "signed": _("signed"),
        "unsigned": _("UNSIGNED"),
        "erased": _("The content of this entry has been erased."),
        "attachment": _("Attachment"),
    }


def _entry(view: EntryView, labels: dict, words: dict) -> dict:
    fields = [
        [str(labels.get(name, name)), str(fieldvalue(value))] for name, value in view.fields.items()
    ]
    followups = [
        {
            "head": f"{f.kind_label} · {_when(f.created_at)} · {_author(f)}",
            "reason": f"{words['reason']}: {f.reason}" if f.reason else "",
            "text": f.text,
            "struck": f.struck,  # REQ-17: a corrected text, struck through and readable
        }
        for f in view.followups
    ]
    width = CHARS_PER_LINE // 2 if followups else CHARS_PER_LINE
    height = max(
        3 + len(fields) + len(view.attachments) + _lines(view.text, width),
        sum(3 + _lines(f["text"], width) for f in followups),
    )
    return {
        "head": f"{_when(view.created_at)} · {_author(view)}",
        "unsigned": not view.signed,
        "status": f"· {words['signed']} {_when(view.signed_at)}"
        if view.signed
        else f"· {words['unsigned']}",
        "unreadable": words["erased"] if view.unreadable else "",
        "fields": fields,
        "text": view.text,
        "struck": view.struck,  # REQ-17 (SE-vet): corrected, struck through and readable
        "attachments": [f"{words['attachment']}: {a.filename}" for a in view.attachments],
        "followups": followups,
        "keep": height <= KEEP_LINES,
    }


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
    fields = fields_for(clinic.profile)
    printed_by = actor.user.full_name if actor.user else actor.label
    with translation.override(clinic.language), timezone.override(clinic.zone):
        if person_id is None:
            name = f"{subject.name} ({subject.get_species_display()})"
        else:
            name = f"{subject.first_name} {subject.last_name}"
        organisation = f" · {clinic.organisation_number}" if clinic.organisation_number else ""
        printed = f"{_('Printed')} {_when(timezone.now())} {_('by')} {printed_by}"
        if person_id is not None and subject.identity_number:
            printed = f"{format_identity(subject.identity_number, clinic.country)} · {printed}"
        labels = {f.name: str(f.label) for f in fields}
        words = _words()
        data = {
            "lang": clinic.language,
            "title": f"{_('Journal')} — {name}",
            "meta": [f"{clinic.name}{organisation}", printed],
            "entries": [_entry(view, labels, words) for view in entries],
            "empty": _("The journal has no entries."),
        }
    return pdf.render("journal/print.typ", data, flow="entries", part_size=PART_ENTRIES)
