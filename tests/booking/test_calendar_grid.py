"""The staff calendar as a time grid, and a visit's way through the day.

The grid: a lane per practitioner, opening hours unshaded, absences and closed days
shown, bookings as blocks sized by their duration, free times that book with one click,
drag and drop that moves (the JSON answer the page's script reads), and a fixed number of
queries whatever the number of practitioners and bookings. The visit: booked → arrived →
completed, or no-show, each with who and when, access-logged (REQ-12).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Absence, Appointment, ClosedDay
from praksis.booking.services import appointment_book
from tests.conftest import next_local


@pytest.fixture
def desk(clinic, make_bookable, owner, make_person, make_staff):
    service, staff = make_bookable(clinic, practitioners=2, duration=30)
    person = make_person(owner, first_name="Nils", last_name="Holm", email="nils@example.com")
    client = Client()
    user = make_staff(clinic, "receptionist")
    client.force_login(user)
    return client, service, staff, person, user


def _blocks(page: str) -> dict[str, str]:
    """Booking blocks by id: their class attribute."""
    return dict(re.findall(r'<article class="cal-appt ([^"]+)" id="appt-(\d+)"', page)[::-1])


def _book(owner, service, person, start, practitioner):
    return appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=start,
        practitioner_id=practitioner.pk,
    )


def test_a_day_has_a_lane_per_practitioner_with_blocks_sized_by_duration(clinic, desk, owner):
    client, service, (_p1, p2), person, _user = desk
    start = next_local(clinic, days=2, hour=10)
    appointment = _book(owner, service, person, start, p2)
    page = client.get("/staff/calendar/", {"date": start.date().isoformat()}).content.decode()
    # Two lanes (columns 2 and 3), headed by the practitioners' names.
    assert re.search(r'class="cal-head gc-2 gr-1">Practitioner 1<', page)
    assert re.search(r'class="cal-head gc-3 gr-1">Practitioner 2<', page)
    block = re.search(
        r'<article class="cal-appt (gc-\d+) gr-(\d+) gs-(\d+) status-booked"'
        rf' id="appt-{appointment.pk}"',
        page,
    )
    assert block, page
    column, first_row, span = block.group(1), int(block.group(2)), int(block.group(3))
    assert column == "gc-3"  # Practitioner 2's lane
    assert span == 6  # 30 minutes of five-minute rows
    # The grid starts at the earliest opening (08:00): 10:00 is 24 rows below row 2.
    assert first_row == 2 + 24
    assert "<time>10:00–10:30</time>" in page and "Nils Holm" in page
    # Opening hours 08:00–17:00 are the unshaded part of each lane: 108 rows from row 2.
    assert 'class="cal-open gc-2 gr-2 gs-108"' in page
    # No identity number on the screen, ever.
    assert "19" + "121212" not in page and "identity_number" not in page


def test_absences_and_closed_days_are_shown_and_offer_no_free_time(clinic, desk, owner):
    client, _service, (p1, _p2), _person, _user = desk
    day = next_local(clinic, days=3).date()
    Absence.objects.create(
        clinic=clinic,
        practitioner=p1,
        start=datetime.combine(day, time(12), tzinfo=clinic.zone),
        end=datetime.combine(day, time(14), tzinfo=clinic.zone),
        reason="Kurs",
    )
    page = client.get("/staff/calendar/", {"date": day.isoformat()}).content.decode()
    assert re.search(r'class="cal-absence gc-2 gr-50 gs-24">[^<]*Kurs', page)
    free_p1 = re.findall(rf'practitioner={p1.pk}"[^>]*data-start="[^"]*T(\d\d:\d\d)"', page)
    assert "11:45" in free_p1 and "14:00" in free_p1
    assert not [t for t in free_p1 if "12:00" <= t < "14:00"]

    closed = day + timedelta(days=1)
    ClosedDay.objects.create(clinic=clinic, date=closed, reason="Midsommar")
    page = client.get("/staff/calendar/", {"date": closed.isoformat()}).content.decode()
    assert "Midsommar" in page and "cal-closed" in page
    assert "cal-free" not in page


def test_clicking_a_free_time_books_it_with_person_search_and_service(clinic, desk):
    client, service, (_p1, p2), person, _user = desk
    day = next_local(clinic, days=2).date()
    page = client.get("/staff/calendar/", {"date": day.isoformat()}).content.decode()
    links = re.findall(
        rf'<a class="cal-free [^"]+" href="([^"]+)" data-start="{day.isoformat()}T11:15"', page
    )
    assert len(links) == 2  # both practitioners are free at 11:15
    href = next(h for h in links if f"practitioner={p2.pk}" in h).replace("&amp;", "&")
    form = client.get(href).content.decode()
    assert 'id="quick-book"' in form and "Practitioner 2" in form and "11:15" in form
    slot = re.search(r'name="slot" value="([^"]+)"', form).group(1)
    # Nothing chosen yet: the search text is kept and the matches offered, nothing booked.
    response = client.post(
        href,
        {"slot": slot, "date": day.isoformat(), "at": "11:15", "practitioner": p2.pk,
         "person_q": "Holm", "service": service.pk, "channel": "desk"},
    )  # fmt: skip
    assert response.status_code == 422
    assert not Appointment.objects.exists()
    again = response.content.decode()
    assert 'value="Holm"' in again and f'value="{person.pk}"' in again
    response = client.post(
        href,
        {"slot": slot, "date": day.isoformat(), "at": "11:15", "practitioner": p2.pk,
         "person": person.pk, "service": service.pk, "channel": "desk"},
    )  # fmt: skip
    appointment = Appointment.objects.get()
    assert response["Location"] == f"/staff/appointments/{appointment.pk}/"
    local = appointment.start.astimezone(clinic.zone)
    assert (local.date(), local.time(), appointment.practitioner_id) == (day, time(11, 15), p2.pk)
    assert appointment.channel == "desk"


def test_dragging_moves_to_another_time_and_practitioner_or_says_why_not(clinic, desk, owner):
    client, service, (p1, p2), person, _user = desk
    start = next_local(clinic, days=2, hour=10)
    moving = _book(owner, service, person, start, p1)
    _book(owner, service, person, start + timedelta(hours=3), p2)  # 13:00 with p2
    url = f"/staff/appointments/{moving.pk}/move/"
    day = start.date().isoformat()
    headers = {"HTTP_X_CALENDAR": "1"}
    taken = client.post(url, {"slot": f"{day}T13:00|{p2.pk}"}, **headers)
    assert taken.status_code == 409
    assert "bokat den tiden" in taken.json()["message"]  # in the clinic's language
    closed = client.post(url, {"slot": f"{day}T18:00|{p2.pk}"}, **headers)
    assert closed.status_code == 422 and closed.json()["message"]
    moved = client.post(url, {"slot": f"{day}T14:30|{p2.pk}"}, **headers)
    assert moved.status_code == 200 and moved.json() == {"ok": True}
    moving.refresh_from_db()
    local = moving.start.astimezone(clinic.zone)
    assert (local.time(), moving.practitioner_id) == (time(14, 30), p2.pk)


def test_the_keyboard_picker_offers_that_day_and_the_next_per_practitioner(clinic, desk, owner):
    client, service, (p1, _p2), person, _user = desk
    start = next_local(clinic, days=2, hour=10)
    appointment = _book(owner, service, person, start, p1)
    page = client.get(f"/staff/appointments/{appointment.pk}/").content.decode()
    days = re.findall(r'<fieldset class="slot-day"><legend>([^<]+)</legend>', page)
    assert len(days) == 2
    buttons = re.findall(r'<button type="submit" name="slot" value="([^"]+)"', page)
    # 08:00–16:30 every 15 minutes for two practitioners on two days, less the booking
    # itself (09:45–10:15 for p1, where 30 minutes would overlap it).
    assert 100 < len(buttons) < 4 * 35
    chosen = next(b for b in buttons if "T15:00" in b and b.endswith(f"|{p1.pk}"))
    response = client.post(f"/staff/appointments/{appointment.pk}/move/", {"slot": chosen})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start.astimezone(clinic.zone).time() == time(15)


def test_check_in_and_complete_a_visit_with_who_and_when(clinic, desk, owner):
    client, service, (p1, _p2), person, user = desk
    now = timezone.now().astimezone(clinic.zone)
    appointment = Appointment.objects.create(
        clinic=clinic, practitioner=p1, service=service, person=person,
        start=now - timedelta(minutes=5), end=now + timedelta(minutes=25),
        busy_until=now + timedelta(minutes=25), channel="desk", reference="TODAY001",
        manage_token_hash="x" * 64, uid="today@test",
    )  # fmt: skip
    base = f"/staff/appointments/{appointment.pk}/"
    page = client.get(base).content.decode()
    assert "arrived/" in page and "completed/" in page
    assert client.post(base + "arrived/").status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "arrived"
    assert appointment.arrived_by_user_id == user.pk and appointment.arrived_at
    # Checked in twice is refused, and the page says why.
    again = client.post(base + "arrived/")
    assert "error=" in again["Location"]
    assert client.post(base + "completed/").status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "completed" and appointment.completed_by_user_id == user.pk
    page = client.get(base).content.decode()
    assert user.full_name in page and 'id="status-history"' in page
    assert 'id="move"' not in page  # a completed visit is not moved
    logged = AccessLogEntry.objects.filter(
        clinic=clinic, object_type="appointment", object_id=str(appointment.pk)
    )
    details = list(logged.values_list("detail", flat=True))
    assert "arrived" in details and "completed" in details


def test_an_arrived_client_holds_the_time(clinic, desk, owner, make_person):
    """The database refuses a booking over an arrived client's time, as over a booked one."""
    _client, service, (p1, _p2), person, _user = desk
    start = next_local(clinic, days=2, hour=10)
    appointment = _book(owner, service, person, start, p1)
    Appointment.objects.filter(pk=appointment.pk).update(status="arrived")
    from praksis.core.errors import Conflict

    other = make_person(owner, first_name="Eva", last_name="Berg")
    with pytest.raises(Conflict):
        _book(owner, service, other, start, p1)


