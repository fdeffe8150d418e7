"""The retention sweep on accounting records: SE through the 7th year after the financial
year (REQ-06), NO 5 years after it, configurable (REQ-07); holds stop it (REQ-11)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.core.db import purge_allowed
from praksis.privacy.retention import hold_place, kept_until, rule_named, setting_save, sweep
from praksis.sales import services
from praksis.sales.models import Invoice, InvoiceLine, Order, OrderLine, Payment
from tests.privacy.retention_helpers import at

LINES = [{"description": "Massage 60 min", "quantity": 1, "unit_price": "800", "vat_rate": "25"}]


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sell(actor, person, issued):
    order = services.order_create(actor=actor, person_id=person.pk, lines=LINES)
    invoice = services.invoice_issue(actor=actor, order_id=order.pk)
    services.payment_register(
        actor=actor, invoice_id=invoice.pk, amount=invoice.total, method="card"
    )
    with purge_allowed():  # back-date the sale (the records are otherwise final)
        Invoice.objects.filter(pk=invoice.pk).update(issued_at=issued)
        Payment.objects.filter(invoice=invoice).update(paid_at=issued)
    return invoice


def _sweep(now):
    return sum(o.count for o in sweep(now=now, rules=[rule_named("accounting")]))


def test_req06_sweden_keeps_through_the_seventh_year(clinic, owner, make_person):
    """REQ-06: a 2017 invoice is kept through 31 Dec 2024 (Stockholm time), then its
    lines, payments and order go with it."""
    person = make_person(owner)
    invoice = _sell(owner, person, at(2017, 3, 5, zone="Europe/Stockholm"))
    late = _sell(owner, person, at(2018, 1, 1, 0, zone="Europe/Stockholm"))
    assert kept_until(clinic, "accounting", date(2017, 3, 5)) == date(2024, 12, 31)
    assert _sweep(at(2024, 12, 31, 23, zone="Europe/Stockholm")) == 0
    assert _sweep(at(2025, 1, 1, 0, zone="Europe/Stockholm")) == 1
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert not InvoiceLine.objects.filter(invoice_id=invoice.pk).exists()
    assert not Payment.objects.filter(invoice_id=invoice.pk).exists()
    assert not Order.objects.filter(pk=invoice.order_id).exists()
    assert not OrderLine.objects.filter(order_id=invoice.order_id).exists()
    assert Invoice.objects.filter(pk=late.pk).exists()  # 2018: kept through 2025
    evidence = AccessLogEntry.objects.get(clinic=clinic, purpose="retention")
    assert evidence.detail == "rule=accounting; delete: 1"


def test_req07_norway_five_years_and_configurable(make_clinic, make_actor, make_person):
    """REQ-07: NO keeps 5 years after the financial year; a clinic may keep longer."""
    clinic = make_clinic("vet")
    actor = make_actor(clinic)
    invoice = _sell(actor, make_person(actor), at(2019, 6, 1, zone="Europe/Oslo"))
    assert kept_until(clinic, "accounting", date(2019, 6, 1)) == date(2024, 12, 31)
    setting_save(actor=actor, record_type="accounting", months=72)
    assert kept_until(clinic, "accounting", date(2019, 6, 1)) == date(2025, 12, 31)
    assert _sweep(at(2025, 6, 1)) == 0
    assert _sweep(at(2026, 1, 1, 0, zone="Europe/Oslo")) == 1
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_req06_a_credit_note_and_a_later_payment_keep_the_order(clinic, owner, make_person):
    """REQ-06: the order goes only when its latest accounting record is past retention."""
    person = make_person(owner)
    invoice = _sell(owner, person, at(2015, 5, 1))
    credit = services.credit_note_issue(actor=owner, invoice_id=invoice.pk, reason="Returned")
    with purge_allowed():
        Invoice.objects.filter(pk=credit.pk).update(issued_at=at(2016, 2, 1))
    assert _sweep(at(2023, 6, 1)) == 0  # the credit note (2016) is kept through 2023
    assert _sweep(at(2024, 1, 2)) == 1
    assert not Invoice.objects.filter(order_id=invoice.order_id).exists()


def test_req11_a_hold_on_an_invoice_keeps_it(clinic, owner, make_person):
    """REQ-11: a legal hold on one invoice (or on the buyer) stops its deletion."""
    person, other = make_person(owner), make_person(owner)
    invoice = _sell(owner, person, at(2010, 1, 1))
    other_invoice = _sell(owner, other, at(2010, 1, 1))
    hold_place(actor=owner, record_type="accounting", record_id=invoice.pk, reason="Tax audit")
    hold_place(actor=owner, person=other, reason="Dispute")
    assert _sweep(timezone.now()) == 0
    assert Invoice.objects.filter(pk__in=[invoice.pk, other_invoice.pk]).count() == 2
    assert Decimal(invoice.total) > 0


def test_req06_the_period_counts_from_the_end_of_the_clinics_financial_year(
    clinic, owner, make_person
):
    """REQ-06: a clinic whose financial year runs May-April: an invoice of 10 March 2017
    belongs to the year ending 30 April 2017, kept through 31 Dec 2024; one of 10 May 2017
    to the year ending 30 April 2018, kept through 31 Dec 2025."""
    type(clinic).objects.filter(pk=clinic.pk).update(financial_year_start=5)
    clinic.refresh_from_db()
    person = make_person(owner)
    march = _sell(owner, person, at(2017, 3, 10, zone="Europe/Stockholm"))
    may = _sell(owner, person, at(2017, 5, 10, zone="Europe/Stockholm"))
    assert kept_until(clinic, "accounting", date(2017, 3, 10)) == date(2024, 12, 31)
    assert kept_until(clinic, "accounting", date(2017, 5, 10)) == date(2025, 12, 31)
    books = [list(model.objects.filter(pk=may.pk).values()) for model in (Invoice,)] + [
        list(InvoiceLine.objects.filter(invoice=may).values())
    ]
    assert _sweep(at(2024, 12, 31, 23, zone="Europe/Stockholm")) == 0
    assert _sweep(at(2025, 1, 1, 0, zone="Europe/Stockholm")) == 1
    assert not Invoice.objects.filter(pk=march.pk).exists()
    # The later year's invoice is untouched by the sweep, byte for byte.
    assert books == [list(model.objects.filter(pk=may.pk).values()) for model in (Invoice,)] + [
        list(InvoiceLine.objects.filter(invoice=may).values())
    ]
    assert _sweep(at(2026, 1, 1, 0, zone="Europe/Stockholm")) == 1
