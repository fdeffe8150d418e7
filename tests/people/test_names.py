"""Names hold letters of every script, never invisible or control characters.

A bidi override (U+202E) makes "Anna<RLO>gröB" display as "AnnaBörg" on a page and in a
PDF; a zero-width space makes two names that look alike differ; a NUL byte cannot even be
stored on PostgreSQL. Each is refused with a field error, never silently dropped.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from praksis.booking.models import Appointment, BookingPolicy, BookingRequest
from praksis.core.errors import ValidationFailed
from praksis.core.text import FORBIDDEN_CATEGORIES
from praksis.people.identity import synthetic_no, synthetic_se
from praksis.people.models import Animal, Person
from praksis.people.services import animal_create
from praksis.people.validation import clean_person
from tests.conftest import next_local

NORDIC_NAMES = ["Åsa", "Øyvind", "Ærlig-Ødegård", "O'Neil", "Zoë", "Sámi Máret", "Jöns Jönsson"]
OTHER_SCRIPTS = ["Αλέξανδρος", "Дмитрий", "محمد", "李小龍", "Nguyễn", "Þórdís", "Łukasz"]
SPOOFING = {
    "right-to-left override": "\u202e",
    "left-to-right override": "\u202d",
    "right-to-left isolate": "\u2067",
    "pop directional isolate": "\u2069",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte order mark": "\ufeff",
    "NUL": "\x00",
    "escape": "\x1b",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "private use": "\ue000",
}

NOT_ALLOWED = "This contains characters that are not allowed."
forbidden_char = st.characters(categories=sorted(FORBIDDEN_CATEGORIES))
letters = st.text(st.characters(categories=["L"]), min_size=1, max_size=20)


def _clean_first_name(clinic, value) -> dict:
    return clean_person(clinic, {"first_name": value, "last_name": "Berg"}, partial=True)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=letters, bad=forbidden_char, after=st.text(max_size=20))
@example(before="Anna", bad="\u202e", after="gröB")
@example(before="Per", bad="\x00", after="")
def test_a_name_with_an_invisible_or_control_character_is_refused(clinic, before, bad, after):
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        _clean_first_name(clinic, before + bad + after)
    # One fixed message: the input is never echoed back.
    assert refused.value.errors == {"first_name": [NOT_ALLOWED]}


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.text(st.characters(categories=["L", "M"]), min_size=1, max_size=12).filter(
            lambda s: any(ch.isalpha() for ch in s)
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([" ", "-", "'", " - "]),
)
def test_names_of_letters_spaces_hyphens_and_apostrophes_are_kept(clinic, parts, joiner):
    value = joiner.join(parts)
    cleaned = _clean_first_name(clinic, value)
    assert cleaned["first_name"] == " ".join(unicodedata.normalize("NFC", value).split())


@pytest.mark.parametrize("name", NORDIC_NAMES + OTHER_SCRIPTS)
def test_names_of_every_script_pass_unchanged(clinic, name):
    assert _clean_first_name(clinic, name)["first_name"] == name


def test_a_name_is_stored_in_composed_form(clinic, make_actor, make_person):
    """ "Åsa" typed as A + combining ring (NFD, as macOS sends it) is stored as one letter,
    so the search finds it either way."""
    decomposed = unicodedata.normalize("NFD", "Åsa Öberg")
    person = make_person(make_actor(clinic, "receptionist"), first_name=decomposed)
    assert person.first_name == "Åsa Öberg" and len(person.first_name) == 9
    assert person.first_name_key == "åsa öberg"


@pytest.mark.parametrize("what", sorted(SPOOFING))
def test_the_api_refuses_a_spoofing_name_with_422_and_stores_nothing(clinic, make_api, what):
    api = make_api(clinic, "receptionist")
    number = synthetic_se(random.Random(7), date(1985, 3, 12))
    spoofed = {"first_name": "Anna", "last_name": f"gröB{SPOOFING[what]}x"}
    response = api.post("persons", {**spoofed, "identity_number": number})
    assert response.status_code == 422, response.content
    body = response.json()
    assert list(body["errors"]) == ["last_name"]
    assert "gröB" not in response.content.decode()
    assert not Person.objects.exists()


def test_a_patch_cannot_bring_in_a_bidi_override(clinic, make_api, make_actor, make_person):
    person = make_person(make_actor(clinic), first_name="Anna", last_name="Berg")
    api = make_api(clinic, "receptionist")
    response = api.patch(f"persons/{person.pk}", {"first_name": "Anna\u202egreB"})
    assert response.status_code == 422 and "first_name" in response.json()["errors"]
    person.refresh_from_db()
    assert person.first_name == "Anna"


def test_the_staff_form_refuses_it_and_keeps_what_was_typed(clinic, make_staff):
    client = Client()
    client.force_login(make_staff(clinic, "receptionist"))
    response = client.post(
        "/staff/persons/new/",
        {
            "first_name": "Anna\u200b",
            "last_name": "Berg",
            "identity_number": synthetic_se(random.Random(7), date(1985, 3, 12)),
            "email": "anna@example.com",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "anna@example.com" in page  # what was typed is kept
    assert not Person.objects.exists()


def test_an_address_may_have_lines_but_no_bidi_override(clinic):
    ok = clean_person(clinic, {"address": "Storgatan 1\n222 22 Lund"}, partial=True)
    assert ok["address"] == "Storgatan 1\n222 22 Lund"
    with pytest.raises(ValidationFailed) as refused:
        clean_person(clinic, {"address": "Storgatan \u202e1"}, partial=True)
    assert list(refused.value.errors) == ["address"]


# --- Animals and what strangers type on public pages -------------------------------------


@pytest.fixture
def vet(make_clinic, make_actor):
    clinic = make_clinic("vet")
    return clinic, make_actor(clinic, "receptionist")


@pytest.mark.parametrize("name", ["Bamse\u202e", "\u200bBamse", "Bam\x00se", "x" * 101])
def test_an_animal_name_is_cleaned_like_a_persons(vet, make_person, name):
    _clinic, desk = vet
    owner = make_person(desk, first_name="Anne", last_name="Hansen")
    with pytest.raises(ValidationFailed) as refused:
        animal_create(actor=desk, owner_ids=[owner.pk], name=name, species="dog")
    assert list(refused.value.errors) == ["name"]
    assert not Animal.objects.exists()


def test_an_online_booking_refuses_a_spoofed_animal_name(vet, make_bookable):
    clinic, _desk = vet
    service, _staff = make_bookable(clinic)
    payload = {
        "service": service.pk,
        "start": next_local(clinic, 3, 9).isoformat(),
        "first_name": "Kari",
        "last_name": "Nordmann",
        "email": "kari@example.com",
        "identity_number": synthetic_no(random.Random(5), date(1979, 6, 30)),
        "animal_name": "Bamse\u202eesmaB",
        "animal_species": "dog",
        "accept_privacy_notice": True,
    }
    response = Client().post(
        f"/api/v1/public/{clinic.slug}/bookings", data=payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["animal_name"]
    assert not Appointment.objects.exists() and not Animal.objects.exists()


def test_a_booking_request_refuses_a_name_with_a_bidi_override(make_clinic, make_bookable):
    """(A NUL byte in any form field is refused before the view: praksis.core.input.)"""
    clinic = make_clinic("dental")
    BookingPolicy.objects.filter(clinic=clinic).update(mode="requests")
    make_bookable(clinic)
    response = Client().post(
        f"/{clinic.slug}/request/",
        {
            "first_name": "Ola\u202earoK",
            "last_name": "Nordmann",
            "email": "ola@example.com",
            "accept_privacy_notice": "1",
            "lang": "en",
        },
    )
    assert response.status_code == 422
    assert NOT_ALLOWED in response.content.decode()
    assert 'value="ola@example.com"' in response.content.decode()  # what was typed is kept
    assert not BookingRequest.objects.exists()
