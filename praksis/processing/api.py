"""API of the processing app: the record of processing (REQ-30), as JSON or PDF.

``GET processing-record`` answers ``{"activities": [...]}``; with ``Accept:
application/pdf``, or at ``processing-record.pdf``, the same record as a PDF. Texts are in
the request's language (``Accept-Language``), else the clinic's. Owners only.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router

from praksis.clinics.access import require
from praksis.processing import selectors
from praksis.processing.pdf import record_pdf

router = Router(tags=["processing"])


def _processor(p) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "service": p.service,
        "dpa_signed_on": p.dpa_signed_on.isoformat() if p.dpa_signed_on else None,
        "country": p.country,
        "location": p.location,
        "sub_processors": p.sub_processor_list,
        "transfers_outside_eea": p.transfers_outside_eea,
        "third_countries": p.third_countries,
        "transfer_basis": p.transfer_basis or None,
        "contact": p.contact,
    }


def _activity(a: dict) -> dict:
    activity = a["object"]
    processors = a["processor_objects"]
    return {
        "id": activity.pk,
        "key": activity.key,
        "name": a["name"],
        "purpose": a["purpose"],
        "legal_bases": [
            {"code": code, "label": label}
            for code, label in zip(activity.legal_bases, a["bases"], strict=False)
        ],
        "special_category_basis": (
            {"code": activity.special_basis, "label": a["special"]}
            if activity.special_basis
            else None
        ),
        "basis_detail": a["basis_detail"],
        "legitimate_interest": a["legitimate_interest"],
        "data_subjects": a["data_subjects"],
        "data_categories": a["data_categories"],
        "recipients": a["recipients"],
        "processors": [_processor(p) for p in processors],
        "transfers": [
            {
                "processor": p.name,
                "countries": p.third_countries or p.country,
                "safeguard": p.transfer_basis or None,
            }
            for p in processors
            if p.transfers_outside_eea
        ],
        "retention": [
            {"record_type": r["record_type"], "label": r["label"], "text": r["text"]}
            for r in a["retention"]
        ],
        "retention_keys": list(activity.retention_keys),
        "retention_note": a["retention_note"],
        "security": a["security"],
        "active": activity.is_active,
        "order": activity.order,
    }


def _pdf(request) -> HttpResponse:
    actor = request.auth
    pdf = record_pdf(actor=actor, language=selectors.current_language(actor.clinic))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="processing-record.pdf"'
    return response


@router.get("processing-record")
def processing_record(request):
    actor = request.auth
    require(actor, "privacy.manage")
    if "application/pdf" in request.headers.get("Accept", ""):
        return _pdf(request)
    view = selectors.record_view(actor.clinic)
    return {"activities": [_activity(a) for a in view["activities"] if a["object"].is_active]}


@router.get("processing-record.pdf")
def processing_record_pdf(request):
    require(request.auth, "privacy.manage")
    return _pdf(request)
