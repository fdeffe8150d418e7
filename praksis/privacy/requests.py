"""Data-subject requests (REQ-24..26): intake, the one-month clock, access report, export.

The due date is the receipt date plus one calendar month (the last day of a shorter
month when the day does not exist), or the clinic's shorter promise (``deadline``); it
may be extended by up to two more months with a reason, only within the first month
(Art. 12(3)). The access report (Art. 15) and the
portability export (Art. 20) are produced for the owner and logged as exports.
"""

from __future__ import annotations

import calendar
import json
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.links import base_url
from praksis.messaging.services import message_enqueue
from praksis.people.guardians import PARENTAL, guardian_may_see
from praksis.people.models import Person
from praksis.privacy import answer_links, report
from praksis.privacy.deadline import answer_due
from praksis.privacy.models import DataSubjectRequest, RequestKind, RequestStatus
from praksis.privacy.rights import ANSWERED, EXTENDED, REFUSED, authority_line, rights_paragraph
from praksis.privacy.rights import with_rights as _with_rights
from praksis.privacy.sources import build_notice

NEAR_DUE_DAYS = 7
_EXTENDED = _("More time is needed to answer your privacy request")


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clipped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def effective_due(request: DataSubjectRequest) -> date:
    return request.extended_to or request.due_date


def requester(request: DataSubjectRequest) -> Person:
    """Who asked, so who is answered: the guardian for a request made on a child's behalf
    (REQ-49), else the person the request is about."""
    return request.guardian if request.guardian_id else request.person


def request_create(
    *,
    actor: Actor,
    person_id,
    kind: str,
    channel: str = "desk",
    details: str = "",
    guardian_id=None,
) -> DataSubjectRequest:
    """Register a request; with ``guardian_id``, one a guardian makes on behalf of the
    child ``person_id`` — only as far as the child's age and own say allow (REQ-49)."""
    require(actor, "person.write")
    errors: dict[str, list] = {}
    person = None
    if str(person_id or "").isdigit():
        person = Person.objects.filter(clinic=actor.clinic, pk=int(person_id)).first()
    if person is None:
        errors["person"] = [_("Choose a person registered at this clinic.")]
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose the kind of request.")]
    guardian, view = None, None
    if guardian_id not in (None, "") and person is not None:
        if str(guardian_id).isdigit():
            guardian = Person.objects.filter(clinic=actor.clinic, pk=int(guardian_id)).first()
        if guardian is None:
            errors["guardian"] = [_("Choose a person registered at this clinic.")]
        else:
            view = guardian_may_see(
                person, guardian, timezone.localdate(timezone=actor.clinic.zone)
            )
            if not view.allowed:
                errors["guardian"] = [
                    _("This guardian may not see the child's data: %(why)s") % {"why": view.reason}
                ]
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
            due_date=answer_due(actor.clinic, received.astimezone(actor.clinic.zone).date()),
            details=str(details or "")[:5000],
            created_by_user_id=actor.user_id,
            verified_at=received,  # staff check who is asking at intake
            guardian=guardian,
            guardian_scope=view.scope if view else "",
        )
        log_access(
            actor,
            Access(Action.CREATE, "privacy_request", request.pk, person_id=person.pk, detail=kind),
        )
    return request


def _get(actor: Actor, request_id: int) -> DataSubjectRequest:
    request = (
        DataSubjectRequest.objects.select_related("person", "clinic")
        .filter(clinic=actor.clinic, pk=request_id)
        .first()
    )
    if request is None:
        raise Http404
    return request


def _log_update(actor: Actor, request: DataSubjectRequest, detail: str) -> None:
    log_access(
        actor,
        Access(
            Action.UPDATE, "privacy_request", request.pk, person_id=request.person_id, detail=detail
        ),
    )


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
        .select_related("person", "guardian")
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
        _tell_requester(
            request,
            subject=_EXTENDED,
            template="privacy/email/extended.txt",
            outcome=EXTENDED,
        )
        _log_update(actor, request, "extended")
    return request


def _tell_requester(
    request: DataSubjectRequest, *, subject, template: str, outcome: str = ANSWERED
) -> None:
    """A message to the requester about their request, by e-mail (or SMS when that is
    how they asked or all we have), in the clinic's language, through the outbox."""
    clinic, person = request.clinic, requester(request)
    channel = "email" if person.email and request.delivery != "sms" else "sms"
    to = person.email if channel == "email" else person.phone
    if not to:
        return
    with translation.override(clinic.language):
        message_enqueue(
            clinic=clinic,
            channel=channel,
            to=to,
            subject=f"{subject} – {clinic.name}",
            body=render_to_string(
                template,
                {
                    "clinic": clinic,
                    "request": request,
                    # REQ-24, REQ-45: the authority and the court in every message about it.
                    "rights": rights_paragraph(clinic, kind=request.kind, outcome=outcome),
                },
            ),
            kind="notice",
            person=person,
            related=("privacy_request", request.pk),
        )


