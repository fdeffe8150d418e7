"""Why a journal is opened (LAW.md REQ-19, REQ-20): the care relation, and the reason
asked for outside it ("break the glass").

A member of staff is in a **care relation** with a person or an animal of the clinic when

- they have a booking with the subject, as its practitioner, from ``CARE_DAYS`` days ago
  to ``CARE_DAYS`` days ahead (cancelled bookings do not count) — learnt from the booking
  app through a source the composition layer registers (``praksis.site.wiring``); or
- they wrote in the subject's journal in the last ``CARE_DAYS`` days (a draft counts).

Opening a journal inside a care relation is logged with the purpose "care" and the
relation ("relation=booking" / "relation=entry"). Outside one, a Norwegian patient
journal (NO-human: pasientjournalloven § 22, pasientjournalforskriften § 14) opens only
after the user gives a reason from a fixed list (``praksis.audit.labels.ACCESS_REASONS``)
and says in their own words why; that reason is the purpose of every read of that journal
for the next ``GRANT_SECONDS``. In the other regimes the journal opens and the read is
logged as "outside care" — the purpose is never silently "care".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.labels import ACCESS_REASONS, OUTSIDE_CARE
from praksis.clinics.access import Actor
from praksis.clinics.models import Regime
from praksis.core.errors import ValidationFailed
from praksis.journal.models import JournalEntry
from praksis.people.models import Person

CARE_DAYS = 30
GRANT_SECONDS = 3600
REASON_TEXT_MAX = 150
SESSION_KEY = "praksis_journal_reasons"

# ``booked(clinic, user_id, person_id=..., animal_id=..., since=..., until=...)``: whether
# the user has a (not cancelled) booking with the subject between the two moments.
BookingSource = Callable[..., bool]
_booking_sources: list[BookingSource] = []


def register_booking_source(source: BookingSource) -> None:
    if source not in _booking_sources:
        _booking_sources.append(source)


def _ids(subject) -> dict:
    if isinstance(subject, Person):
        return {"person_id": subject.pk, "animal_id": None}
    return {"person_id": None, "animal_id": subject.pk}


def care_relation(actor: Actor, subject, *, now: datetime | None = None) -> str:
    """ "booking", "entry" or "" (no care relation) — see the module's docstring."""
    if actor.user is None:  # the application itself (exports, the sweep) is not care
        return ""
    now = now or timezone.now()
    since, until = now - timedelta(days=CARE_DAYS), now + timedelta(days=CARE_DAYS)
    ids = _ids(subject)
    for booked in _booking_sources:
        if booked(actor.clinic, actor.user_id, since=since, until=until, **ids):
            return "booking"
    lookup = (
        {"person_id": ids["person_id"]} if ids["person_id"] else {"animal_id": ids["animal_id"]}
    )
    wrote = JournalEntry.objects.filter(
        clinic=actor.clinic, author_user_id=actor.user_id, created_at__gte=since, **lookup
    )
    return "entry" if wrote.exists() else ""


def reason_required(clinic) -> bool:
    """Outside a care relation, must the user give a reason before the journal opens?"""
    return clinic.regime == Regime.NO_HUMAN


def reason_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in ACCESS_REASONS.items()]


def clean_reason(code, text) -> str:
    """The purpose to log for a reason given outside a care relation (both parts needed)."""
    code = str(code or "").strip()
    text = " ".join(str(text or "").split())
    errors = {}
    if code not in ACCESS_REASONS:
        errors["reason"] = [_("Choose why you open this journal.")]
    if not text:
        errors["reason_text"] = [_("Say in a few words why you need to read this journal.")]
    elif len(text) > REASON_TEXT_MAX:
        errors["reason_text"] = [_("Use at most %(max)d characters.") % {"max": REASON_TEXT_MAX}]
    if errors:
        raise ValidationFailed(errors)
    return f"{OUTSIDE_CARE}: {code} — {text}"


def _key(subject) -> str:
    return f"{'person' if isinstance(subject, Person) else 'animal'}:{subject.pk}"


def grant(session, subject, purpose: str) -> None:
    """Remember the reason given for this journal in the user's session, for a while."""
    grants = {
        k: v
        for k, v in session.get(SESSION_KEY, {}).items()
        if v.get("until", 0) > timezone.now().timestamp()
    }
    grants[_key(subject)] = {
        "purpose": purpose,
        "until": timezone.now().timestamp() + GRANT_SECONDS,
    }
    session[SESSION_KEY] = grants


def granted(session, subject) -> str:
    """The reason given for this journal in this session, while it lasts ("" if none)."""
    found = (session.get(SESSION_KEY) or {}).get(_key(subject))
    if not found or found.get("until", 0) <= timezone.now().timestamp():
        return ""
    return found.get("purpose", "")


class ReasonNeeded(Exception):
    """The journal may open only once the user says why (outside a care relation)."""


def opening_purpose(actor: Actor, subject, *, given: str = "", stated: str = "") -> tuple[str, str]:
    """``(purpose, relation)`` to log a journal read with. ``given``: a reason the user
    gave outside a care relation (already cleaned by :func:`clean_reason`); ``stated``: a
    purpose the caller names within one (an API client's "eye examination", a print).
    Raises :class:`ReasonNeeded` where a reason is needed and missing."""
    relation = care_relation(actor, subject)
    if relation:
        return (stated.strip() or "care")[:200], relation
    if given:
        return given, ""
    if reason_required(actor.clinic):
        raise ReasonNeeded
    return OUTSIDE_CARE, ""
