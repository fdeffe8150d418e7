"""Calendar feeds: a practitioner's bookings at a secret, revocable URL; by default times
and services only (no client names, no health data)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from praksis.audit.models import AccessLogEntry
from praksis.booking.feeds import feed_create
from praksis.booking.models import CalendarFeed, Practitioner
from praksis.booking.services import appointment_book, appointment_cancel
from praksis.clinics.models import Membership
from tests.conftest import next_local, speaks


@pytest.fixture
def setup(clinic, owner, make_bookable, make_person, make_actor):
    """A practitioner who is a member of staff, with two bookings and a cancelled one."""
    service, (practitioner, colleague) = make_bookable(clinic, practitioners=2)
    vet = make_actor(clinic, "practitioner")
    practitioner.user = vet.user
    practitioner.save(update_fields=["user"])
    person = make_person(
        owner, first_name="Greta", last_name="Wikander", email="greta@example.com",
        phone="0701234567",
    )  # fmt: skip
    made = [
        appointment_book(
            actor=owner, service_id=service.pk, person_id=person.pk,
            start=next_local(clinic, days, 10), practitioner_id=practitioner.pk,
            note="Ont i höger öga",
        )
        for days in (1, 2, 3)
    ]  # fmt: skip
    appointment_cancel(actor=owner, appointment_id=made[2].pk)
    appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk,
        start=next_local(clinic, 1, 10), practitioner_id=colleague.pk,
    )  # fmt: skip
    return vet, practitioner, colleague, person, made


def _url_path(url: str) -> str:
    return url[url.index("/feeds/") :]


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return [c for c in Calendar.from_ical(response.content).walk("VEVENT")]


def test_by_default_times_and_services_only(clinic, setup):
    vet, practitioner, _colleague, person, made = setup
    feed, url = feed_create(actor=vet, practitioner_id=practitioner.pk)
    assert feed.show_names is False
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert feed.token_hash != token and token not in str(CalendarFeed.objects.values().get())
    response = Client().get(_url_path(url))
    events = _events(response)
    assert [e.decoded("dtstart") for e in events] == [made[0].start, made[1].start]
    assert [str(e["summary"]) for e in events] == ["Undersökning"] * 2
    body = response.content.decode()
    for secret in ("Greta", "Wikander", "greta@example.com", "701234567", "Ont i", "öga",
                   made[0].reference, made[0].uid, person.identity_number):  # fmt: skip
        assert secret not in body
    # Stable: the same UIDs on every read.
    again = _events(Client().get(_url_path(url)))
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in events]
    assert not AccessLogEntry.objects.filter(purpose="calendar feed", action="list").exists()


def test_names_only_when_chosen_and_then_logged(clinic, setup):
    vet, practitioner, _colleague, _person, _made = setup
    _feed, url = feed_create(actor=vet, practitioner_id=practitioner.pk, show_names=True)
    events = _events(Client().get(_url_path(url)))
    assert [str(e["summary"]) for e in events] == ["Undersökning – Greta Wikander"] * 2
    body = Client().get(_url_path(url)).content.decode()
    assert "Ont i" not in body and "greta@example.com" not in body
    logged = AccessLogEntry.objects.filter(
        clinic=clinic, purpose="calendar feed", action="list", object_type="appointment"
    )
    assert logged.count() == 2  # one row per read


def test_reading_a_feed_is_cheap(clinic, setup):
    vet, practitioner, *_rest = setup
    _feed, url = feed_create(actor=vet, practitioner_id=practitioner.pk)
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        client.get(_url_path(url))
    assert len(queries) <= 2


def test_revoked_unknown_and_ended_feeds_are_404(clinic, setup, make_staff):
    vet, practitioner, *_rest = setup
    feed, url = feed_create(actor=vet, practitioner_id=practitioner.pk)
    client = Client()
    assert client.get("/feeds/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/feeds/.ics").status_code == 404
    staff = Client()
    staff.force_login(vet.user)
    assert staff.post(f"/staff/calendar-feeds/{feed.pk}/revoke/").status_code == 302
    assert client.get(_url_path(url)).status_code == 404
    # A practitioner whose role has ended: their feeds stop.
    _feed2, url2 = feed_create(actor=vet, practitioner_id=practitioner.pk)
    assert client.get(_url_path(url2)).status_code == 200
    Membership.objects.filter(clinic=clinic, user=vet.user).update(is_active=False)
    assert client.get(_url_path(url2)).status_code == 404


def test_the_page_makes_shows_once_and_revokes(clinic, setup):
    vet, practitioner, colleague, *_rest = setup
    client = Client()
    client.force_login(speaks(vet.user, "en"))
    page = client.get("/staff/calendar-feeds/").content.decode()
    assert "Show the clients' names" in page and "checked" not in page.split("show_names")[1][:40]
    assert practitioner.name in page and colleague.name not in page  # only their own
    made = client.post("/staff/calendar-feeds/", {"practitioner": practitioner.pk})
    assert made.status_code == 200
    body = made.content.decode()
    feed = CalendarFeed.objects.get()
    url = body.split('id="new-feed-url" value="')[1].split('"')[0]
    assert url.startswith("http://testserver/feeds/") and url.endswith(".ics")
    assert url not in client.get("/staff/calendar-feeds/").content.decode()  # shown once
    assert client.get(_url_path(url)).status_code == 200
    # Not someone else's calendar.
    other = client.post("/staff/calendar-feeds/", {"practitioner": colleague.pk})
    assert other.status_code == 422 and CalendarFeed.objects.count() == 1
    client.post(f"/staff/calendar-feeds/{feed.pk}/revoke/")
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert AccessLogEntry.objects.filter(object_type="calendar_feed", detail="revoked").exists()


def test_roles_owner_for_anyone_receptionist_not(clinic, setup, make_staff):
    vet, practitioner, colleague, *_rest = setup
    owner = Client()
    owner.force_login(make_staff(clinic, "owner", email="boss@test-optik.test"))
    assert (
        owner.post(
            "/staff/calendar-feeds/", {"practitioner": colleague.pk, "show_names": "1"}
        ).status_code
        == 200
    )
    feed = CalendarFeed.objects.get()
    assert (feed.practitioner_id, feed.show_names) == (colleague.pk, True)
    # The practitioner neither sees nor revokes the colleague's feed.
    own = Client()
    own.force_login(vet.user)
    assert f"feed-{feed.pk}" not in own.get("/staff/calendar-feeds/").content.decode()
    assert own.post(f"/staff/calendar-feeds/{feed.pk}/revoke/").status_code == 404
    desk = Client()
    desk.force_login(make_staff(clinic, "receptionist"))
    assert desk.get("/staff/calendar-feeds/").status_code == 403
    assert desk.post("/staff/calendar-feeds/", {"practitioner": practitioner.pk}).status_code == 403
    assert desk.post(f"/staff/calendar-feeds/{feed.pk}/revoke/").status_code == 403
    feed.refresh_from_db()
    assert feed.revoked_at is None and CalendarFeed.objects.count() == 1


def test_another_clinic_cannot_touch_a_feed(clinic, setup, other_clinic, make_staff):
    vet, practitioner, *_rest = setup
    feed, url = feed_create(actor=vet, practitioner_id=practitioner.pk)
    outsider = Client()
    outsider.force_login(make_staff(other_clinic, "owner", email="owner@annan.test"))
    assert outsider.post(f"/staff/calendar-feeds/{feed.pk}/revoke/").status_code == 404
    page = outsider.get("/staff/calendar-feeds/").content.decode()
    assert practitioner.name not in page
    made = outsider.post("/staff/calendar-feeds/", {"practitioner": practitioner.pk})
    assert made.status_code == 422
    feed.refresh_from_db()
    assert feed.revoked_at is None and CalendarFeed.objects.count() == 1
    assert Client().get(_url_path(url)).status_code == 200


def test_only_the_window_30_days_back_180_ahead(clinic, setup, owner):
    vet, practitioner, _colleague, person, made = setup
    far = appointment_book(
        actor=owner, service_id=made[0].service_id, person_id=person.pk,
        start=next_local(clinic, 200, 10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    past = appointment_book(
        actor=owner, service_id=made[0].service_id, person_id=person.pk,
        start=next_local(clinic, -10, 10), practitioner_id=practitioner.pk, allow_past=True,
    )  # fmt: skip
    _feed, url = feed_create(actor=vet, practitioner_id=practitioner.pk)
    starts = [e.decoded("dtstart") for e in _events(Client().get(_url_path(url)))]
    assert past.start in starts and far.start not in starts
    assert min(starts) > next_local(clinic, -31, 10) - timedelta(days=1)
    assert Practitioner.objects.get(pk=practitioner.pk).active