def request_complete(*, actor: Actor, request_id: int) -> DataSubjectRequest:
    require(actor, "privacy.manage")
    with transaction.atomic():
        request = _get(actor, request_id)
        request.status = RequestStatus.COMPLETED
        request.completed_at = timezone.now()
        request.save(update_fields=["status", "completed_at"])
        _log_update(actor, request, "completed")
    return request


# --- What the person gets ---------------------------------------------------------------


def export_data(actor: Actor, request: DataSubjectRequest, *, purpose: str) -> dict:
    """The complete copy of the person's data, machine-readable (Art. 15(3)), with what
    the right to data portability covers marked (Art. 20): every app's sections, in the
    clinic's language, times in its zone. Logged as an export."""
    clinic = request.clinic
    log_access(
        actor,
        Access(
            Action.EXPORT, "person", request.person_id, person_id=request.person_id, purpose=purpose
        ),
    )
    with translation.override(clinic.language), timezone.override(clinic.zone):
        subject = report.subject_of(actor, request, purpose=purpose)
        return report.export_dict(subject=subject, sections=_sections(request, subject))


# What a guardian of a child aged 16 to 18 in Norway gets: what parental responsibility
# needs (REQ-49) — who the child is, their bookings, consents, requests, restrictions.
PARENTAL_SECTIONS = ("person", "bookings", "consents", "requests", "restrictions")


def _sections(request: DataSubjectRequest, subject) -> list:
    sections = report.collect(subject)
    if request.guardian_scope == PARENTAL:
        sections = [s for s in sections if s.key in PARENTAL_SECTIONS]
    return sections


def export_json(*, actor: Actor, request_id: int) -> str:
    """The export (Art. 15(3), Art. 20): structured, machine-readable; logged as an export."""
    require(actor, "privacy.manage")
    request = _get(actor, request_id)
    _require_verified(request)
    data = export_data(actor, request, purpose="portability request")
    return json.dumps(data, ensure_ascii=False, indent=2)


def _authority(clinic) -> str:
    return authority_line(clinic)


def report_pdf(actor: Actor, request: DataSubjectRequest, *, purpose: str) -> bytes:
    """The access report: the Art. 15(1)(a)-(h) information from the record of processing,
    then every app's sections about the person and their animals, the attached files
    embedded. Logged as an export (and each journal read in it once more, by the journal)."""

    person = request.person
    clinic = request.clinic
    log_access(
        actor,
        Access(Action.EXPORT, "person", person.pk, person_id=person.pk, purpose=purpose),
    )
    with translation.override(clinic.language), timezone.override(clinic.zone):
        subject = report.subject_of(actor, request, purpose=purpose)
        sections = _sections(request, subject)
        return report.render_pdf(
            subject=subject,
            sections=sections,
            context={
                "request": request,
                "received_at": report.shown(request.received_at, clinic.zone),
                "authority": _authority(clinic),
                "rights": rights_paragraph(clinic, kind=request.kind),
                "record": build_notice(clinic)[clinic.language],
            },
        )


def access_report_pdf(*, actor: Actor, request_id: int) -> bytes:
    """The access report (Art. 15(1)(a)-(h)) with a copy of the data, as a PDF."""
    require(actor, "privacy.manage")
    request = _get(actor, request_id)
    _require_verified(request)
    return report_pdf(actor, request, purpose="access request")


def export_csv(*, actor: Actor, request_id: int) -> str:
    """The export as CSV: one row per value (section, item, field, value)."""
    return as_csv(json.loads(export_json(actor=actor, request_id=request_id)))


def as_csv(data: dict) -> str:
    return report.as_csv(data)


# --- Answering the requester --------------------------------------------------------------

# Only a link: health data is never attached to an e-mail or put in an SMS (REQ-50).
DELIVERIES = ("link",)
_ANSWER_SUBJECT = _("The answer to your privacy request")
_NEEDS_TEXT = _("Write the answer the requester will read.")
_NO_ATTACHMENT = _(
    "Health data is never sent as an e-mail attachment: the requester gets a link that "
    "opens with a one-time code sent to their other contact on record (or collects the "
    "copy at the desk)."
)


