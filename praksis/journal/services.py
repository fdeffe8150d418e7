"""Writing the journal: drafts, signing, amendments, objections, refusals, attachments.

Every write is atomic and access-logged with the entry's subject. Content is encrypted
before it reaches the database. Once signed, an entry is final; the database enforces
this too (migration 0002), so these functions never try to change a signed row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.clinics.access import Actor, require, system_actor
from praksis.core.errors import Conflict, ValidationFailed
from praksis.journal.fields import clean_fields
from praksis.journal.models import Attachment, ClientCard, EntryKind, JournalEntry
from praksis.people.models import Animal, Person
from praksis.people.vault import encrypt
from praksis.privacy.health_consent import require_health_consent

MAX_TEXT = 20000
ENTRY_PURPOSE = "journal-entry"
ATTACHMENT_PURPOSE = "journal-attachment"
# What may be attached, recognised by content (not by the name or the claimed type).
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}


def subject_of(actor: Actor, *, person_id: int | None = None, animal_id: int | None = None):
    """The person or animal of the actor's clinic (404 for anything else)."""
    if (person_id is None) == (animal_id is None):
        raise ValueError("give exactly one of person_id and animal_id")
    model = Person if person_id is not None else Animal
    subject = model.objects.filter(clinic=actor.clinic, pk=person_id or animal_id).first()
    if subject is None:
        raise Http404
    return subject


def _subject_fields(subject) -> dict:
    return {"person": subject} if isinstance(subject, Person) else {"animal": subject}


def _owner_ids(subject) -> list[int | None]:
    if isinstance(subject, Person):
        return [subject.pk]
    return list(subject.ownerships.values_list("person_id", flat=True)) or [None]


def log_subject(actor: Actor, subject, action: str, object_type: str, object_id, **kw) -> None:
    """Log an access to a subject's journal against the person (or the animal's owners)."""
    log_accesses(
        actor,
        [
            Access(action, object_type, object_id, person_id=owner_id, **kw)
            for owner_id in _owner_ids(subject)
        ],
    )


def _seal(subject, content: dict) -> bytes:
    return encrypt(subject, json.dumps(content, ensure_ascii=False).encode(), purpose=ENTRY_PURPOSE)


