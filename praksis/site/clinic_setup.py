"""What a new clinic is given, in this order: its booking policy, version 1 of its privacy
notice, and its profile's record of processing (which writes the text of that notice
version). ``clinic_create`` runs these steps inside the clinic's transaction."""

from __future__ import annotations

from praksis.booking.availability import policy_for
from praksis.clinics.models import Clinic
from praksis.clinics.services import register_setup_step
from praksis.privacy.services import notice_current
from praksis.processing.services import record_setup


def privacy_notice_first(clinic: Clinic) -> None:
    """Version 1 of the clinic's privacy notice."""
    notice_current(clinic=clinic)


NEW_CLINIC_STEPS = (policy_for, privacy_notice_first, record_setup)


def connect() -> None:
    for step in NEW_CLINIC_STEPS:
        register_setup_step(step)