def test_no_show_and_completion_need_the_visit_to_have_begun(clinic, desk, owner):
    client, service, (p1, _p2), person, _user = desk
    appointment = _book(owner, service, person, next_local(clinic, days=2), p1)
    base = f"/staff/appointments/{appointment.pk}/"
    for action in ("arrived/", "completed/", "no-show/"):
        assert "error=" in client.post(base + action)["Location"]
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_the_week_is_one_practitioners_with_a_lane_per_day(clinic, desk, owner):
    client, service, (p1, p2), person, _user = desk
    start = next_local(clinic, days=2, hour=9)
    mine = _book(owner, service, person, start, p1)
    theirs = _book(owner, service, person, start, p2)
    page = client.get(
        "/staff/calendar/",
        {"date": start.date().isoformat(), "view": "week", "practitioner": p1.pk},
    ).content.decode()
    assert len(re.findall(r'class="cal-head gc-\d+ gr-1[^"]*"', page)) == 7
    assert f'id="appt-{mine.pk}"' in page and f'id="appt-{theirs.pk}"' not in page


def test_journal_links_only_for_roles_that_may_open_it(clinic, desk, owner, make_staff):
    client, service, (p1, _p2), person, _user = desk
    start = next_local(clinic, days=2, hour=9)
    _book(owner, service, person, start, p1)
    params = {"date": start.date().isoformat()}
    desk_page = client.get("/staff/calendar/", params).content.decode()
    assert f"/staff/persons/{person.pk}/" in desk_page
    assert f"/staff/persons/{person.pk}/journal/" not in desk_page  # a receptionist
    practitioner = Client()
    practitioner.force_login(make_staff(clinic, "practitioner"))
    page = practitioner.get("/staff/calendar/", params).content.decode()
    assert f"/staff/persons/{person.pk}/journal/" in page


