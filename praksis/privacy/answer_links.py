"""The answer link: how a requester reads the answer to a privacy request and downloads
their data (REQ-25, REQ-50).

A copy of a person's data (the access report, the export) never travels in an e-mail or
an SMS, and an open link is not enough either: health data sent over an open network
needs the recipient identified (LAW.md REQ-50). So the link (sent to the e-mail address,
or the mobile number, the request came from) opens the answer only with a one-time code
sent to the *other* contact on record — by SMS when the link went by e-mail, by e-mail
when it went by SMS. A person with only one contact on record is asked to collect the
copy at the desk, or to ask for it with identification; the page releases nothing.

The code is six digits, kept only as a keyed hash, valid ``CODE_MINUTES``; after
``CODE_ATTEMPTS`` wrong codes the link is locked (the owner can send a new one). The
browser that gave the right code keeps a secret cookie (its hash on the request) for
``OPEN_MINUTES``. The link works ``LINK_MAX_DAYS`` after it was sent, and no longer than
``DAYS_AFTER_FIRST_DOWNLOAD`` after the first download. Every step is access-logged.

Answers that release no copy of data (rectification, erasure, objection, ...: the
written answer only) open from the link as before.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import system_actor
from praksis.core.crypto import mac, sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import message_enqueue
from praksis.privacy.models import CODE_ATTEMPTS, DataSubjectRequest, RequestKind

# Kinds whose answer releases a copy of the person's data (health data included).
RELEASES_DATA = (RequestKind.ACCESS, RequestKind.PORTABILITY)
CODE_MINUTES = 10
CODES_PER_LINK = 5
OPEN_MINUTES = 30
DAYS_AFTER_FIRST_DOWNLOAD = 14
LINK_MAX_DAYS = 30
COOKIE = "praksis_answer"
CODE_RELATED = "privacy_answer_code"  # the outbox rows that carried a code
_CODE_PURPOSE = "privacy-answer-code"
_CODE_SUBJECT = gettext_lazy("Your one-time code")
_CODE_USED = gettext_lazy("[The one-time code is no longer kept.]")


# Who can tell that a visitor is signed in strongly (the client account's eID sign-in;
# plugged in by the composition layer, as the account lives above this engine).
_strong_sign_ins: list = []


def register_strong_sign_in(check) -> None:
    """``check(http_request, clinic, person_id) -> bool``: the visitor signed in with an
    eID as that person of that clinic."""
    if check not in _strong_sign_ins:
        _strong_sign_ins.append(check)


def opened_by_strong_sign_in(http_request, answered: DataSubjectRequest) -> bool:
    """Whether the visitor proved to be the one who asked with a strong electronic
    identification (BankID, Freja, ID-porten high: REQ-50's bar for journal copies):
    then the answer opens without a one-time code. The one who asked is the guardian for
    a request made on a child's behalf."""
    if http_request is None:
        return False
    asker = answered.guardian_id or answered.person_id
    return any(check(http_request, answered.clinic, asker) for check in _strong_sign_ins)


def code_channel(answered: DataSubjectRequest) -> str | None:
    """Where the one-time code goes: the contact the link did not go to (None: the
    person has only one contact on record, and nothing is released online)."""
    person = answered.guardian if answered.guardian_id else answered.person  # who asked
    if answered.delivery == "sms":
        return "email" if person.email else None
    return "sms" if person.phone else None


@dataclass(frozen=True)
class AnswerPage:
    """What the answer page may show to this visitor."""

    request: DataSubjectRequest
    gated: bool  # the answer releases a copy of data: it needs the code (or eID)
    opened: bool  # this browser gave the right code (or is signed in strongly)
    channel: str | None  # where the code goes; None: one contact only, collect at the desk
    locked: bool
    code_sent: bool  # a code was sent and is still valid
    codes_left: int
    attempts_left: int

    @property
    def releases(self) -> bool:
        """The answer and the downloads may be shown."""
        return not self.gated or self.opened


def _find(clinic, token: str, *, lock: bool = False) -> DataSubjectRequest:
    """The request behind a live answer link (404 otherwise)."""
    rows = DataSubjectRequest.objects.select_related("person", "clinic")
    if lock:
        rows = rows.select_for_update(of=("self",))
    request = (
        rows.filter(clinic=clinic, download_token_hash=sha256_hex(token or ""))
        .exclude(download_token_hash="")
        .first()
    )
    if request is None or not request.download_expires_at:
        raise Http404
    if request.download_expires_at <= timezone.now():
        raise Http404
    return request


def _is_open(request: DataSubjectRequest, secret: str | None) -> bool:
    return bool(
        secret
        and request.answer_opened_hash
        and request.answer_opened_until
        and request.answer_opened_until > timezone.now()
        and secrets.compare_digest(request.answer_opened_hash, sha256_hex(secret))
    )


def _page(request: DataSubjectRequest, *, opened: bool) -> AnswerPage:
    now = timezone.now()
    return AnswerPage(
        request=request,
        gated=request.kind in RELEASES_DATA,
        opened=opened,
        channel=code_channel(request),
        locked=request.answer_locked_at is not None,
        code_sent=bool(
            request.answer_code_hash
            and request.answer_code_expires_at
            and request.answer_code_expires_at > now
        ),
        codes_left=max(CODES_PER_LINK - request.answer_codes_sent, 0),
        attempts_left=max(CODE_ATTEMPTS - request.answer_code_failures, 0),
    )


def _log(request: DataSubjectRequest, action: str, detail: str) -> None:
    log_access(
        system_actor(request.clinic, channel="public"),
        Access(action, "privacy_request", request.pk, person_id=request.person_id, detail=detail),
    )


def answer_page(*, clinic, token: str, secret: str | None = None, http_request=None):
    """The answer page for this visitor; opening the link is logged, and so is what it
    showed (the answer, or only the way to open it). A written answer without a copy of
    data counts as downloaded when it is first shown."""
    with transaction.atomic():
        request = _find(clinic, token, lock=True)
        strong = opened_by_strong_sign_in(http_request, request)
        page = _page(request, opened=strong or _is_open(request, secret))
        if page.releases:
            detail = "answer shown" + ("; strong sign-in" if strong else "")
            if not page.gated:
                _first_download(request)
        elif page.locked:
            detail = "answer link opened; locked"
        elif page.channel is None:
            detail = "answer link opened; one contact on record: to be collected at the desk"
        else:
            detail = "answer link opened; one-time code required"
        _log(request, Action.READ, detail)
    return page


def _first_download(request: DataSubjectRequest) -> None:
    """The first download (or first reading) leaves the link its last days."""
    if request.downloaded_at is not None:
        return
    now = timezone.now()
    request.downloaded_at = now
    request.download_expires_at = min(
        request.download_expires_at, now + timedelta(days=DAYS_AFTER_FIRST_DOWNLOAD)
    )
    request.save(update_fields=["downloaded_at", "download_expires_at"])


def answer_code_send(*, clinic, token: str) -> AnswerPage:
    """Send a new one-time code to the other contact on record (it replaces any earlier
    code). Refused when the link is locked, when the person has one contact only, or
    after ``CODES_PER_LINK`` codes."""
    with transaction.atomic():
        request = _find(clinic, token, lock=True)
        page = _page(request, opened=False)
        if not page.gated:
            raise Http404
        if page.locked:
            raise Conflict(_LOCKED(), code="locked")
        if page.channel is None:
            raise Conflict(_ONE_CHANNEL(), code="one_channel")
        if page.codes_left <= 0:
            raise Conflict(
                _("No more codes can be sent for this link. Contact the clinic."),
                code="codes_used",
            )
        code = f"{secrets.randbelow(10**6):06d}"
        now = timezone.now()
        request.answer_codes_sent += 1
        request.answer_code_hash = _code_hash(request, code)
        request.answer_code_expires_at = now + timedelta(minutes=CODE_MINUTES)
        request.save(
            update_fields=["answer_code_hash", "answer_code_expires_at", "answer_codes_sent"]
        )
        person = request.guardian if request.guardian_id else request.person  # who asked
        with translation.override(clinic.language):
            message_enqueue(
                clinic=clinic,
                channel=page.channel,
                to=person.phone if page.channel == "sms" else person.email,
                subject=f"{_CODE_SUBJECT} – {clinic.name}",
                body=render_to_string(
                    "privacy/email/answer_code.txt",
                    {"clinic": clinic, "code": code, "minutes": CODE_MINUTES},
                ),
                kind="other",
                person=person,
                related=(CODE_RELATED, request.pk),
            )
        _log(request, Action.UPDATE, f"answer code sent by {page.channel}")
        return _page(request, opened=False)


def _code_hash(request: DataSubjectRequest, code: str) -> str:
    message = f"{request.clinic_id}:{request.pk}:{request.answer_codes_sent}:{code}"
    return mac(_CODE_PURPOSE, message)


def _LOCKED() -> str:
    return _(
        "This link is locked after too many wrong codes. Contact the clinic: they can send "
        "you a new link, or give you your data at the desk when you show identification."
    )


def _ONE_CHANNEL() -> str:
    return _(
        "We have only one way of reaching you on record, so we cannot release your data "
        "online. Collect it at the desk (bring identification), or ask the clinic to send "
        "it by post after you have identified yourself."
    )


def answer_code_check(*, clinic, token: str, code: str) -> str:
    """Check a one-time code: right, the browser gets a secret that opens the answer for
    ``OPEN_MINUTES`` (returned, to be set as a cookie); wrong, a field error, and the
    ``CODE_ATTEMPTS``-th wrong code locks the link (what a wrong code counts is kept:
    the error is raised after the transaction)."""
    code = "".join(str(code or "").split())[:20]
    failure: Exception | None = None
    secret = ""
    with transaction.atomic():
        request = _find(clinic, token, lock=True)
        page = _page(request, opened=False)
        if not page.gated:
            raise Http404
        if page.locked:
            raise Conflict(_LOCKED(), code="locked")
        now = timezone.now()
        valid = (
            page.code_sent
            and code.isdigit()
            and len(code) == 6
            and secrets.compare_digest(request.answer_code_hash, _code_hash(request, code))
        )
        if valid:
            secret = secrets.token_urlsafe(32)
            request.answer_code_hash = ""
            request.answer_code_expires_at = None
            request.answer_opened_hash = sha256_hex(secret)
            request.answer_opened_until = now + timedelta(minutes=OPEN_MINUTES)
            request.save(
                update_fields=[
                    "answer_code_hash",
                    "answer_code_expires_at",
                    "answer_opened_hash",
                    "answer_opened_until",
                ]
            )
            _forget_codes(request)
            _log(request, Action.UPDATE, "answer code right; answer opened")
        else:
            request.answer_code_failures += 1
            fields = ["answer_code_failures"]
            left = CODE_ATTEMPTS - request.answer_code_failures
            if left <= 0:
                request.answer_locked_at = now
                request.answer_code_hash = ""
                request.answer_code_expires_at = None
                fields += ["answer_locked_at", "answer_code_hash", "answer_code_expires_at"]
            request.save(update_fields=fields)
            if left <= 0:
                _forget_codes(request)
                _log(request, Action.UPDATE, "answer code wrong; link locked")
                failure = Conflict(_LOCKED(), code="locked")
            else:
                _log(request, Action.UPDATE, f"answer code wrong; {left} tries left")
                if page.code_sent:
                    message = _("The code is not right. Check it and try again.")
                else:
                    message = _("The code has expired or was not sent. Send a new code.")
                failure = ValidationFailed({"code": [message]})
    if failure is not None:
        raise failure
    return secret


def _forget_codes(request: DataSubjectRequest) -> None:
    """Sent messages that carried a code of this link no longer keep it, once a code
    was used or the link locked (the outbox keeps a message's text for a while)."""
    with translation.override(request.clinic.language):
        text = str(_CODE_USED)
    OutboxMessage.objects.filter(
        clinic=request.clinic,
        related_type=CODE_RELATED,
        related_id=request.pk,
        status__in=("sent", "failed"),
    ).update(body=text)


def _allowed(kind: str) -> set[str]:
    return {
        # Art. 15(3): the copy also in a commonly used electronic, machine-readable form.
        RequestKind.ACCESS: {"report.pdf", "export.json", "export.csv"},
        RequestKind.PORTABILITY: {"export.json", "export.csv"},
    }.get(kind, set())


def requester_download(
    *, clinic, token: str, what: str, secret: str | None = None, http_request=None
) -> tuple[str, str, bytes | str] | None:
    """What the requester downloads from the answer page: (filename, type, content).

    Only from a browser that opened the answer (the code, or a strong sign-in; None for
    any other, which the answer page then asks for the code); the first download leaves
    the link its last ``DAYS_AFTER_FIRST_DOWNLOAD`` days."""
    from praksis.privacy.requests import as_csv, export_data, report_pdf

    with transaction.atomic():
        request = _find(clinic, token, lock=True)
        if what not in _allowed(request.kind):
            raise Http404
        if not (opened_by_strong_sign_in(http_request, request) or _is_open(request, secret)):
            _log(request, Action.READ, f"answer download refused: not opened ({what})")
            return None
        _first_download(request)
        actor = system_actor(clinic, channel="public")
        if what == "report.pdf":
            body = report_pdf(actor, request, purpose="access request: downloaded by the person")
            return f"access-report-{request.pk}.pdf", "application/pdf", body
        kind = "access request" if request.kind == RequestKind.ACCESS else "portability"
        data = export_data(actor, request, purpose=f"{kind}: downloaded by the person")
        if what == "export.csv":
            return f"export-{request.pk}.csv", "text/csv; charset=utf-8", as_csv(data)
        return (
            f"export-{request.pk}.json",
            "application/json",
            json.dumps(data, ensure_ascii=False, indent=2),
        )
