"""The staff menu in Chromium: behind a button on a phone, a row with drop-down groups on a
desktop; and a person chosen by typing part of the name (search as you type)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from praksis.privacy.models import DataSubjectRequest
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"  # the clinic's language: the staff pages speak it
PHONE = {"width": 390, "height": 844}


def t(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


def sign_in(page, email: str) -> None:
    page.goto("/staff/")
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/$"))


def _within_window(page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    )


def test_on_a_phone_the_menu_opens_from_its_button_and_leads_to_a_page(
    page, live_server, clinic, make_staff
):
    page.set_viewport_size(PHONE)
    sign_in(page, make_staff(clinic, "owner").email)
    menu = page.get_by_role("navigation", name=t("Main"))
    calendar = menu.get_by_role("link", name=t("Calendar"), exact=True)
    expect(calendar).to_be_hidden()  # collapsed

    page.locator("summary.menu-button").click()
    expect(calendar).to_be_visible()
    assert _within_window(page, calendar)
    retention = menu.get_by_role("link", name=t("Retention"), exact=True)
    expect(retention).to_be_hidden()
    menu.locator("summary", has_text=t("Privacy")).click()
    expect(retention).to_be_visible()
    assert _within_window(page, retention)
    retention.click()
    page.wait_for_url(f"{live_server.url}/staff/retention/")
    expect(
        page.get_by_role("navigation", name=t("Main")).get_by_role(
            "link", name=t("Calendar"), exact=True
        )
    ).to_be_hidden()


def test_on_a_desktop_a_group_drops_down_and_closes_on_escape_or_a_click_elsewhere(
    page, live_server, clinic, make_staff
):
    sign_in(page, make_staff(clinic, "owner").email)
    menu = page.get_by_role("navigation", name=t("Main"))
    expect(menu.get_by_role("link", name=t("Calendar"), exact=True)).to_be_visible()
    expect(page.locator("summary.menu-button")).to_be_hidden()
    privacy = menu.locator("summary", has_text=t("Privacy"))
    breaches = menu.get_by_role("link", name=t("Breaches"), exact=True)
    expect(breaches).to_be_hidden()

    privacy.click()
    expect(breaches).to_be_visible()
    page.keyboard.press("Escape")
    expect(breaches).to_be_hidden()

    privacy.click()
    expect(breaches).to_be_visible()
    page.get_by_role("heading", level=1).click()  # anywhere else on the page
    expect(breaches).to_be_hidden()

    privacy.click()
    page.locator(".user-menu summary").click()  # one drop-down at a time
    expect(breaches).to_be_hidden()
    expect(page.get_by_role("link", name=t("API tokens"), exact=True)).to_be_visible()


def test_a_person_is_found_by_typing_part_of_the_name_and_chosen(
    page, live_server, clinic, make_staff, make_actor, make_person
):
    owner = make_actor(clinic, "owner")
    greta = make_person(owner, first_name="Greta", last_name="Wikander")
    make_person(owner, first_name="Per", last_name="Wikström")
    make_person(owner, first_name="Alvar", last_name="Hjortmark")
    sign_in(page, make_staff(clinic, "owner", email="agare@test-optik.test").email)
    page.goto("/staff/privacy-requests/")

    form = page.locator("#register-request")
    with page.expect_response(
        lambda r: "/staff/persons/pick/" in r.url and r.request.headers.get("hx-request") == "true"
    ) as searched:
        form.get_by_label(t("Person"), exact=True).press_sequentially("wikan", delay=40)
    assert searched.value.ok
    choice = form.get_by_role("radio", name=re.compile(r"^Wikander, Greta"))
    expect(choice).to_be_visible()
    expect(form.get_by_role("radio")).to_have_count(1)
    choice.check()
    form.get_by_label(t("Kind"), exact=True).select_option("erasure")
    form.get_by_role("button", name=t("Register"), exact=True).click()

    page.wait_for_url(f"{live_server.url}/staff/privacy-requests/")
    request = DataSubjectRequest.objects.get()
    assert (request.person_id, request.kind) == (greta.pk, "erasure")
    expect(page.locator("#privacy-requests")).to_contain_text("Greta Wikander")
