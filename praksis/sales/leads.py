"""Leads from a benefits portal (seed 001; the ``lead`` retention policy): the portal tells
the clinic of a new client; the note is kept only until the portal's invoice for the
visit has been checked — reconciling it deletes the lead at once. Access-logged."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.core.errors import ValidationFailed
from praksis.sales.models import PortalLead


def leads_open(*, actor: Actor) -> list[PortalLead]:
    require(actor, "person.read")
    items = list(PortalLead.objects.filter(clinic=actor.clinic).order_by("received_at", "pk"))
    log_access(actor, Access(Action.LIST, "portal_lead", "", detail=f"results={len(items)}"))
    return items


def lead_add(*, actor: Actor, portal: str, name: str, contact: str = "", note: str = ""):
    require(actor, "person.write")
    portal, name, contact, note = (str(v or "").strip() for v in (portal, name, contact, note))
    errors: dict[str, list] = {}
    if not portal:
        errors["portal"] = [_("Name the portal the client came from.")]
    if not name:
        errors["name"] = [_("Enter the client's name.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        lead = PortalLead.objects.create(
            clinic=actor.clinic,
            portal=portal[:100],
            name=name[:200],
            contact=contact[:254],
            note=note[:300],
        )
        log_access(actor, Access(Action.CREATE, "portal_lead", lead.pk))
    return lead


def lead_reconciled(*, actor: Actor, lead_id: int) -> None:
    """The portal's invoice has been checked: the lead has served its purpose and goes."""
    require(actor, "person.write")
    with transaction.atomic():
        deleted, _rows = PortalLead.objects.filter(clinic=actor.clinic, pk=lead_id).delete()
        if not deleted:
            raise Http404
        log_access(
            actor,
            Access(Action.DELETE, "portal_lead", lead_id, purpose="retention",
                   detail="invoice reconciled"),
        )  # fmt: skip
