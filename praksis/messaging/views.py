"""Staff pages for the outbox: what was sent to whom (masked), and what is stuck. Thin."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from praksis.clinics.auth import staff_view
from praksis.messaging import selectors, services
from praksis.messaging.models import Status


@staff_view("person.read")
def outbox(request):
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    page = selectors.outbox_page(actor=request.actor, status=status, page=request.GET.get("page"))
    return render(
        request,
        "messaging/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "can_retry": selectors.can_retry(request.actor),
        },
    )


@staff_view("person.read")
@require_POST
def message_retry(request, message_id: int):
    services.message_retry(actor=request.actor, message_id=message_id)
    return redirect("staff:messages")