def _clean_text(text, *, field: str = "text", required: bool = True) -> str:
    text = str(text or "").strip()
    if required and not text:
        raise ValidationFailed({field: [_("Write the entry's text.")]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({field: [_("Use at most 20,000 characters.")]})
    return text


def _author(actor: Actor) -> dict:
    user = actor.user
    return {
        "author_user_id": user.pk,
        "author_name": user.full_name or user.email,
        "author_title": user.title,
        "author_hpr": user.hpr_number,
    }


def entry_create(
    *,
    actor: Actor,
    person_id: int | None = None,
    animal_id: int | None = None,
    text: str = "",
    fields: dict | None = None,
    sign: bool = False,
) -> JournalEntry:
    """Write a journal entry (a draft, or signed at once)."""
    require(actor, "journal.write")
    subject = subject_of(actor, person_id=person_id, animal_id=animal_id)
    if isinstance(subject, Person):  # therapy: only with explicit consent (art. 9(2)(a))
        require_health_consent(actor.clinic, subject, field="text")
    cleaned = clean_fields(actor.clinic.profile, fields)
    text = _clean_text(text, required=not cleaned)
    now = timezone.now()
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            clinic=actor.clinic,
            **_subject_fields(subject),
            kind=EntryKind.NOTE,
            template=actor.clinic.profile,
            created_at=now,
            updated_at=now,
            signed_at=now if sign else None,
            ciphertext=_seal(subject, {"text": text, "fields": cleaned}),
            **_author(actor),
        )
        log_subject(
            actor,
            subject,
            Action.CREATE,
            "journal_entry",
            entry.pk,
            detail="signed" if sign else "draft",
        )
        if sign:
            _after_sign(actor, entry, subject, cleaned)
    return entry


def _draft_of_author(actor: Actor, entry_id: int) -> JournalEntry:
    entry = (
        JournalEntry.objects.select_for_update(of=("self",))
        .filter(clinic=actor.clinic, pk=entry_id)
        .select_related("person", "animal")
        .first()
    )
    if entry is None:
        raise Http404
    if entry.signed_at is not None:
        raise Conflict(
            _("A signed entry cannot be changed. Add an amendment instead."), code="signed"
        )
    if entry.author_user_id != actor.user_id:
        raise PermissionDenied("only the author may change a draft")
    return entry


def entry_update_draft(
    *, actor: Actor, entry_id: int, text: str = "", fields: dict | None = None
) -> JournalEntry:
    require(actor, "journal.write")
    cleaned = clean_fields(actor.clinic.profile, fields)
    text = _clean_text(text, required=not cleaned)
    with transaction.atomic():
        entry = _draft_of_author(actor, entry_id)
        entry.ciphertext = _seal(entry.subject, {"text": text, "fields": cleaned})
        entry.updated_at = timezone.now()
        entry.save(update_fields=["ciphertext", "updated_at"])
        log_subject(actor, entry.subject, Action.UPDATE, "journal_entry", entry.pk, detail="draft")
    return entry


def intake_draft_create(
    *, clinic, author, person_id: int | None = None, animal_id: int | None = None, text: str
) -> JournalEntry:
    """A client's answers to an intake form, as a draft in the journal for ``author`` (the
    practitioner of the booking, a user) to review, correct and sign — never signed by
    itself. Encrypted like every entry; the write is logged as the client's (channel
    "account"), not the practitioner's."""
    actor = system_actor(clinic, channel="account")
    subject = subject_of(actor, person_id=person_id, animal_id=animal_id)
    if isinstance(subject, Person):  # therapy: only with explicit consent (art. 9(2)(a))
        require_health_consent(clinic, subject, field="text")
    text = _clean_text(text)
    now = timezone.now()
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            clinic=clinic,
            **_subject_fields(subject),
            kind=EntryKind.NOTE,
            template=clinic.profile,
            created_at=now,
            updated_at=now,
            signed_at=None,
            ciphertext=_seal(subject, {"text": text, "fields": {}}),
            **_author(Actor(clinic=clinic, user=author, role="practitioner", channel="account")),
        )
        log_subject(
            actor, subject, Action.CREATE, "journal_entry", entry.pk,
            purpose="intake form", detail="draft from the client's answers",
        )  # fmt: skip
    return entry


def entry_sign(*, actor: Actor, entry_id: int) -> JournalEntry:
    """Sign a draft: from now on it can never be changed (REQ-12, REQ-13)."""
    require(actor, "journal.write")
    from praksis.journal.selectors import decrypt_content

    with transaction.atomic():
        entry = _draft_of_author(actor, entry_id)
        entry.signed_at = timezone.now()
        entry.save(update_fields=["signed_at"])
        log_subject(actor, entry.subject, Action.UPDATE, "journal_entry", entry.pk, detail="signed")
        content = decrypt_content(entry)
        _after_sign(actor, entry, entry.subject, content.get("fields") or {})
    return entry


def entry_discard_draft(*, actor: Actor, entry_id: int) -> None:
    require(actor, "journal.write")
    with transaction.atomic():
        entry = _draft_of_author(actor, entry_id)
        subject = entry.subject
        Attachment.objects.filter(entry=entry).delete()
        entry.delete()
        log_subject(actor, subject, Action.DELETE, "journal_entry", entry_id, detail="draft")


# A signed entry that sets a recall (``recall_months``, ``next_vaccination``) says so here;
# the recall app sets it — connected by the composition layer (praksis.site.wiring), in the
# signing transaction. Arguments: actor, subject ({"person": ...} or {"animal": ...}),
# interval_months, due_date, reason, source_entry.
recall_due = Signal()


def _after_sign(actor: Actor, entry: JournalEntry, subject, fields: dict) -> None:
    """A signed entry may set the subject's recall (optician, dental, vet vaccinations)."""
    months = fields.get("recall_months")
    due = fields.get("next_vaccination")
    if not months and not due:
        return
    recall_due.send(
        JournalEntry,
        actor=actor,
        subject=_subject_fields(subject),
        interval_months=months,
        due_date=date.fromisoformat(due) if due else None,
        reason=str(_("vaccination") if due else _("check-up")),
        source_entry=entry,
    )


FOLLOWUP_RULES = {
    # kind: (needs a reason, reason's error message)
    EntryKind.AMENDMENT: True,
    EntryKind.OBJECTION: False,
    EntryKind.REFUSED_CORRECTION: True,
    EntryKind.ACCESS_REQUEST: False,
}


