"""Rooms and equipment (issue 13, part 5): the owner sets them up, a service needs them,
availability offers a time only when the practitioner and every room it needs are free,
and a booking holds its rooms for its whole busy time until it no longer holds its time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from praksis.audit.models import AccessLogEntry
from praksis.booking import resources
from praksis.booking.availability import free_slots
from praksis.booking.models import Appointment, Resource, ResourceHold, Service
from praksis.booking.services import (
    _finish,
    _insert,
    _new_appointment,
    appointment_arrive,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_move,
)
from praksis.core.errors import Conflict
from tests.conftest import next_local


@pytest.fixture
def surgery(clinic, make_bookable):
    """Two practitioners; a 30-minute service (+15 buffer) that needs the one surgery."""
    service, staff = make_bookable(clinic, practitioners=2, duration=30, buffer=15)
    room = Resource.objects.create(clinic=clinic, name="Operationssal")
    service.resources.set([room])
    return service, staff, room


def _book(owner, person, service, start, practitioner=None):
    return appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=start,
        practitioner_id=practitioner and practitioner.pk,
    )


def _starts(clinic, service, day, practitioner=None):
    slots = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)
    return [s.start for s in slots if practitioner is None or s.practitioner_id == practitioner.pk]


# --- Availability -----------------------------------------------------------------------


def test_a_room_in_use_makes_every_practitioner_busy(clinic, owner, make_person, surgery):
    service, (p1, p2), _room = surgery
    start = next_local(clinic, days=3, hour=10)
    _book(owner, make_person(owner), service, start, p1)
    day = start.date()
    # p2 is free, but the surgery is held 10:00-10:45 (with the buffer).
    other = _starts(clinic, service, day, p2)
    assert start not in other
    assert start - timedelta(minutes=15) not in other  # 09:45 + 45 overlaps 10:00
    assert start - timedelta(minutes=45) in other  # 09:15 is busy until exactly 10:00
    assert start + timedelta(minutes=45) in other
    # A service that needs no room is not held up by it.
    plain = Service.objects.create(clinic=clinic, name="Samtal", duration_minutes=30)
    plain.practitioners.set([p1, p2])
    assert start in _starts(clinic, plain, day, p2)


def test_checking_one_start_agrees_with_the_whole_day(clinic, owner, make_person, surgery):
    service, (p1, _p2), _room = surgery
    start = next_local(clinic, days=3, hour=10)
    _book(owner, make_person(owner), service, start, p1)
    day = start.date()
    whole = {(s.start, s.practitioner_id) for s in free_slots(
        clinic=clinic, service=service, date_from=day, date_to=day)}  # fmt: skip
    for quarter in range(-8, 9):
        at = start + timedelta(minutes=15 * quarter)
        one = free_slots(clinic=clinic, service=service, date_from=day, date_to=day, at=at)
        assert {(s.start, s.practitioner_id) for s in one} == {
            (t, p) for t, p in whole if t == at
        }, at


def test_holds_of_a_deactivated_room_no_longer_block(clinic, owner, make_person, surgery):
    service, (p1, p2), room = surgery
    start = next_local(clinic, days=3, hour=10)
    _book(owner, make_person(owner), service, start, p1)
    resources.resource_update(actor=owner, resource_id=room.pk, data={"active": False})
    assert start in _starts(clinic, service, start.date(), p2)
    later = _book(owner, make_person(owner), service, start + timedelta(hours=2), p1)
    assert not ResourceHold.objects.filter(appointment=later).exists()


# --- Booking writes ---------------------------------------------------------------------


def test_a_booking_holds_its_rooms_for_its_busy_time(clinic, owner, make_person, surgery):
    service, (p1, p2), room = surgery
    xray = Resource.objects.create(clinic=clinic, name="Röntgen", kind="equipment")
    service.resources.add(xray)
    start = next_local(clinic, days=3, hour=10)
    appointment = _book(owner, make_person(owner), service, start, p1)
    holds = ResourceHold.objects.filter(appointment=appointment).order_by("resource_id")
    assert [(h.resource_id, h.start, h.busy_until) for h in holds] == [
        (room.pk, start, start + timedelta(minutes=45)),
        (xray.pk, start, start + timedelta(minutes=45)),
    ]
    # The other practitioner cannot take the room at an overlapping time: a clean 409.
    with pytest.raises(Conflict) as refused:
        _book(owner, make_person(owner), service, start + timedelta(minutes=15), p2)
    assert refused.value.code == "slot_taken"
    assert Appointment.objects.filter(clinic=clinic).count() == 1


def test_the_database_refusal_is_the_friendly_409(clinic, owner, make_person, surgery):
    """When availability could not see it (a booking committed meanwhile), the database
    refuses the second hold, and the booking answers slot_taken and writes nothing."""
    service, (p1, p2), room = surgery
    start = next_local(clinic, days=3, hour=10)
    _book(owner, make_person(owner), service, start, p1)
    late = _finish(
        _new_appointment(
            clinic=clinic, service=service, practitioner_id=p2.pk, person=make_person(owner),
            start=start + timedelta(minutes=15), channel="phone",
        )
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        _insert(late)  # the write itself, as a racing request reaches it
    assert refused.value.code == "slot_taken"
    assert Appointment.objects.filter(clinic=clinic).count() == 1
    assert ResourceHold.objects.filter(resource=room).count() == 1


def test_moving_carries_the_holds_and_the_database_checks_them(clinic, owner, make_person, surgery):
    service, (p1, p2), _room = surgery
    start = next_local(clinic, days=3, hour=10)
    moving = _book(owner, make_person(owner), service, start, p1)
    blocker = _book(owner, make_person(owner), service, start + timedelta(hours=2), p2)
    later = start + timedelta(hours=1)
    appointment_move(actor=owner, appointment_id=moving.pk, start=later)
    hold = ResourceHold.objects.get(appointment=moving)
    assert (hold.start, hold.busy_until) == (later, later + timedelta(minutes=45))
    assert start in _starts(clinic, service, start.date(), p2)  # its old time is free
    # Into the room's other booking (another practitioner's): refused, nothing changed.
    with pytest.raises(Conflict):
        appointment_move(actor=owner, appointment_id=moving.pk, start=blocker.start)
    hold.refresh_from_db()
    assert hold.start == later
    # Within its own time (15 minutes later): allowed, the hold follows.
    appointment_move(actor=owner, appointment_id=moving.pk, start=later + timedelta(minutes=15))
    hold.refresh_from_db()
    assert hold.start == later + timedelta(minutes=15)


@pytest.mark.parametrize("ending", ["cancel", "no_show", "complete"])
def test_a_booking_that_no_longer_holds_its_time_frees_the_room(
    clinic, owner, make_person, surgery, ending
):
    service, (p1, p2), room = surgery
    start = next_local(clinic, days=3, hour=10)
    appointment = _book(owner, make_person(owner), service, start, p1)
    if ending == "cancel":
        appointment_cancel(actor=owner, appointment_id=appointment.pk, reason="sjuk")
    else:
        past = timezone.now() - timedelta(minutes=10)
        Appointment.objects.filter(pk=appointment.pk).update(start=past)
        if ending == "no_show":
            appointment_mark_no_show(actor=owner, appointment_id=appointment.pk)
        else:
            appointment_complete(actor=owner, appointment_id=appointment.pk)
    assert not ResourceHold.objects.filter(resource=room).exists()
    if ending == "cancel":
        assert start in _starts(clinic, service, start.date(), p2)
        _book(owner, make_person(owner), service, start, p2)
        assert ResourceHold.objects.filter(resource=room).count() == 1


def test_an_arrived_client_keeps_the_room(clinic, owner, make_person, surgery):
    service, (p1, _p2), room = surgery
    appointment = _book(owner, make_person(owner), service, next_local(clinic, days=3), p1)
    Appointment.objects.filter(pk=appointment.pk).update(start=timezone.now())  # today
    try:
        appointment_arrive(actor=owner, appointment_id=appointment.pk)
    except Conflict:
        pytest.skip("the visit is not today on the clinic's clock (near midnight)")
    assert ResourceHold.objects.filter(appointment=appointment, resource=room).exists()


def test_the_booking_page_shows_the_rooms(clinic, owner, make_person, make_staff, surgery):
    service, (p1, _p2), _room = surgery
    appointment = _book(owner, make_person(owner), service, next_local(clinic, days=3), p1)
    ui = Client()
    ui.force_login(make_staff(clinic, "receptionist"))
    page = ui.get(f"/staff/appointments/{appointment.pk}/").content.decode()
    assert 'id="rooms"' in page and "Operationssal" in page


# --- Set-up: pages ----------------------------------------------------------------------


def _owner_ui(clinic, owner, language="sv") -> Client:
    owner.user.language = language
    owner.user.save(update_fields=["language"])
    ui = Client()
    ui.force_login(owner.user)
    return ui


def test_owner_adds_renames_and_deactivates_a_room(clinic, owner):
    ui = _owner_ui(clinic, owner, "en")
    services = ui.get("/staff/services/").content.decode()
    assert 'href="/staff/resources/"' in services
    added = ui.post("/staff/resources/", {"name": "  Undersökningsrum 1 ", "kind": "room"})
    assert added.status_code == 302
    room = Resource.objects.get(clinic=clinic)
    assert room.name == "Undersökningsrum 1" and room.kind == "room"
    listed = ui.get(added["Location"]).content.decode()
    assert f'id="resource-{room.pk}"' in listed
    edited = ui.post(
        f"/staff/resources/{room.pk}/",
        {"name": "Undersökningsrum 1 (spaltlampa)", "kind": "equipment", "active": "1"},
    )
    assert edited.status_code == 302
    room.refresh_from_db()
    assert (room.name, room.kind, room.active) == (
        "Undersökningsrum 1 (spaltlampa)",
        "equipment",
        True,
    )
    ui.post(f"/staff/resources/{room.pk}/deactivate/")
    room.refresh_from_db()
    assert not room.active
    assert (
        AccessLogEntry.objects.filter(
            clinic=clinic, object_type="resource", object_id=str(room.pk)
        ).count()
        == 3
    )


def test_bad_input_is_a_translated_error_and_the_form_keeps_it(clinic, owner):
    ui = _owner_ui(clinic, owner, "sv")
    Resource.objects.create(clinic=clinic, name="Röntgen")
    page = ui.post("/staff/resources/", {"name": "röntgen", "kind": "equipment"})
    assert page.status_code == 422
    body = page.content.decode()
    assert 'value="röntgen"' in body
    assert '<option value="equipment" selected>' in body
    with translation.override("sv"):  # in the owner's language
        taken = gettext("There is already a room or piece of equipment of that name.")
    assert escape(taken) in body
    empty = ui.post("/staff/resources/", {"name": "", "kind": "lamp"})
    assert empty.status_code == 422
    assert set(empty.context["errors"]) == {"name", "kind"}
    assert Resource.objects.filter(clinic=clinic).count() == 1


def test_the_service_form_chooses_the_rooms_it_needs(clinic, owner, surgery):
    service, _staff, room = surgery
    xray = Resource.objects.create(clinic=clinic, name="Röntgen", kind="equipment")
    ui = _owner_ui(clinic, owner, "en")
    form = ui.get(f"/staff/services/{service.pk}/").content.decode()
    assert f'name="resources" value="{room.pk}" checked' in form
    data = {
        "name": service.name,
        "duration_minutes": "30",
        "buffer_minutes": "15",
        "price": "500",
        "vat_rate": "0.00",
        "active": "1",
        "resources": [str(room.pk), str(xray.pk)],
    }
    assert ui.post(f"/staff/services/{service.pk}/", data).status_code == 302
    assert set(service.resources.values_list("pk", flat=True)) == {room.pk, xray.pk}
    listed = ui.get("/staff/services/").content.decode()
    assert "Operationssal, Röntgen" in listed
    # A bad field elsewhere: the form comes back with the rooms still ticked.
    again = ui.post(f"/staff/services/{service.pk}/", {**data, "duration_minutes": "x"})
    assert again.status_code == 422
    assert f'name="resources" value="{xray.pk}" checked' in again.content.decode()
    # An inactive or foreign room is a field error.
    xray.active = False
    xray.save()
    bad = ui.post(f"/staff/services/{service.pk}/", data)
    assert bad.status_code == 422 and "resources" in bad.context["errors"]


def test_only_the_owner_sets_up_rooms_and_another_clinics_are_not_found(
    clinic, other_clinic, owner, make_staff, make_actor
):
    room = Resource.objects.create(clinic=clinic, name="Operationssal")
    reception = Client()
    reception.force_login(make_staff(clinic, "receptionist"))
    assert reception.get("/staff/resources/").status_code == 403
    assert reception.post(f"/staff/resources/{room.pk}/deactivate/").status_code == 403
    stranger = Client()
    stranger.force_login(make_actor(other_clinic, "owner").user)
    assert stranger.get(f"/staff/resources/{room.pk}/").status_code == 404
    assert stranger.post(f"/staff/resources/{room.pk}/deactivate/").status_code == 404
    room.refresh_from_db()
    assert room.active


# --- Set-up: API ------------------------------------------------------------------------


def test_the_api_sets_up_rooms_and_what_a_service_needs(clinic, make_api, make_bookable):
    api = make_api(clinic, "owner")
    created = api.post("resources", {"name": "Operationssal"})
    assert created.status_code == 201, created.content
    room = created.json()
    assert room["kind"] == "room" and room["active"] and room["services"] == []
    assert api.post("resources", {"name": "operationssal"}).status_code == 422
    bad = api.post("resources", {"name": "Lampa", "kind": "lamp"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"kind"}
    service, _staff = make_bookable(clinic)
    patched = api.patch(f"services/{service.pk}", {"resources": [room["id"]]})
    assert patched.status_code == 200 and patched.json()["resources"] == [room["id"]]
    assert api.get(f"resources/{room['id']}").json()["services"] == [service.pk]
    assert api.patch(f"services/{service.pk}", {"resources": [999999]}).status_code == 422
    renamed = api.patch(f"resources/{room['id']}", {"name": "Sal 2", "active": False})
    assert renamed.json()["name"] == "Sal 2" and renamed.json()["active"] is False
    assert api.get("resources").json()["count"] == 1
    assert make_api(clinic, "receptionist").get("resources").status_code == 403
    assert api.get("resources/999999").status_code == 404
