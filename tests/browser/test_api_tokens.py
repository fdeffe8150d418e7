"""On a 390 px phone, a receptionist opens "API tokens" from the user menu, creates a
token, copies it from the page, uses it, and revokes it — and the very next API call with
it is refused (REQ-34: access control)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from django.urls import get_resolver
from django.utils import translation
from playwright.sync_api import expect

from praksis.clinics.models import ApiToken
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def t(text: str) -> str:
    with translation.override("sv"):  # the browser context's locale
        return translation.gettext(text)


def _api_status(base_url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/api/v1/persons", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"


def test_on_a_phone_a_token_is_created_copied_used_and_revoked(
    page, live_server, clinic, make_staff
):
    get_resolver().url_patterns  # noqa: B018 - load the URL map before the first request
    desk = make_staff(clinic, "receptionist")
    page.set_viewport_size(PHONE)
    page.goto("/staff/")
    page.get_by_label(t("E-mail"), exact=True).fill(desk.email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/$"))  # the day's page

    page.locator(".user-menu summary").click()
    page.get_by_role("link", name=t("API tokens"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/tokens/$"))
    page.get_by_label(t("What it is for"), exact=True).fill("Kassasystem")
    page.get_by_role("button", name=t("Create token"), exact=True).click()

    secret = page.locator("#new-token-value").input_value()
    assert secret.startswith("prk_")
    expect(page.locator("#own-tokens")).to_contain_text("Kassasystem")
    _fits_the_phone(page)
    assert _api_status(live_server.url, secret) == 200

    page.goto("/staff/tokens/")
    expect(page.locator("#new-token-value")).to_have_count(0)  # shown only once
    assert secret not in page.content()
    row = page.locator(f"#token-{ApiToken.objects.get(user=desk).pk}")
    row.get_by_role("button", name=t("Revoke"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/tokens/$"))
    expect(row).to_contain_text(t("revoked"))
    _fits_the_phone(page)
    assert _api_status(live_server.url, secret) == 401
