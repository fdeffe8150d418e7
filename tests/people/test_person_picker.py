"""Choosing a person in a staff form: search as you type (htmx), or type and send without
JavaScript and choose from the matches; ids of another clinic's people find no one."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.privacy.models import DataSubjectRequest, LegalHold


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(clinic, other_clinic, owner, make_person, make_actor):
    greta = make_person(owner, first_name="Greta", last_name="Wikander", phone="0701740642")
    per = make_person(owner, first_name="Per", last_name="Wikström")
    make_person(owner, first_name="Alvar", last_name="Hjortmark")
    stranger = make_person(
        make_actor(other_clinic, "owner"), first_name="Greta", last_name="Wikander"
    )
    return greta, per, stranger


def _choices(body: str) -> list[str]:
    return re.findall(r'<input type="radio" name="person" value="(\d+)"', body)


def test_typing_part_of_a_name_offers_the_matching_people_to_choose(people, clinic, make_staff):
    greta, per, stranger = people
    desk = _signed_in(make_staff(clinic, "receptionist"))
    before = AccessLogEntry.objects.filter(clinic=clinic, action="search").count()
    response = desk.get("/staff/persons/pick/", {"field": "person", "person_q": "wik"})
    assert response.status_code == 200
    body = response.content.decode()
    assert sorted(_choices(body)) == sorted([str(greta.pk), str(per.pk)])
    assert str(stranger.pk) not in _choices(body)
    # The birth date only: never the whole identity number.
    assert greta.birth_date.isoformat() in body
    assert greta.identity_number not in body and greta.identity_number[:8] + "-" not in body
    # Searched as every search is: logged, without the words typed.
    searches = AccessLogEntry.objects.filter(clinic=clinic, action="search")
    assert searches.count() == before + 1
    assert "wik" not in searches.latest("at").detail


def test_nothing_typed_searches_nothing(people, clinic, make_staff):
    desk = _signed_in(make_staff(clinic, "receptionist"))
    body = desk.get("/staff/persons/pick/", {"field": "person", "person_q": " "}).content
    assert _choices(body.decode()) == []
    assert not AccessLogEntry.objects.filter(clinic=clinic, action="search").exists()


def test_the_field_name_must_be_a_plain_name(people, clinic, make_staff):
    desk = _signed_in(make_staff(clinic, "receptionist"))
    assert desk.get("/staff/persons/pick/", {"field": '"><b>'}).status_code == 400


def test_without_javascript_a_typed_name_shows_the_choices_and_keeps_the_form(
    people, clinic, owner
):
    greta, per, _stranger = people
    page = _signed_in(owner.user)
    typed = {"person_q": "wik", "kind": "erasure", "details": "Asked at the desk"}
    response = page.post("/staff/privacy-requests/new/", typed)
    assert response.status_code == 422
    body = response.content.decode()
    assert sorted(_choices(body)) == sorted([str(greta.pk), str(per.pk)])
    assert 'value="wik"' in body and "Asked at the desk</textarea>" in body
    assert re.search(r'<option value="erasure" selected>', body)
    assert not DataSubjectRequest.objects.exists()

    chosen = page.post("/staff/privacy-requests/new/", {**typed, "person": greta.pk})
    assert chosen.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert (request.person_id, request.kind, request.details) == (
        greta.pk,
        "erasure",
        "Asked at the desk",
    )


def test_a_search_that_finds_no_one_says_so_and_saves_nothing(people, clinic, owner):
    response = _signed_in(owner.user).post(
        "/staff/privacy-requests/new/", {"person_q": "Zetterlund", "kind": "access"}
    )
    assert response.status_code == 422
    assert _choices(response.content.decode()) == []
    assert not DataSubjectRequest.objects.exists()


def test_another_clinics_person_cannot_be_chosen(people, clinic, owner):
    _greta, _per, stranger = people
    response = _signed_in(owner.user).post(
        "/staff/privacy-requests/new/", {"person": stranger.pk, "kind": "access"}
    )
    assert response.status_code == 422
    assert not DataSubjectRequest.objects.exists()
    assert str(stranger.pk) not in _choices(response.content.decode())


def test_arriving_from_a_persons_page_the_person_is_already_chosen(people, clinic, owner):
    greta, _per, _stranger = people
    body = _signed_in(owner.user).get(f"/staff/privacy-requests/?person={greta.pk}").content
    assert re.search(
        rf'<input type="radio" name="person" value="{greta.pk}" checked>', body.decode()
    )


def test_a_legal_hold_needs_a_chosen_person_not_a_typed_name(people, clinic, owner):
    greta, _per, _stranger = people
    page = _signed_in(owner.user)
    typed = {"person_q": "Greta", "reason": "A claim is expected"}
    response = page.post("/staff/retention/holds/", typed)
    assert response.status_code == 422
    body = response.content.decode()
    assert _choices(body) == [str(greta.pk)]
    assert "A claim is expected</textarea>" in body
    assert not LegalHold.objects.exists()
    page.post("/staff/retention/holds/", {**typed, "person": greta.pk})
    assert LegalHold.objects.get().person_id == greta.pk


@pytest.mark.parametrize("url", ["/staff/appointments/new/", "/staff/sales/orders/new/"])
def test_a_new_booking_or_order_starts_by_finding_the_person(people, clinic, make_staff, url):
    greta, _per, _stranger = people
    desk = _signed_in(make_staff(clinic, "receptionist"))
    first = desk.get(url).content.decode()
    assert 'name="person_q"' in first and _choices(first) == []
    typed = desk.get(url, {"person_q": "Greta"}).content.decode()  # sent without JavaScript
    assert _choices(typed) == [str(greta.pk)]
    chosen = desk.get(url, {"person": greta.pk}).content.decode()
    assert "Greta Wikander" in chosen and 'name="person_q"' not in chosen
