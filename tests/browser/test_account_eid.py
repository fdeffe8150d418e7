"""A client signs in to their account with an eID (issue 15, the strong level) in
Chromium, through a real local OpenID Connect provider: sees who has opened their record
and downloads the access report; a tampered ID token is refused in the client's
language (LAW.md REQ-50)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from praksis.accounts.models import ClientSession
from praksis.clinics.access import Actor
from praksis.clinics.models import Membership
from praksis.journal.services import entry_create
from praksis.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"


def t(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


def _client(clinic) -> Person:
    person = next(
        p for p in Person.objects.filter(clinic=clinic).order_by("pk") if p.identity_number
    )
    owner = Membership.objects.select_related("user").get(clinic=clinic, role="owner")
    staff = Actor(clinic=clinic, user=owner.user, role="owner", channel="ui")
    entry_create(actor=staff, person_id=person.pk, text="Synundersökning", sign=True)
    return person


def test_strong_sign_in_see_the_log_and_download_the_report(page, lund_optik, oidc_provider):
    clinic = lund_optik
    person = _client(clinic)
    oidc_provider.identity = person.identity_number
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/{clinic.slug}/account/?lang=sv")
    page.locator("#eid-sign-in").click()
    page.wait_for_url(re.compile(rf"/{clinic.slug}/account/\?lang=sv$"))
    expect(page.locator("#log-link")).to_be_visible()
    assert ClientSession.objects.get(person=person).level == "strong"

    page.locator("#log-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Who has opened your record"))
    expect(page.locator("#access-log tbody tr").first).to_be_visible()
    page.wait_for_load_state("load")  # measured with its stylesheet, not before it applies
    width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0

    page.go_back()
    with page.expect_download() as caught:
        page.locator("#report-download").click()
    download = caught.value
    assert download.suggested_filename == "access-report.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_tampered_id_token_is_refused_in_swedish(page, lund_optik, oidc_provider, page_problems):
    clinic = lund_optik
    person = _client(clinic)
    oidc_provider.identity = person.identity_number
    oidc_provider.tamper = "signature"
    page.goto(f"/{clinic.slug}/account/?lang=sv")
    page.locator("#eid-sign-in").click()
    expect(page.locator("#eid-failed")).to_have_text(
        t("The sign-in with eID did not go through. Try again, or sign in with a code.")
    )
    assert not ClientSession.objects.exists()
    # The refusal is a 403 page, which the browser reports as such: that one is expected.
    expected = [m for m in page_problems.console_errors if "status of 403" in m]
    assert len(expected) == 1, page_problems.console_errors
    page_problems.console_errors.remove(expected[0])