def followup_add(
    *, actor: Actor, entry_id: int, kind: str, text: str, reason: str = ""
) -> JournalEntry:
    """Add a signed entry about a signed entry: an amendment (REQ-12/15/17), the patient's
    objection (REQ-14), a refused correction request with its reason (REQ-15/18), or an
    owner's access request (REQ-18). The original stays as it was, readable beside it."""
    require(actor, "journal.write")
    if kind not in FOLLOWUP_RULES:
        raise ValidationFailed({"kind": [_("Unknown kind of entry.")]})
    text = _clean_text(text)
    reason = str(reason or "").strip()
    if FOLLOWUP_RULES[kind] and not reason:
        raise ValidationFailed({"reason": [_("Say why.")]})
    if len(reason) > 2000:
        raise ValidationFailed({"reason": [_("Use at most 2,000 characters.")]})
    with transaction.atomic():
        original = (
            JournalEntry.objects.select_related("person", "animal")
            .filter(clinic=actor.clinic, pk=entry_id)
            .first()
        )
        if original is None:
            raise Http404
        if original.signed_at is None:
            raise Conflict(
                _("A draft is corrected by editing it; only signed entries are amended."),
                code="draft",
            )
        subject = original.subject
        now = timezone.now()
        entry = JournalEntry.objects.create(
            clinic=actor.clinic,
            **_subject_fields(subject),
            kind=kind,
            concerns=original,
            template=original.template,
            created_at=now,
            updated_at=now,
            signed_at=now,
            ciphertext=_seal(subject, {"text": text, "fields": {}, "reason": reason}),
            **_author(actor),
        )
        log_subject(
            actor,
            subject,
            Action.CREATE,
            "journal_entry",
            entry.pk,
            detail=f"{kind} of {original.pk}",
        )
    return entry


def attachment_add(
    *, actor: Actor, entry_id: int, filename: str, content_type: str, data: bytes
) -> Attachment:
    """Attach an image or PDF to a draft (checked by content, size-limited, encrypted)."""
    require(actor, "journal.write")
    limit = settings.PRAKSIS_ATTACHMENT_MAX_BYTES
    if not data:
        raise ValidationFailed({"file": [_("Choose a file.")]})
    if len(data) > limit:
        raise ValidationFailed(
            {"file": [_("The file is too large (at most %(mb)s MB).") % {"mb": limit // 2**20}]}
        )
    detected = next((kind for kind, magics in SIGNATURES.items() if data.startswith(magics)), None)
    if detected is None or (content_type and content_type != detected):
        raise ValidationFailed({"file": [_("Attach a JPEG or PNG image or a PDF document.")]})
    filename = (filename or "attachment").replace("/", "_").replace("\\", "_")[:200]
    with transaction.atomic():
        entry = _draft_of_author(actor, entry_id)
        attachment = Attachment.objects.create(
            clinic=actor.clinic,
            entry=entry,
            filename=filename,
            content_type=detected,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            ciphertext=encrypt(entry.subject, data, purpose=ATTACHMENT_PURPOSE),
            uploaded_by_user_id=actor.user_id,
        )
        log_subject(actor, entry.subject, Action.CREATE, "journal_attachment", attachment.pk)
    return attachment


CARD_PURPOSE = "client-card"


def client_card_save(*, actor: Actor, person_id: int, allergies: str, injuries: str) -> ClientCard:
    """Record the client's allergies and injuries (therapy profile), encrypted."""
    require(actor, "journal.write")
    person = subject_of(actor, person_id=person_id)
    require_health_consent(actor.clinic, person)  # therapy: art. 9(2)(a)
    allergies = _clean_text(allergies, field="allergies", required=False)
    injuries = _clean_text(injuries, field="injuries", required=False)
    content = json.dumps({"allergies": allergies, "injuries": injuries}, ensure_ascii=False)
    with transaction.atomic():
        card, created = ClientCard.objects.update_or_create(
            person=person,
            defaults={
                "clinic": actor.clinic,
                "ciphertext": encrypt(person, content.encode(), purpose=CARD_PURPOSE),
                "updated_at": timezone.now(),
                "updated_by_user_id": actor.user_id,
            },
        )
        log_subject(
            actor, person, Action.CREATE if created else Action.UPDATE, "client_card", card.pk
        )
    return card
