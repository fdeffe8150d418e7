"""Two-way SMS (issue 13, part 6): a client answers a reminder, JA confirms the booking
and NEJ (Swedish) or NEI (Norwegian) cancels it.

The SMS provider delivers each reply to ``POST /sms/inbound`` (``sms_views.inbound``),
signed with ``SMS_WEBHOOK_SECRET``::

    X-Praksis-Timestamp: <Unix seconds>
    X-Praksis-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>
    {"id": "<the provider's message id>", "from": "+46701234567", "message": "Ja"}

The timestamp is signed with the body and must be within five minutes of our clock, so
a captured request cannot be replayed later; the same message id delivered twice acts
once (``SmsReply.provider_id`` is unique).

A reply is matched only to the latest reminder SMS sent to that exact number (the
reminder's outbox row names its booking), never by searching people by phone: a number
grants only what was sent to it. Its booking must still be booked and to come. JA sets
``confirmed_at``; NEJ/NEI cancels through the client's normal cancel path (the clinic's
cut-off applies; past it the client is asked by SMS to call); anything else gets a short
SMS explaining the two answers. Each reply is stored with its booking and access-logged;
the SMS we send back go through the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking.availability import policy_for
from praksis.booking.models import Appointment, SmsReply
from praksis.booking.services import appointment_cancel_by_client, manage_token
from praksis.clinics.access import system_actor
from praksis.core.errors import Conflict
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import message_enqueue

SIGNATURE_HEADER = "X-Praksis-Signature"
TIMESTAMP_HEADER = "X-Praksis-Timestamp"
TOLERANCE_SECONDS = 5 * 60
MAX_BODY_BYTES = 16 * 1024

YES = frozenset({"ja", "yes"})
NO = frozenset({"nej", "nei", "no"})
_WORDS = re.compile(r"[\W_]+")


class WebhookRefused(Exception):
    """The webhook call is refused: ``status`` and a message for the one error shape."""

    def __init__(self, status: int, message, errors: dict | None = None):
        self.status = status
        self.message = str(message)
        self.errors = errors or {}
        super().__init__(self.message)


@dataclass(frozen=True)
class Inbound:
    provider_id: str
    from_phone: str  # E.164
    body: str


# --- The signature -----------------------------------------------------------------------


def signature_for(body: bytes, timestamp: str, secret: str) -> str:
    """The header value a provider sends (tests and the provider's side use it too)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(*, body: bytes, signature: str | None, timestamp: str | None, now=None) -> None:
    """Refuse an unsigned (401), wrongly signed or stale (403) call; compare in constant
    time. Without a configured secret every call is refused."""
    secret = settings.SMS_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefused(403, gettext_lazy("Inbound SMS are not configured."))
    if not signature or not timestamp:
        raise WebhookRefused(401, gettext_lazy("The request is not signed."))
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRefused(403, gettext_lazy("The request's signature is not valid."))
    now = (now or timezone.now()).timestamp()
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookRefused(403, gettext_lazy("The request's timestamp is out of date."))
    expected = signature_for(body, timestamp, secret).encode()
    given = signature.strip().encode("latin-1", errors="replace")
    if not hmac.compare_digest(expected, given):
        raise WebhookRefused(403, gettext_lazy("The request's signature is not valid."))


# --- The message -------------------------------------------------------------------------


def parse(body: bytes) -> Inbound:
    """The provider's JSON: ``id``, ``from`` (international number) and ``message``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRefused(400, gettext_lazy("The request could not be read.")) from None
    if not isinstance(data, dict):
        raise WebhookRefused(400, gettext_lazy("The request could not be read."))
    errors: dict[str, list[str]] = {}
    values = {}
    for name, limit in (("id", 100), ("from", 32), ("message", 1600)):
        value = data.get(name)
        if not isinstance(value, str) or "\x00" in value or len(value) > limit:
            errors[name] = [str(gettext_lazy("This value is missing or not valid."))]
            continue
        values[name] = value.strip()
    if "id" in values and not values["id"]:
        errors["id"] = [str(gettext_lazy("This value is missing or not valid."))]
    phone = None
    if "from" in values:
        try:
            number = phonenumbers.parse(values["from"], None)
            if phonenumbers.is_possible_number(number):
                phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            phone = None
        if phone is None:
            errors["from"] = [str(gettext_lazy("Give the sender as an international number."))]
    if errors:
        raise WebhookRefused(400, gettext_lazy("Please correct the fields marked."), errors)
    return Inbound(provider_id=values["id"], from_phone=phone, body=values["message"])


def meaning(text: str) -> str | None:
    """ "yes", "no" or None (not understood): JA, Ja!, ja tack, NEJ, nei takk, ..."""
    words = [w for w in _WORDS.split(text.casefold()) if w]
    if not words or len(words) > 3:
        return None
    if words[0] in YES and not NO & set(words):
        return "yes"
    if words[0] in NO and not YES & set(words):
        return "no"
    return None


def reply_words(clinic) -> tuple[str, str]:
    """The answers the clinic's clients are asked for: JA/NEJ in Sweden, JA/NEI in Norway."""
    return ("JA", "NEI") if clinic.country == "NO" else ("JA", "NEJ")


def reply_request(clinic) -> tuple[str, str] | None:
    """The words a reminder SMS asks for, when the clinic's policy asks for a reply."""
    return reply_words(clinic) if policy_for(clinic).sms_reply_requests else None


# --- Handling a reply ---------------------------------------------------------------------


def _reminder_to(phone: str) -> OutboxMessage | None:
    """The latest reminder SMS delivered to exactly this number (any clinic)."""
    return (
        OutboxMessage.objects.filter(
            channel="sms",
            kind="reminder",
            to_address=phone,
            related_type="appointment",
            status="sent",
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


def reply_receive(inbound: Inbound, *, now: datetime | None = None) -> str:
    """Act on one reply (once per provider id) and return its outcome."""
    done = SmsReply.objects.filter(provider_id=inbound.provider_id).first()
    if done is not None:
        return done.outcome
    reminder = _reminder_to(inbound.from_phone)
    if reminder is None:
        # Nothing was sent to this number: nothing to act on and nobody to store it for.
        return SmsReply.Outcome.NO_BOOKING
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("clinic", "service", "person")
            .filter(clinic_id=reminder.clinic_id, pk=reminder.related_id)
            .first()
        )
        if appointment is None:  # erased since: keep nothing of it
            return SmsReply.Outcome.NO_BOOKING
        # Under the booking's lock: the same delivery arriving twice at once acts once.
        done = SmsReply.objects.filter(provider_id=inbound.provider_id).first()
        if done is not None:
            return done.outcome
        outcome = _act(appointment, meaning(inbound.body), now or timezone.now())
        reply = SmsReply.objects.create(
            clinic=appointment.clinic,
            appointment=appointment,
            provider_id=inbound.provider_id,
            from_phone=inbound.from_phone,
            body=inbound.body[:500],
            outcome=outcome,
        )
        log_access(
            system_actor(appointment.clinic, channel="public"),
            Access(
                Action.CREATE,
                "sms_reply",
                reply.pk,
                person_id=appointment.person_id,
                purpose="sms reply",
                detail=f"appointment {appointment.pk}: {outcome}",
            ),
        )
        if outcome != SmsReply.Outcome.CONFIRMED and outcome != SmsReply.Outcome.CANCELLED:
            _answer(appointment, inbound.from_phone, outcome)
    return outcome


def _act(appointment: Appointment, said: str | None, now: datetime) -> str:
    if appointment.status != Appointment.Status.BOOKED or appointment.start <= now:
        return SmsReply.Outcome.NO_BOOKING
    if said is None:
        return SmsReply.Outcome.NOT_UNDERSTOOD
    clinic = appointment.clinic
    if said == "yes":
        if appointment.confirmed_at is None:
            appointment.confirmed_at = now
            appointment.save(update_fields=["confirmed_at"])
            log_access(
                system_actor(clinic, channel="public"),
                Access(
                    Action.UPDATE,
                    "appointment",
                    appointment.pk,
                    person_id=appointment.person_id,
                    purpose="sms reply",
                    detail="confirmed by SMS",
                ),
            )
        return SmsReply.Outcome.CONFIRMED
    with translation.override(clinic.language):
        reason = _("Cancelled by the client's SMS reply")
    try:
        appointment_cancel_by_client(
            clinic=clinic, token=manage_token(appointment), reason=str(reason)
        )
    except Conflict as exc:
        if exc.code == "cutoff":
            return SmsReply.Outcome.TOO_LATE
        return SmsReply.Outcome.NO_BOOKING
    return SmsReply.Outcome.CANCELLED


def _answer(appointment: Appointment, phone: str, outcome: str) -> None:
    """The short SMS back, in the clinic's language, through the outbox (once per booking
    and outcome: an auto-reply on the client's phone cannot start a conversation)."""
    clinic = appointment.clinic
    yes, no = reply_words(clinic)
    with translation.override(clinic.language):
        when = dateformat.format(appointment.start.astimezone(clinic.zone), "j/n H:i")
        call = (
            _("Please call us on %(phone)s.") % {"phone": clinic.contact_phone}
            if clinic.contact_phone
            else _("Please call the clinic.")
        )
        if outcome == SmsReply.Outcome.TOO_LATE:
            text = _("It is too late to cancel your booking %(when)s by SMS.") % {"when": when}
            text = f"{text} {call}"
        elif outcome == SmsReply.Outcome.NO_BOOKING:
            text = f"{_('We found no upcoming booking to confirm or cancel.')} {call}"
        else:
            text = _(
                "We did not understand your reply. Reply %(yes)s to confirm your booking "
                "%(when)s or %(no)s to cancel it."
            ) % {"yes": yes, "no": no, "when": when}
    message_enqueue(
        clinic=clinic,
        channel="sms",
        to=phone,
        subject="",
        body=f"{clinic.name}: {text}",
        kind="other",
        person=appointment.person,
        dedupe_key=f"sms-reply:{appointment.pk}:{outcome}",
        related=("appointment", appointment.pk),
    )
