"""What a new clinic is given, in this order: its access log's (empty, sealed) chain heads,
its booking policy, version 1 of its privacy
notice, and its profile's record of processing (which writes the text of that notice
version). ``clinic_create`` runs these steps inside the clinic's transaction.

And how an invitation to a clinic's staff goes out: an e-mail through the outbox."""

from __future__ import annotations

from praksis.audit.services import heads_create
from praksis.booking.availability import policy_for
from praksis.clinics.models import Clinic
from praksis.clinics.services import register_setup_step
from praksis.clinics.setup import register_mailer
from praksis.messaging.models import Channel, Kind
from praksis.messaging.services import message_enqueue
from praksis.privacy.services import notice_current
from praksis.processing.services import record_setup


def access_log_heads(clinic: Clinic) -> None:
    """The lane heads of the clinic's access log, before any row is written."""
    heads_create(clinic.pk)


def privacy_notice_first(clinic: Clinic) -> None:
    """Version 1 of the clinic's privacy notice."""
    notice_current(clinic=clinic)


NEW_CLINIC_STEPS = (access_log_heads, policy_for, privacy_notice_first, record_setup)


def invitation_mail(*, clinic: Clinic, to: str, subject: str, body: str, related) -> None:
    """A staff invitation (or new role), as an e-mail in the clinic's outbox."""
    message_enqueue(
        clinic=clinic,
        channel=Channel.EMAIL,
        to=to,
        subject=subject,
        body=body,
        kind=Kind.OTHER,
        related=related,
    )


def connect() -> None:
    for step in NEW_CLINIC_STEPS:
        register_setup_step(step)
    register_mailer(invitation_mail)
