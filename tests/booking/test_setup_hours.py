"""Clinic set-up: a member's weekly hours with breaks, and absences (issue 11).

The week is a JSON array, replaced whole in one transaction; availability follows at once.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.booking import setup
from praksis.booking.models import Absence, Appointment, WorkingHours
from praksis.booking.services import appointment_book
from praksis.clinics.models import Membership
from tests.booking.test_setup_services import signed_in
from tests.conftest import next_local

WEEK = [
    {"weekday": 0, "start": "08:00", "end": "12:00"},
    {"weekday": 0, "start": "13:00", "end": "17:00"},
    {"weekday": 2, "start": "09:30", "end": "24:00"},
    {"weekday": 4, "start": "10:00", "end": "15:00"},
]


@pytest.fixture
def owner_api(clinic, make_api):
    return make_api(clinic, "owner")


@pytest.fixture
def member(clinic, make_staff):
    return Membership.objects.get(clinic=clinic, user=make_staff(clinic, "practitioner"))


def _stored(member):
    return sorted(
        (h.weekday, h.start, h.end)
        for h in WorkingHours.objects.filter(practitioner__user=member.user)
    )


def test_the_week_put_round_trips(owner_api, member):
    response = owner_api.put(f"staff/{member.pk}/hours", WEEK)
    assert response.status_code == 200, response.content
    assert response.json() == WEEK
    assert owner_api.get(f"staff/{member.pk}/hours").json() == WEEK
    assert (2, time(9, 30), time.max) in _stored(member)  # 24:00: to the end of the day
    # Replacing is replacing: a shorter week leaves nothing of the old one.
    owner_api.put(f"staff/{member.pk}/hours", WEEK[3:])
    assert owner_api.get(f"staff/{member.pk}/hours").json() == WEEK[3:]
    assert owner_api.put(f"staff/{member.pk}/hours", []).json() == []
    assert _stored(member) == []


@pytest.mark.parametrize(
    "week",
    [
        # the second stretch starts before the first ends
        [
            {"weekday": 1, "start": "08:00", "end": "12:00"},
            {"weekday": 1, "start": "11:30", "end": "16:00"},
        ],
        # one inside the other
        [
            {"weekday": 1, "start": "08:00", "end": "17:00"},
            {"weekday": 1, "start": "10:00", "end": "11:00"},
        ],
    ],
)
def test_overlapping_stretches_are_refused_and_the_old_week_stays(owner_api, member, week):
    owner_api.put(f"staff/{member.pk}/hours", WEEK)
    response = owner_api.put(f"staff/{member.pk}/hours", week)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "week.1.start": ["This stretch overlaps another one on the same day."]
    }
    assert owner_api.get(f"staff/{member.pk}/hours").json() == WEEK


def test_stretches_that_touch_or_fall_on_other_days_are_fine(owner_api, member):
    week = [
        {"weekday": 1, "start": "08:00", "end": "12:00"},
        {"weekday": 1, "start": "12:00", "end": "16:00"},
        {"weekday": 2, "start": "08:00", "end": "12:00"},
    ]
    assert owner_api.put(f"staff/{member.pk}/hours", week).status_code == 200


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"weekday": 7, "start": "08:00", "end": "12:00"}, "week.0.weekday"),
        ({"weekday": -1, "start": "08:00", "end": "12:00"}, "week.0.weekday"),
        ({"weekday": 1, "start": "8:00", "end": "12:00"}, "week.0.start"),
        ({"weekday": 1, "start": "08:60", "end": "12:00"}, "week.0.start"),
        ({"weekday": 1, "start": "08:00", "end": "24:01"}, "week.0.end"),
        ({"weekday": 1, "start": "24:00", "end": "24:00"}, "week.0.start"),
        ({"weekday": 1, "start": "12:00", "end": "12:00"}, "week.0.end"),
        ({"weekday": 1, "start": "13:00", "end": "12:00"}, "week.0.end"),
    ],
)
def test_impossible_stretches_are_422_in_the_error_shape(owner_api, member, item, field):
    response = owner_api.put(f"staff/{member.pk}/hours", [item])
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and list(body["errors"]) == [field]
    assert _stored(member) == []


@pytest.mark.parametrize(
    "raw", ['{"weekday": 1}', '"08:00"', "7", "[", '[{"weekday": "x"}]', "[1, 2]"]
)
def test_a_body_that_is_not_a_week_is_422(owner_api, member, raw):
    response = owner_api.client.put(
        f"/api/v1/staff/{member.pk}/hours",
        data=raw,
        content_type="application/json",
        headers=owner_api.headers,
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"]
    assert _stored(member) == []


def test_hours_of_a_deactivated_member_cannot_be_set(owner_api, member):
    member.is_active = False
    member.save()
    assert owner_api.put(f"staff/{member.pk}/hours", WEEK).status_code == 409
    assert _stored(member) == []


def test_hours_and_their_breaks_show_in_availability_at_once(clinic, owner_api, member):
    public = Client()
    service = owner_api.post(
        "services",
        {"name": "Syn", "duration_minutes": 60, "price": "500", "practitioners": [member.pk]},
    ).json()
    day = (timezone.now().astimezone(clinic.zone) + timedelta(days=7)).date()
    week = [
        {"weekday": day.weekday(), "start": "08:00", "end": "10:00"},
        {"weekday": day.weekday(), "start": "11:00", "end": "12:00"},
    ]
    query = {"service": service["id"], "from": day.isoformat(), "to": day.isoformat()}
    # Read availability once first: a cache, if any, would now hold "no slots".
    assert public.get(f"/api/v1/public/{clinic.slug}/availability", query).json()["count"] == 0
    owner_api.put(f"staff/{member.pk}/hours", week)
    slots = public.get(f"/api/v1/public/{clinic.slug}/availability", query).json()["items"]
    starts = [s["start"][11:16] for s in slots]
    assert starts == ["08:00", "08:15", "08:30", "08:45", "09:00", "11:00"]


def test_a_stretch_to_24_00_offers_the_last_slot_of_the_day(clinic, owner_api, member):
    service = owner_api.post(
        "services",
        {"name": "Syn", "duration_minutes": 30, "price": "0", "practitioners": [member.pk]},
    ).json()
    day = (timezone.now().astimezone(clinic.zone) + timedelta(days=7)).date()
    week = [{"weekday": day.weekday(), "start": "22:00", "end": "24:00"}]
    owner_api.put(f"staff/{member.pk}/hours", week)
    query = {"service": service["id"], "from": day.isoformat(), "to": day.isoformat()}
    slots = Client().get(f"/api/v1/public/{clinic.slug}/availability", query).json()["items"]
    assert slots[-1]["start"][11:16] == "23:30"
    assert slots[-1]["end"].startswith((day + timedelta(days=1)).isoformat() + "T00:00")


# --- Absences ---------------------------------------------------------------------------


def _booked(clinic, owner, make_person, member, start):
    service = owner_api_service(clinic, member)
    person = make_person(owner)
    return appointment_book(actor=owner, service_id=service.pk, person_id=person.pk, start=start)


def owner_api_service(clinic, member):
    from praksis.booking.models import Service

    practitioner = setup.practitioner_for_membership(member)
    WorkingHours.objects.bulk_create(
        WorkingHours(
            clinic=clinic, practitioner=practitioner, weekday=d, start=time(8), end=time(17)
        )
        for d in range(7)
    )
    service = Service.objects.create(clinic=clinic, name="Syn", duration_minutes=30)
    service.practitioners.add(practitioner)
    return service


def test_an_absence_lists_the_bookings_in_it_and_keeps_them(
    clinic, owner, owner_api, member, make_person
):
    start = next_local(clinic, days=5, hour=10)
    appointment = _booked(clinic, owner, make_person, member, start)
    day = start.date().isoformat()
    response = owner_api.post(
        f"staff/{member.pk}/absences",
        {"start": f"{day}T08:00", "end": f"{day}T17:00", "reason": "Kurs"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["start"] == start.replace(hour=8).isoformat()  # the clinic's clock
    assert [b["reference"] for b in body["affected_bookings"]] == [appointment.reference]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED  # staff move it; never silently
    assert owner_api.get(f"staff/{member.pk}/absences").json()["count"] == 1
    # No more free times that day for that practitioner.
    practitioner = setup.practitioner_for_membership(member)
    query = {"service": appointment.service_id, "from": day, "to": day}
    slots = Client().get(f"/api/v1/public/{clinic.slug}/availability", query).json()
    assert practitioner.pk not in {s["practitioner"] for s in slots["items"]}
    # The page lists the booking too.
    page = signed_in(owner.user, "en").get(f"/staff/staff/{member.pk}/hours/").content.decode()
    assert appointment.reference in page and "1 booking falls in an absence" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"start": "2027-03-01T10:00", "end": "2027-03-01T09:00"}, "end"),
        ({"start": "2027-02-30T10:00", "end": "2027-03-01T09:00"}, "start"),
        ({"start": "0001-01-01T10:00", "end": "2027-03-01T09:00"}, "start"),
        ({"start": "2027-03-01T10:00", "end": "2029-03-01T09:00"}, "end"),
        ({"start": "2027-03-01T10:00", "end": "2027-03-02T09:00", "reason": "a\u200bb"}, "reason"),
    ],
)
def test_bad_absences_are_422_and_nothing_is_stored(owner_api, member, data, field):
    response = owner_api.post(f"staff/{member.pk}/absences", data)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Absence.objects.exists()


def test_an_absence_can_be_removed(owner_api, member):
    created = owner_api.post(
        f"staff/{member.pk}/absences", {"start": "2030-03-01T08:00", "end": "2030-03-08T17:00"}
    ).json()
    assert owner_api.delete(f"absences/{created['id']}").status_code == 204
    assert not Absence.objects.exists()
    assert owner_api.delete(f"absences/{created['id']}").status_code == 404


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def owner_ui(clinic, owner):
    return signed_in(owner.user, "en")


def _form(rows, action="save"):
    data = {"rows": str(len(rows)), "action": action}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"row-{i}-{key}"] = value
    return data


def test_the_page_saves_a_week_with_a_break(owner_ui, member):
    rows = [
        {"weekday": "0", "start": "08:00", "end": "12:00"},
        {"weekday": "", "start": "", "end": ""},
        {"weekday": "0", "start": "13:00", "end": "17:00"},
    ]
    response = owner_ui.post(f"/staff/staff/{member.pk}/hours/", _form(rows))
    assert response.status_code == 302
    assert _stored(member) == [(0, time(8), time(12)), (0, time(13), time(17))]
    page = owner_ui.get(response["Location"]).content.decode()
    assert 'value="13:00"' in page and "The week is saved." in page


def test_the_page_shows_an_overlap_on_its_row_and_keeps_what_was_typed(owner_ui, member):
    rows = [
        {"weekday": "", "start": "", "end": ""},
        {"weekday": "3", "start": "08:00", "end": "12:00"},
        {"weekday": "3", "start": "11:00", "end": "15:00"},
    ]
    response = owner_ui.post(f"/staff/staff/{member.pk}/hours/", _form(rows))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="err-2-start"' in page  # on the third row, where it was typed
    assert 'value="11:00"' in page
    assert _stored(member) == []


def test_more_rows_and_removing_a_row_work_without_javascript(owner_ui, member):
    rows = [{"weekday": "1", "start": "08:00", "end": "12:00"}]
    response = owner_ui.post(f"/staff/staff/{member.pk}/hours/", _form(rows, "more"))
    assert response.status_code == 200
    assert 'name="row-3-start"' in response.content.decode()  # blank rows added
    assert _stored(member) == []  # nothing saved yet
    owner_ui.post(f"/staff/staff/{member.pk}/hours/", _form(rows))
    removed = _form(rows) | {"row-0-remove": "1"}
    owner_ui.post(f"/staff/staff/{member.pk}/hours/", removed)
    assert _stored(member) == []


def test_the_page_adds_an_absence_or_keeps_what_was_typed(owner_ui, member):
    url = f"/staff/staff/{member.pk}/absences/"
    bad = owner_ui.post(url, {"start": "2030-05-02T08:00", "end": "2030-05-01T08:00"})
    assert bad.status_code == 422
    assert 'value="2030-05-02T08:00"' in bad.content.decode()
    good = owner_ui.post(url, {"start": "2030-05-02T08:00", "end": "2030-05-03T08:00"})
    assert good.status_code == 302
    absence = Absence.objects.get()
    owner_ui.post(f"/staff/absences/{absence.pk}/delete/")
    assert not Absence.objects.exists()


def test_a_deactivated_member_is_no_longer_bookable_online(clinic, owner, owner_api, member):
    from praksis.clinics.services import staff_deactivate

    service = owner_api.post(
        "services",
        {"name": "Syn", "duration_minutes": 30, "price": "0", "practitioners": [member.pk]},
    ).json()
    owner_api.put(
        f"staff/{member.pk}/hours",
        [{"weekday": d, "start": "08:00", "end": "12:00"} for d in range(7)],
    )
    day = (timezone.now().astimezone(clinic.zone) + timedelta(days=3)).date().isoformat()
    query = {"service": service["id"], "from": day, "to": day}
    public = Client()
    assert public.get(f"/api/v1/public/{clinic.slug}/availability", query).json()["count"] > 0
    staff_deactivate(actor=owner, membership_id=member.pk)
    assert public.get(f"/api/v1/public/{clinic.slug}/availability", query).json()["count"] == 0
    assert WorkingHours.objects.filter(practitioner__user=member.user).exists()  # kept
