"""Invoices, credit notes and receipts as PDF (WeasyPrint). Printing is access-logged.

The document carries what an invoice must (mervärdesskattelagen 17 kap. 24 §,
bokføringsforskriften § 5-1-1): seller with organisation and VAT number, number, dates,
buyer, lines with quantity, price, VAT rate and amount, the VAT summary per rate, the
total, and — for this clinic's own follow-up — payments and the instalment schedule.
Nothing else: never journal text, never an identity number.
"""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.sales import money, selectors
from praksis.sales.models import Invoice
from praksis.sales.services import instalment_schedule


def vat_number(country: str, org_number: str) -> str:
    """The seller's VAT registration number derived from the organisation number."""
    digits = re.sub(r"\D", "", org_number or "")
    if country == "SE" and len(digits) == 10:
        return f"SE{digits}01"
    if country == "NO" and len(digits) == 9:
        return f"{digits} MVA"
    return ""


def _refuse_urls(url: str, *args, **kwargs):
    raise ValueError("the invoice template loads nothing from outside")


def _local_date(clinic, moment) -> str:
    return moment.astimezone(clinic.zone).date().isoformat()


def invoice_context(invoice: Invoice) -> dict:
    clinic = invoice.clinic
    fmt = money.format_amount
    lines = list(invoice.lines.all())
    summed = money.totals(
        money.LineAmounts(net=ln.net_amount, vat=ln.vat_amount, total=ln.total, rate=ln.vat_rate)
        for ln in lines
    )
    plan = getattr(invoice, "instalment_plan", None)
    credited = invoice.kind == Invoice.DocumentKind.CREDIT_NOTE
    if credited:
        title = translation.gettext("Credit note")
    elif invoice.status == Invoice.Status.PAID:
        title = translation.gettext("Receipt")
    else:
        title = translation.gettext("Invoice")
    return {
        "invoice": invoice,
        "title": title,
        "is_credit_note": credited,
        "currency": invoice.currency,
        "issued_on": _local_date(clinic, invoice.issued_at),
        "vat_number": vat_number(clinic.country, invoice.seller_org_number),
        "lines": [
            {
                "description": ln.description,
                "quantity": money.format_rate(ln.quantity),
                "unit_price": fmt(ln.unit_price),
                "vat_rate": money.format_rate(ln.vat_rate),
                "vat": fmt(ln.vat_amount),
                "total": fmt(ln.total),
            }
            for ln in lines
        ],
        "summary": [
            {
                "rate": money.format_rate(s.rate),
                "net": fmt(s.net),
                "vat": fmt(s.vat),
                "total": fmt(s.total),
            }
            for s in summed.summary
        ],
        "net_total": fmt(invoice.net_total),
        "vat_total": fmt(invoice.vat_total),
        "total": fmt(invoice.total),
        "paid_total": fmt(invoice.paid_total),
        "outstanding": fmt(invoice.outstanding),
        "payments": [
            {
                "date": _local_date(clinic, p.paid_at),
                "method": p.get_method_display(),
                "amount": fmt(p.amount),
            }
            for p in invoice.payments.all()
        ],
        "schedule": [
            {
                "seq": row.seq,
                "due_date": row.due_date.isoformat(),
                "amount": fmt(row.amount),
                "settled": row.settled,
            }
            for row in (instalment_schedule(plan, invoice) if plan else [])
        ],
        "credits": invoice.credits,
    }


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF of an invoice, in the clinic's language (no logging: see invoice_pdf)."""
    with translation.override(invoice.clinic.language):
        html = render_to_string("sales/invoice_pdf.html", invoice_context(invoice))
    return HTML(string=html, url_fetcher=_refuse_urls).write_pdf()


def invoice_pdf(*, actor: Actor, invoice_id: int) -> tuple[Invoice, bytes]:
    """Print an invoice (or its receipt, once paid): the print is logged."""
    require(actor, "person.read")
    invoice = selectors.invoice_for_print(clinic=actor.clinic, invoice_id=invoice_id)
    invoice.clinic = actor.clinic
    pdf = render_invoice_pdf(invoice)
    log_access(
        actor,
        Access(
            action=Action.PRINT,
            object_type="invoice",
            object_id=invoice.pk,
            person_id=invoice.person_id,
            purpose="sales",
            detail=f"number={invoice.number}",
        ),
    )
    return invoice, pdf


def pdf_filename(invoice: Invoice) -> str:
    prefix = "credit-note" if invoice.kind == Invoice.DocumentKind.CREDIT_NOTE else "invoice"
    return f"{prefix}-{invoice.number}.pdf"
