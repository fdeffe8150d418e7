"""Marketing messages (REQ-29, REQ-33): sent only to people who opted in on that channel,
never to restricted people, never chosen from health data — and every message carries a
link that withdraws the opt-in with one click.

The opt-out link names the consent and a MAC over it (never stored), so it works without
a login and cannot be guessed for someone else's consent.
"""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.core.crypto import mac
from praksis.core.errors import ValidationFailed
from praksis.core.links import base_url
from praksis.messaging.services import message_enqueue
from praksis.privacy.models import Consent, Purpose, RestrictionScope
from praksis.privacy.restriction import unrestricted

CONSENT_FOR = {"email": Purpose.MARKETING_EMAIL, "sms": Purpose.MARKETING_SMS}
_STOP = _("Do not want these messages? Stop them with one click:")


def optout_token(consent: Consent) -> str:
    return f"{consent.pk}-{mac('marketing-optout', f'{consent.clinic_id}:{consent.pk}')[:32]}"


def optout_url(consent: Consent, clinic) -> str:
    return f"{base_url()}/{clinic.slug}/optout/{optout_token(consent)}/"


def consent_for_token(*, clinic, token: str) -> Consent | None:
    """The marketing consent an opt-out link names, if the link is genuine."""
    consent_id, _sep, _mac = str(token or "").partition("-")
    if not consent_id.isdigit():
        return None
    consent = (
        Consent.objects.filter(clinic=clinic, pk=int(consent_id), purpose__in=CONSENT_FOR.values())
        .select_related("person")
        .first()
    )
    if consent is None or not hmac.compare_digest(optout_token(consent), token):
        return None
    return consent


def campaign_send(*, actor: Actor, channel: str, subject: str, body: str) -> int:
    """Queue one marketing message per person with an active opt-in on ``channel``.

    Returns how many were queued. Restricted people are left out (Art. 18); the choice of
    recipients uses consents only — no journal or other health data (REQ-33).
    """
    require(actor, "privacy.manage")
    errors: dict[str, list] = {}
    subject, body = str(subject or "").strip(), str(body or "").strip()
    if channel not in CONSENT_FOR:
        errors["channel"] = [_("Choose e-mail or SMS.")]
    if channel == "email" and not subject:
        errors["subject"] = [_("Give the e-mail a subject.")]
    if not body:
        errors["body"] = [_("Write the message.")]
    if errors:
        raise ValidationFailed(errors)
    clinic = actor.clinic
    campaign = secrets.token_hex(8)
    consents = (
        Consent.objects.filter(
            clinic=clinic,
            purpose=CONSENT_FOR[channel],
            withdrawn_at__isnull=True,
        )
        .filter(unrestricted(RestrictionScope.MARKETING))  # Art. 18: whole or marketing
        .select_related("person")
        .order_by("person_id", "-given_at")
    )
    queued: list[Consent] = []
    seen: set[int] = set()
    with transaction.atomic(), translation.override(clinic.language):
        for consent in consents.iterator(chunk_size=500):
            person = consent.person
            address = person.email if channel == "email" else person.phone
            if consent.person_id in seen or not address:
                continue
            seen.add(consent.person_id)
            message_enqueue(
                clinic=clinic,
                channel=channel,
                to=address,
                subject=subject,
                body=f"{body}\n\n{_STOP}\n{optout_url(consent, clinic)}",
                kind="marketing",
                person=person,
                consent_id=consent.pk,
                dedupe_key=f"campaign:{campaign}:{person.pk}",
            )
            queued.append(consent)
        log_accesses(
            actor,
            [
                Access(
                    Action.CREATE,
                    "outbox_message",
                    "",
                    person_id=c.person_id,
                    purpose="marketing",
                    detail=f"campaign {campaign}; {channel}",
                )
                for c in queued
            ],
        )
    return len(queued)
