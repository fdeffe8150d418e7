"""Requests made on the public privacy page: to whom they belong (issue 14).

A request names one person, never "the first person with this e-mail address". The
requester types the e-mail address or mobile number they gave the clinic:

- it is on record for exactly one person: that person's request, released only after the
  one-time link sent to the contact on record is opened (as before);
- several people of the clinic share it (a family with one address): an
  :class:`UnmatchedRequest` (reason "several") and the same kind of one-time link to the
  contact; the page behind it asks for the requester's birth date (and, where the clinic
  keeps identity numbers and a birth date is shared, the number) and only a single match
  becomes that person's request. Wrong answers are limited; when the people cannot be told
  apart the requester is referred to the desk;
- it matches no one: an :class:`UnmatchedRequest` (reason "unknown"); an e-mail address
  is told, in the requester's language, how to go on (the desk, with identification).

The public page answers the same in every case, and nothing said to the requester says
whether, or how many, people match. Nothing of anyone is released from an unmatched
request. The owner sees the unmatched requests on the privacy-requests page, links one to
a person after identification at the desk (it becomes their request, its clock running
from the day it came) or closes it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import IdentityPolicy
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.links import base_url
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.people.validation import parse_birth_date, parse_contact
from praksis.people.vault import lookup_digests
from praksis.privacy import requests as dsr
from praksis.privacy.models import (
    CODE_ATTEMPTS,
    DataSubjectRequest,
    RequestKind,
    UnmatchedReason,
    UnmatchedRequest,
)

LANGS = ("sv", "nb", "en")
# How long the link to a shared contact may be used to say who the request is for.
CHOOSE_LINK_DAYS = 14
_CONFIRM = gettext_lazy("Confirm your privacy request")
_UNMATCHED = gettext_lazy("Your privacy request")
MAX_MATCHES = 50


def _due(clinic, received):
    """The request's due date, as for any request received then (REQ-24)."""
    return dsr.answer_due(clinic, received.astimezone(clinic.zone).date())


def _sharing(clinic, *, email: str, phone: str):
    people = Person.objects.filter(clinic=clinic)
    return people.filter(email__iexact=email) if email else people.filter(phone=phone)


def request_public_create(
    *, clinic, contact: str, kind: str, details: str = "", language: str = "sv"
) -> DataSubjectRequest | UnmatchedRequest:
    """A request made on the public privacy page (see the module's docstring).

    Returns the person's request, or the unmatched request. The caller shows the same page
    whatever it is.
    """
    errors: dict[str, list] = {}
    email = phone = ""
    try:
        email, phone = parse_contact(clinic, contact)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose the kind of request.")]
    if errors:
        raise ValidationFailed(errors)
    language = language if language in LANGS else clinic.language
    details = str(details or "")[:5000]
    matches = list(_sharing(clinic, email=email, phone=phone).order_by("pk")[:MAX_MATCHES])
    received = timezone.now()
    actor = system_actor(clinic, channel="public")
    with transaction.atomic():
        if len(matches) == 1:
            return _for_one(clinic, matches[0], kind, details, language, received, email)
        unmatched = UnmatchedRequest.objects.create(
            clinic=clinic,
            kind=kind,
            reason=UnmatchedReason.SEVERAL if matches else UnmatchedReason.UNKNOWN,
            contact_channel="email" if email else "sms",
            contact=email or phone,
            details=details,
            language=language,
            received_at=received,
            due_date=_due(clinic, received),
        )
        log_access(
            actor,
            Access(
                Action.CREATE,
                "unmatched_request",
                unmatched.pk,
                detail=f"{kind}; online; {unmatched.reason}",
            ),
        )
        if matches:
            # The same message as for one person: the link asks who the request is for.
            token = secrets.token_urlsafe(32)
            unmatched.verify_token_hash = sha256_hex(token)
            unmatched.save(update_fields=["verify_token_hash"])
            _send_confirm(clinic, unmatched, token, language, to=email or phone, person=None)
        elif email:
            _send_how_to_go_on(clinic, unmatched, language)
    return unmatched


def _for_one(clinic, person, kind, details, language, received, email) -> DataSubjectRequest:
    token = secrets.token_urlsafe(32)
    request = DataSubjectRequest.objects.create(
        clinic=clinic,
        person=person,
        kind=kind,
        channel="online",
        received_at=received,
        due_date=_due(clinic, received),
        details=details,
        verify_token_hash=sha256_hex(token),
        delivery="link" if email else "sms",
    )
    log_access(
        system_actor(clinic, channel="public"),
        Access(
            Action.CREATE, "privacy_request", request.pk, person_id=person.pk,
            detail=f"{kind}; online",
        ),
    )  # fmt: skip
    to = person.email if email else person.phone
    _send_confirm(clinic, request, token, language, to=to, person=person)
    return request


def _send_confirm(clinic, request, token: str, language: str, *, to: str, person) -> None:
    link = f"{base_url()}/{clinic.slug}/privacy/verify/{token}/?lang={language}"
    related = "privacy_request" if person is not None else "unmatched_request"
    with translation.override(language):
        message_enqueue(
            clinic=clinic,
            channel="email" if "@" in to else "sms",
            to=to,
            subject=f"{_CONFIRM} – {clinic.name}",
            body=render_to_string(
                "privacy/email/verify.txt", {"clinic": clinic, "link": link, "request": request}
            ),
            kind="other",
            person=person,
            related=(related, request.pk),
        )


