"""Erasure keeps the accounting records (REQ-06/07) but no longer about the person."""

from __future__ import annotations

from decimal import Decimal

from praksis.audit.models import AccessLogEntry
from praksis.people.models import Person
from praksis.sales import pdf, services
from praksis.sales.models import Invoice, Order


def test_pseudonymisation_keeps_amounts_and_numbers_but_not_the_buyer(
    owner, buyer, sell, make_entry, make_person
):
    entry = make_entry(owner, person=buyer)
    order = services.order_create(actor=owner, person_id=buyer.pk, journal_entry_id=entry.pk,
                                  lines=[{"description": "Glasses", "unit_price": "1995",
                                          "vat_rate": "25"}])  # fmt: skip
    first = services.invoice_issue(actor=owner, order_id=order.pk)
    services.payment_register(actor=owner, invoice_id=first.pk, amount="995", method="card")
    second = sell(owner, buyer)
    note = services.credit_note_issue(actor=owner, invoice_id=second.pk)
    bystander = sell(owner, make_person(owner, first_name="Kalle", last_name="Anka"))
    keep = ("number", "kind", "issued_at", "due_date", "net_total", "vat_total", "total",
            "paid_total", "status")  # fmt: skip
    before = list(Invoice.objects.order_by("number").values_list(*keep))

    result = services.pseudonymise_person_sales(person=buyer)

    assert (result.orders, result.invoices) == (2, 3)
    assert result.pseudonym.startswith("Erased person #") and len(result.pseudonym) == 25
    assert list(Invoice.objects.order_by("number").values_list(*keep)) == before
    for invoice in Invoice.objects.exclude(pk=bystander.pk):
        assert (invoice.person_id, invoice.buyer_name, invoice.buyer_address) == (
            None, result.pseudonym, "",
        )  # fmt: skip
        assert invoice.pseudonymised_at is not None
    assert not Invoice.objects.filter(buyer_name__contains="Wikander").exists()
    assert not Order.objects.filter(person=buyer).exists()
    assert Order.objects.get(pk=order.pk).journal_entry_id is None
    assert Order.objects.get(pk=order.pk).person_pseudonym == result.pseudonym
    assert Invoice.objects.get(pk=bystander.pk).buyer_name == "Kalle Anka"
    assert Invoice.objects.get(pk=note.pk).total == Decimal("-649.20")
    # The printed invoice no longer names the person either.
    text = pdf.render_invoice_pdf(Invoice.objects.get(pk=first.pk)).decode("latin-1")
    assert "Wikander" not in text
    log = AccessLogEntry.objects.filter(clinic=owner.clinic).order_by("-seq").first()
    assert (log.action, log.object_type, log.person_id, log.role) == (
        "update", "sales", buyer.pk, "system",
    )  # fmt: skip
    assert log.detail == "pseudonymised: orders=2; invoices=3"


def test_the_person_row_can_go_once_sales_are_pseudonymised(owner, make_person, sell):
    person = make_person(owner, first_name="Erik", last_name="Ek")
    invoice = sell(owner, person)
    services.pseudonymise_person_sales(person=person, actor=owner)
    Person.objects.filter(pk=person.pk).delete()
    invoice.refresh_from_db()
    assert invoice.total == Decimal("649.20") and invoice.number == 1
    # The order can even be invoiced again after a credit note, to the pseudonym.
    services.credit_note_issue(actor=owner, invoice_id=invoice.pk)
    again = services.invoice_issue(actor=owner, order_id=invoice.order_id)
    assert again.buyer_name.startswith("Erased person #") and again.person_id is None


def test_the_pseudonym_is_stable_and_per_person(owner, make_person):
    a, b = make_person(owner, first_name="A"), make_person(owner, first_name="B")
    assert services.sales_pseudonym(a) == services.sales_pseudonym(a)
    assert services.sales_pseudonym(a) != services.sales_pseudonym(b)
