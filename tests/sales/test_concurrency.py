"""Invoice numbers stay gapless and unique when several desks issue at once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from praksis.sales import services
from praksis.sales.models import Invoice, InvoiceCounter
from tests.sales.conftest import MIXED

ISSUERS = 2
PER_ISSUER = 6


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises all writers (no race to test); runs in the PostgreSQL pass",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issuers_get_gapless_numbers(make_clinic, make_actor, make_person):
    clinic = make_clinic("optician")
    desks = [make_actor(clinic, role) for role in ("owner", "receptionist")][:ISSUERS]
    person = make_person(desks[0])
    orders = [
        [services.order_create(actor=desks[0], person_id=person.pk, lines=MIXED).pk
         for _ in range(PER_ISSUER)]
        for _ in range(ISSUERS)
    ]  # fmt: skip
    barrier = threading.Barrier(ISSUERS)
    errors: list[BaseException] = []

    def issue(actor, order_ids):
        try:
            barrier.wait(timeout=10)
            for order_id in order_ids:
                services.invoice_issue(actor=actor, order_id=order_id)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=issue, args=(desk, ids))
        for desk, ids in zip(desks, orders, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    numbers = sorted(Invoice.objects.filter(clinic=clinic).values_list("number", flat=True))
    assert numbers == list(range(1, ISSUERS * PER_ISSUER + 1))
    assert InvoiceCounter.objects.get(clinic=clinic).next_number == ISSUERS * PER_ISSUER + 1
    # Both desks really did issue (the race was real, not one after the other by chance).
    issuers = set(Invoice.objects.values_list("issued_by_user_id", flat=True))
    assert issuers == {desk.user_id for desk in desks}