def request_answer(
    *,
    actor: Actor,
    request_id: int,
    delivery: str = "link",
    answer: str = "",
    refused: bool = False,
) -> DataSubjectRequest:
    """Answer a request and tell the requester (Art. 12(1), 15(3)).

    The requester gets a message with a link to a page that shows the answer and, for
    access and portability, the report or the export — opened only with a one-time code
    sent to the other contact on record (``answer_links``, REQ-50). The link goes to the
    e-mail address on record, or by SMS when the request came by SMS or there is no
    address; it works ``LINK_MAX_DAYS`` and at most ``DAYS_AFTER_FIRST_DOWNLOAD`` after the
    first download. Answering again (after a locked or expired link) sends a new link.
    Nothing is released before the requester confirmed the request. A refusal
    (``refused``) needs its reasons in ``answer`` (Art. 12(4)); every answer ends with
    the requester's rights (``rights``).
    """
    require(actor, "privacy.manage")
    errors: dict[str, list] = {}
    if delivery == "email":
        errors["delivery"] = [_NO_ATTACHMENT]
    elif delivery not in DELIVERIES:
        errors["delivery"] = [_("Choose how the answer is delivered.")]
    answer = str(answer or "").strip()[:20000]
    with transaction.atomic():
        request = (
            DataSubjectRequest.objects.select_for_update(of=("self",))
            .select_related("person", "clinic")
            .filter(clinic=actor.clinic, pk=request_id)
            .first()
        )
        if request is None:
            raise Http404
        _require_verified(request)
        if (
            not answer
            and not request.answer
            and (refused or request.kind not in (RequestKind.ACCESS, RequestKind.PORTABILITY))
        ):
            errors["answer"] = [_NEEDS_TEXT]
        if errors:
            raise ValidationFailed(errors)
        person = requester(request)  # the guardian, for a request on a child's behalf
        by_sms = not person.email or request.delivery == "sms"
        if by_sms and not person.phone:
            raise Conflict(
                _(
                    "There is no e-mail address or mobile number on record; hand the answer "
                    "over at the desk."
                )
            )
        clinic = actor.clinic
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        outcome = REFUSED if refused else ANSWERED
        with translation.override(clinic.language):  # the answer's language, as the message
            request.answer = _with_rights(
                answer or request.answer, clinic, kind=request.kind, outcome=outcome
            )
        request.delivery = "sms" if by_sms else "link"
        request.download_token_hash = sha256_hex(token)
        request.download_expires_at = now + timedelta(days=answer_links.LINK_MAX_DAYS)
        request.downloaded_at = None
        # A new link starts afresh: no code, no opened browser, no lock.
        request.answer_code_hash = ""
        request.answer_code_expires_at = None
        request.answer_codes_sent = 0
        request.answer_code_failures = 0
        request.answer_locked_at = None
        request.answer_opened_hash = ""
        request.answer_opened_until = None
        request.status = RequestStatus.REFUSED if refused else RequestStatus.COMPLETED
        request.completed_at = request.completed_at or now
        request.save(
            update_fields=[
                "answer",
                "delivery",
                "download_token_hash",
                "download_expires_at",
                "downloaded_at",
                "answer_code_hash",
                "answer_code_expires_at",
                "answer_codes_sent",
                "answer_code_failures",
                "answer_locked_at",
                "answer_opened_hash",
                "answer_opened_until",
                "status",
                "completed_at",
            ]
        )
        gated = request.kind in answer_links.RELEASES_DATA
        link = f"{base_url()}/{clinic.slug}/privacy/answer/{token}/"
        with translation.override(clinic.language), timezone.override(clinic.zone):
            message_enqueue(
                clinic=clinic,
                channel="sms" if by_sms else "email",
                to=person.phone if by_sms else person.email,
                subject=f"{_ANSWER_SUBJECT} – {clinic.name}",
                body=render_to_string(
                    "privacy/email/answer.txt",
                    {
                        "clinic": clinic,
                        "request": request,
                        "link": link,
                        "gated": gated,
                        "code_channel": answer_links.code_channel(request) if gated else None,
                        "days": answer_links.LINK_MAX_DAYS,
                        "days_after": answer_links.DAYS_AFTER_FIRST_DOWNLOAD,
                        "rights": rights_paragraph(clinic, kind=request.kind, outcome=outcome),
                        # The client's account opens the answer with an eID (issue 15).
                        "account_url": f"{base_url()}/{clinic.slug}/account/"
                        if settings.PRAKSIS_OIDC_ISSUER
                        else "",
                    },
                ),
                kind="notice",
                person=person,
                related=("privacy_request", request.pk),
            )
        _log_update(
            actor,
            request,
            f"{'refused' if refused else 'answered'}; link by {'sms' if by_sms else 'email'}",
        )
    return request


def requests_due_soon(
    *, actor: Actor, today: date, days: int = NEAR_DUE_DAYS, limit: int = 50
) -> list[DataSubjectRequest]:
    """Open requests due within ``days`` of ``today`` (or overdue), the soonest first; the
    list names people, so reading it is logged."""
    require(actor, "privacy.manage")
    last = today + timedelta(days=days)
    items = list(
        DataSubjectRequest.objects.filter(clinic=actor.clinic, completed_at__isnull=True)
        .filter(Q(extended_to__lte=last) | Q(extended_to__isnull=True, due_date__lte=last))
        .select_related("person")
        .order_by(Coalesce("extended_to", "due_date"), "pk")[:limit]
    )
    log_access(
        actor,
        Access(Action.LIST, "privacy_request", "", purpose="today", detail=f"results={len(items)}"),
    )
    return items
