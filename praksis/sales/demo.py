"""A demo price list per clinic profile (prices include VAT); orders with invoices, a
payment and (optician) an instalment plan, made by the receptionist through the sales
services; and for the therapy clinic a lead from a benefits portal. Idempotent."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic
from praksis.people.models import Person
from praksis.sales.leads import lead_add
from praksis.sales.models import Kind, Order, PortalLead, Product
from praksis.sales.services import (
    instalment_plan_create,
    invoice_issue,
    order_create,
    payment_register,
)

if TYPE_CHECKING:
    from praksis.journal.models import JournalEntry  # given by the demo seed (praksis.site)

# (names by language, kind, price incl. VAT, VAT rate). Health care is exempt from VAT
# in both countries (the eye examination, dental care); goods and veterinary care are not.
CATALOGUE = {
    "optician": [
        ({"sv": "Synundersökning", "nb": "Synsundersøkelse", "en": "Eye examination"},
         Kind.SERVICE, "595.00", "0.00"),
        ({"sv": "Glasögon, enkelslipade", "nb": "Briller, enkeltstyrke",
          "en": "Single-vision glasses"}, Kind.GLASSES, "1995.00", "25.00"),
        ({"sv": "Glasögon, progressiva", "nb": "Briller, progressive",
          "en": "Progressive glasses"}, Kind.GLASSES, "4995.00", "25.00"),
        ({"sv": "Månadslinser, 3-pack", "nb": "Månedslinser, 3-pk",
          "en": "Monthly lenses, 3-pack"}, Kind.LENSES, "349.00", "25.00"),
    ],
    "therapy": [
        ({"sv": "Massageolja 100 ml", "nb": "Massasjeolje 100 ml", "en": "Massage oil 100 ml"},
         Kind.PRODUCT, "189.00", "25.00"),
    ],
    "veterinary": [
        ({"sv": "Vaccination", "nb": "Vaksine", "en": "Vaccine"}, Kind.SERVICE, "450.00",
         "25.00"),
        ({"sv": "Avmaskningstabletter", "nb": "Ormekurtabletter", "en": "Worming tablets"},
         Kind.PRODUCT, "129.90", "25.00"),
    ],
    "dental": [
        ({"sv": "Undersökning", "nb": "Undersøkelse", "en": "Check-up"}, Kind.SERVICE,
         "890.00", "0.00"),
        ({"sv": "Tandrengöring", "nb": "Tannrens", "en": "Cleaning"}, Kind.SERVICE, "690.00",
         "0.00"),
    ],
}  # fmt: skip


def seed_sales(clinic: Clinic) -> list[Product]:
    """Create the demo products of ``clinic``'s profile; running it again adds nothing."""
    products = []
    for names, kind, price, rate in CATALOGUE.get(clinic.profile, []):
        product, _created = Product.objects.get_or_create(
            clinic=clinic,
            name=names.get(clinic.language, names["en"]),
            defaults={"kind": kind, "unit_price": Decimal(price), "vat_rate": Decimal(rate)},
        )
        products.append(product)
    return products


# Per profile: (product positions in CATALOGUE with quantities) for each order, and the
# method of the payment the first invoice gets.
ORDERS = {
    "optician": ([((2, 1), (0, 1)), ((3, 2),), ((1, 1),)], "card"),
    "therapy": ([((0, 1),), ((0, 2),)], "swish"),
    "veterinary": ([((0, 1), (1, 1)), ((1, 2),)], "vipps"),
    "dental": ([((0, 1), (1, 1)), ((1, 1),)], "card"),
}


def seed_orders(
    clinic: Clinic, *, actor: Actor, people: list[Person], entries: list[JournalEntry]
) -> None:
    """Once: the first order (linked to the journal entry that prescribed it) invoiced and
    paid, the second invoiced and open (the optician's split in instalments), the third
    (optician) an order not yet invoiced."""
    if Order.objects.filter(clinic=clinic).exists() or not people:
        return
    products = seed_sales(clinic)
    orders, method = ORDERS[clinic.profile]
    for index, lines in enumerate(orders):
        entry = entries[index] if index < len(entries) else None
        person_id = _buyer(entry) or people[index % len(people)].pk
        order = order_create(
            actor=actor,
            person_id=person_id,
            journal_entry_id=entry.pk if entry else None,
            lines=[{"product": products[p].pk, "quantity": q} for p, q in lines],
        )
        if index == 2:
            continue
        invoice = invoice_issue(actor=actor, order_id=order.pk)
        if index == 0:
            paid = invoice.total
            payment_register(actor=actor, invoice_id=invoice.pk, amount=paid, method=method)
        elif clinic.profile == "optician":
            instalment_plan_create(actor=actor, invoice_id=invoice.pk, count=3)


def _buyer(entry: JournalEntry | None) -> int | None:
    """Who pays for what the entry prescribed: its person, or the animal's first owner."""
    if entry is None:
        return None
    if entry.person_id:
        return entry.person_id
    return entry.animal.ownerships.order_by("pk").values_list("person_id", flat=True).first()


def seed_leads(clinic: Clinic, *, actor: Actor) -> None:
    """Once, for the therapy clinic: a new client announced by a benefits portal."""
    if clinic.profile != "therapy" or PortalLead.objects.filter(clinic=clinic).exists():
        return
    lead_add(
        actor=actor,
        portal="Friskvårdsportalen",
        name="Vera Lindgren",
        contact="vera.lindgren@example.com",
        note="Klassisk massage 60 min",
    )
