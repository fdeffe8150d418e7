"""Reads of the outbox for staff: clinic-scoped, access-logged, recipients masked.

The delivery page answers "did the client get the message?", which needs neither the
full address nor the text. Rows leave this module as :class:`OutboxRow` carrying the
masked recipient only, so no template can show more by accident. Why a message was not
sent is said in plain words (``reason_text``); the scrubbed technical error stays next
to it for whoever asks the mail server's operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.translation import pgettext_lazy

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Role
from praksis.messaging.models import Channel, DeliveryCircuit, OutboxMessage, Reason, Status
from praksis.messaging.services import RETRY_ROLES

PAGE_SIZE = 50

_REASON_TEXT = {
    (Reason.RECIPIENT_REFUSED, Channel.EMAIL): pgettext_lazy(
        "message failure", "The recipient's mail server refused the address."
    ),
    (Reason.RECIPIENT_REFUSED, Channel.SMS): pgettext_lazy(
        "message failure", "The SMS provider refused the number or the message."
    ),
    (Reason.MESSAGE_REFUSED, Channel.EMAIL): pgettext_lazy(
        "message failure", "The mail server refused this message."
    ),
    (Reason.MESSAGE_REFUSED, Channel.SMS): pgettext_lazy(
        "message failure", "The SMS provider refused this message."
    ),
    (Reason.SERVER_FAILING, Channel.EMAIL): pgettext_lazy(
        "message failure",
        "The mail server was not answering; the message goes out once it answers again.",
    ),
    (Reason.SERVER_FAILING, Channel.SMS): pgettext_lazy(
        "message failure",
        "The SMS provider was not answering; the message goes out once it answers again.",
    ),
    (Reason.ERROR, Channel.EMAIL): pgettext_lazy(
        "message failure", "The message could not be prepared for sending."
    ),
    (Reason.ERROR, Channel.SMS): pgettext_lazy(
        "message failure", "The message could not be prepared for sending."
    ),
}


def mask_recipient(channel: str, address: str) -> str:
    """``a***@example.com`` for e-mail; ``***67`` (the last two digits) for phones."""
    if channel == Channel.EMAIL:
        local, _at, domain = address.rpartition("@")
        return f"{local[:1]}***@{domain}" if local else "***"
    digits = [c for c in address if c.isdigit()]
    return "***" + "".join(digits[-2:])


@dataclass(frozen=True)
class OutboxRow:
    id: int
    created_at: datetime
    kind: str
    kind_label: str
    channel: str
    channel_label: str
    recipient: str
    status: str
    status_label: str
    attempts: int
    reason_text: str
    last_error: str
    sent_at: datetime | None
    next_attempt_at: datetime
    # Whether the reader may open the message itself (``message_read``).
    readable: bool = False


def _row(message: OutboxMessage, *, readable: bool = False) -> OutboxRow:
    return OutboxRow(
        id=message.pk,
        created_at=message.created_at,
        kind=message.kind,
        kind_label=message.get_kind_display(),
        channel=message.channel,
        channel_label=message.get_channel_display(),
        recipient=mask_recipient(message.channel, message.to_address),
        status=message.status,
        status_label=message.get_status_display(),
        attempts=message.attempts,
        reason_text=str(_REASON_TEXT.get((message.reason, message.channel), "")),
        last_error=message.last_error,
        sent_at=message.sent_at,
        next_attempt_at=message.next_attempt_at,
        readable=readable,
    )


def outbox_page(*, actor: Actor, status: str = "", page: int | str | None = 1) -> Page:
    """One page (newest first) of the actor's clinic's outbox, optionally by status.

    Returns a Paginator page whose ``object_list`` holds :class:`OutboxRow`. Logged as a
    list of the persons the page shows messages for.
    """
    require(actor, "person.read")
    messages = (
        OutboxMessage.objects.filter(clinic=actor.clinic)
        .defer("body", "attachment_body")
        .order_by("-created_at", "-pk")
    )
    if status:
        if status not in Status.values:
            raise ValueError(f"unknown status {status!r}")
        messages = messages.filter(status=status)
    result = Paginator(messages, PAGE_SIZE).get_page(page)
    shown = list(result.object_list)
    result.object_list = [_row(m, readable=can_read_message(actor, m)) for m in shown]
    person_ids = sorted({m.person_id for m in shown if m.person_id})
    log_access(
        actor,
        Access(
            action=Action.LIST,
            object_type="outbox_message",
            purpose="delivery review",
            detail=f"status={status or 'all'}; page={result.number}; "
            f"results={len(result.object_list)}; persons="
            + ",".join(str(pk) for pk in person_ids)[:380],
        ),
    )
    return result


# --- One message, as its recipient got it ------------------------------------------------

MAX_ID = 2**63 - 1
_LINK = re.compile(r"https?://[^\s/]+(/[^\s?#]*)")
HIDDEN = "\u2026"


@dataclass(frozen=True)
class MessageText:
    """A message for staff to read: the recipient masked, the links' secrets hidden."""

    row: OutboxRow
    subject: str
    body: str
    attachment_name: str
    attachment_kept: bool
    about_person_id: int | None


