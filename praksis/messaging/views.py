"""Staff pages for the outbox: what was sent to whom (masked), and what is stuck. Thin."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from praksis.clinics.auth import staff_view
from praksis.messaging import selectors, services
from praksis.messaging.models import Status

_MAX_ID = 2**63 - 1


@staff_view("person.read")
def outbox(request):
    return _outbox_page(request)


def _outbox_page(request, *, errors: dict | None = None):
    actor = request.actor
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    page = selectors.outbox_page(actor=actor, status=status, page=request.GET.get("page"))
    can_retry = selectors.can_retry(actor)
    return render(
        request,
        "messaging/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "can_retry": can_retry,
            "failed_count": selectors.failed_count(actor=actor) if can_retry else 0,
            "servers_down": selectors.servers_down(actor=actor),
            "retried": _number(request.GET.get("retried")),
            "errors": errors or {},
        },
        status=422 if errors else 200,
    )


def _number(value: str | None) -> int | None:
    """A positive id or count in ASCII digits that fits a bigint, else None."""
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= _MAX_ID else None


def _message_ids(values: list[str]) -> list[int] | None:
    """The ticked messages' ids; None when none is ticked or one is not an id."""
    ids = [_number(v) for v in values]
    return ids if ids and None not in ids else None


def _retried(count: int):
    return redirect(f"{reverse('staff:messages')}?status=pending&retried={count}")


@staff_view("person.read")
def message_detail(request, message_id: int):
    """One message as its recipient got it: subject, text, attachment (by name)."""
    message = selectors.message_read(actor=request.actor, message_id=message_id)
    return render(request, "messaging/message.html", {"message": message})


@staff_view("person.read")
@require_POST
def messages_retry(request):
    """Retry the ticked failed messages (owner)."""
    if not selectors.can_retry(request.actor):
        raise PermissionDenied("message.retry")
    ids = _message_ids(request.POST.getlist("message"))
    if not ids:
        message = _("Tick the messages to send again.")
        return _outbox_page(request, errors={"message": [message]})
    return _retried(services.messages_retry(actor=request.actor, message_ids=ids))


@staff_view("person.read")
@require_POST
def messages_retry_failed(request):
    """Retry every failed message of the clinic (owner)."""
    return _retried(services.messages_retry_failed(actor=request.actor))
