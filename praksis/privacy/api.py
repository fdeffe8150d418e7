"""Consents API: list, record, withdraw (REQ-29)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status

from praksis.privacy import services

router = Router(tags=["consents"])


class ConsentIn(Schema):
    person: int | str | None = None
    purpose: str | None = None
    channel: str = "desk"
    text_version: str | None = None
    text_shown: str | None = None


class ConsentOut(Schema):
    id: int
    person: int
    purpose: str
    given_at: datetime
    withdrawn_at: datetime | None
    active: bool
    channel: str
    text_version: str
    text_shown: str


class ConsentPage(Schema):
    items: list[ConsentOut]
    count: int


def _out(consent) -> dict:
    return {
        "id": consent.pk,
        "person": consent.person_id,
        "purpose": consent.purpose,
        "given_at": consent.given_at,
        "withdrawn_at": consent.withdrawn_at,
        "active": consent.withdrawn_at is None,
        "channel": consent.channel,
        "text_version": consent.text_version,
        "text_shown": consent.text_shown,
    }


@router.get("consents", response=ConsentPage)
def list_consents(request, person: int | None = None):
    items = services.consents_of(actor=request.auth, person_id=person)
    return {"items": [_out(c) for c in items], "count": len(items)}


@router.post("consents", response={201: ConsentOut})
def give_consent(request, payload: ConsentIn):
    consent = services.consent_give(
        actor=request.auth,
        person_id=payload.person,
        purpose=payload.purpose or "",
        channel=payload.channel,
        text_version=payload.text_version or "",
        text_shown=payload.text_shown or "",
    )
    return Status(201, _out(consent))


@router.post("consents/{int:consent_id}/withdraw", response=ConsentOut)
def withdraw_consent(request, consent_id: int):
    return _out(services.consent_withdraw(actor=request.auth, consent_id=consent_id))
