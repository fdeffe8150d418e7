"""The invoice / receipt PDF: what an invoice must carry, nothing from the journal."""

from __future__ import annotations

import io

import pypdf
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.sales import pdf, services


def _text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_carries_number_lines_vat_summary_and_total(owner, buyer, sell, make_entry):
    owner.clinic.organisation_number = "556677-8899"
    owner.clinic.address = "Stora torget 1, Lund"
    owner.clinic.save()
    entry = make_entry(owner, person=buyer)
    order = services.order_create(
        actor=owner, person_id=buyer.pk, journal_entry_id=entry.pk,
        lines=[{"description": "Lens cleaner", "quantity": 3, "unit_price": "199.90",
                "vat_rate": "25"},
               {"description": "Eye drops", "unit_price": "49.50", "vat_rate": "12"}],
    )  # fmt: skip
    invoice = services.invoice_issue(actor=owner, order_id=order.pk)
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="49.20", method="card")
    services.instalment_plan_create(actor=owner, invoice_id=invoice.pk, count=3)
    _invoice, content = pdf.invoice_pdf(actor=owner, invoice_id=invoice.pk)
    assert content.startswith(b"%PDF")
    text = _text(content)
    # Swedish clinic: Swedish document.
    assert "Faktura" in text and "Fakturanummer 1" in text
    assert "Test Optik" in text and "556677-8899" in text and "SE556677889901" in text
    assert "Greta Wikander" in text and "Storgatan 1" in text
    assert "Lens cleaner" in text and "Eye drops" in text
    # The VAT summary per rate, and the totals.
    assert "Moms 25 % 479,76 119,94 599,70" in text
    assert "Moms 12 % 44,20 5,30 49,50" in text
    assert "Summa SEK 649,20" in text
    assert "Summa moms 125,24" in text
    assert "Kvar att betala 600,00" in text
    assert text.count("200,00") >= 3  # the instalment schedule
    assert "secret" not in text and buyer.identity_number not in text


def test_a_paid_invoice_prints_as_a_receipt_and_a_credit_note_as_one(owner, buyer, sell):
    invoice = sell(owner, buyer)
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="649.20", method="swish")
    assert "Kvitto" in _text(pdf.invoice_pdf(actor=owner, invoice_id=invoice.pk)[1])
    note = services.credit_note_issue(actor=owner, invoice_id=invoice.pk, reason="Fel båge")
    text = _text(pdf.invoice_pdf(actor=owner, invoice_id=note.pk)[1])
    assert "Kreditfaktura" in text and "-649,20" in text and "Fel båge" in text


def test_norwegian_clinic_prints_in_norwegian(make_clinic, make_actor, make_person, sell):
    vet = make_actor(make_clinic("vet", organisation_number="987 654 321"), "owner")
    invoice = sell(vet, make_person(vet), [{"description": "Vaksine", "unit_price": "450",
                                            "vat_rate": "25"}])  # fmt: skip
    text = _text(pdf.invoice_pdf(actor=vet, invoice_id=invoice.pk)[1])
    assert "Fakturanummer 1" in text and "987654321 MVA" in text
    assert "Sum NOK 450,00" in text and "MVA 25 % 360,00 90,00 450,00" in text


def test_printing_is_access_logged(owner, buyer, sell):
    invoice = sell(owner, buyer)
    pdf.invoice_pdf(actor=owner, invoice_id=invoice.pk)
    row = AccessLogEntry.objects.filter(clinic=owner.clinic).order_by("-seq").first()
    assert (row.action, row.object_type, row.object_id, row.person_id, row.detail) == (
        "print", "invoice", str(invoice.pk), buyer.pk, "number=1",
    )  # fmt: skip


def test_receipt_over_api_and_staff_page(clinic, make_api, make_staff, buyer, owner, sell):
    invoice = sell(owner, buyer)
    api = make_api(clinic, "receptionist")
    response = api.get(f"invoices/{invoice.pk}/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="invoice-1.pdf"' in response["Content-Disposition"]
    assert "Fakturanummer 1" in _text(response.content)
    ui = Client()
    ui.force_login(make_staff(clinic, "practitioner"))
    response = ui.get(f"/staff/sales/invoices/{invoice.pk}/receipt.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    prints = AccessLogEntry.objects.filter(clinic=clinic, action="print").values_list("channel")
    assert sorted(prints) == [("api",), ("ui",)]
