"""Journal API. Entries have no PUT, PATCH or DELETE: a signed entry is changed only by
adding an amendment, and a draft is signed with POST .../sign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from praksis.core.errors import ValidationFailed
from praksis.journal import care, selectors, services
from praksis.journal.models import EntryKind, JournalEntry
from praksis.journal.pdf import journal_pdf

router = Router(tags=["journal"])


class EntryIn(Schema):
    text: str | None = None
    fields: dict[str, Any] | None = None
    sign: bool = False


class FollowupIn(Schema):
    text: str | None = None
    reason: str | None = None


class Author(Schema):
    name: str
    title: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class FollowupOut(Schema):
    id: int
    kind: str
    text: str
    reason: str
    author: Author
    created_at: datetime
    signed_at: datetime | None
    concerns: int | None


class EntryOut(FollowupOut):
    fields: dict[str, Any]
    signed: bool
    unreadable: bool
    amendments: list[FollowupOut]
    followups: list[FollowupOut]
    attachments: list[AttachmentOut]


class EntryPage(Schema):
    items: list[EntryOut]
    count: int


def _followup(view: selectors.EntryView) -> dict:
    return {
        "id": view.id,
        "kind": view.kind,
        "text": view.text,
        "reason": view.reason,
        "author": {"name": view.author_name, "title": view.author_title},
        "created_at": view.created_at,
        "signed_at": view.signed_at,
        "concerns": view.concerns_id,
    }


def _out(view: selectors.EntryView) -> dict:
    return {
        **_followup(view),
        "fields": view.fields,
        "signed": view.signed,
        "unreadable": view.unreadable,
        "amendments": [_followup(f) for f in view.followups if f.kind == EntryKind.AMENDMENT],
        "followups": [_followup(f) for f in view.followups],
        "attachments": [a.__dict__ for a in view.attachments],
    }


def _opening(request, subject, *, reason: str = "", purpose: str = "") -> tuple[str, str]:
    """REQ-20: why the journal is read — ``purpose`` within a care relation; outside one,
    ``reason`` (one of the fixed reasons) with ``purpose`` in the caller's own words, which
    a Norwegian patient journal (NO-human) requires (422 without them)."""
    given = care.clean_reason(reason, purpose) if reason else ""
    try:
        return care.opening_purpose(request.auth, subject, given=given, stated=purpose)
    except care.ReasonNeeded:
        raise ValidationFailed(
            {
                "reason": [
                    _(
                        "You are not in a care relation with this patient. Say why you open "
                        "the journal: reason (one of %(codes)s) and purpose, in your own words."
                    )
                    % {"codes": ", ".join(care.ACCESS_REASONS)}
                ]
            }
        ) from None


def _list(request, *, person_id=None, animal_id=None, reason: str = "", purpose: str = ""):
    actor = request.auth
    subject = services.subject_of(actor, person_id=person_id, animal_id=animal_id)
    purpose, relation = _opening(request, subject, reason=reason, purpose=purpose)
    views = selectors.journal_read(
        actor=actor, person_id=person_id, animal_id=animal_id, purpose=purpose, relation=relation
    )
    return {"items": [_out(v) for v in views], "count": len(views)}


def _create(request, payload: EntryIn, *, person_id=None, animal_id=None):
    entry = services.entry_create(
        actor=request.auth,
        person_id=person_id,
        animal_id=animal_id,
        text=payload.text or "",
        fields=payload.fields,
        sign=payload.sign,
    )
    # Answer with what was written (no second, logged read of the journal).
    return Status(201, _out(selectors.view_of_new(entry)))


def _pdf(request, *, person_id=None, animal_id=None):
    subject = services.subject_of(request.auth, person_id=person_id, animal_id=animal_id)
    purpose, _relation = _opening(
        request,
        subject,
        reason=request.GET.get("reason", ""),
        purpose=request.GET.get("purpose", "print"),
    )
    pdf = journal_pdf(actor=request.auth, person_id=person_id, animal_id=animal_id, purpose=purpose)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="journal.pdf"'
    return response


@router.get("persons/{int:person_id}/journal", response=EntryPage)
def person_journal(request, person_id: int, reason: str = "", purpose: str = ""):
    return _list(request, person_id=person_id, reason=reason, purpose=purpose)


@router.post("persons/{int:person_id}/journal", response={201: EntryOut})
def person_journal_append(request, person_id: int, payload: EntryIn):
    return _create(request, payload, person_id=person_id)


@router.get("persons/{int:person_id}/journal.pdf")
def person_journal_pdf(request, person_id: int):
    return _pdf(request, person_id=person_id)


@router.get("animals/{int:animal_id}/journal", response=EntryPage)
def animal_journal(request, animal_id: int, reason: str = "", purpose: str = ""):
    return _list(request, animal_id=animal_id, reason=reason, purpose=purpose)


@router.post("animals/{int:animal_id}/journal", response={201: EntryOut})
def animal_journal_append(request, animal_id: int, payload: EntryIn):
    return _create(request, payload, animal_id=animal_id)


@router.get("animals/{int:animal_id}/journal.pdf")
def animal_journal_pdf(request, animal_id: int):
    return _pdf(request, animal_id=animal_id)


def _entry_purpose(request, entry_id: int, reason: str, purpose: str) -> str:
    found = JournalEntry.objects.filter(clinic=request.auth.clinic, pk=entry_id).first()
    if found is None:
        raise Http404
    subject_ids = {"person_id": found.person_id, "animal_id": found.animal_id}
    subject = services.subject_of(request.auth, **{k: v for k, v in subject_ids.items() if v})
    return _opening(request, subject, reason=reason, purpose=purpose)[0]


@router.get("journal/{int:entry_id}", response=EntryOut)
def entry(request, entry_id: int, reason: str = "", purpose: str = ""):
    purpose = _entry_purpose(request, entry_id, reason, purpose)
    return _out(selectors.entry_read(actor=request.auth, entry_id=entry_id, purpose=purpose))


@router.post("journal/{int:entry_id}/sign", response=EntryOut)
def entry_sign(request, entry_id: int):
    services.entry_sign(actor=request.auth, entry_id=entry_id)
    return _out(selectors.entry_read(actor=request.auth, entry_id=entry_id))


@router.get("journal/{int:entry_id}/amendments", response=list[FollowupOut])
def amendments(request, entry_id: int, reason: str = "", purpose: str = ""):
    purpose = _entry_purpose(request, entry_id, reason, purpose)
    view = selectors.entry_read(actor=request.auth, entry_id=entry_id, purpose=purpose)
    return [_followup(f) for f in view.followups if f.kind == EntryKind.AMENDMENT]


def _followup_create(request, entry_id: int, kind: str, payload: FollowupIn):
    created = services.followup_add(
        actor=request.auth,
        entry_id=entry_id,
        kind=kind,
        text=payload.text or "",
        reason=payload.reason or "",
    )
    view = selectors.entry_read(actor=request.auth, entry_id=created.pk)
    return Status(201, _followup(view))


@router.post("journal/{int:entry_id}/amendments", response={201: FollowupOut})
def amendment_add(request, entry_id: int, payload: FollowupIn):
    return _followup_create(request, entry_id, EntryKind.AMENDMENT, payload)


@router.post("journal/{int:entry_id}/objections", response={201: FollowupOut})
def objection_add(request, entry_id: int, payload: FollowupIn):
    return _followup_create(request, entry_id, EntryKind.OBJECTION, payload)


@router.post("journal/{int:entry_id}/refusals", response={201: FollowupOut})
def refusal_add(request, entry_id: int, payload: FollowupIn):
    return _followup_create(request, entry_id, EntryKind.REFUSED_CORRECTION, payload)


@router.post("journal/{int:entry_id}/attachments", response={201: AttachmentOut})
def attachment_add(request, entry_id: int, file: UploadedFile = File(...)):  # noqa: B008
    attachment = services.attachment_add(
        actor=request.auth,
        entry_id=entry_id,
        filename=file.name,
        content_type=file.content_type or "",
        data=file.read(settings.PRAKSIS_ATTACHMENT_MAX_BYTES + 1),
    )
    return Status(
        201,
        {
            "id": attachment.pk,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )


@router.get("journal/attachments/{int:attachment_id}")
def attachment_get(request, attachment_id: int):
    attachment, data = selectors.attachment_read(actor=request.auth, attachment_id=attachment_id)
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CardIn(Schema):
    allergies: str = ""
    injuries: str = ""


class CardOut(Schema):
    allergies: str
    injuries: str
    updated_at: datetime | None
    unreadable: bool


@router.get("persons/{int:person_id}/client-card", response=CardOut)
def client_card(request, person_id: int):
    return selectors.client_card_read(actor=request.auth, person_id=person_id).__dict__


@router.put("persons/{int:person_id}/client-card", response=CardOut)
def client_card_put(request, person_id: int, payload: CardIn):
    services.client_card_save(
        actor=request.auth,
        person_id=person_id,
        allergies=payload.allergies,
        injuries=payload.injuries,
    )
    return selectors.client_card_read(actor=request.auth, person_id=person_id).__dict__
