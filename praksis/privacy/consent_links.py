"""A client's own consents, reached only through a link sent to the contact on record.

Nothing a stranger can type grants power over a record: the public form takes an e-mail
address or mobile number, the page answers the same whatever was typed, and only the
contact details on record receive a link (one per person registered with them, so a
family sharing an address gets one link each). The link is signed, names the clinic and
the person, dies after ``LINK_DAYS`` or as soon as the contact on record changes, and
shows that person's consents with one-click withdrawal and the opt-ins a client may
give themselves (REQ-29).
"""

from __future__ import annotations

import hashlib

from django.core import signing
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import system_actor
from praksis.core.crypto import subkey
from praksis.core.errors import ValidationFailed
from praksis.core.links import base_url
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.people.validation import parse_contact
from praksis.privacy.models import Consent, Purpose
from praksis.privacy.services import DESK_TEXTS, consent_record

LINK_DAYS = 7
SELF_SERVICE = (Purpose.MARKETING_EMAIL, Purpose.MARKETING_SMS, Purpose.RECALL)
SELF_TEXT_VERSION = "self-1"
_SUBJECT = _("Your consents")
_SALT = "praksis.consent-link"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(key=subkey("consent-link").hex(), salt=_SALT)


def _contact_tag(person: Person) -> str:
    """Binds a link to the contact it was sent to: a changed contact ends the link."""
    return hashlib.sha256(f"{person.email.casefold()}|{person.phone}".encode()).hexdigest()[:16]


def consent_link_token(person: Person) -> str:
    return _signer().sign_object({"c": person.clinic_id, "p": person.pk, "k": _contact_tag(person)})


def consent_link_url(person: Person, clinic, language: str) -> str:
    token = consent_link_token(person)
    return f"{base_url()}/{clinic.slug}/consents/{token}/?lang={language}"


def consent_link_send(*, clinic, contact: str, language: str) -> int:
    """Send a consents link to every person registered with this contact; how many.

    The caller shows the same answer whatever this returns (no enumeration).
    """
    email, phone = parse_contact(clinic, contact)
    people = Person.objects.filter(clinic=clinic)
    people = people.filter(email__iexact=email) if email else people.filter(phone=phone)
    actor = system_actor(clinic, channel="public")
    sent = 0
    with transaction.atomic(), translation.override(language):
        for person in people.order_by("pk")[:10]:
            body = render_to_string(
                "privacy/email/consent_link.txt",
                {
                    "clinic": clinic,
                    "person": person,
                    "link": consent_link_url(person, clinic, language),
                    "days": LINK_DAYS,
                },
            )
            message_enqueue(
                clinic=clinic,
                channel="email" if email else "sms",
                to=person.email if email else person.phone,
                subject=f"{_SUBJECT} – {clinic.name}",
                body=body,
                kind="other",
                person=person,
                related=("person", person.pk),
            )
            log_access(
                actor,
                Access(
                    Action.READ,
                    "consent",
                    person_id=person.pk,
                    purpose="consents link",
                    detail="link sent to the contact on record",
                ),
            )
            sent += 1
    return sent


def consent_link_person(*, clinic, token: str) -> Person:
    """The person a genuine, unexpired link names; 404 for anything else."""
    try:
        data = _signer().unsign_object(str(token or ""), max_age=LINK_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    if not isinstance(data, dict) or data.get("c") != clinic.pk:
        raise Http404
    person_id = data.get("p")
    person = None
    if isinstance(person_id, int):
        person = Person.objects.filter(clinic=clinic, pk=person_id).first()
    if person is None or data.get("k") != _contact_tag(person):
        raise Http404
    return person


def consents_for_link(*, clinic, person: Person) -> list[Consent]:
    items = list(
        Consent.objects.filter(clinic=clinic, person=person, withdrawn_at__isnull=True)
        .exclude(purpose__in=(Purpose.PRIVACY_NOTICE, Purpose.COOKIES))
        .order_by("given_at", "pk")
    )
    log_access(
        system_actor(clinic, channel="public"),
        Access(
            Action.LIST,
            "consent",
            person_id=person.pk,
            purpose="consents link",
            detail=f"results={len(items)}",
        ),
    )
    return items


def consent_give_by_person(
    *, clinic, person: Person, purpose: str, ip_address: str | None, user_agent: str
) -> Consent | None:
    """The person opts in from their link; the text they saw is stored as the proof."""
    if purpose not in SELF_SERVICE:
        raise ValidationFailed({"purpose": [_("Choose what the consent is for.")]})
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if Consent.objects.filter(
            clinic=clinic, person=person, purpose=purpose, withdrawn_at__isnull=True
        ).exists():
            return None
        return consent_record(
            actor=system_actor(clinic, channel="public"),
            person=person,
            purpose=purpose,
            channel="online",
            text_version=SELF_TEXT_VERSION,
            text_shown=str(DESK_TEXTS[purpose]),
            ip_address=ip_address,
            user_agent=user_agent,
        )
