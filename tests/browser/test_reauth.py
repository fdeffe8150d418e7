"""An owner changes a retention period after signing in too long ago: the page asks for
the password first, keeps what was typed through a wrong try, and then saves it."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver
from django.utils import translation
from playwright.sync_api import expect

from praksis.privacy.models import RetentionSetting
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(text: str) -> str:
    with translation.override("sv"):  # the browser context's locale
        return translation.gettext(text)


def test_an_old_sign_in_confirms_with_the_password_and_the_change_is_kept(
    page, live_server, clinic, make_staff, settings
):
    settings.PRAKSIS_REAUTH_SECONDS = -1  # every sign-in counts as too old
    get_resolver().url_patterns  # noqa: B018 - load the URL map before the first request
    owner = make_staff(clinic, "owner")
    page.goto("/staff/")
    page.get_by_label(t("E-mail"), exact=True).fill(owner.email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/$"))

    page.goto("/staff/retention/")
    page.locator("#months-journal").fill("144")
    page.locator("#policy-journal").get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_role("heading", name=t("Confirm it is you"))).to_be_visible()
    assert not RetentionSetting.objects.exists()

    page.get_by_label(t("Password"), exact=True).fill("not my password")
    page.get_by_role("button", name=t("Confirm and go on"), exact=True).click()
    expect(page.locator("#reauth-error")).to_be_visible()
    assert not RetentionSetting.objects.exists()

    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Confirm and go on"), exact=True).click()
    page.wait_for_url(f"{live_server.url}/staff/retention/")
    expect(page.locator("#months-journal")).to_have_value("144")
    assert RetentionSetting.objects.get(clinic=clinic).months == 144
