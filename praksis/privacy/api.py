"""Consents API: list, record, withdraw (REQ-29)."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from ninja import Router, Schema, Status

from praksis.clinics.access import SENSITIVE, require_scope
from praksis.privacy import requests, services
from praksis.privacy.erasure import erasure_plan_for_request, erasure_request_execute

router = Router(tags=["consents"])


class ConsentIn(Schema):
    person: int | str | None = None
    purpose: str | None = None
    channel: str = "desk"
    text_version: str | None = None
    text_shown: str | None = None
    third_party: str = ""


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
    third_party: str


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
        "third_party": consent.third_party,
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
        third_party=payload.third_party,
    )
    return Status(201, _out(consent))


@router.post("consents/{int:consent_id}/withdraw", response=ConsentOut)
def withdraw_consent(request, consent_id: int):
    return _out(services.consent_withdraw(actor=request.auth, consent_id=consent_id))


class PrivacyRequestIn(Schema):
    person: int | str | None = None
    kind: str | None = None
    channel: str = "desk"
    details: str = ""


class PrivacyRequestOut(Schema):
    id: int
    person: int
    kind: str
    status: str
    received_at: datetime
    due_date: date
    extended_to: date | None
    completed_at: datetime | None
    answered: bool = False
    downloaded_at: datetime | None = None


class PrivacyRequestPage(Schema):
    items: list[PrivacyRequestOut]
    count: int


class ExtendIn(Schema):
    months: int = 0
    reason: str = ""


def _request_out(request) -> dict:
    return {
        "id": request.pk,
        "person": request.person_id,
        "kind": request.kind,
        "status": request.status,
        "received_at": request.received_at,
        "due_date": request.due_date,
        "extended_to": request.extended_to,
        "completed_at": request.completed_at,
        "answered": bool(request.download_token_hash),
        "downloaded_at": request.downloaded_at,
    }


@router.post("privacy-requests", response={201: PrivacyRequestOut})
def create_privacy_request(request, payload: PrivacyRequestIn):
    created = requests.request_create(
        actor=request.auth,
        person_id=payload.person,
        kind=payload.kind or "",
        channel=payload.channel,
        details=payload.details,
    )
    return Status(201, _request_out(created))


@router.get("privacy-requests", response=PrivacyRequestPage)
def list_privacy_requests(request):
    items = requests.request_list(actor=request.auth)
    return {"items": [_request_out(r) for r in items], "count": len(items)}


@router.get("privacy-requests/{int:privacy_request_id}", response=PrivacyRequestOut)
def read_privacy_request(request, privacy_request_id: int):
    return _request_out(requests.request_get(actor=request.auth, request_id=privacy_request_id))


@router.post("privacy-requests/{int:privacy_request_id}/extend", response=PrivacyRequestOut)
def extend_privacy_request(request, privacy_request_id: int, payload: ExtendIn):
    return _request_out(
        requests.request_extend(
            actor=request.auth,
            request_id=privacy_request_id,
            months=payload.months,
            reason=payload.reason,
        )
    )


@router.post("privacy-requests/{int:privacy_request_id}/complete", response=PrivacyRequestOut)
def complete_privacy_request(request, privacy_request_id: int):
    return _request_out(
        requests.request_complete(actor=request.auth, request_id=privacy_request_id)
    )


@router.get("privacy-requests/{int:privacy_request_id}/report.pdf")
def privacy_request_report(request, privacy_request_id: int):
    pdf = requests.access_report_pdf(actor=request.auth, request_id=privacy_request_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="access-report-{privacy_request_id}.pdf"'
    )
    return response


@router.get("privacy-requests/{int:privacy_request_id}/export.json")
def privacy_request_export(request, privacy_request_id: int):
    body = requests.export_json(actor=request.auth, request_id=privacy_request_id)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="export-{privacy_request_id}.json"'
    return response


@router.get("privacy-requests/{int:privacy_request_id}/export.csv")
def privacy_request_export_csv(request, privacy_request_id: int):
    body = requests.export_csv(actor=request.auth, request_id=privacy_request_id)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="export-{privacy_request_id}.csv"'
    return response


class AnswerIn(Schema):
    delivery: str = "link"
    answer: str = ""
    refused: bool = False  # a refusal: ``answer`` gives the reasons (Art. 12(4))


@router.post("privacy-requests/{int:privacy_request_id}/answer", response=PrivacyRequestOut)
def answer_privacy_request(request, privacy_request_id: int, payload: AnswerIn):
    """Answer the requester: a link to the answer and their data, which opens with a
    one-time code sent to their other contact on record (REQ-50); ``delivery`` is
    ``link`` (health data is never attached to an e-mail: ``email`` is 422).
    A token needs the "sensitive" scope (signed-in staff re-authenticate instead)."""
    require_scope(request.auth, SENSITIVE)
    return _request_out(
        requests.request_answer(
            actor=request.auth,
            request_id=privacy_request_id,
            delivery=payload.delivery,
            answer=payload.answer,
            refused=payload.refused,
        )
    )


# --- Erasure (REQ-27): the plan, dry, and carrying it out --------------------------------


class ErasureDecisionOut(Schema):
    record_type: str
    label: str
    action: str
    count: int
    reason: str
    law: str
    kept_until: date | None
    hold: str
    restricted: bool


class ErasurePlanOut(Schema):
    person: int
    privacy_request: int | None
    regime: str
    as_of: date
    blocked: bool
    blockers: list[str]
    decisions: list[ErasureDecisionOut]
    recipients: list[str]
    applied: bool
    answer: str


@router.get("privacy-requests/{int:privacy_request_id}/erasure-plan", response=ErasurePlanOut)
def privacy_request_erasure_plan(request, privacy_request_id: int):

    _dsr, plan = erasure_plan_for_request(actor=request.auth, request_id=privacy_request_id)
    return plan.as_dict()


@router.post("privacy-requests/{int:privacy_request_id}/erase", response=ErasurePlanOut)
def privacy_request_erase(request, privacy_request_id: int):
    """Carry out the erasure plan. A token needs the "sensitive" scope."""

    require_scope(request.auth, SENSITIVE)

    return erasure_request_execute(actor=request.auth, request_id=privacy_request_id).as_dict()
