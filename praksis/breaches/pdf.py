"""The authority notification draft (Art. 33(3)), as a page and as a PDF (WeasyPrint)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.breaches.models import AffectedPerson, ExemptionGround
from praksis.breaches.services import authority_for, breach_get, breach_updates, clock
from praksis.clinics.access import Actor


def draft_context(*, actor: Actor, breach_id) -> dict:
    """Every Art. 33(3) item from the register, with the phased updates (Art. 33(4))."""
    breach = breach_get(actor=actor, breach_id=breach_id)
    counts = AffectedPerson.objects.filter(clinic=actor.clinic, breach=breach).aggregate(
        total=Count("pk"),
        notified=Count("pk", filter=Q(notified_at__isnull=False)),
        **{
            f"exempt_{g}": Count("pk", filter=Q(exemption_ground=g)) for g in ExemptionGround.values
        },
    )
    exemptions = [
        (label, counts[f"exempt_{g}"])
        for g, label in ExemptionGround.choices
        if counts[f"exempt_{g}"]
    ]
    return {
        "clinic": actor.clinic,
        "breach": breach,
        "clock": clock(breach),
        "authority": authority_for(actor.clinic),
        "updates": breach_updates(breach=breach),
        "counts": counts,
        "exemptions": exemptions,
        "generated_at": timezone.now(),
    }


def draft_pdf(*, actor: Actor, breach_id) -> bytes:
    context = draft_context(actor=actor, breach_id=breach_id)
    clinic = actor.clinic
    log_access(actor, Access(Action.PRINT, "breach", context["breach"].pk, purpose="draft"))
    with translation.override(clinic.language), timezone.override(clinic.zone):
        html = render_to_string("breaches/draft_pdf.html", context)
        return HTML(string=html).write_pdf()
