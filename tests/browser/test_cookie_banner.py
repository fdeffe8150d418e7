"""A visitor rejects cookies in a real browser: nothing but necessary cookies is set."""

from __future__ import annotations

import pytest
from django.utils import translation

from praksis.privacy.cookies import COOKIE_NAME
from praksis.privacy.models import CookieChoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(text: str) -> str:
    with translation.override("sv"):
        return translation.gettext(text)


def test_visitor_rejects_cookies(page, make_clinic):
    clinic = make_clinic("optician")
    page.goto(f"/{clinic.slug}/")
    banner = page.locator(".cookie-banner")
    assert banner.is_visible()
    assert {c["name"] for c in page.context.cookies()} <= {"csrftoken"}
    banner.get_by_role("button", name=t("Only necessary cookies")).click()
    page.wait_for_url(f"**/{clinic.slug}/")
    assert page.locator(".cookie-banner").count() == 0
    assert {c["name"] for c in page.context.cookies()} == {"csrftoken", COOKIE_NAME}
    choice = CookieChoice.objects.get(clinic=clinic)
    assert (choice.statistics, choice.marketing) == (False, False)
    # The permanent link in the footer leads back to the choice.
    page.get_by_role("link", name=t("Cookie settings")).click()
    assert page.get_by_role("heading", name=t("Cookie settings")).is_visible()
