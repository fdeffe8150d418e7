"""The explicit consent to health data of a clinic outside health-record law (GDPR art.
9(2)(a); LAW.md REQ-29, REQ-33).

A therapy or massage clinic (regime GDPR-only) keeps allergies and injuries on a client
card and writes treatment notes; its notice claims the client's explicit consent for it
(seed 001; the record of processing's special basis "a"). So before the first client
card or note the consent is asked and stored with its proof — the exact text shown and
its version, when, who recorded it, through which channel (:func:`consent_give` with the
purpose ``health_data``); without it, and after it is withdrawn, no new note and no edit
of the card is accepted (:func:`require_health_consent`, a clear error). A withdrawal
starts the retention clock of the ``health_notes`` record type (``retention.py``): the
card and the notes are deleted after that period by the journal's sweep rule, unless a
legal hold keeps them. Under health-record law (SE-human, NO-human, the vets) the journal
rests on that law (art. 9(2)(h)), not on consent, and nothing here applies.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from praksis.clinics.models import Regime
from praksis.core.errors import ValidationFailed
from praksis.privacy.models import Consent, Purpose

HEALTH_TEXT_VERSION = "health-1"
HEALTH_TEXT = _(
    "Yes, the clinic may write down my allergies and injuries on my client card, and the "
    "date and anything notable of each treatment in treatment notes, so that I am treated "
    "safely. This is health data, recorded only with my explicit consent (GDPR art. "
    "9(2)(a)). I can withdraw it at any time: then no new notes are written and my card "
    "and notes are deleted."
)


def needs_health_consent(clinic) -> bool:
    """Whether the clinic's client card and notes rest on the client's explicit consent."""
    return clinic.regime == Regime.GDPR_ONLY


def health_consent(clinic, person) -> Consent | None:
    """The person's explicit consent to health data in force (None: none, or withdrawn)."""
    return (
        Consent.objects.filter(
            clinic=clinic, person=person, purpose=Purpose.HEALTH_DATA, withdrawn_at__isnull=True
        )
        .order_by("-given_at", "-pk")
        .first()
    )


def require_health_consent(clinic, person, *, field: str = "consent") -> None:
    """Refuse a new client card, a card edit or a new treatment note without the
    person's explicit consent in force (a clinic outside health-record law only): bad
    input of ``field``, so every surface shows the reason (422 in the API)."""
    if not needs_health_consent(clinic) or health_consent(clinic, person) is not None:
        return
    withdrawn = Consent.objects.filter(
        clinic=clinic, person=person, purpose=Purpose.HEALTH_DATA
    ).exists()
    if withdrawn:
        message = _(
            "The client has withdrawn their consent to health data: no new notes or changes "
            "to the client card. What was written is deleted when its period has passed."
        )
    else:
        message = _(
            "Ask for the client's explicit consent to health data first (GDPR art. 9(2)(a)) "
            "and record it under Consents; then the client card and treatment notes open."
        )
    raise ValidationFailed({field: [message]})
