"""Data-subject requests (REQ-24..26): intake, the one-month clock, access report, export.

The due date is the receipt date plus one calendar month (the last day of a shorter
month when the day does not exist); it may be extended by up to two more months with a
reason, only within the first month (Art. 12(3)). The access report (Art. 15) and the
portability export (Art. 20) are produced for the owner and logged as exports.
"""

from __future__ import annotations

import calendar
import json
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML

from praksis.audit.models import AccessLogEntry, Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require, system_actor
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.privacy.models import DataSubjectRequest, RequestKind, RequestStatus

NEAR_DUE_DAYS = 7
_CONFIRM = _("Confirm your privacy request")


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clipped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def effective_due(request: DataSubjectRequest) -> date:
    return request.extended_to or request.due_date


def request_create(
    *, actor: Actor, person_id, kind: str, channel: str = "desk", details: str = ""
) -> DataSubjectRequest:
    require(actor, "person.write")
    errors: dict[str, list] = {}
    person = None
    if str(person_id or "").isdigit():
        person = Person.objects.filter(clinic=actor.clinic, pk=int(person_id)).first()
    if person is None:
        errors["person"] = [_("Choose a person registered at this clinic.")]
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose the kind of request.")]
    if errors:
        raise ValidationFailed(errors)
    received = timezone.now()
    with transaction.atomic():
        request = DataSubjectRequest.objects.create(
            clinic=actor.clinic,
            person=person,
            kind=kind,
            channel=channel[:10],
            received_at=received,
            due_date=add_months(received.astimezone(actor.clinic.zone).date(), 1),
            details=str(details or "")[:5000],
            created_by_user_id=actor.user_id,
            verified_at=received,  # staff check who is asking at intake
        )
        log_access(
            actor,
            Access(Action.CREATE, "privacy_request", request.pk, person_id=person.pk, detail=kind),
        )
    return request


def _get(actor: Actor, request_id: int) -> DataSubjectRequest:
    request = (
        DataSubjectRequest.objects.select_related("person")
        .filter(clinic=actor.clinic, pk=request_id)
        .first()
    )
    if request is None:
        raise Http404
    return request


def request_public_create(
    *, clinic, email: str, kind: str, details: str = "", language: str = "sv"
) -> DataSubjectRequest | None:
    """A request made on the public privacy page.

    Nothing is released and nothing is revealed until the requester proves control of the
    e-mail address on record: the page always answers the same, and only a registered
    address receives a one-time link. Returns the request (None if the address is unknown).
    """
    errors: dict[str, list] = {}
    email = str(email or "").strip()
    if "@" not in email or len(email) > 254:
        errors["email"] = [_("Enter the e-mail address you gave the clinic.")]
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose the kind of request.")]
    if errors:
        raise ValidationFailed(errors)
    person = Person.objects.filter(clinic=clinic, email__iexact=email).order_by("pk").first()
    if person is None:
        return None
    token = secrets.token_urlsafe(32)
    received = timezone.now()
    actor = system_actor(clinic, channel="public")
    with transaction.atomic():
        request = DataSubjectRequest.objects.create(
            clinic=clinic,
            person=person,
            kind=kind,
            channel="online",
            received_at=received,
            due_date=add_months(received.astimezone(clinic.zone).date(), 1),
            details=str(details or "")[:5000],
            verify_token_hash=sha256_hex(token),
        )
        log_access(
            actor,
            Access(
                Action.CREATE,
                "privacy_request",
                request.pk,
                person_id=person.pk,
                detail=f"{kind}; online",
            ),
        )
        link = f"{settings.PRAKSIS_BASE_URL}/{clinic.slug}/privacy/verify/{token}/?lang={language}"
        with translation.override(language):
            message_enqueue(
                clinic=clinic,
                channel="email",
                to=person.email,
                subject=f"{_CONFIRM} – {clinic.name}",
                body=render_to_string(
                    "privacy/email/verify.txt", {"clinic": clinic, "link": link, "request": request}
                ),
                kind="other",
                person=person,
                related=("privacy_request", request.pk),
            )
    return request


def request_verify(*, clinic, token: str) -> DataSubjectRequest:
    """The requester opened the one-time link: the request may now be answered."""
    with transaction.atomic():
        request = (
            DataSubjectRequest.objects.select_for_update()
            .filter(clinic=clinic, verify_token_hash=sha256_hex(token or ""))
            .exclude(verify_token_hash="")
            .first()
        )
        if request is None:
            raise Http404
        request.verified_at = timezone.now()
        request.verify_token_hash = ""  # one time only
        request.save(update_fields=["verified_at", "verify_token_hash"])
        log_access(
            system_actor(clinic, channel="public"),
            Access(
                Action.UPDATE,
                "privacy_request",
                request.pk,
                person_id=request.person_id,
                detail="verified",
            ),
        )
    return request


def _require_verified(request: DataSubjectRequest) -> None:
    if request.verified_at is None:
        raise Conflict(
            _(
                "The requester has not confirmed the request yet; nothing may be "
                "released before that."
            ),
            code="unverified",
        )


def request_get(*, actor: Actor, request_id: int) -> DataSubjectRequest:
    require(actor, "person.read")
    request = _get(actor, request_id)
    log_access(
        actor, Access(Action.READ, "privacy_request", request.pk, person_id=request.person_id)
    )
    return request


