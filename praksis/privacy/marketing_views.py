"""The newsletter page (REQ-29, REQ-33): written by staff, sent through the outbox only to
those who opted in on the channel (under /staff/messages/marketing/)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import ValidationFailed
from praksis.privacy import marketing
from praksis.privacy.models import Consent, RestrictionScope
from praksis.privacy.restriction import unrestricted


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
        )
        .filter(unrestricted(RestrictionScope.MARKETING))
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
