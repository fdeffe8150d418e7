"""No N+1: list pages and endpoints cost the same number of queries for 3 or 30 rows."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from praksis.booking.services import appointment_book
from praksis.journal.services import entry_create
from tests.conftest import next_local


def _count(call) -> int:
    call()  # warm: the token's first use records its last-use time (once a minute)
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_person_search_and_list_cost_is_constant(clinic, owner, make_person, make_api):
    api = make_api(clinic, "receptionist")
    for i in range(3):
        make_person(owner, first_name=f"Anna{i}", last_name="Berg")
    few = _count(lambda: api.get("persons", q="berg"))
    listing_few = _count(lambda: api.get("persons"))
    for i in range(3, 30):
        make_person(owner, first_name=f"Anna{i}", last_name="Berg")
    # A full first page even saves the query for first-name matches.
    assert _count(lambda: api.get("persons", q="berg")) <= few
    assert _count(lambda: api.get("persons")) == listing_few
    assert few <= 12  # token, 2 counts, 2 pages, access-log row (lock, insert, head, txn)


def test_journal_read_cost_is_constant(clinic, make_actor, make_person, make_api):
    doctor = make_actor(clinic, "practitioner")
    person = make_person(doctor)
    api = make_api(clinic, "owner")
    for i in range(3):
        entry = entry_create(actor=doctor, person_id=person.pk, text=f"anteckning {i}", sign=True)
    few = _count(lambda: api.get(f"persons/{person.pk}/journal"))
    for i in range(27):
        entry = entry_create(actor=doctor, person_id=person.pk, text=f"fler {i}", sign=True)
    api.post(f"journal/{entry.pk}/amendments", {"text": "rättelse", "reason": "fel"})
    assert _count(lambda: api.get(f"persons/{person.pk}/journal")) == few


def test_calendar_and_appointments_cost_is_constant(
    clinic, owner, make_person, make_bookable, make_api, make_staff
):
    service, (p1, p2) = make_bookable(clinic, practitioners=2)
    api = make_api(clinic, "receptionist")
    page = Client()
    page.force_login(make_staff(clinic, "receptionist", email="desk2@test-optik.test"))
    day = next_local(clinic, days=2, hour=8)

    def book(n: int, offset: int = 0) -> None:
        for i in range(n):
            appointment_book(
                actor=owner,
                service_id=service.pk,
                person_id=make_person(owner, first_name=f"P{offset + i}", last_name="K").pk,
                start=day + timedelta(minutes=30 * ((offset + i) // 2)),
                practitioner_id=(p1, p2)[(offset + i) % 2].pk,
            )

    book(3)
    query = {"from": day.date().isoformat(), "to": day.date().isoformat()}
    few_api = _count(lambda: api.get("appointments", **query))
    few_page = _count(lambda: page.get("/staff/calendar/", {"date": query["from"]}))
    book(15, offset=3)
    assert _count(lambda: api.get("appointments", **query)) == few_api
    assert _count(lambda: page.get("/staff/calendar/", {"date": query["from"]})) == few_page
