"""The restriction box on the person page (GDPR art. 18, REQ-28): the restrictions in
force for everyone who handles the person, and for the owner the form to restrict — on a
ground of art. 18(1)(a)-(d), the whole person or one use of their data — and to lift."""

from __future__ import annotations

from django import template

from praksis.clinics.access import can
from praksis.privacy.models import RestrictionGround, RestrictionScope
from praksis.privacy.restriction import FORM_SESSION_KEY, restrictions_of

register = template.Library()


@register.inclusion_tag("privacy/person_restrictions.html", takes_context=True)
def person_restrictions(context, person):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"show": False}
    manage = can(actor, "privacy.manage")
    # A refused form comes back with what was typed and the errors (kept in the session,
    # never in the address).
    form = {}
    if manage and request is not None and hasattr(request, "session"):
        saved = request.session.pop(FORM_SESSION_KEY, None) or {}
        if saved.get("person") == person.pk:
            form = saved
    active = list(restrictions_of(person, active_only=True))
    return {
        "show": True,
        "manage": manage,
        "person": person,
        "active": active,
        # Restricted on the person row alone (an erasure kept the data, or older data).
        "bare": person.restricted_at is not None
        and not any(r.scope == RestrictionScope.WHOLE for r in active),
        "grounds": RestrictionGround.choices,
        "scopes": RestrictionScope.choices,
        "values": form.get("values", {}),
        "errors": form.get("errors", {}),
        "csrf_token": context.get("csrf_token"),
    }