def test_the_day_view_costs_the_same_queries_for_ten_practitioners_and_400_bookings(
    clinic, make_bookable, owner, make_person, make_staff
):
    service, staff = make_bookable(clinic, practitioners=10, duration=10)
    person = make_person(owner, first_name="Many", last_name="Bookings")
    client = Client()
    client.force_login(make_staff(clinic, "receptionist"))
    day = next_local(clinic, days=2).date()
    params = {"date": day.isoformat()}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/staff/calendar/", params).status_code == 200
        return len(queries)

    client.get("/staff/calendar/", params)  # warm the session and the policy row
    empty = count()
    start = datetime.combine(day, time(8), tzinfo=clinic.zone)
    Appointment.objects.bulk_create(
        Appointment(
            clinic=clinic, practitioner=p, service=service, person=person,
            start=start + timedelta(minutes=12 * i), end=start + timedelta(minutes=12 * i + 10),
            busy_until=start + timedelta(minutes=12 * i + 10), channel="desk",
            reference=f"R{p.pk}-{i}", manage_token_hash=f"{p.pk}-{i}", uid=f"{p.pk}-{i}@t",
        )
        for p in staff
        for i in range(40)
    )  # fmt: skip
    full = count()
    assert full == empty, (empty, full)
    page = client.get("/staff/calendar/", params).content.decode()
    assert len(_blocks(page)) == 400