def request_list(*, actor: Actor) -> list[DataSubjectRequest]:
    """Open requests first, by the date they are due."""
    require(actor, "person.read")
    items = list(
        DataSubjectRequest.objects.filter(clinic=actor.clinic)
        .select_related("person")
        .order_by("completed_at", "due_date", "pk")[:500]
    )
    items.sort(key=lambda r: (r.completed_at is not None, effective_due(r), r.pk))
    log_access(actor, Access(Action.LIST, "privacy_request", "", detail=f"results={len(items)}"))
    return items


def near_due(request: DataSubjectRequest, today: date) -> bool:
    return request.completed_at is None and effective_due(request) - today <= timedelta(
        days=NEAR_DUE_DAYS
    )


def request_extend(
    *, actor: Actor, request_id: int, months: int, reason: str
) -> DataSubjectRequest:
    """Extend by one or two months, with the reason sent to the requester (Art. 12(3))."""
    require(actor, "privacy.manage")
    errors: dict[str, list] = {}
    if months not in (1, 2):
        errors["months"] = [_("A request may be extended by one or two months.")]
    if not str(reason or "").strip():
        errors["reason"] = [_("Give the reason for the extension.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        request = _get(actor, request_id)
        today = timezone.now().astimezone(actor.clinic.zone).date()
        if request.extended_to or today > request.due_date or request.completed_at:
            raise Conflict(_("Only an open request can be extended, once, within its first month."))
        request.extended_to = add_months(request.due_date, months)
        request.extension_reason = str(reason).strip()[:2000]
        request.status = RequestStatus.EXTENDED
        request.save(update_fields=["extended_to", "extension_reason", "status"])
        log_access(
            actor,
            Access(
                Action.UPDATE,
                "privacy_request",
                request.pk,
                person_id=request.person_id,
                detail="extended",
            ),
        )
    return request


def request_complete(*, actor: Actor, request_id: int) -> DataSubjectRequest:
    require(actor, "privacy.manage")
    with transaction.atomic():
        request = _get(actor, request_id)
        request.status = RequestStatus.COMPLETED
        request.completed_at = timezone.now()
        request.save(update_fields=["status", "completed_at"])
        log_access(
            actor,
            Access(
                Action.UPDATE,
                "privacy_request",
                request.pk,
                person_id=request.person_id,
                detail="completed",
            ),
        )
    return request


# --- What the person gets ---------------------------------------------------------------


def _provided_data(person: Person) -> dict:
    """What the person gave the clinic (Art. 20): identity, contacts, bookings, consents."""
    from praksis.booking.models import Appointment
    from praksis.privacy.models import Consent

    return {
        "person": {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "identity_number": person.identity_number,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "email": person.email,
            "phone": person.phone,
            "address": person.address,
        },
        "bookings": [
            {
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "service": a.service.name,
                "status": a.status,
                "channel": a.channel,
            }
            for a in Appointment.objects.filter(person=person)
            .select_related("service")
            .order_by("start")
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                "channel": c.channel,
                "text_version": c.text_version,
                "text": c.text_shown,
            }
            for c in Consent.objects.filter(person=person).order_by("given_at")
        ],
    }


def export_json(*, actor: Actor, request_id: int) -> str:
    """The portability export (Art. 20): structured, machine-readable; logged as an export."""
    require(actor, "privacy.manage")
    request = _get(actor, request_id)
    _require_verified(request)
    data = {
        "controller": actor.clinic.name,
        "organisation_number": actor.clinic.organisation_number,
        "generated_at": timezone.now().isoformat(),
        **_provided_data(request.person),
    }
    log_access(
        actor,
        Access(
            Action.EXPORT,
            "person",
            request.person_id,
            person_id=request.person_id,
            purpose="portability request",
        ),
    )
    return json.dumps(data, ensure_ascii=False, indent=2)


def access_report_pdf(*, actor: Actor, request_id: int) -> bytes:
    """The access report (Art. 15(1)(a)-(h)) with a copy of the data, as a PDF."""
    require(actor, "privacy.manage")
    from praksis.journal.selectors import journal_read

    request = _get(actor, request_id)
    _require_verified(request)
    person = request.person
    clinic = actor.clinic
    journal = journal_read(
        actor=actor, person_id=person.pk, purpose="access request", action=Action.EXPORT
    )
    accesses = list(
        AccessLogEntry.objects.filter(clinic=clinic, person_id=person.pk)
        .exclude(channel="system")
        .order_by("-seq")[:500]
    )
    log_access(
        actor,
        Access(Action.EXPORT, "person", person.pk, person_id=person.pk, purpose="access request"),
    )
    authority = {
        "SE": "Integritetsskyddsmyndigheten (IMY), www.imy.se",
        "NO": "Datatilsynet, www.datatilsynet.no",
    }[clinic.country]
    with translation.override(clinic.language), timezone.override(clinic.zone):
        html = render_to_string(
            "privacy/access_report.html",
            {
                "clinic": clinic,
                "person": person,
                "request": request,
                "data": _provided_data(person),
                "journal": journal,
                "accesses": accesses,
                "authority": authority,
                "generated_at": timezone.now(),
            },
        )
        return HTML(string=html).write_pdf()
