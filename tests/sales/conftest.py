"""Fixtures for sales: a clinic's owner and receptionist, a buyer, a quick sale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from praksis.journal.models import JournalEntry
from praksis.sales import services
from praksis.sales.models import Product


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    # Sales tests never check a password; hashing one with Argon2 for every member of
    # staff a test creates would dominate their run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def buyer(owner, make_person):
    return make_person(
        owner, first_name="Greta", last_name="Wikander", address="Storgatan 1\n222 22 Lund"
    )


@pytest.fixture
def glasses(clinic):
    return Product.objects.create(
        clinic=clinic, name="Progressive glasses", kind="glasses",
        unit_price=Decimal("4995.00"), vat_rate=Decimal("25.00"),
    )  # fmt: skip


@pytest.fixture
def make_entry():
    """A journal entry (its text is ciphertext the sales app never reads)."""

    def make(actor, *, person=None, animal=None):
        return JournalEntry.objects.create(
            clinic=actor.clinic, person=person, animal=animal, author_user_id=actor.user_id,
            author_name=actor.user.full_name, ciphertext=b"\x00secret",
        )  # fmt: skip

    return make


MIXED = [
    {"description": "Lens cleaner", "quantity": 3, "unit_price": "199.90", "vat_rate": "25"},
    {"description": "Eye drops", "quantity": 1, "unit_price": "49.50", "vat_rate": "12"},
]


@pytest.fixture
def sell():
    """Order ``lines`` for ``person`` and invoice them: returns the invoice."""

    def make(actor, person, lines=None, **issue):
        order = services.order_create(actor=actor, person_id=person.pk, lines=lines or MIXED)
        return services.invoice_issue(actor=actor, order_id=order.pk, **issue)

    return make
