"""Reading the journal: decrypted for the roles that may, logged with its purpose."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Q
from django.http import Http404

from praksis.audit.models import Action
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Regime
from praksis.journal.models import Attachment, ClientCard, EntryKind, JournalEntry
from praksis.journal.services import (
    ATTACHMENT_PURPOSE,
    CARD_PURPOSE,
    ENTRY_PURPOSE,
    log_subject,
    subject_of,
)
from praksis.people.models import DataKey
from praksis.people.vault import KeyDestroyed, VaultError, decrypt


@dataclass
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size: int


@dataclass
class EntryView:
    id: int
    kind: str
    kind_label: str
    text: str
    fields: dict
    reason: str
    author_name: str
    author_title: str
    author_user_id: int
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None
    concerns_id: int | None
    unreadable: bool = False
    # REQ-17 (SE-vet): a corrected text is shown struck through, still readable.
    struck: bool = False
    followups: list[EntryView] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


def _key(entry: JournalEntry) -> DataKey | None:
    lookup = {"person_id": entry.person_id} if entry.person_id else {"animal_id": entry.animal_id}
    return DataKey.objects.filter(**lookup).first()


def decrypt_content(entry: JournalEntry, key: DataKey | None = None) -> dict:
    key = key or _key(entry)
    if key is None:
        raise VaultError("no data key")
    return json.loads(decrypt(key, entry.ciphertext, purpose=ENTRY_PURPOSE))


def _view(entry: JournalEntry, key: DataKey | None) -> EntryView:
    try:
        content = decrypt_content(entry, key)
        unreadable = False
    except (KeyDestroyed, VaultError):
        content, unreadable = {}, True
    return EntryView(
        id=entry.pk,
        kind=entry.kind,
        kind_label=str(EntryKind(entry.kind).label),
        text=content.get("text", ""),
        fields=content.get("fields") or {},
        reason=content.get("reason", ""),
        author_name=entry.author_name,
        author_title=entry.author_title,
        author_user_id=entry.author_user_id,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        signed_at=entry.signed_at,
        concerns_id=entry.concerns_id,
        unreadable=unreadable,
        attachments=[
            AttachmentInfo(a.pk, a.filename, a.content_type, a.size)
            for a in entry.attachments.all()
        ],
    )


def strike_corrected(views: list[EntryView]) -> None:
    """REQ-17 (SE-vet, Jordbruksverket's rules): a correction strikes through the text it
    replaces so that it stays readable. An amendment corrects its entry: the entry's text,
    and every earlier amendment's, is struck through; the latest amendment is the text
    that holds, signed and dated."""
    for view in views:
        corrections = [f for f in view.followups if f.kind == EntryKind.AMENDMENT]
        if not corrections or not view.signed:
            continue
        view.struck = True
        for earlier in corrections[:-1]:
            earlier.struck = True


def view_of_new(entry: JournalEntry) -> EntryView:
    """The view of an entry just written by the caller (already logged as its creation)."""
    return _view(entry, _key(entry))


def journal_read(
    *,
    actor: Actor,
    person_id: int | None = None,
    animal_id: int | None = None,
    purpose: str = "",
    action: str = Action.READ,
    relation: str = "",
) -> list[EntryView]:
    """The subject's journal, newest first, each entry with its follow-ups beside it.

    Three queries whatever the length (subject, key, entries with attachments); the read
    (or print, or export) is logged with its purpose.
    """
    require(actor, "journal.read")
    subject = subject_of(actor, person_id=person_id, animal_id=animal_id)
    lookup = {"person": subject} if person_id is not None else {"animal": subject}
    entries = list(
        JournalEntry.objects.filter(clinic=actor.clinic, **lookup)
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    key = DataKey.objects.filter(**lookup).first()
    views = {e.pk: _view(e, key) for e in entries}
    top: list[EntryView] = []
    for entry in entries:
        view = views[entry.pk]
        parent = views.get(entry.concerns_id) if entry.concerns_id else None
        if parent is not None:
            parent.followups.append(view)
        else:
            top.append(view)
    if actor.clinic.regime == Regime.SE_VET:
        strike_corrected(top)
    log_subject(
        actor,
        subject,
        action,
        "journal",
        subject.pk,
        purpose=purpose[:200],
        # REQ-20: the care relation the purpose "care" rests on (praksis.journal.care).
        detail=f"entries={len(entries)}" + (f" relation={relation}" if relation else ""),
    )
    return list(reversed(top))


def entry_read(*, actor: Actor, entry_id: int, purpose: str = "") -> EntryView:
    require(actor, "journal.read")
    entry = (
        JournalEntry.objects.filter(clinic=actor.clinic, pk=entry_id)
        .select_related("person", "animal")
        .prefetch_related("attachments")
        .first()
    )
    if entry is None:
        raise Http404
    key = _key(entry)
    view = _view(entry, key)
    view.followups = [
        _view(f, key) for f in entry.followups.prefetch_related("attachments").order_by("pk")
    ]
    log_subject(actor, entry.subject, Action.READ, "journal_entry", entry.pk, purpose=purpose[:200])
    return view


@dataclass
class JournalSummary:
    entries: int
    unsigned: int
    last_entry_at: datetime | None


def journal_summary(*, actor: Actor, person_id: int | None = None, animal_id: int | None = None):
    """That a journal exists, and how recent — no content (what a receptionist may see)."""
    lookup = {"person_id": person_id} if person_id is not None else {"animal_id": animal_id}
    stats = JournalEntry.objects.filter(clinic=actor.clinic, **lookup).aggregate(
        entries=Count("pk"),
        unsigned=Count("pk", filter=Q(signed_at__isnull=True)),
        last=Max("created_at"),
    )
    return JournalSummary(stats["entries"], stats["unsigned"], stats["last"])


def attachment_read(*, actor: Actor, attachment_id: int) -> tuple[Attachment, bytes]:
    require(actor, "journal.read")
    attachment = (
        Attachment.objects.filter(clinic=actor.clinic, pk=attachment_id)
        .select_related("entry", "entry__person", "entry__animal")
        .first()
    )
    if attachment is None:
        raise Http404
    key = _key(attachment.entry)
    if key is None:
        raise Http404
    data = decrypt(key, attachment.ciphertext, purpose=ATTACHMENT_PURPOSE)
    log_subject(actor, attachment.entry.subject, Action.READ, "journal_attachment", attachment.pk)
    return attachment, data


@dataclass
class CardView:
    allergies: str
    injuries: str
    updated_at: datetime | None
    unreadable: bool = False


def client_card_read(*, actor: Actor, person_id: int) -> CardView:
    """The client card's content (journal roles only); the read is logged."""
    require(actor, "journal.read")
    person = subject_of(actor, person_id=person_id)
    card = ClientCard.objects.filter(clinic=actor.clinic, person=person).first()
    if card is None:
        return CardView("", "", None)
    log_subject(actor, person, Action.READ, "client_card", card.pk)
    key = DataKey.objects.filter(person=person).first()
    try:
        content = json.loads(decrypt(key, card.ciphertext, purpose=CARD_PURPOSE)) if key else {}
    except (KeyDestroyed, VaultError):
        return CardView("", "", card.updated_at, unreadable=True)
    return CardView(content.get("allergies", ""), content.get("injuries", ""), card.updated_at)


def visit_dates(clinic, kind: str, ids: set[int], now: datetime):
    """``(id, last, None)`` of ``kind`` ("person"/"animal") subjects: when their latest
    signed entry was written (the recall list's visits; dates only, one query)."""
    rows = (
        JournalEntry.objects.filter(
            clinic=clinic, signed_at__isnull=False, **{f"{kind}_id__in": ids}
        )
        .values(f"{kind}_id")
        .annotate(last=Max("created_at"))
        .order_by()
    )
    return [(row[f"{kind}_id"], row["last"], None) for row in rows]
