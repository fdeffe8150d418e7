"""Staff pages: list, new order from the catalogue or free text, invoice, payment, PDF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from praksis.sales.models import Invoice, Order, Payment
from tests.conftest import speaks


@pytest.fixture
def reception(clinic, make_staff):
    client = Client()
    client.force_login(speaks(make_staff(clinic, "receptionist"), "en"))
    return client


def test_sell_through_the_pages(reception, buyer, glasses):
    page = reception.get(f"/staff/sales/orders/new/?person={buyer.pk}")
    assert page.status_code == 200
    assert (
        "Greta Wikander" in page.content.decode() and "Progressive glasses" in page.content.decode()
    )
    response = reception.post(
        "/staff/sales/orders/new/",
        {"person": buyer.pk, "product_0": glasses.pk, "quantity_0": "1",
         "description_1": "Lens cleaner", "quantity_1": "3", "unit_price_1": "199,90",
         "vat_rate_1": "25", "kind_1": "product"},
    )  # fmt: skip
    order = Order.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/staff/sales/orders/{order.pk}/"
    )
    assert order.lines.count() == 2
    page = reception.get(f"/staff/sales/orders/{order.pk}/").content.decode()
    assert "5594.70" in page or "5594,70" in page
    response = reception.post(f"/staff/sales/orders/{order.pk}/invoice/", {"due_days": "14"})
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/staff/sales/invoices/{invoice.pk}/"
    page = reception.get(response["Location"]).content.decode()
    assert "5 594,70" in page and "Register payment" in page and "receipt.pdf" in page
    response = reception.post(
        f"/staff/sales/invoices/{invoice.pk}/payments/", {"amount": "6000", "method": "card"}
    )
    assert "error=" in response["Location"]
    assert (
        "more than the amount outstanding" in reception.get(response["Location"]).content.decode()
    )
    reception.post(f"/staff/sales/invoices/{invoice.pk}/payments/",
                   {"amount": "5594,70", "method": "swish"})  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.paid_total == Decimal("5594.70")
    home = reception.get("/staff/sales/").content.decode()
    assert f"/staff/sales/invoices/{invoice.pk}/" in home and "Greta Wikander" in home


def test_new_order_form_keeps_what_was_typed_on_errors(reception, buyer):
    response = reception.post(
        "/staff/sales/orders/new/",
        {"person": buyer.pk, "description_0": "Lens cleaner", "unit_price_0": "1.005",
         "vat_rate_0": "25"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="Lens cleaner"' in body and 'value="1.005"' in body
    assert "at most two decimals" in body
    assert not Order.objects.exists()


def test_new_order_without_a_person_offers_the_person_search(reception):
    response = reception.get("/staff/sales/orders/new/")
    assert response.status_code == 200 and 'name="person_q"' in response.content.decode()
    assert reception.post("/staff/sales/orders/new/", {}).status_code == 200


def test_instalments_and_credit_note_through_the_pages(reception, buyer, owner, sell):
    invoice = sell(owner, buyer)
    reception.post(f"/staff/sales/invoices/{invoice.pk}/instalments/", {"count": "3"})
    page = reception.get(f"/staff/sales/invoices/{invoice.pk}/").content.decode()
    assert "216,40" in page  # 649.20 / 3
    response = reception.post(f"/staff/sales/invoices/{invoice.pk}/credit/", {"reason": "Oops"})
    note = Invoice.objects.get(kind="credit_note")
    assert response["Location"] == f"/staff/sales/invoices/{note.pk}/"
    assert not Payment.objects.exists()


def test_other_clinics_objects_are_404(buyer, owner, sell, make_clinic, make_staff):
    invoice = sell(owner, buyer)
    outsider = Client()
    outsider.force_login(make_staff(make_clinic("other"), "owner", email="o@annan.test"))
    for url in (f"/staff/sales/orders/{invoice.order_id}/", f"/staff/sales/invoices/{invoice.pk}/",
                f"/staff/sales/invoices/{invoice.pk}/receipt.pdf"):  # fmt: skip
        assert outsider.get(url).status_code == 404
    assert outsider.post(f"/staff/sales/invoices/{invoice.pk}/payments/",
                         {"amount": "1", "method": "card"}).status_code == 404  # fmt: skip
    assert outsider.get(f"/staff/sales/orders/new/?person={buyer.pk}").status_code == 404
    assert "Wikander" not in outsider.get("/staff/sales/").content.decode()
    invoice.refresh_from_db()
    assert invoice.paid_total == 0


def test_signed_out_is_sent_to_login():
    response = Client().get("/staff/sales/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_sales_list_queries_do_not_grow(reception, buyer, owner, sell):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert reception.get("/staff/sales/").status_code == 200
        return len(ctx.captured_queries)

    sell(owner, buyer)
    count()
    few = count()
    for _ in range(4):
        sell(owner, buyer)
    assert count() == few


def test_only_journal_roles_pick_the_prescribing_entry(
    clinic, reception, make_staff, buyer, owner, make_entry
):
    entry = make_entry(owner, person=buyer)
    assert (
        'name="journal_entry"'
        not in reception.get(f"/staff/sales/orders/new/?person={buyer.pk}").content.decode()
    )
    practitioner = Client()
    practitioner.force_login(make_staff(clinic, "practitioner"))
    page = practitioner.get(f"/staff/sales/orders/new/?person={buyer.pk}").content.decode()
    assert f'<option value="{entry.pk}"' in page and "secret" not in page
    practitioner.post(
        "/staff/sales/orders/new/",
        {"person": buyer.pk, "journal_entry": entry.pk, "description_0": "Glasses",
         "unit_price_0": "1995", "vat_rate_0": "25"},
    )  # fmt: skip
    assert Order.objects.get().journal_entry_id == entry.pk