def _send_how_to_go_on(clinic, unmatched: UnmatchedRequest, language: str) -> None:
    """An address on record for no one hears how to go on, in the requester's language:
    once a day at most (the form cannot be used to flood an inbox)."""
    day = unmatched.received_at.astimezone(clinic.zone).date().isoformat()
    with translation.override(language):
        message_enqueue(
            clinic=clinic,
            channel="email",
            to=unmatched.contact,
            subject=f"{_UNMATCHED} – {clinic.name}",
            body=render_to_string(
                "privacy/email/unmatched.txt", {"clinic": clinic, "request": unmatched}
            ),
            kind="other",
            dedupe_key=f"privacy-unmatched:{sha256_hex(unmatched.contact.lower())[:40]}:{day}",
            related=("unmatched_request", unmatched.pk),
        )


# --- The link: a verified request, or who among those sharing the contact --------------


def verify_link(*, clinic, token: str) -> DataSubjectRequest | UnmatchedRequest:
    """What a one-time confirmation link opens: the person's request, now confirmed (the
    link then works no more), or the shared contact's request, which asks who it is for."""
    digest = sha256_hex(token or "")
    actor = system_actor(clinic, channel="public")
    with transaction.atomic():
        request = (
            DataSubjectRequest.objects.select_for_update()
            .filter(clinic=clinic, verify_token_hash=digest)
            .exclude(verify_token_hash="")
            .first()
        )
        if request is not None:
            request.verified_at = timezone.now()
            request.verify_token_hash = ""  # one time only
            request.save(update_fields=["verified_at", "verify_token_hash"])
            log_access(
                actor,
                Access(
                    Action.UPDATE, "privacy_request", request.pk, person_id=request.person_id,
                    detail="verified",
                ),
            )  # fmt: skip
            return request
        unmatched = _choosing(clinic, digest)
        log_access(
            actor,
            Access(Action.READ, "unmatched_request", unmatched.pk, detail="link opened"),
        )
    return unmatched


def _choosing(clinic, digest: str, *, lock: bool = False) -> UnmatchedRequest:
    rows = UnmatchedRequest.objects.select_for_update() if lock else UnmatchedRequest.objects
    unmatched = (
        rows.filter(clinic=clinic, verify_token_hash=digest, closed_at__isnull=True)
        .exclude(verify_token_hash="")
        .first()
    )
    if unmatched is None:
        raise Http404
    if unmatched.received_at + timedelta(days=CHOOSE_LINK_DAYS) <= timezone.now():
        raise Http404
    return unmatched


def uses_identity_numbers(clinic) -> bool:
    return clinic.identity_policy != IdentityPolicy.BIRTH_DATE_ONLY


def _desk() -> str:
    return _(
        "We cannot tell from this who you are, so nothing is released online. Ask at the "
        "desk and show identification, or write to us with a copy of your identification."
    )


def verify_choose(
    *, clinic, token: str, birth_date: str, identity_number: str = ""
) -> DataSubjectRequest:
    """The requester of a shared contact says who they are: exactly one person with the
    contact and this birth date (and identity number, when given) makes it that person's
    request, confirmed. ``CODE_ATTEMPTS`` answers that match no one, or people who cannot
    be told apart, end the link (Conflict: go to the desk); what was typed is kept."""
    _choosing(clinic, sha256_hex(token or ""))  # an unknown link is 404 whatever was typed
    errors: dict[str, list] = {}
    born = None
    try:
        born = parse_birth_date(str(birth_date or "")[:40], clinic.country)
    except ValueError:
        born = None
    if born is None:
        errors["birth_date"] = [_("Enter a valid date (YYYY-MM-DD).")]
    number = str(identity_number or "").strip()[:40]
    digests = []
    if number and uses_identity_numbers(clinic):
        digests = lookup_digests(clinic, number)
        if not digests:
            errors["identity_number"] = [_("Enter a valid identity number, or leave it empty.")]
    if errors:
        raise ValidationFailed(errors)
    failure: Exception | None = None
    made = None
    actor = system_actor(clinic, channel="public")
    with transaction.atomic():
        unmatched = _choosing(clinic, sha256_hex(token or ""), lock=True)
        email = unmatched.contact if unmatched.contact_channel == "email" else ""
        phone = "" if email else unmatched.contact
        people = _sharing(clinic, email=email, phone=phone).filter(birth_date=born)
        if digests:
            people = people.filter(identity_hash__in=digests)
        found = list(people.order_by("pk")[:3])
        if len(found) == 1:
            made = _make_request(
                unmatched, found[0], actor=actor, verified=True, how="told apart online"
            )
        elif len(found) > 1 and not digests and uses_identity_numbers(clinic):
            failure = ValidationFailed(
                {"identity_number": [_("Give your identity number too, to tell you apart.")]}
            )
        elif len(found) > 1:
            unmatched.verify_token_hash = ""  # cannot be told apart online: the desk
            unmatched.save(update_fields=["verify_token_hash"])
            log_access(
                actor,
                Access(Action.UPDATE, "unmatched_request", unmatched.pk, detail="to the desk"),
            )
            failure = Conflict(_desk(), code="desk")
        else:
            unmatched.verify_failures += 1
            fields = ["verify_failures"]
            left = CODE_ATTEMPTS - unmatched.verify_failures
            if left <= 0:
                unmatched.verify_token_hash = ""
                fields.append("verify_token_hash")
            unmatched.save(update_fields=fields)
            log_access(
                actor,
                Access(
                    Action.UPDATE, "unmatched_request", unmatched.pk,
                    detail="no match; link ended" if left <= 0 else f"no match; {left} left",
                ),
            )  # fmt: skip
            if left <= 0:
                failure = Conflict(_desk(), code="desk")
            else:
                failure = ValidationFailed(
                    {"birth_date": [_("That does not match what we have. Check it and try again.")]}
                )
    if failure is not None:
        raise failure
    return made


