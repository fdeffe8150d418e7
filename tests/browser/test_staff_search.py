"""A receptionist signs in through the real login page, finds a person and opens them."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from praksis.audit.models import AccessLogEntry
from praksis.people.identity import format_identity, mask_identity
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"  # the browser context's locale (sv-SE); labels are matched in it


def t(text: str) -> str:
    """``text`` as the server shows it to the browser's language."""
    with translation.override(LANGUAGE):
        return translation.gettext(text)


@pytest.fixture
def optician(clinic, other_clinic, make_staff, make_actor, make_person):
    receptionist = make_staff(clinic, "receptionist")
    owner = make_actor(clinic, "owner")
    greta = make_person(owner, first_name="Greta", last_name="Wikander")
    make_person(owner, first_name="Per", last_name="Wikström")
    make_person(owner, first_name="Alvar", last_name="Hjortmark")
    make_person(owner, first_name="Signe", last_name="Lövqvist")
    # Same name, other clinic: must never show up for this clinic's receptionist.
    other_owner = make_actor(other_clinic, "owner")
    stranger = make_person(other_owner, first_name="Greta", last_name="Wikander")
    return clinic, receptionist, greta, stranger


def sign_in(page, email: str, password: str) -> None:
    response = page.goto("/staff/")
    page.wait_for_url(re.compile(r"/staff/login/\?next=%2Fstaff%2F$"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()


def test_receptionist_finds_and_opens_a_person(page, live_server, optician):
    clinic, receptionist, greta, stranger = optician
    greta_identity = format_identity(greta.identity_number, clinic.country)
    stranger_identity = format_identity(stranger.identity_number, clinic.country)
    assert re.fullmatch(r"\d{8}-\d{4}", greta_identity)

    sign_in(page, receptionist.email, PASSWORD)
    page.wait_for_url(f"{live_server.url}/staff/")  # the day's page
    page.get_by_role("navigation").get_by_role("link", name=t("People"), exact=True).click()
    page.wait_for_url(f"{live_server.url}/staff/persons/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("People"))

    search = page.locator("#id_q")
    with page.expect_response(
        lambda r: "/staff/persons/?q=" in r.url and r.request.headers.get("hx-request") == "true"
    ) as live:
        search.press_sequentially("wikan", delay=40)
    assert live.value.ok
    page.wait_for_url(re.compile(r"/staff/persons/\?q=wikan$"))  # hx-push-url

    rows = page.locator("#results table.list tbody tr")
    greta_link = rows.get_by_role("link", name="Wikander, Greta", exact=True)
    expect(greta_link).to_be_visible()
    expect(rows).to_have_count(1)
    results = page.locator("#results")
    # The list shows the number masked to the birth date; only her own page opens it.
    expect(results).to_contain_text(mask_identity(greta.birth_date, clinic.country))
    expect(results).not_to_contain_text(greta_identity)
    expect(results).not_to_contain_text(stranger_identity)
    expect(results).not_to_contain_text("Wikström")

    greta_link.click()
    page.wait_for_url(f"{live_server.url}/staff/persons/{greta.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Greta Wikander")
    identity_term = page.locator("dl.facts dt", has_text=t("Identity number"))
    expect(identity_term.locator("xpath=following-sibling::dd[1]")).to_have_text(greta_identity)

    log = AccessLogEntry.objects.filter(
        clinic=clinic, actor=receptionist.email, role="receptionist", channel="ui"
    )
    assert log.filter(action="search", object_type="person").exists()
    assert log.filter(action="read", object_type="person", person_id=greta.pk).exists()
    assert not AccessLogEntry.objects.filter(person_id=stranger.pk, action="read").exists()


def test_wrong_password_stays_on_login(page, live_server, optician):
    clinic, receptionist, _greta, _stranger = optician

    sign_in(page, receptionist.email, "not the password")

    expect(page.get_by_role("alert")).to_have_text(
        t("The e-mail address or password is not right.")
    )
    assert page.url == f"{live_server.url}/staff/login/"
    expect(page.get_by_label(t("E-mail"), exact=True)).to_have_value(receptionist.email)
    expect(page.get_by_label(t("Password"), exact=True)).to_have_value("")

    # Still signed out: the staff pages send us back to the login page.
    page.goto("/staff/persons/")
    page.wait_for_url(re.compile(r"/staff/login/\?next="))
    assert not AccessLogEntry.objects.filter(clinic=clinic, actor=receptionist.email).exists()
