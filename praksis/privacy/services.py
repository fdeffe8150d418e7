"""Notice versions and consent records."""

from __future__ import annotations

from django.db import transaction

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic
from praksis.privacy.models import Consent, PrivacyNotice


def notice_current(*, clinic: Clinic) -> PrivacyNotice:
    """The clinic's current notice version (version 1 is published with the clinic)."""
    notice = PrivacyNotice.objects.filter(clinic=clinic).order_by("-version").first()
    if notice is None:
        notice, _created = PrivacyNotice.objects.get_or_create(
            clinic=clinic, version=1, defaults={"summary": "First version."}
        )
    return notice


def consent_record(
    *,
    actor: Actor,
    person,
    purpose: str,
    channel: str,
    text_version: str,
    text_shown: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Consent:
    """Record a consent with its proof, in the caller's transaction (REQ-29)."""
    with transaction.atomic():
        consent = Consent.objects.create(
            clinic=actor.clinic,
            person=person,
            purpose=purpose,
            channel=channel,
            text_version=text_version,
            text_shown=text_shown,
            ip_address=ip_address,
            user_agent=user_agent[:300],
            recorded_by_user_id=actor.user_id,
        )
        log_access(
            actor,
            Access(Action.CREATE, "consent", consent.pk, person_id=person.pk, detail=purpose),
        )
    return consent
