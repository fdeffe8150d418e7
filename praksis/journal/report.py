"""The journal in the access report and the export (REQ-23, REQ-25, REQ-26): the sections
the journal's personal-data contract gives (``JournalData.sections``).

Each journal (the person's own, each animal's) is read once through ``journal_read``, which
decrypts the entries under the subject's data key and writes ONE log row (an export, with
the request's purpose) for the whole journal; the attachments are listed in the same
section and delivered with the report, decrypted when the report is written, under the
same log row. The client card is read and logged the same way.

Values are given as values (a ``datetime`` for a time, a ``date`` for a date); the
renderer shows them in the clinic's time zone and the reader's language. Template fields
carry their labels from the journal templates (``praksis.journal.fields``).
"""

from __future__ import annotations

import json
from datetime import date
from functools import partial

from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.core.personal_data import Attachment as ReportFile
from praksis.core.personal_data import Section, Subject
from praksis.journal.fields import TEMPLATES
from praksis.journal.models import Attachment, ClientCard, JournalEntry
from praksis.journal.selectors import EntryView, journal_read
from praksis.journal.services import ATTACHMENT_PURPOSE, CARD_PURPOSE, log_subject
from praksis.people.models import Animal, DataKey
from praksis.people.vault import KeyDestroyed, VaultError, decrypt

# Every template field once, in template order (a field of the same name means the same
# in every template that has it).
_FIELDS = {f.name: f for fields in TEMPLATES.values() for f in fields}


def _file_type(content_type: str) -> str:
    words = {
        "image/jpeg": _("JPEG image"),
        "image/png": _("PNG image"),
        "application/pdf": _("PDF document"),
    }
    return words.get(content_type, _("File"))


def _author(view: EntryView) -> str:
    return f"{view.author_name}, {view.author_title}" if view.author_title else view.author_name


def _field_value(name: str, value):
    kind = _FIELDS[name].kind if name in _FIELDS else "text"
    if value in (None, "", []):
        return None
    if kind == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if kind == "teeth" and isinstance(value, list):
        return ", ".join(str(t) for t in value)
    if kind == "prescriptions" and isinstance(value, list):
        lines = []
        for row in value:
            if not isinstance(row, dict):
                lines.append(str(row))
                continue
            text = ", ".join(p for p in (row.get("medicine", ""), row.get("dose", "")) if p)
            days = row.get("withdrawal_days")
            if days is not None:
                text += ", " + _("withdrawal period %(days)s days") % {"days": days}
            lines.append(text)
        return "\n".join(lines)
    return value


def _field_label(name: str) -> str:
    if name in _FIELDS:
        return str(_FIELDS[name].label)
    return _("Other field")


def _text(view: EntryView) -> str:
    if view.unreadable:
        return _("This entry can no longer be read: its encryption key was destroyed.")
    return view.text


def _followup(view: EntryView) -> dict:
    return {
        "created_at": view.created_at,
        "kind": view.kind_label,
        "author": _author(view),
        "reason": view.reason,
        "text": _text(view),
    }


def _read_file(key: DataKey, attachment_id: int) -> bytes:
    blob = Attachment.objects.filter(pk=attachment_id).values_list("ciphertext", flat=True).first()
    return decrypt(key, bytes(blob), purpose=ATTACHMENT_PURPOSE)


def _journal_section(
    subject: Subject, *, key: str, title: str, order: int, person_id=None, animal_id=None
) -> Section:
    """One subject's journal: one read (and one log row) whatever its length."""
    views = journal_read(
        actor=subject.actor,
        person_id=person_id,
        animal_id=animal_id,
        purpose=subject.purpose,
        action=Action.EXPORT,
    )
    lookup = {"person_id": person_id} if person_id is not None else {"animal_id": animal_id}
    data_key = DataKey.objects.filter(**lookup).first()
    readable = data_key is not None and data_key.destroyed_at is None
    files: dict[int, list[dict]] = {}
    delivered: list[ReportFile] = []
    rows = (
        Attachment.objects.filter(
            clinic=subject.clinic, **{f"entry__{k}": v for k, v in lookup.items()}
        )
        .order_by("created_at", "pk")
        .values_list("pk", "entry_id", "filename", "content_type", "size", "created_at")
    )
    for pk, entry_id, filename, content_type, size, created_at in rows:
        name = f"{pk}-{filename}"
        files.setdefault(entry_id, []).append(
            {
                "filename": name,
                "type": _file_type(content_type),
                "size": size,
                "created_at": created_at,
                "delivered": readable,
            }
        )
        if readable:
            delivered.append(
                ReportFile(
                    name=name,
                    content_type=content_type,
                    read=partial(_read_file, data_key, pk),
                    size=size,
                )
            )
    used: list[str] = []
    items = []
    for view in views:
        fields = {}
        for name, value in view.fields.items():
            shown = _field_value(name, value)
            if shown is not None:
                fields[name] = shown
                if name not in used:
                    used.append(name)
        items.append(
            {
                "created_at": view.created_at,
                "kind": view.kind_label,
                "author": _author(view),
                "signed_at": view.signed_at if view.signed else _("Not signed"),
                "text": _text(view),
                **fields,
                "attachments": files.get(view.id, []),
                "amendments": [_followup(f) for f in view.followups],
            }
        )
    # Follow-ups of follow-ups (rare) are kept beside their own original by journal_read;
    # the files of a follow-up are listed with it.
    for item, view in zip(items, views, strict=True):
        for followup, f_view in zip(item["amendments"], view.followups, strict=True):
            if files.get(f_view.id):
                followup["attachments"] = files[f_view.id]
    order_of_fields = [name for name in _FIELDS if name in used] + [
        name for name in used if name not in _FIELDS
    ]
    columns = {
        "created_at": _("Written"),
        "kind": _("Kind of entry"),
        "author": _("Written by"),
        "signed_at": _("Signed"),
        "text": _("Text"),
        **{name: _field_label(name) for name in order_of_fields},
        "attachments": _("Attachments"),
        "attachments.filename": _("File"),
        "attachments.type": _("Type"),
        "attachments.size": _("Size (bytes)"),
        "attachments.created_at": _("Added"),
        "attachments.delivered": _("Delivered with this report"),
        "amendments": _("Amendments, objections and comments on this entry"),
        "amendments.created_at": _("Written"),
        "amendments.kind": _("Kind of entry"),
        "amendments.author": _("Written by"),
        "amendments.reason": _("Reason"),
        "amendments.text": _("Text"),
        "amendments.attachments": _("Attachments"),
    }
    note = _(
        "Newest first. Amendments are shown with the entry they concern; the entry itself "
        "stays as it was written. Attached images and documents are delivered with this "
        "report: in the PDF as embedded files, in the export as file contents."
    )
    if not readable and files:
        note += " " + _("The attachments can no longer be read: the encryption key was destroyed.")
    return Section(
        key=key,
        title=title,
        columns=columns,
        items=items,
        portable=False,
        note=note,
        attachments=delivered,
        order=order,
    )


