"""The staff shell: the clinic's language (or the user's own choice), the grouped menu per
role, and branded, translated error pages with the menu where the user is signed in."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from praksis.clinics.models import User
from praksis.core import views as core_views
from tests.conftest import speaks


def _signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _menu(body: str) -> str:
    match = re.search(r'<nav class="main-nav".*?</nav>', body, re.S)
    assert match, "no main menu on the page"
    return match.group(0)


def test_staff_pages_speak_the_clinics_language_whatever_the_browser_asks(make_clinic, make_staff):
    clinic = make_clinic("vet")  # a Norwegian clinic
    client = _signed_in(make_staff(clinic, "receptionist"), **{"Accept-Language": "en-US,en"})
    response = client.get("/staff/persons/")
    assert response["Content-Language"] == "nb"
    body = response.content.decode()
    assert '<html lang="nb">' in body
    assert f"<h1>{_in('nb', 'People')}</h1>" in body


def test_a_language_chosen_in_the_header_is_kept_on_the_account(clinic, make_staff):
    user = make_staff(clinic, "practitioner")
    client = _signed_in(user)
    assert client.get("/staff/persons/")["Content-Language"] == "sv"  # the clinic's
    response = client.post("/staff/language/", {"language": "en", "next": "/staff/persons/"})
    assert response.status_code == 302 and response["Location"] == "/staff/persons/"
    assert User.objects.get(pk=user.pk).language == "en"
    assert client.get("/staff/persons/")["Content-Language"] == "en"
    # A new session on another machine starts in the language chosen.
    assert _signed_in(user).get("/staff/persons/")["Content-Language"] == "en"


def test_an_unknown_language_changes_nothing(clinic, make_staff):
    user = make_staff(clinic, "practitioner")
    client = _signed_in(user)
    client.post("/staff/language/", {"language": "de", "next": "/staff/"})
    assert User.objects.get(pk=user.pk).language == ""
    assert client.get("/staff/")["Content-Language"] == "sv"


def test_public_pages_keep_their_own_language_rule(clinic, make_staff):
    """A member of staff who reads the staff pages in English sees the clinic's public
    notice in the language its own switch asks for."""
    client = _signed_in(speaks(make_staff(clinic, "owner"), "en"))
    assert client.get(f"/{clinic.slug}/privacy?lang=nb")["Content-Language"] == "nb"


def test_the_menu_is_grouped_and_shows_each_role_what_it_may_open(clinic, make_staff):
    owner = _menu(_signed_in(make_staff(clinic, "owner")).get("/staff/").content.decode())
    desk = _menu(_signed_in(make_staff(clinic, "receptionist")).get("/staff/").content.decode())
    for link in ("/staff/", "/staff/calendar/", "/staff/persons/", "/staff/requests/"):
        assert f'href="{link}"' in owner and f'href="{link}"' in desk
    for link in ("/staff/recall/", "/staff/sales/", "/staff/messages/"):
        assert f'href="{link}"' in desk
    assert 'href="/staff/privacy-requests/"' in desk
    owner_only = ("/staff/access-log/", "/staff/processing/", "/staff/retention/")
    owner_only += ("/staff/disclosures/", "/staff/breaches/")
    for link in owner_only:
        assert f'href="{link}"' in owner and f'href="{link}"' not in desk
    assert 'class="nav-group clinic"' in owner and 'class="nav-group clinic"' not in desk
    # The page one is on is marked for assistive technology.
    assert re.search(r'href="/staff/"\s+aria-current="page"', owner)


def test_a_refused_page_is_branded_translated_and_keeps_the_menu(make_clinic, make_staff):
    clinic = make_clinic("dental")
    client = _signed_in(make_staff(clinic, "receptionist"), **{"Accept-Language": "en"})
    response = client.get("/staff/retention/")
    assert response.status_code == 403
    body = response.content.decode()
    assert f"<h1>{_in('nb', 'Not allowed')}</h1>" in body
    assert "403 Forbidden" not in body
    assert 'href="/staff/persons/"' in _menu(body)


def test_an_unknown_staff_address_is_a_branded_404_with_the_menu(clinic, make_staff):
    client = _signed_in(make_staff(clinic, "receptionist"))
    response = client.get("/staff/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert f"<h1>{_in('sv', 'Not found')}</h1>" in body and 'id="error-404"' in body
    assert 'href="/staff/calendar/"' in _menu(body)
    # Not signed in: the same page, without a menu.
    anonymous = Client().get("/staff/no-such-page/").content.decode()
    assert 'id="error-404"' in anonymous and 'class="main-nav"' not in anonymous


def test_another_clinics_record_is_the_same_branded_404(clinic, other_clinic, make_staff):
    from praksis.people.services import person_create

    theirs, _ = person_create(
        actor=_actor(other_clinic, make_staff),
        data={"first_name": "Tove", "last_name": "Lind", "identity_number": "198112189876"},
    )
    response = _signed_in(make_staff(clinic, "owner")).get(f"/staff/persons/{theirs.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'id="error-404"' in body and "Lind" not in body


def _actor(clinic, make_staff):
    from praksis.clinics.access import Actor

    user = make_staff(clinic, "owner", email=f"o@{clinic.slug}.test")
    return Actor(clinic=clinic, user=user, role="owner", channel="ui")


def test_a_form_without_its_csrf_token_gets_a_branded_page(clinic, make_staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff(clinic, "receptionist"))
    response = client.post("/staff/persons/new/", {"first_name": "Greta"})
    assert response.status_code == 403
    body = response.content.decode()
    assert _in("sv", "The form could not be sent") in body
    assert "CSRF verification failed" not in body


def test_the_server_error_page_reads_nothing_from_the_database(db, django_assert_num_queries):
    request = RequestFactory().get("/staff/persons/")
    with translation.override("nb"), django_assert_num_queries(0):
        response = core_views.server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="nb">' in body
    assert _in("nb", "Something went wrong") in body
    assert 'href="/staff/"' in body


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (core_views.bad_request, 400),
        (core_views.forbidden, 403),
        (core_views.not_found, 404),
        (core_views.server_error, 500),
    ],
)
def test_api_addresses_keep_their_json_errors(db, handler, status):
    request = RequestFactory().get("/api/v1/persons/1")
    response = handler(request) if status == 500 else handler(request, Exception())
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {"detail", "errors"}


def test_the_bad_request_page_is_branded_and_echoes_nothing(clinic, make_staff):
    request = RequestFactory().get("/staff/persons/?q=%3Cscript%3E")
    request.user = make_staff(clinic, "receptionist")
    request.session = {}
    response = core_views.bad_request(request, Exception())
    assert response.status_code == 400
    body = response.content.decode()
    assert _in("sv", "Please check what you entered") in body
    assert "<script>" not in body and "%3Cscript" not in body
