"""The client's account in Chromium (issue 15, "done when"): a code sign-in cannot open the
journal; a wrong, used or expired code fails and the fifth wrong one locks the sign-in;
another clinic's account pages answer 404; an intake form answered in the account
arrives as a draft in the practitioner's journal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.accounts.models import SignIn
from praksis.booking.intake import intake_form_save
from praksis.booking.services import appointment_book
from praksis.messaging.models import OutboxMessage
from tests.browser.test_staff_search import sign_in
from tests.conftest import PASSWORD, next_local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "nils@example.com"


def t(text: str) -> str:
    with translation.override("sv"):  # the clinic's language (and the page's)
        return translation.gettext(text)


@pytest.fixture
def client_of(clinic, make_bookable, make_staff, make_actor, make_person):
    service, (practitioner,) = make_bookable(clinic)
    owner = make_actor(clinic, "owner")
    optician = make_staff(clinic, "practitioner")
    practitioner.user = optician
    practitioner.save(update_fields=["user"])
    person = make_person(owner, first_name="Nils", last_name="Holm", email=EMAIL)
    intake_form_save(
        actor=owner, service_id=service.pk, title="Före besöket",
        questions=[{"text": "Bär du kontaktlinser?", "why": "Undersökningen skiljer sig då.",
                    "kind": "yesno"},
                   {"text": "Mediciner?", "why": "En del påverkar ögats tryck.", "kind": "text"}],
    )  # fmt: skip
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk,
        start=next_local(clinic, days=3, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    return person, appointment, optician


def _code() -> str:
    message = OutboxMessage.objects.filter(to_address=EMAIL, related_type="account_sign_in")
    return re.search(r"\b(\d{6})\b", message.order_by("-pk").first().body).group(1)


def _start(page, clinic) -> None:
    page.goto(f"/{clinic.slug}/account/?lang=sv")
    page.get_by_label(t("The e-mail address or mobile number you gave us")).fill(EMAIL)
    page.get_by_role("button", name=t("Send me a code")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Enter your code"))


def _enter(page, code: str) -> None:
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name=t("Sign in")).click()


def test_codes_fail_when_wrong_used_or_expired_and_lock_after_five(page, live_server, clinic,
                                                                     client_of):  # fmt: skip
    _start(page, clinic)
    wrong = f"{(int(_code()) + 1) % 10**6:06d}"
    for _ in range(4):
        _enter(page, wrong)
        expect(page.locator(".field-error")).to_have_text(
            t("The code is not right. Check it and try again.")
        )
    _enter(page, wrong)
    expect(page.locator("#sign-in-ended")).to_have_text(
        t("Too many wrong codes. Start again to get a new code.")
    )
    # Expired: a new sign-in whose ten minutes have passed.
    _start(page, clinic)
    SignIn.objects.filter(locked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _enter(page, _code())
    expect(page.locator("#sign-in-ended")).to_have_text(
        t("The code has expired. Start again to get a new code.")
    )
    # Used: signed in once, the same code cannot sign in again.
    _start(page, clinic)
    code = _code()
    _enter(page, code)
    expect(page.locator("#request-form")).to_be_visible()
    page.goto(f"/{clinic.slug}/account/code/?lang=sv")
    expect(page.get_by_role("heading", level=1)).not_to_have_text(t("Enter your code"))


def test_a_code_sign_in_cannot_open_the_journal_nor_another_clinic(
    page, live_server, clinic, client_of, make_clinic, page_problems
):
    other = make_clinic("dental")
    _start(page, clinic)
    _enter(page, _code())
    expect(page.locator("#request-form")).to_be_visible()
    expect(page.locator("#journal-download")).to_have_count(0)
    for path in ("journal.pdf", "report.pdf", "log/"):
        response = page.goto(f"/{clinic.slug}/account/{path}")
        assert response.status == 404, path
    assert page.goto(f"/{other.slug}/account/log/").status == 404
    page.goto(f"/{other.slug}/account/?lang=sv")  # not signed in there
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in to your account"))
    # The four refusals above are 404 pages, which the browser reports as such.
    expected = [m for m in page_problems.console_errors if "status of 404" in m]
    assert len(expected) == 4, page_problems.console_errors
    for message in expected:
        page_problems.console_errors.remove(message)


def test_an_intake_form_answered_in_the_account_is_a_draft_for_the_practitioner(
    page, live_server, clinic, client_of
):
    person, _appointment, optician = client_of
    page.set_viewport_size({"width": 390, "height": 800})
    _start(page, clinic)
    _enter(page, _code())
    page.locator(".intake-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Före besöket")
    expect(page.locator("#intake-form")).to_contain_text("Undersökningen skiljer sig då.")
    page.get_by_label(t("Yes"), exact=True).check()
    page.get_by_label("Mediciner?").fill("Timolol ögondroppar")
    page.get_by_role("button", name=t("Send my answers")).click()
    expect(page.locator("#intake-sent")).to_be_visible()
    expect(page.locator(".intake-link")).to_have_count(0)

    # The practitioner signs in and finds the draft in the client's journal.
    page.context.clear_cookies()
    sign_in(page, optician.email, PASSWORD)
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto(f"/staff/persons/{person.pk}/journal/")
    draft = page.locator("article.entry.draft")
    expect(draft).to_contain_text("Timolol ögondroppar")
    expect(draft).to_contain_text("Bär du kontaktlinser?")
