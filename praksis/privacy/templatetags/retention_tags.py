"""The legal-hold box on the person page (REQ-11): the person's active holds, and for the
owner the forms to place and release one."""

from __future__ import annotations

from django import template

from praksis.clinics.access import can
from praksis.privacy.retention import holds_list

register = template.Library()


@register.inclusion_tag("privacy/retention_person_holds.html", takes_context=True)
def person_legal_holds(context, person):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None or not can(actor, "privacy.manage"):
        return {"show": False}
    return {
        "show": True,
        "person": person,
        "holds": holds_list(actor=actor, person_id=person.pk),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
