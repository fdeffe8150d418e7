"""Staff pages for people: forms keep what was typed, errors are shown, roles are respected."""

from __future__ import annotations

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.people.models import Person
from tests.conftest import speaks


@pytest.fixture
def reception(clinic, make_staff):
    client = Client()
    client.user = make_staff(clinic, "receptionist")
    client.force_login(client.user)
    return client


def test_bad_input_re_fills_the_form_with_messages(reception):
    typed = {
        "first_name": "Greta",
        "last_name": "Wikander",
        "identity_number": "19850312-0003",  # wrong check digit
        "birth_date": "",
        "phone": "070-12",
        "email": "greta(at)example.com",
        "address": "Storgatan 1",
    }
    speaks(reception.user, "en")
    response = reception.post("/staff/persons/new/", typed)
    assert response.status_code == 422
    body = response.content.decode()
    for value in ("Greta", "Wikander", "19850312-0003", "070-12", "greta(at)example.com"):
        assert f'value="{value}"' in body
    assert 'id="err_identity_number"' in body
    assert 'id="err_phone"' in body
    assert 'id="err_email"' in body
    assert 'aria-invalid="true"' in body
    assert Person.objects.count() == 0


def test_create_then_edit_through_the_forms(clinic, reception):
    from tests.people.test_persons_api import _valid_se

    response = reception.post(
        "/staff/persons/new/",
        {"first_name": "Greta", "last_name": "Wikander", "identity_number": _valid_se(),
         "phone": "0701234567"},
    )  # fmt: skip
    person = Person.objects.get()
    assert response["Location"] == f"/staff/persons/{person.pk}/"
    page = reception.get(f"/staff/persons/{person.pk}/edit/").content.decode()
    assert 'value="19850312-' in page  # identity shown formatted
    response = reception.post(
        f"/staff/persons/{person.pk}/edit/",
        {"first_name": "Greta", "last_name": "Wikander-Lund", "identity_number": _valid_se(),
         "phone": "0701234567", "email": "", "birth_date": "1985-03-12", "address": ""},
    )  # fmt: skip
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.last_name == "Wikander-Lund"
    detail = reception.get(f"/staff/persons/{person.pk}/").content.decode()
    assert "Wikander-Lund" in detail


def test_duplicate_warning_needs_a_confirmation(clinic, reception, owner, make_person):
    make_person(owner, first_name="Sara", last_name="Holm", phone="0701112233")
    from tests.people.test_persons_api import _valid_se

    data = {"first_name": "Sarah", "last_name": "Holm", "identity_number": _valid_se(),
            "phone": "0701112233"}  # fmt: skip
    response = reception.post("/staff/persons/new/", data)
    assert response.status_code == 200
    assert "confirm_duplicate" in response.content.decode()
    assert Person.objects.count() == 1
    response = reception.post("/staff/persons/new/", {**data, "confirm_duplicate": "1"})
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_live_search_returns_the_results_fragment(reception, owner, make_person):
    make_person(owner, first_name="Greta", last_name="Wikander")
    response = reception.get("/staff/persons/", {"q": "wik"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Wikander" in body
    assert "<html" not in body


def test_receptionist_may_not_read_the_access_log(clinic, reception, owner, make_person):
    person = make_person(owner)
    before = AccessLogEntry.objects.count()
    response = reception.get(f"/staff/persons/{person.pk}/access-log/")
    assert response.status_code == 403
    assert AccessLogEntry.objects.count() == before


def test_owner_sees_who_opened_a_record(clinic, make_staff, owner, make_person):
    person = make_person(owner)
    client = Client()
    viewer = make_staff(clinic, "owner")
    client.force_login(viewer)
    client.get(f"/staff/persons/{person.pk}/")
    page = client.get(f"/staff/persons/{person.pk}/access-log/").content.decode()
    # Named by name and role, never by e-mail address (REQ-23).
    assert viewer.full_name in page and viewer.email not in page
    # Viewing the log is itself logged (REQ-22).
    assert AccessLogEntry.objects.filter(object_type="access_log", person_id=person.pk).exists()


@pytest.mark.parametrize(
    ("language", "text"), [("sv", "Personer"), ("nb", "Personer"), ("en", "People")]
)
def test_pages_speak_swedish_norwegian_and_english(reception, language, text):
    speaks(reception.user, language)
    response = reception.get("/staff/persons/")
    assert f"<h1>{text}</h1>" in response.content.decode()
    assert response["Content-Language"] == language


def test_pages_load_nothing_from_other_hosts(reception):
    response = reception.get("/staff/persons/")
    body = response.content.decode()
    assert "http://" not in body.replace("http://testserver", "")
    assert "https://" not in body
    assert "default-src 'self'" in response["Content-Security-Policy"]
