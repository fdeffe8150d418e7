"""Orders become invoices with exact totals, gapless numbers and final contents."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from praksis.core.errors import Conflict, ValidationFailed
from praksis.sales import services
from praksis.sales.models import Invoice, InvoiceCounter, InvoiceLine, Order, Payment
from tests.sales.conftest import MIXED

D = Decimal


def test_invoice_totals_and_vat_are_exact_across_mixed_rates(owner, buyer, sell):
    invoice = sell(owner, buyer)
    invoice.refresh_from_db()  # as stored, not as computed in memory
    assert (invoice.total, invoice.vat_total, invoice.net_total) == (
        D("649.20"), D("125.24"), D("523.96"),
    )  # fmt: skip
    lines = list(invoice.lines.values_list("quantity", "unit_price", "vat_rate", "vat_amount",
                                           "net_amount", "total"))  # fmt: skip
    assert lines == [
        (D("3.00"), D("199.90"), D("25.00"), D("119.94"), D("479.76"), D("599.70")),
        (D("1.00"), D("49.50"), D("12.00"), D("5.30"), D("44.20"), D("49.50")),
    ]
    assert invoice.total == sum(line[-1] for line in lines)
    assert invoice.status == "open" and invoice.currency == "SEK"
    assert invoice.buyer_name == "Greta Wikander"
    assert invoice.buyer_address == "Storgatan 1\n222 22 Lund"
    assert invoice.due_date == timezone.now().astimezone(owner.clinic.zone).date() + timedelta(30)
    assert Order.objects.get().status == "ordered"


def test_product_lines_take_price_and_vat_from_the_price_list(owner, buyer, glasses, sell):
    invoice = sell(
        owner,
        buyer,
        [{"product": glasses.pk}, {"product": glasses.pk, "unit_price": "3995", "quantity": 2}],
    )
    assert list(invoice.lines.values_list("description", "kind", "total", "vat_amount")) == [
        ("Progressive glasses", "glasses", D("4995.00"), D("999.00")),
        ("Progressive glasses", "glasses", D("7990.00"), D("1598.00")),
    ]
    assert invoice.total == D("12985.00")


def test_bad_lines_are_refused_per_field(owner, buyer, make_clinic, make_actor):
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(actor=owner, person_id=buyer.pk, lines=[
            {"description": "", "unit_price": "10", "vat_rate": "25"},
            {"description": "X", "unit_price": "1.005", "vat_rate": "25"},
            {"description": "X", "unit_price": "10", "vat_rate": "15"},  # a Norwegian rate
            {"description": "X", "unit_price": "10", "vat_rate": "25", "quantity": "0"},
            {"product": 999999},
        ])  # fmt: skip
    assert set(caught.value.errors) == {
        "lines.0.description", "lines.1.unit_price", "lines.2.vat_rate", "lines.3.quantity",
        "lines.4.product",
    }  # fmt: skip
    assert Order.objects.count() == 0
    # A Norwegian clinic has 15 % but no 6 %.
    vet_owner = make_actor(make_clinic("vet"), "owner")
    clean = services.clean_line(vet_owner.clinic, {"description": "X", "unit_price": "1",
                                                   "vat_rate": "15"})  # fmt: skip
    assert clean["vat_rate"] == D("15.00")
    with pytest.raises(ValidationFailed):
        services.clean_line(vet_owner.clinic, {"description": "X", "unit_price": "1",
                                               "vat_rate": "6"})  # fmt: skip


def test_numbers_are_sequential_per_clinic_with_credit_notes_in_the_series(
    owner, buyer, sell, make_clinic, make_actor, make_person
):
    first, second = sell(owner, buyer), sell(owner, buyer)
    note = services.credit_note_issue(actor=owner, invoice_id=first.pk)
    third = sell(owner, buyer)
    assert [first.number, second.number, note.number, third.number] == [1, 2, 3, 4]
    other_owner = make_actor(make_clinic("vet"), "owner")
    other = sell(other_owner, make_person(other_owner))
    assert other.number == 1 and other.currency == "NOK"
    assert InvoiceCounter.objects.get(clinic=owner.clinic).next_number == 5


def test_a_failed_issue_leaves_no_gap(owner, buyer, sell):
    sell(owner, buyer)
    empty = services.order_create(actor=owner, person_id=buyer.pk)
    with pytest.raises(ValidationFailed):
        services.invoice_issue(actor=owner, order_id=empty.pk)
    with pytest.raises(ValidationFailed):
        services.invoice_issue(actor=owner, order_id=empty.pk, due_days=400)
    assert sell(owner, buyer).number == 2


def test_an_order_is_invoiced_once_and_locked_until_credited(owner, buyer, sell):
    invoice = sell(owner, buyer)
    order_id = invoice.order_id
    with pytest.raises(Conflict):
        services.invoice_issue(actor=owner, order_id=order_id)
    with pytest.raises(Conflict):
        services.order_add_line(actor=owner, order_id=order_id, data=MIXED[0])
    note = services.credit_note_issue(actor=owner, invoice_id=invoice.pk, reason="Wrong frame")
    case = {"description": "Case", "unit_price": "100", "vat_rate": "25"}
    services.order_add_line(actor=owner, order_id=order_id, data=case)
    again = services.invoice_issue(actor=owner, order_id=order_id)
    assert again.number == note.number + 1
    assert again.total == D("749.20")


def test_credit_note_mirrors_the_invoice_exactly(owner, buyer, sell):
    invoice = sell(owner, buyer)
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="100", method="card")
    note = services.credit_note_issue(actor=owner, invoice_id=invoice.pk, reason="Wrong frame")
    invoice.refresh_from_db()
    assert invoice.status == "credited"
    assert note.kind == "credit_note" and note.credits_id == invoice.pk
    assert (note.total, note.vat_total, note.net_total) == (
        -invoice.total, -invoice.vat_total, -invoice.net_total,
    )  # fmt: skip
    assert list(note.lines.values_list("quantity", "vat_amount", "total")) == [
        (D("-3.00"), D("-119.94"), D("-599.70")), (D("-1.00"), D("-5.30"), D("-49.50")),
    ]  # fmt: skip
    assert note.buyer_name == invoice.buyer_name
    assert invoice.outstanding == 0
    with pytest.raises(Conflict):
        services.credit_note_issue(actor=owner, invoice_id=invoice.pk)
    with pytest.raises(Conflict):
        services.credit_note_issue(actor=owner, invoice_id=note.pk)
    with pytest.raises(Conflict):
        services.payment_register(actor=owner, invoice_id=invoice.pk, amount="1", method="card")


def test_payments_move_the_status(receptionist, buyer, sell):
    invoice = sell(receptionist, buyer)
    services.payment_register(actor=receptionist, invoice_id=invoice.pk, amount="200,00",
                              method="swish")  # fmt: skip
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.outstanding) == (
        "partly_paid", D("200.00"), D("449.20"),
    )  # fmt: skip
    services.payment_register(actor=receptionist, invoice_id=invoice.pk, amount="449.20",
                              method="cash", paid_at="2020-01-02")  # fmt: skip
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.outstanding) == ("paid", D("649.20"), 0)
    assert list(Payment.objects.values_list("amount", "method")) == [
        (D("449.20"), "cash"),
        (D("200.00"), "swish"),
    ]  # fmt: skip  (ordered by paid_at: the back-dated one first)


def test_overpayment_is_refused_with_a_field_error(owner, buyer, sell):
    from django.utils import translation

    invoice = sell(owner, buyer)
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        services.payment_register(actor=owner, invoice_id=invoice.pk, amount="649.21",
                                  method="card")  # fmt: skip
    assert caught.value.errors == {"amount": ["That is more than the amount outstanding (649,20)."]}
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="649.20", method="card")
    with pytest.raises(ValidationFailed) as caught:
        services.payment_register(actor=owner, invoice_id=invoice.pk, amount="0.01",
                                  method="card")  # fmt: skip
    assert "amount" in caught.value.errors
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-5", "method": "card"}, "amount"),
        ({"amount": "abc", "method": "card"}, "amount"),
        ({"amount": "5", "method": "vipps"}, "method"),  # Vipps is Norwegian
        ({"amount": "5", "method": "card", "paid_at": "2999-01-01"}, "paid_at"),
        ({"amount": "5", "method": "card", "paid_at": "yesterday"}, "paid_at"),
    ],
)
def test_bad_payments_are_refused(owner, buyer, sell, data, field):
    invoice = sell(owner, buyer)
    with pytest.raises(ValidationFailed) as caught:
        services.payment_register(actor=owner, invoice_id=invoice.pk, **data)
    assert field in caught.value.errors
    invoice.refresh_from_db()
    assert invoice.paid_total == 0 and not Payment.objects.exists()


def test_instalment_plan_sums_exactly_and_tracks_payments(owner, buyer, sell):
    invoice = sell(owner, buyer)
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="49.20", method="card")
    first_due = invoice.due_date
    plan = services.instalment_plan_create(
        actor=owner, invoice_id=invoice.pk, count=3, first_due_date=first_due.isoformat()
    )
    rows = list(plan.instalments.values_list("seq", "amount", "due_date"))
    assert [r[1] for r in rows] == [D("200.00"), D("200.00"), D("200.00")]
    assert plan.amount == D("600.00") == sum(r[1] for r in rows)
    assert rows[0][2] == first_due and rows[2][2].month == (first_due.month + 1) % 12 + 1
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="250", method="card")
    invoice.refresh_from_db()
    schedule = services.instalment_schedule(plan, invoice)
    assert [(r.paid, r.settled) for r in schedule] == [
        (D("200.00"), True), (D("50.00"), False), (D("0"), False),
    ]  # fmt: skip
    with pytest.raises(Conflict):
        services.instalment_plan_create(actor=owner, invoice_id=invoice.pk, count=2)


def test_instalments_last_absorbs_the_remainder(owner, buyer, sell):
    invoice = sell(owner, buyer)
    plan = services.instalment_plan_create(actor=owner, invoice_id=invoice.pk, count=7)
    amounts = list(plan.instalments.values_list("amount", flat=True))
    assert amounts == [D("92.74")] * 6 + [D("92.76")]
    assert sum(amounts) == invoice.total


@pytest.mark.parametrize(
    ("data", "field"),
    [({"count": 1}, "count"), ({"count": 37}, "count"), ({"count": "x"}, "count"),
     ({"count": 3, "interval_months": 0}, "interval_months"),
     ({"count": 3, "first_due_date": "2001-01-01"}, "first_due_date")],
)  # fmt: skip
def test_bad_instalment_plans_are_refused(owner, buyer, sell, data, field):
    invoice = sell(owner, buyer)
    with pytest.raises(ValidationFailed) as caught:
        services.instalment_plan_create(actor=owner, invoice_id=invoice.pk, **data)
    assert field in caught.value.errors


def test_order_statuses(owner, buyer):
    order = services.order_create(actor=owner, person_id=buyer.pk)
    with pytest.raises(ValidationFailed):
        services.order_place(actor=owner, order_id=order.pk)
    services.order_add_line(actor=owner, order_id=order.pk, data=MIXED[0])
    assert services.order_place(actor=owner, order_id=order.pk).status == "ordered"
    with pytest.raises(Conflict):
        services.order_place(actor=owner, order_id=order.pk)
    assert services.order_deliver(actor=owner, order_id=order.pk).status == "delivered"
    with pytest.raises(Conflict):
        services.order_cancel(actor=owner, order_id=order.pk)
    other = services.order_create(actor=owner, person_id=buyer.pk, lines=MIXED)
    line = other.lines.first()
    services.order_remove_line(actor=owner, order_id=other.pk, line_id=line.pk)
    assert services.order_cancel(actor=owner, order_id=other.pk).status == "cancelled"
    with pytest.raises(Conflict):
        services.invoice_issue(actor=owner, order_id=other.pk)


def test_journal_entry_must_be_the_persons(owner, buyer, make_person, make_entry):
    entry = make_entry(owner, person=buyer)
    order = services.order_create(actor=owner, person_id=buyer.pk, journal_entry_id=entry.pk)
    assert order.journal_entry_id == entry.pk
    someone_else = make_person(owner, first_name="Other")
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(actor=owner, person_id=someone_else.pk, journal_entry_id=entry.pk)
    assert set(caught.value.errors) == {"journal_entry"}


def test_an_animals_entry_counts_for_its_owner(make_clinic, make_actor, make_person, make_entry):
    from praksis.people.services import animal_create

    vet = make_actor(make_clinic("vet"), "owner")
    owner_person = make_person(vet)
    animal = animal_create(actor=vet, owner_ids=[owner_person.pk], name="Tassen", species="cat")
    entry = make_entry(vet, animal=animal)
    order = services.order_create(actor=vet, person_id=owner_person.pk,
                                  journal_entry_id=entry.pk, lines=[{"description": "Vaccine",
                                  "unit_price": "450", "vat_rate": "25"}])  # fmt: skip
    assert order.journal_entry_id == entry.pk


def test_the_database_refuses_to_change_an_issued_invoice(owner, buyer, sell):
    invoice = sell(owner, buyer)
    later = invoice.due_date + timedelta(1)
    changes = [{"total": D("1.00")}, {"number": 99}, {"due_date": later}, {"buyer_name": "X"}]
    for change in changes:
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.filter(invoice=invoice).update(total=D("0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.filter(invoice=invoice).delete()
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="1", method="card")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.update(amount=D("2"))
    # The payment state may change (through the services).
    Invoice.objects.filter(pk=invoice.pk).update(status="open")
    invoice.refresh_from_db()
    assert (invoice.total, invoice.number, invoice.buyer_name) == (
        D("649.20"), 1, "Greta Wikander",
    )  # fmt: skip


def test_the_database_refuses_overpayment_too(owner, buyer, sell):
    invoice = sell(owner, buyer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_total=D("649.21"))