def _make_request(
    unmatched: UnmatchedRequest, person: Person, *, actor: Actor, verified: bool, how: str
) -> DataSubjectRequest:
    """The unmatched request becomes the person's, with the clock of the day it came; the
    unmatched row (and the contact typed) goes."""
    now = timezone.now()
    request = DataSubjectRequest.objects.create(
        clinic=unmatched.clinic,
        person=person,
        kind=unmatched.kind,
        channel="online",
        received_at=unmatched.received_at,
        due_date=unmatched.due_date,
        details=unmatched.details,
        created_by_user_id=actor.user_id,
        verified_at=now if verified else None,
        delivery="sms" if unmatched.contact_channel == "sms" else "link",
    )
    log_access(
        actor,
        Access(
            Action.CREATE, "privacy_request", request.pk, person_id=person.pk,
            detail=f"{unmatched.kind}; online; {how}",
        ),
    )  # fmt: skip
    log_access(
        actor,
        Access(
            Action.DELETE, "unmatched_request", unmatched.pk, person_id=person.pk,
            detail=f"became request {request.pk}",
        ),
    )  # fmt: skip
    unmatched.delete()
    return request


# --- For the owner ------------------------------------------------------------------------


def unmatched_list(*, actor: Actor) -> list[UnmatchedRequest]:
    """The open unmatched requests, the soonest due first."""
    require(actor, "privacy.manage")
    items = list(
        UnmatchedRequest.objects.filter(clinic=actor.clinic, closed_at__isnull=True).order_by(
            "due_date", "pk"
        )[:200]
    )
    log_access(actor, Access(Action.LIST, "unmatched_request", "", detail=f"results={len(items)}"))
    return items


def _get(actor: Actor, unmatched_id: int, *, lock: bool = False) -> UnmatchedRequest:
    rows = UnmatchedRequest.objects.select_for_update() if lock else UnmatchedRequest.objects
    found = rows.filter(clinic=actor.clinic, pk=unmatched_id).first()
    if found is None:
        raise Http404
    return found


def unmatched_get(*, actor: Actor, unmatched_id: int) -> UnmatchedRequest:
    require(actor, "privacy.manage")
    found = _get(actor, unmatched_id)
    log_access(actor, Access(Action.READ, "unmatched_request", found.pk))
    return found


def unmatched_link(*, actor: Actor, unmatched_id: int, person_id) -> DataSubjectRequest:
    """After identification at the desk: the request becomes the person's (confirmed)."""
    require(actor, "privacy.manage")
    with transaction.atomic():
        unmatched = _get(actor, unmatched_id, lock=True)
        if unmatched.closed_at is not None:
            raise Conflict(_("This request is closed."), code="closed")
        person = None
        if str(person_id or "").isdigit() and len(str(person_id)) <= 18:
            person = Person.objects.filter(clinic=actor.clinic, pk=int(person_id)).first()
        if person is None:
            raise ValidationFailed({"person": [_("Choose a person registered at this clinic.")]})
        return _make_request(
            unmatched, person, actor=actor, verified=True, how="identified at the desk"
        )


def unmatched_close(*, actor: Actor, unmatched_id: int, note: str) -> UnmatchedRequest:
    """Close a request no one could be found for, saying what the requester was told."""
    require(actor, "privacy.manage")
    note = str(note or "").strip()[:2000]
    if not note:
        raise ValidationFailed({"note": [_("Say how the request was closed.")]})
    with transaction.atomic():
        unmatched = _get(actor, unmatched_id, lock=True)
        if unmatched.closed_at is not None:
            raise Conflict(_("This request is closed."), code="closed")
        unmatched.closed_at = timezone.now()
        unmatched.closed_by_user_id = actor.user_id
        unmatched.close_note = note
        unmatched.verify_token_hash = ""
        unmatched.save(
            update_fields=["closed_at", "closed_by_user_id", "close_note", "verify_token_hash"]
        )
        log_access(actor, Access(Action.UPDATE, "unmatched_request", unmatched.pk, detail="closed"))
    return unmatched
