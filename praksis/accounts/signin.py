"""Signing a client in to their account with a one-time code (issue 15, the basic level).

Nothing a stranger can type grants anything, and nothing they see tells them whether a
contact is on record:

* The client gives an e-mail address or mobile number. Whatever it is, the next page is
  the same ("if it is on record, we have sent a code"). A code goes only to a contact on
  record; a contact on no one's record gets no message, and every code fails there.
* A code is six digits, lives ``CODE_MINUTES``, works once, and ``MAX_FAILURES`` wrong
  codes lock the sign-in (a new one must be started, itself rate-limited by the page).
* People who share a contact (a family's e-mail) are told apart after the code: the
  client gives their birth date, which must match exactly one of them.
* A right code gives a :class:`ClientSession`: its own cookie (never the staff session),
  for this clinic only, ending after ``IDLE_MINUTES`` without use or ``MAX_HOURS``.

Every step is access-logged on the person (never the code).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.accounts.models import ClientSession, Level, SignIn
from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import system_actor
from praksis.core.crypto import mac, sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.people.validation import parse_contact

CODE_MINUTES = 10
MAX_FAILURES = 5
IDLE_MINUTES = 30
MAX_HOURS = 8
SIGNIN_COOKIE = "praksis_signin"
SESSION_COOKIE = "praksis_account"
CODE_RELATED = "account_sign_in"
_CODE_PURPOSE = "account-sign-in-code"
_SUBJECT = gettext_lazy("Your sign-in code")
_CODE_USED = gettext_lazy("[The one-time code is no longer kept.]")


def _log(clinic, person_id, detail: str, object_id="") -> None:
    log_access(
        system_actor(clinic, channel="account"),
        Access(Action.UPDATE, "client_account", object_id, person_id=person_id, detail=detail),
    )


def _code_hash(sign_in: SignIn, code: str) -> str:
    return mac(_CODE_PURPOSE, f"{sign_in.clinic_id}:{sign_in.token_hash}:{code}")


def sign_in_start(*, clinic, contact: str, language: str) -> str:
    """Start a sign-in; returns the browser's handle (to keep in a cookie). The caller
    shows the same page whatever was typed."""
    email, phone = parse_contact(clinic, contact)
    people = Person.objects.filter(clinic=clinic)
    people = people.filter(email__iexact=email) if email else people.filter(phone=phone)
    rows = list(people.order_by("pk").values_list("pk", "email", "phone")[:20])
    found = [pk for pk, _email, _phone in rows]
    # The code goes to the contact as it is on record, never as it was typed.
    on_record = (rows[0][1] if email else rows[0][2]) if rows else ""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        sign_in = SignIn.objects.create(
            clinic=clinic,
            person_id=found[0] if len(found) == 1 else None,
            candidate_ids=found if len(found) > 1 else [],
            token_hash=sha256_hex(token),
            channel="email" if email else "sms",
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        if found:
            code = f"{secrets.randbelow(10**6):06d}"
            sign_in.code_hash = _code_hash(sign_in, code)
            sign_in.save(update_fields=["code_hash"])
            _send_code(clinic, sign_in, code, to=on_record, language=language)
            for person_id in found:
                _log(clinic, person_id, f"sign-in code sent by {sign_in.channel}", sign_in.pk)
    return token


def _send_code(clinic, sign_in: SignIn, code: str, *, to: str, language: str) -> None:
    with translation.override(language):
        body = render_to_string(
            "accounts/email/code.txt",
            {"clinic": clinic, "code": code, "minutes": CODE_MINUTES},
        )
        message_enqueue(
            clinic=clinic,
            channel=sign_in.channel,
            to=to,
            subject=f"{_SUBJECT} – {clinic.name}" if sign_in.channel == "email" else "",
            body=body.strip() if sign_in.channel == "sms" else body,
            kind="other",
            person=sign_in.person,
            related=(CODE_RELATED, sign_in.pk),
        )


@dataclass(frozen=True)
class Pending:
    """A sign-in under way as its page shows it."""

    sign_in: SignIn
    needs_birth_date: bool  # the code was right; several share the contact


def _pending(clinic, token: str | None, *, lock: bool = False) -> SignIn | None:
    if not token:
        return None
    qs = SignIn.objects.filter(clinic=clinic, token_hash=sha256_hex(str(token)[:100]))
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def pending(*, clinic, token: str | None) -> Pending | None:
    sign_in = _pending(clinic, token)
    if sign_in is None or sign_in.used_at is not None:
        return None
    return Pending(sign_in, needs_birth_date=sign_in.code_right_at is not None)


def _locked_message() -> str:
    return _("Too many wrong codes. Start again to get a new code.")


def _expired_message() -> str:
    return _("The code has expired. Start again to get a new code.")


def sign_in_check(*, clinic, token: str | None, code: str) -> str | None:
    """Check the code. Right: returns the new session's token, or None when the client
    must still say who they are (a shared contact: :func:`sign_in_who`). Wrong, expired,
    used or locked: an error (what a wrong code counts is kept)."""
    code = "".join(str(code or "").split())[:20]
    failure: Exception | None = None
    session_token = None
    with transaction.atomic():
        sign_in = _pending(clinic, token, lock=True)
        if sign_in is None or sign_in.used_at is not None:
            raise Conflict(_("This sign-in has ended. Start again."), code="ended")
        if sign_in.locked_at is not None:
            raise Conflict(_locked_message(), code="locked")
        if sign_in.code_right_at is not None:
            return None  # the code was right; the birth date is asked next
        now = timezone.now()
        if now >= sign_in.expires_at:
            raise Conflict(_expired_message(), code="expired")
        right = (
            sign_in.code_hash
            and code.isdigit()
            and len(code) == 6
            and secrets.compare_digest(sign_in.code_hash, _code_hash(sign_in, code))
        )
        who = [sign_in.person_id] if sign_in.person_id else list(sign_in.candidate_ids)
        if right:
            sign_in.code_hash = ""
            sign_in.code_right_at = now
            fields = ["code_hash", "code_right_at"]
            if sign_in.person_id is not None:
                sign_in.used_at = now
                fields.append("used_at")
                session_token = _open_session(clinic, sign_in.person_id, sign_in)
            sign_in.save(update_fields=fields)
            _forget_code(sign_in)
        else:
            sign_in.failures += 1
            fields = ["failures"]
            if sign_in.failures >= MAX_FAILURES:
                sign_in.locked_at = now
                sign_in.code_hash = ""
                fields += ["locked_at", "code_hash"]
                failure = Conflict(_locked_message(), code="locked")
            else:
                failure = ValidationFailed(
                    {"code": [_("The code is not right. Check it and try again.")]}
                )
            sign_in.save(update_fields=fields)
            for person_id in who:
                _log(clinic, person_id, f"sign-in code wrong ({sign_in.failures})", sign_in.pk)
            if sign_in.locked_at is not None:
                _forget_code(sign_in)
    if failure is not None:
        raise failure
    return session_token


def sign_in_who(*, clinic, token: str | None, birth_date) -> str:
    """After a right code to a shared contact: the birth date tells the client apart
    (exactly one of those who share the contact); returns the session's token."""
    text = str(birth_date or "").strip()[:10]
    try:
        born = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            {"birth_date": [_("Enter your birth date as YYYY-MM-DD.")]}
        ) from None
    with transaction.atomic():
        sign_in = _pending(clinic, token, lock=True)
        if sign_in is None or sign_in.used_at is not None or sign_in.code_right_at is None:
            raise Conflict(_("This sign-in has ended. Start again."), code="ended")
        if timezone.now() >= sign_in.code_right_at + timedelta(minutes=CODE_MINUTES):
            raise Conflict(_expired_message(), code="expired")
        matches = list(
            Person.objects.filter(
                clinic=clinic, pk__in=sign_in.candidate_ids, birth_date=born
            ).values_list("pk", flat=True)
        )
        if len(matches) != 1:
            sign_in.failures += 1
            fields = ["failures"]
            if sign_in.failures >= MAX_FAILURES:
                sign_in.locked_at = sign_in.used_at = timezone.now()
                fields += ["locked_at", "used_at"]
            sign_in.save(update_fields=fields)
            raise ValidationFailed(
                {
                    "birth_date": [
                        _(
                            "We cannot tell who you are from that birth date. Check it, or "
                            "ask at the desk."
                        )
                    ]
                }
            )
        sign_in.person_id = matches[0]
        sign_in.used_at = timezone.now()
        sign_in.save(update_fields=["person", "used_at"])
        return _open_session(clinic, matches[0], sign_in)


