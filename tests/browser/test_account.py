"""A client signs in to their account at Lund Optik on a phone (issue 15, basic level):
the one-time code arrives by e-mail at a real SMTP server; a wrong code is refused in
Swedish; the right one opens the account with the client's booking; the client sends a
privacy request from it and signs out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.booking.availability import free_slots
from praksis.booking.models import Service
from praksis.booking.services import appointment_book
from praksis.clinics.access import Actor
from praksis.clinics.models import Membership
from praksis.messaging.services import deliver_due
from praksis.people.models import Person
from praksis.privacy.models import DataSubjectRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"


def t(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


def test_sign_in_with_the_emailed_code_see_the_booking_and_ask(page, lund_optik, smtp_server):
    clinic = lund_optik
    person = Person.objects.filter(clinic=clinic).exclude(email="").order_by("pk").first()
    service = Service.objects.filter(clinic=clinic, active=True).order_by("pk").first()
    day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=6)
    slot = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)[0]
    owner = Membership.objects.select_related("user").get(clinic=clinic, role="owner")
    booked = appointment_book(
        actor=Actor(clinic=clinic, user=owner.user, role="owner", channel="ui"),
        service_id=service.pk, person_id=person.pk, start=slot.start,
        practitioner_id=slot.practitioner_id,
    )  # fmt: skip
    deliver_due()
    already = len(smtp_server.messages)

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/{clinic.slug}/?lang=sv")
    page.locator("#account-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in to your account"))
    page.get_by_label(t("The e-mail address or mobile number you gave us")).fill(person.email)
    page.get_by_role("button", name=t("Send me a code")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Enter your code"))

    assert deliver_due().failed == 0
    (mail,) = [m for m in smtp_server.wait_for(already + 1)[already:] if m["To"] == person.email]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", text).group(1)

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    page.locator("#id_code").fill(wrong)
    page.get_by_role("button", name=t("Sign in")).click()
    expect(page.locator(".field-error")).to_have_text(
        t("The code is not right. Check it and try again.")
    )
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name=t("Sign in")).click()
    with translation.override(LANGUAGE):
        welcome = translation.gettext("Welcome, %(name)s") % {"name": person.first_name}
    expect(page.get_by_role("heading", level=1)).to_have_text(welcome)
    expect(page.locator(f'[data-appointment="{booked.pk}"]')).to_be_visible()
    page.wait_for_load_state("load")  # measured with its stylesheet, not before it applies
    width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0

    page.get_by_label(t("What do you ask for?")).select_option("access")
    page.get_by_role("button", name=t("Send the request")).click()
    expect(page.locator("[data-request]")).to_have_count(1)
    request = DataSubjectRequest.objects.get(clinic=clinic, person=person, channel="account")
    assert request.verified_at is not None

    page.get_by_role("button", name=t("Sign out")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in to your account"))