def can_read_message(actor: Actor, message: OutboxMessage) -> bool:
    """The owner reads every message; other staff those about a person they may read."""
    if actor.role == Role.OWNER:
        return True
    return message.person_id is not None


def hide_link_secrets(text: str) -> str:
    """Each link to one of our pages that carries a secret (a manage, privacy, opt-out,
    consents or set-up link: a route with a ``token``) with the secret left out, so that
    reading a message does not hand its recipient's link to whoever reads it."""

    def hide(match: re.Match) -> str:
        link, path = match.group(0), match.group(1)
        try:
            token = resolve(path).kwargs.get("token")
        except Resolver404:
            return link
        return link.replace(f"/{token}/", f"/{HIDDEN}/", 1) if token else link

    return _LINK.sub(hide, text)


def message_read(*, actor: Actor, message_id: int) -> MessageText:
    """One message of the actor's clinic as it was sent (404 for any other; 403 for a
    message about nobody in particular unless owner). The read is logged against the
    person the message was about."""
    require(actor, "person.read")
    if not 0 < message_id <= MAX_ID:
        raise Http404
    message = OutboxMessage.objects.filter(clinic=actor.clinic, pk=message_id).first()
    if message is None:
        raise Http404
    if not can_read_message(actor, message):
        raise PermissionDenied("message.read")
    log_access(
        actor,
        Access(
            action=Action.READ,
            object_type="outbox_message",
            object_id=message.pk,
            person_id=message.person_id,
            purpose="delivery review",
            detail=f"kind={message.kind}; channel={message.channel}",
        ),
    )
    return MessageText(
        row=_row(message, readable=True),
        subject=message.subject,
        body=hide_link_secrets(message.body),
        attachment_name=message.attachment_name,
        attachment_kept=bool(message.attachment_body),
        about_person_id=message.person_id,
    )


def can_retry(actor: Actor) -> bool:
    return actor.role in RETRY_ROLES


@dataclass(frozen=True)
class ServerDown:
    """A channel whose server is failing, and how many of the clinic's messages wait."""

    channel: str
    waiting: int
    since: datetime | None
    retry_after: datetime


def servers_down(*, actor: Actor) -> list[ServerDown]:
    """The channels whose circuit is open, with the clinic's messages waiting on each.

    Counts only: no person is shown, so nothing is logged.
    """
    require(actor, "person.read")
    circuits = list(DeliveryCircuit.objects.filter(retry_after__isnull=False))
    if not circuits:
        return []
    waiting = dict(
        OutboxMessage.objects.filter(
            clinic=actor.clinic,
            channel__in=[c.channel for c in circuits],
            status__in=[Status.PENDING, Status.SENDING],
        )
        .values("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    return [
        ServerDown(
            channel=c.channel,
            waiting=waiting.get(c.channel, 0),
            since=c.opened_at,
            retry_after=c.retry_after,
        )
        for c in sorted(circuits, key=lambda c: c.channel)
    ]


def failed_count(*, actor: Actor) -> int:
    require(actor, "person.read")
    return OutboxMessage.objects.filter(clinic=actor.clinic, status=Status.FAILED).count()
