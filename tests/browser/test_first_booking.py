"""From an empty database to a first online booking (issue 11, "done when").

Migrations only, no seed-demo: the operator runs `create-clinic`, the owner opens the
printed link in Chromium (password, authenticator), sets their own week and offers a
service; a client books on the clinic's public page, and the confirmation reaches a real
SMTP server with a manage link that opens that booking. The time it all takes is printed
for the closing note.
"""

from __future__ import annotations

import io
import random
import re
import time
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import get_resolver
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.booking.models import Appointment
from praksis.clinics.models import Clinic, Membership
from praksis.messaging.services import deliver_due
from praksis.people.identity import synthetic_se
from tests.browser.test_clinic_setup import _choose_password, _enrol_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(text: str) -> str:
    with translation.override("sv"):  # the new clinic's language
        return translation.gettext(text)


def test_from_an_empty_database_to_a_first_online_booking(page, live_server, smtp_server, settings):
    get_resolver().url_patterns  # noqa: B018 - load the URL map before the first request
    settings.PRAKSIS_REQUIRE_2FA = True
    settings.PRAKSIS_BASE_URL = live_server.url
    assert not Clinic.objects.exists()  # nothing but the migrations
    page.set_viewport_size({"width": 390, "height": 844})  # the owner sets up on a phone

    started = time.monotonic()
    out = io.StringIO()
    call_command(
        "create-clinic",
        "--slug", "norra-synen", "--name", "Norra Synen", "--profile", "optician",
        "--country", "SE", "--owner", "karin@norra-synen.test",
        stdout=out,
    )  # fmt: skip
    link = out.getvalue().strip()
    clinic = Clinic.objects.get(slug="norra-synen")

    # The owner: the printed link, a password, an authenticator.
    page.goto(link)
    _choose_password(page, "Karin Norrby", "Glasögon i november 7")
    _enrol_authenticator(page, "karin@norra-synen.test")
    page.wait_for_url(re.compile(r"/staff/"))
    member = Membership.objects.get(clinic=clinic, user__email="karin@norra-synen.test")

    # Her own week as the clinic's optician: every day 09:00-16:00.
    page.goto(f"/staff/staff/{member.pk}/hours/")
    while page.locator("fieldset.stretch").count() < 7:
        page.get_by_role("button", name=t("More rows"), exact=True).click()
    for weekday in range(7):
        page.locator(f"#row-{weekday}-weekday").select_option(str(weekday))
        page.locator(f"#row-{weekday}-start").fill("09:00")
        page.locator(f"#row-{weekday}-end").fill("16:00")
    page.get_by_role("button", name=t("Save the week"), exact=True).click()
    page.wait_for_url(re.compile(r"saved=1"))

    # A service she gives, bookable online.
    page.goto("/staff/services/new/")
    page.locator("#id_name").fill("Synundersökning")
    page.locator("#id_duration_minutes").fill("45")
    page.locator("#id_price").fill("695")
    page.locator(f"#practitioners input[value='{member.pk}']").check()
    page.get_by_role("button", name=t("Save"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/services/$"))
    set_up = time.monotonic() - started

    # A client, in a browser of their own, books the first time two days from now.
    client = page.context.browser.new_context(base_url=live_server.url, locale="sv-SE")
    booking = client.new_page()
    booking.goto("/norra-synen/")
    booking.get_by_role("link", name=re.compile(r"^Synundersökning\b")).click()
    not_before = timezone.now().astimezone(clinic.zone).date() + timedelta(days=2)
    chosen = None
    for _week in range(3):
        for slot in booking.locator("a.time").all():
            if slot.get_attribute("data-start")[:10] >= not_before.isoformat():
                chosen = slot
                break
        if chosen:
            break
        booking.get_by_role("link", name=t("Later")).click()
    assert chosen is not None, "no free time offered in three weeks"
    chosen.click()
    number = synthetic_se(random.Random("first-booking"), date(1975, 6, 14))
    booking.get_by_role("textbox", name=t("First name"), exact=True).fill("Olle")
    booking.get_by_role("textbox", name=t("Last name"), exact=True).fill("Berglund")
    booking.get_by_role(
        "textbox", name=t("Personal identity number (YYYYMMDD-NNNN)"), exact=True
    ).fill(f"{number[:8]}-{number[8:]}")
    booking.get_by_role("textbox", name=t("E-mail"), exact=True).fill("olle@example.se")
    booking.get_by_role("textbox", name=t("Mobile phone"), exact=True).fill("070-174 06 55")
    booking.get_by_role("checkbox", name=t("I have read the privacy notice.")).check()
    booking.get_by_role("button", name=t("Book"), exact=True).click()
    booking.wait_for_url(re.compile(r"/norra-synen/booking/[\w-]+/\?lang=sv&new=1$"))
    reference = booking.locator("#reference").inner_text().strip()
    appointment = Appointment.objects.get(clinic=clinic, reference=reference)
    assert appointment.practitioner.user.email == "karin@norra-synen.test"

    # The confirmation at a real SMTP server, with a manage link that opens the booking.
    assert deliver_due().sent >= 1
    messages = smtp_server.wait_for(1)
    confirmation = next(m for m in messages if m["To"] == "olle@example.se")
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    manage = next(u for u in re.findall(r"https?://\S+", text) if "/norra-synen/booking/" in u)
    assert manage.startswith(live_server.url)
    booking.goto(manage)
    expect(booking.locator("#reference")).to_have_text(reference)
    booked = time.monotonic() - started
    print(
        f"\ncreate-clinic → owner set up (hours, service): {set_up:.1f} s; "
        f"→ first online booking confirmed by e-mail: {booked:.1f} s"
    )
    client.close()
