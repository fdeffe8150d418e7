"""The record of processing as a PDF (WeasyPrint), for the owner and the authority."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from praksis.clinics.access import Actor, require
from praksis.processing import selectors


def record_pdf(*, actor: Actor, language: str | None = None) -> bytes:
    """The whole record (Art. 30(1)(a)-(g)) and the processor register. No personal data,
    so nothing to log."""
    require(actor, "privacy.manage")
    clinic = actor.clinic
    context = selectors.record_view(clinic, language)
    with translation.override(context["language"]), timezone.override(clinic.zone):
        html = render_to_string(
            "processing/record_pdf.html",
            {**context, "printed_at": timezone.now(), "authorities": selectors.authorities(clinic)},
        )
        return HTML(string=html).write_pdf()