def _open_session(clinic, person_id: int, sign_in: SignIn) -> str:
    return open_session(clinic, person_id, level=Level.BASIC, how=f"{sign_in.channel} code")


def open_session(clinic, person_id: int, *, level: str, how: str) -> str:
    """A new session of the client at ``level``; returns its secret (for the cookie)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    session = ClientSession.objects.create(
        clinic=clinic,
        person_id=person_id,
        level=level,
        token_hash=sha256_hex(token),
        expires_at=now + timedelta(hours=MAX_HOURS),
    )
    _log(clinic, person_id, f"signed in ({level}, {how})", session.pk)
    return token


def _forget_code(sign_in: SignIn) -> None:
    """The outbox keeps a sent message's text a while: a used or locked code leaves it."""
    from praksis.messaging.models import OutboxMessage

    with translation.override(sign_in.clinic.language):
        text = str(_CODE_USED)
    OutboxMessage.objects.filter(
        clinic=sign_in.clinic, related_type=CODE_RELATED, related_id=sign_in.pk,
        status__in=("sent", "failed"),
    ).update(body=text)  # fmt: skip


def session_get(*, clinic, token: str | None) -> ClientSession | None:
    """The signed-in client's session at this clinic, or None (ended, expired, idle, or
    another clinic's). Each use keeps it alive for ``IDLE_MINUTES`` more."""
    if not token:
        return None
    now = timezone.now()
    session = (
        ClientSession.objects.select_related("person")
        .filter(
            clinic=clinic,
            token_hash=sha256_hex(str(token)[:100]),
            ended_at__isnull=True,
            expires_at__gt=now,
            last_seen_at__gt=now - timedelta(minutes=IDLE_MINUTES),
        )
        .first()
    )
    if session is None:
        return None
    if now - session.last_seen_at > timedelta(minutes=1):
        ClientSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session


def sign_out(*, clinic, token: str | None) -> None:
    session = session_get(clinic=clinic, token=token)
    if session is not None:
        ClientSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())
        _log(clinic, session.person_id, "signed out", session.pk)
