"""Staff pages for the outbox: what was sent to whom (masked), and what is stuck. Thin."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import ValidationFailed
from praksis.messaging import marketing, selectors, services
from praksis.messaging.models import Status
from praksis.privacy.models import Consent


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


@staff_view("privacy.manage")
@require_http_methods(["GET", "POST"])
@recent_auth
def marketing_send(request):
    """Write a newsletter; it goes only to those who opted in on the chosen channel."""
    actor = request.actor
    values = {k: request.POST.get(k, "") for k in ("channel", "subject", "body")}
    errors: dict = {}
    sent = None
    if request.method == "POST":
        try:
            sent = marketing.campaign_send(actor=actor, **values)
            values = {}
        except ValidationFailed as exc:
            errors = exc.errors
    audience = {
        channel: Consent.objects.filter(
            clinic=actor.clinic,
            purpose=purpose,
            withdrawn_at__isnull=True,
            person__restricted_at__isnull=True,
        )
        .values("person_id")
        .distinct()
        .count()
        for channel, purpose in marketing.CONSENT_FOR.items()
    }
    return render(
        request,
        "messaging/marketing.html",
        {"values": values, "errors": errors, "sent": sent, "audience": audience},
        status=422 if errors else 200,
    )