def _client_card_section(subject: Subject) -> Section | None:
    person = subject.person
    card = ClientCard.objects.filter(clinic=subject.clinic, person=person).first()
    if card is None:
        return None
    log_subject(
        subject.actor, person, Action.EXPORT, "client_card", card.pk, purpose=subject.purpose
    )
    key = DataKey.objects.filter(person=person).first()
    try:
        content = json.loads(decrypt(key, card.ciphertext, purpose=CARD_PURPOSE)) if key else {}
        unreadable = key is None
    except (KeyDestroyed, VaultError):
        content, unreadable = {}, True
    item = {
        "allergies": content.get("allergies", ""),
        "injuries": content.get("injuries", ""),
        "updated_at": card.updated_at,
    }
    if unreadable:
        item["allergies"] = _("The card can no longer be read: its encryption key was destroyed.")
    return Section(
        key="client_card",
        title=_("Client card"),
        columns={
            "allergies": _("Allergies"),
            "injuries": _("Injuries and conditions to consider"),
            "updated_at": _("Last changed"),
        },
        items=[item],
        portable=False,
        order=32,
    )


def journal_sections(subject: Subject) -> list[Section]:
    clinic, person = subject.clinic, subject.person
    found: list[Section] = []
    if JournalEntry.objects.filter(clinic=clinic, person=person).exists():
        found.append(
            _journal_section(
                subject, key="journal", title=_("Your journal"), order=30, person_id=person.pk
            )
        )
    card = _client_card_section(subject)
    if card is not None:
        found.append(card)
    asked = _requests_section(subject)
    if asked is not None:
        found.append(asked)
    with_journal = set(
        JournalEntry.objects.filter(clinic=clinic, animal_id__in=subject.animal_ids)
        .values_list("animal_id", flat=True)
        .distinct()
    )
    animals = Animal.objects.filter(clinic=clinic, pk__in=with_journal).order_by("name", "pk")
    for index, animal in enumerate(animals):
        found.append(
            _journal_section(
                subject,
                key=f"journal:{animal.pk}",
                title=_("Journal of your animal %(name)s (%(species)s)")
                % {"name": animal.name, "species": animal.get_species_display()},
                order=34 + index / 1000,
                animal_id=animal.pk,
            )
        )
    return found


def _requests_section(subject: Subject) -> Section | None:
    """The requests the person made about a journal (their own, or their animal's) and
    the decisions on them (REQ-16, REQ-18): what was asked, the answer, who decided and
    why, and for a granted deletion which entries went (their dates, never their text)."""
    from praksis.journal.requests import journal_request_views

    views = journal_request_views(subject.clinic, subject.person)
    if not views:
        return None
    own = _("Your journal")
    items = [
        {
            "received": v.received_at,
            "kind": v.kind_label,
            "journal": v.about or own,
            "grounds": v.grounds,
            "outcome": v.outcome_label or _("Not decided yet"),
            "decided": v.decided_at or "",
            "decided_by": v.decided_by,
            "reasons": v.reasons,
            "deleted": ", ".join(
                f"#{d.id} ({d.created_at.date().isoformat() if d.created_at else '?'})"
                for d in v.deleted
            ),
        }
        for v in views
    ]
    return Section(
        key="journal_requests",
        title=_("Your requests about the journal"),
        columns={
            "received": _("Received"),
            "kind": _("Request"),
            "journal": _("Journal"),
            "grounds": _("What you asked"),
            "outcome": _("Decision"),
            "decided": _("Decided"),
            "decided_by": _("Decided by"),
            "reasons": _("Reasons"),
            "deleted": _("Entries deleted"),
        },
        items=items,
        order=36,
    )
