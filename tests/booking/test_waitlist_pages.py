"""The waiting list's pages: joining on the public page (errors keep what was typed, rate
limit), the leave link, the claim link (GET never books), and the staff list."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from praksis.booking import waitlist
from praksis.booking.models import Appointment, WaitlistEntry, WaitlistOffer
from praksis.booking.services import appointment_book, appointment_cancel
from praksis.messaging.models import OutboxMessage
from tests.booking.test_waitlist import _number
from tests.conftest import next_local

pytestmark = pytest.mark.django_db
CLIENT = "198.51.100.7"


@pytest.fixture
def world(clinic, owner, make_bookable, make_person):
    service, _staff = make_bookable(clinic)
    person = make_person(owner, first_name="Berit", last_name="Ek", email="berit@example.com")
    start = next_local(clinic, days=3, hour=10)
    booked = appointment_book(actor=owner, service_id=service.pk, person_id=person.pk, start=start)
    return clinic, owner, service, booked, start


def _form(service, start, **overrides):
    return {
        "service": str(service.pk),
        "weekdays": [str(start.weekday())],
        "earliest": "08:00",
        "latest": "12:00",
        "first_name": "Maja",
        "last_name": "Lind",
        "email": "maja@example.com",
        "phone": "",
        "accept_privacy_notice": "1",
        "lang": "en",
        **overrides,
    }


def test_the_booking_page_leads_to_the_waitlist(world):
    clinic, _owner, service, _booked, _start = world
    page = Client().get(f"/{clinic.slug}/?service={service.pk}&lang=en").content.decode()
    assert f"/{clinic.slug}/waitlist/?service={service.pk}" in page
    form = Client().get(f"/{clinic.slug}/waitlist/?service={service.pk}&lang=en")
    assert form.status_code == 200
    assert f'<option value="{service.pk}" selected>' in form.content.decode()


def test_joining_with_bad_input_keeps_what_was_typed(world):
    clinic, _owner, service, _booked, start = world
    response = Client().post(
        f"/{clinic.slug}/waitlist/",
        _form(service, start, email="maja@", accept_privacy_notice="", latest="07:00"),
        REMOTE_ADDR=CLIENT,
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Please correct the fields marked." in page
    assert "Enter a valid e-mail address." in page
    assert "The end of the time window must be after its start." in page
    assert 'value="maja@"' in page and 'value="Lind"' in page and 'value="07:00"' in page
    assert f'value="{start.weekday()}" checked' in page
    assert not WaitlistEntry.objects.exists()


def test_joining_is_rate_limited_like_booking(world, settings):
    clinic, _owner, service, _booked, start = world
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 1
    url = f"/{clinic.slug}/waitlist/"
    assert Client().post(url, _form(service, start), REMOTE_ADDR=CLIENT).status_code == 200
    response = Client().post(url, _form(service, start), REMOTE_ADDR=CLIENT)
    assert response.status_code == 429 and response["Retry-After"]
    assert 'id="rate-limited"' in response.content.decode()
    assert WaitlistEntry.objects.count() == 1


def test_join_leave_and_claim_through_the_pages(world):
    clinic, owner, service, booked, start = world
    response = Client().post(f"/{clinic.slug}/waitlist/", _form(service, start))
    assert response.status_code == 200
    assert "You are on the waiting list" in response.content.decode()
    joined = OutboxMessage.objects.get(related_type="waitlist_entry")
    leave = re.search(r"https?://[^/]+(/\S+/waitlist/leave/\S+/)", joined.body).group(1)

    appointment_cancel(actor=owner, appointment_id=booked.pk)
    offer_mail = OutboxMessage.objects.filter(related_type="waitlist_entry").latest("pk")
    claim = re.search(r"https?://[^/]+(/\S+/waitlist/offer/\S+/)", offer_mail.body).group(1)

    browser = Client()
    page = browser.get(claim + "?lang=en")
    assert page.status_code == 200 and "Book this time" in page.content.decode()
    assert not Appointment.objects.filter(start=start, status="booked").exists()  # GET: nothing
    bad = browser.post(claim, {"identity_number": "1234", "lang": "en"})
    assert bad.status_code == 422 and 'value="1234"' in bad.content.decode()
    assert WaitlistOffer.objects.get().status == "open"
    done = browser.post(claim, {"identity_number": _number(7), "lang": "en"})
    assert done.status_code == 302 and "/booking/" in done["Location"]
    appointment = Appointment.objects.get(start=start, status="booked")
    assert appointment.booked_email == "maja@example.com"
    again = browser.post(claim, {"identity_number": _number(7), "lang": "en"})
    assert again.status_code == 409
    assert "You have already booked this time." in again.content.decode()
    # The place ended with the booking: the leave link says so and offers no button.
    left = browser.get(leave + "?lang=en").content.decode()
    assert "Leave the waiting list" not in left and "Booked" in left


def test_the_leave_link_takes_the_client_off_the_list(world):
    clinic, _owner, service, _booked, start = world
    _entry, token = waitlist.waitlist_join_public(
        clinic=clinic,
        data={**_form(service, start), "accept_privacy_notice": True,
              "weekdays": [start.weekday()]},
    )  # fmt: skip
    url = f"/{clinic.slug}/waitlist/leave/{token}/"
    assert "Leave the waiting list" in Client().get(url + "?lang=en").content.decode()
    page = Client().post(url, {"lang": "en"}).content.decode()
    assert "You have left the waiting list." in page
    assert WaitlistEntry.objects.get().status == "withdrawn"
    assert Client().get(f"/{clinic.slug}/waitlist/leave/{'x' * 43}/").status_code == 404


@pytest.mark.parametrize("role", ["owner", "practitioner", "receptionist"])
def test_staff_see_add_and_remove_entries(world, role, make_staff, make_person):
    clinic, owner, service, _booked, start = world
    client_person = make_person(owner, first_name="Olle", last_name="Berg",
                                email="olle@example.com")  # fmt: skip
    user = make_staff(clinic, role, email=f"{role}2@{clinic.slug}.test")
    ui = Client()
    ui.force_login(user)
    assert Client().get("/staff/waitlist/").status_code == 302  # signed out: to the login
    new = ui.post(
        "/staff/waitlist/new/",
        {"person": client_person.pk, "service": service.pk, "weekdays": [start.weekday()],
         "channel": "phone"},
    )  # fmt: skip
    assert new.status_code == 302, new.content.decode()[:500]
    entry = WaitlistEntry.objects.get(person=client_person)
    page = ui.get("/staff/waitlist/").content.decode()
    assert "Olle Berg" in page and f'data-entry="{entry.pk}"' in page
    assert ui.post(f"/staff/waitlist/{entry.pk}/remove/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == "withdrawn"


def test_staff_form_errors_keep_the_choices(world, make_staff):
    clinic, _owner, service, _booked, _start = world
    ui = Client()
    ui.force_login(make_staff(clinic, "receptionist", email="r2@x.test"))
    response = ui.post(
        "/staff/waitlist/new/", {"person_q": "Berit", "service": service.pk, "weekdays": []}
    )
    assert response.status_code == 200  # the matches to choose from, nothing saved
    assert "Berit" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_another_clinics_entry_is_not_found(world, make_clinic, make_staff):
    clinic, _owner, service, _booked, start = world
    entry, _t = waitlist.waitlist_join_public(
        clinic=clinic,
        data={**_form(service, start), "accept_privacy_notice": True,
              "weekdays": [start.weekday()]},
    )  # fmt: skip
    other = make_clinic("other")
    ui = Client()
    ui.force_login(make_staff(other, "owner", email="owner@annan.test"))
    assert ui.post(f"/staff/waitlist/{entry.pk}/remove/").status_code == 404
    assert "Lind" not in ui.get("/staff/waitlist/").content.decode()
    entry.refresh_from_db()
    assert entry.status == "waiting"


def test_the_person_page_shows_their_entries_and_puts_them_on_the_list(world, make_staff,
                                                                       make_person):  # fmt: skip
    clinic, owner, service, _booked, start = world
    person = make_person(owner, first_name="Olle", last_name="Berg", email="olle@example.com")
    ui = Client()
    ui.force_login(make_staff(clinic, "receptionist", email="r3@x.test"))
    page = ui.get(f"/staff/persons/{person.pk}/").content.decode()
    assert 'id="waitlist"' in page and "data-entry=" not in page
    back = f"/staff/persons/{person.pk}/"
    link = f"/staff/waitlist/new/?person={person.pk}&amp;next={back}"
    assert link in page
    # The form opened from the page has the person chosen and returns to their page.
    form = ui.get(link.replace("&amp;", "&")).content.decode()
    assert f'name="next" value="{back}"' in form and "Berg, Olle" in form
    added = ui.post(
        "/staff/waitlist/new/",
        {"person": person.pk, "service": service.pk, "weekdays": [start.weekday()],
         "channel": "phone", "next": back},
    )  # fmt: skip
    assert (added.status_code, added["Location"]) == (302, back)
    entry = WaitlistEntry.objects.get(person=person)
    page = ui.get(back).content.decode()
    assert f'data-entry="{entry.pk}"' in page and service.name in page
    removed = ui.post(f"/staff/waitlist/{entry.pk}/remove/", {"next": back})
    assert (removed.status_code, removed["Location"]) == (302, back)
    entry.refresh_from_db()
    assert entry.status == "withdrawn"
    # Only a staff page is a place to return to.
    other = WaitlistEntry.objects.create(
        clinic=clinic, person=person, service=service, weekdays=[start.weekday()],
        expires_at=entry.expires_at,
    )  # fmt: skip
    away = ui.post(f"/staff/waitlist/{other.pk}/remove/", {"next": "https://evil.example/"})
    assert away["Location"] == "/staff/waitlist/"
