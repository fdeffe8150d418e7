"""API of the disclosure log: list, record, read, and the letter as a PDF.

Disclosures are append-only: there is no PUT, PATCH or DELETE; a correction is a new
disclosure with ``corrects`` naming the one it corrects.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema, Status

from praksis.disclosures import pdf, selectors, services

router = Router(tags=["disclosures"])


class DisclosureIn(Schema):
    person: int | str | None = None
    animal: int | str | None = None
    kind: str | None = None
    recipient_name: str | None = None
    recipient_address: str = ""
    description: str | None = None
    reason: str = ""
    journal_entries: list[int | str] = []
    basis: str = ""
    basis_text: str = ""
    consent: int | str | None = None
    channel: str | None = None
    disclosed_at: str | None = None
    corrects: int | str | None = None


class DisclosureOut(Schema):
    id: int
    person: int
    animal: int | None
    kind: str
    recipient_name: str
    recipient_address: str
    description: str
    reason: str
    journal_entries: list[int]
    basis: str
    basis_text: str
    consent: int | None
    channel: str
    disclosed_at: datetime
    recorded_at: datetime
    recorded_by: str
    corrects: int | None


class DisclosurePage(Schema):
    items: list[DisclosureOut]
    count: int


def _out(d) -> dict:
    return {
        "id": d.pk,
        "person": d.person_id,
        "animal": d.animal_id,
        "kind": d.kind,
        "recipient_name": d.recipient_name,
        "recipient_address": d.recipient_address,
        "description": d.description,
        "reason": d.reason,
        "journal_entries": sorted(e.pk for e in d.journal_entries.all()),
        "basis": d.basis,
        "basis_text": d.basis_text,
        "consent": d.consent_id,
        "channel": d.channel,
        "disclosed_at": d.disclosed_at,
        "recorded_at": d.recorded_at,
        "recorded_by": d.recorded_by_name,
        "corrects": d.corrects_id,
    }


@router.get("disclosures", response=DisclosurePage)
def list_disclosures(request, person: int | None = None):
    """One person's disclosures (``?person=``), or the whole clinic's log (owner only)."""
    items = selectors.disclosure_list(actor=request.auth, person_id=person)
    return {"items": [_out(d) for d in items], "count": len(items)}


@router.post("disclosures", response={201: DisclosureOut})
def record_disclosure(request, payload: DisclosureIn):
    disclosure = services.disclosure_record(
        actor=request.auth,
        person_id=payload.person,
        animal_id=payload.animal,
        kind=payload.kind or "",
        recipient_name=payload.recipient_name or "",
        recipient_address=payload.recipient_address,
        description=payload.description or "",
        reason=payload.reason,
        journal_entry_ids=payload.journal_entries,
        basis=payload.basis,
        basis_text=payload.basis_text,
        consent_id=payload.consent,
        channel=payload.channel or "",
        disclosed_at=payload.disclosed_at,
        corrects_id=payload.corrects,
    )
    return Status(201, _out(disclosure))


@router.get("disclosures/{int:disclosure_id}", response=DisclosureOut)
def read_disclosure(request, disclosure_id: int):
    return _out(selectors.disclosure_get(actor=request.auth, disclosure_id=disclosure_id))


@router.get("disclosures/{int:disclosure_id}/referral.pdf")
def disclosure_letter(request, disclosure_id: int, purpose: str = ""):
    body = pdf.disclosure_letter_pdf(
        actor=request.auth, disclosure_id=disclosure_id, purpose=purpose
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="referral-{disclosure_id}.pdf"'
    return response
