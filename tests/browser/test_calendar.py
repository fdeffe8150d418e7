"""The receptionist's calendar in Chromium (issue 13, "done when"): book by clicking a free
time in the grid, drag a booking to another time and practitioner, check a client in and
complete the visit."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.booking.models import Appointment
from praksis.booking.services import appointment_book
from tests.browser.test_staff_search import sign_in
from tests.conftest import PASSWORD, next_local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(text: str) -> str:
    with translation.override("sv"):  # the clinic's language
        return translation.gettext(text)


@pytest.fixture
def front_desk(clinic, make_bookable, make_staff, make_actor, make_person):
    service, staff = make_bookable(clinic, practitioners=2, duration=30)
    owner = make_actor(clinic, "owner")
    person = make_person(owner, first_name="Nils", last_name="Holm", email="nils@example.com")
    receptionist = make_staff(clinic, "receptionist")
    return service, staff, owner, person, receptionist


def test_book_by_clicking_a_free_time_in_the_grid(page, live_server, clinic, front_desk):
    service, (_p1, p2), _owner, person, receptionist = front_desk
    day = next_local(clinic, days=2).date()
    sign_in(page, receptionist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto(f"/staff/calendar/?date={day.isoformat()}")
    free = page.locator(
        f'a.cal-free[data-start="{day.isoformat()}T11:15"][href$="practitioner={p2.pk}"]'
    )
    free.click()
    expect(page.locator("#fixed-time")).to_contain_text("11:15")
    expect(page.locator("#fixed-time")).to_contain_text("Practitioner 2")
    # Typing before htmx has started on the page is not searched (CI once typed that early).
    page.wait_for_load_state("load")
    page.get_by_label(t("Who is the booking for?")).fill("Holm")
    page.get_by_label(re.compile("Holm, Nils")).check()
    page.get_by_label(t("Service")).select_option(str(service.pk))
    page.get_by_role("button", name=t("Book"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/appointments/\d+/$"))
    appointment = Appointment.objects.get()
    local = appointment.start.astimezone(clinic.zone)
    assert (local.date(), local.time()) == (day, time(11, 15))
    assert (appointment.practitioner_id, appointment.person_id) == (p2.pk, person.pk)
    page.goto(f"/staff/calendar/?date={day.isoformat()}")
    expect(page.locator(f"#appt-{appointment.pk}")).to_contain_text("Nils Holm")


def test_drag_a_booking_to_another_time_and_practitioner(page, live_server, clinic, front_desk):
    service, (p1, p2), owner, person, receptionist = front_desk
    start = next_local(clinic, days=2, hour=10)
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=start,
        practitioner_id=p1.pk,
    )  # fmt: skip
    sign_in(page, receptionist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto(f"/staff/calendar/?date={start.date().isoformat()}")
    block = page.locator(f"#appt-{appointment.pk}")
    expect(block).to_be_visible()
    grid = page.locator("#calendar-grid")
    origin = int(grid.get_attribute("data-origin"))
    rows = int(grid.get_attribute("data-rows"))
    lane = page.locator(f'.cal-lane[data-practitioner="{p2.pk}"]')
    lane.scroll_into_view_if_needed()
    box = lane.bounding_box()
    # 14:00 plus a minute, as a point in the lane (the block is held at its top edge).
    y = (14 * 60 + 1 - origin) / (rows * 5) * box["height"]
    # The lane lies under its free times and bookings: drop on the point, whatever is there.
    block.drag_to(
        lane, source_position={"x": 6, "y": 1}, target_position={"x": 20, "y": y}, force=True
    )
    page.wait_for_load_state("load")
    expect(page.locator(f'#appt-{appointment.pk}:has-text("14:00")')).to_be_visible()
    appointment.refresh_from_db()
    local = appointment.start.astimezone(clinic.zone)
    assert (local.time(), appointment.practitioner_id) == (time(14), p2.pk)
    assert appointment.sequence == 1  # the client is told of the change


def test_check_a_client_in_and_complete_the_visit(page, live_server, clinic, front_desk):
    service, (p1, _p2), _owner, person, receptionist = front_desk
    now = timezone.now()
    appointment = Appointment.objects.create(
        clinic=clinic, practitioner=p1, service=service, person=person,
        start=now - timedelta(minutes=2), end=now + timedelta(minutes=28),
        busy_until=now + timedelta(minutes=28), channel="desk", reference="VISIT001",
        manage_token_hash="v" * 64, uid="visit@test",
    )  # fmt: skip
    sign_in(page, receptionist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto("/staff/calendar/")
    page.locator(f"#appt-{appointment.pk} a.cal-main").click()
    page.wait_for_url(re.compile(rf"/staff/appointments/{appointment.pk}/$"))
    page.get_by_role("button", name=t("Check in: the client has arrived")).click()
    expect(page.locator("#status")).to_have_text(t("Arrived"))
    page.get_by_role("button", name=t("Complete the visit")).click()
    expect(page.locator("#status")).to_have_text(t("Completed"))
    expect(page.locator("#status-history")).to_contain_text(receptionist.full_name)
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert appointment.arrived_by_user_id == appointment.completed_by_user_id == receptionist.pk
    page.goto("/staff/calendar/")
    expect(page.locator(f"#appt-{appointment.pk}")).to_have_class(re.compile("status-completed"))