def test_a_room_has_its_own_lane_showing_what_holds_it(clinic, desk, owner):
    from praksis.booking.models import Resource

    client, service, (p1, _p2), person, _user = desk
    room = Resource.objects.create(clinic=clinic, name="Röntgen")
    service.resources.add(room)
    appointment = _book(owner, service, person, next_local(clinic, days=2, hour=9), p1)
    page = client.get(
        "/staff/calendar/", {"date": appointment.start.astimezone(clinic.zone).date()}
    ).content.decode()
    assert re.search(r'class="cal-head gc-4 gr-1 room">Röntgen<', page)
    hold = re.search(r'<a class="cal-hold gc-4 gr-(\d+) gs-6" href="([^"]+)">', page)
    assert hold and hold.group(2) == f"/staff/appointments/{appointment.pk}/"
    assert int(hold.group(1)) == 2 + 12  # 09:00, an hour after the 08:00 opening


def test_names_in_the_grid_are_text_not_markup(clinic, desk, owner, make_person):
    client, service, (p1, _p2), _person, _user = desk
    sly = make_person(owner, first_name="<script>alert(1)</script>", last_name='Eve"><b>')
    start = next_local(clinic, days=2, hour=9)
    _book(owner, service, sly, start, p1)
    page = client.get("/staff/calendar/", {"date": start.date().isoformat()}).content.decode()
    assert "<script>alert(1)" not in page and 'Eve"><b>' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Eve&quot;&gt;&lt;b&gt;" in page


def test_the_days_page_checks_a_client_in_and_stays_there(clinic, desk):
    client, service, (p1, _p2), person, user = desk
    now = timezone.now()
    appointment = Appointment.objects.create(
        clinic=clinic, practitioner=p1, service=service, person=person,
        start=now + timedelta(minutes=1), end=now + timedelta(minutes=31),
        busy_until=now + timedelta(minutes=31), channel="desk", reference="TODAY002",
        manage_token_hash="t" * 64, uid="today2@test",
    )  # fmt: skip
    page = client.get("/staff/").content.decode()
    action = f"/staff/appointments/{appointment.pk}/arrived/"
    assert f'action="{action}"' in page
    response = client.post(action, {"next": "/staff/"})
    assert response["Location"] == "/staff/"
    appointment.refresh_from_db()
    assert appointment.status == "arrived" and appointment.arrived_by_user_id == user.pk
    assert (
        f"/staff/appointments/{appointment.pk}/completed/" in client.get("/staff/").content.decode()
    )
    # Only a page of this site is a way back.
    elsewhere = client.post(
        f"/staff/appointments/{appointment.pk}/completed/", {"next": "https://evil.test/staff/"}
    )
    assert elsewhere["Location"] == f"/staff/appointments/{appointment.pk}/"


def test_a_booking_moves_over_its_own_time_and_room_to_another_practitioner(clinic, desk, owner):
    """Dragging 15 minutes on, to a colleague: the booking's own time and room do not stand
    in its way (another booking's would)."""
    from praksis.booking.models import Resource, ResourceHold

    client, service, (p1, p2), person, _user = desk
    room = Resource.objects.create(clinic=clinic, name="Rum 1")
    service.resources.add(room)
    start = next_local(clinic, days=2, hour=10)
    appointment = _book(owner, service, person, start, p1)
    day = start.date().isoformat()
    moved = client.post(
        f"/staff/appointments/{appointment.pk}/move/",
        {"slot": f"{day}T10:15|{p2.pk}"},
        HTTP_X_CALENDAR="1",
    )
    assert moved.status_code == 200, moved.content
    appointment.refresh_from_db()
    assert appointment.practitioner_id == p2.pk
    hold = ResourceHold.objects.get(appointment=appointment)
    assert hold.start == appointment.start == start + timedelta(minutes=15)
    # Another booking's room still blocks: p1 is free at 10:30, the room is not.
    other = client.post(
        "/staff/appointments/new/",
        {"slot": f"{day}T10:30|{p1.pk}", "person": person.pk, "service": service.pk,
         "date": day, "channel": "desk"},
    )  # fmt: skip
    assert other.status_code == 422 or "error" in other.content.decode()
    assert Appointment.objects.count() == 1
