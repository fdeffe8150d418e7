"""A client finds no time that suits at Lund Optik and joins the waiting list on the public
page; staff cancel a booking at a time that suits; the offer e-mail arrives at a real SMTP
server; the client opens the claim link in Chromium and books the time (issue 13, part 3).
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from django.utils import dateformat, timezone, translation
from playwright.sync_api import expect

from praksis.booking.availability import free_slots
from praksis.booking.models import Appointment, Service, WaitlistEntry, WaitlistOffer
from praksis.booking.services import appointment_book, appointment_cancel
from praksis.clinics.access import Actor
from praksis.clinics.models import Membership
from praksis.messaging.services import deliver_due
from praksis.people.identity import synthetic_se
from praksis.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"
SERVICE = "Synundersökning"
EMAIL = "vera.strand@example.com"


def t(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


def _fits(page) -> None:
    """Nothing wider than the window."""
    width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"{page.url} is {width}px too wide"


def test_join_the_waitlist_then_claim_the_freed_time_from_the_email(
    page, live_server, lund_optik, smtp_server
):
    clinic = lund_optik
    service = Service.objects.get(clinic=clinic, name=SERVICE)
    # A booking at a time the client will ask for: five days ahead, the first free time.
    day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=5)
    slot = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)[0]
    local = slot.start.astimezone(clinic.zone)
    owner = Membership.objects.select_related("user").get(clinic=clinic, role="owner")
    staff = Actor(clinic=clinic, user=owner.user, role="owner", channel="ui")
    booked = appointment_book(
        actor=staff,
        service_id=service.pk,
        person_id=Person.objects.filter(clinic=clinic).first().pk,
        start=slot.start,
        practitioner_id=slot.practitioner_id,
    )
    deliver_due()
    already = len(smtp_server.messages)

    # --- 1. No time suits: join the waiting list -----------------------------------------
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/lund-optik/?service={service.pk}&lang=sv")
    page.get_by_role("link", name=t("Join the waiting list")).click()
    page.wait_for_url(re.compile(r"/lund-optik/waitlist/\?service=\d+"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Join the waiting list"))
    _fits(page)
    with translation.override(LANGUAGE):
        weekday = dateformat.format(local, "l")  # the day's name, as the form shows it
    page.get_by_label(weekday, exact=True).check()
    page.get_by_label(t("From"), exact=True).fill(f"{local.hour - 1:02d}:00")
    page.get_by_label(t("To"), exact=True).fill(f"{local.hour + 2:02d}:00")
    page.get_by_role("textbox", name=t("First name"), exact=True).fill("Vera")
    page.get_by_role("textbox", name=t("Last name"), exact=True).fill("Strand")
    page.get_by_role("textbox", name=t("E-mail"), exact=True).fill(EMAIL)
    page.get_by_role("checkbox", name=t("I have read the privacy notice.")).check()
    page.get_by_role("button", name=t("Join the waiting list")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("You are on the waiting list"))
    _fits(page)
    entry = WaitlistEntry.objects.get(clinic=clinic, email=EMAIL)
    assert entry.weekdays == [local.weekday()] and entry.status == "waiting"

    # --- 2. Staff cancel the booking: the time is offered --------------------------------
    appointment_cancel(actor=staff, appointment_id=booked.pk, reason="Sjuk")
    stats = deliver_due()
    assert stats.failed == 0
    messages = smtp_server.wait_for(already + 3)  # joined, the cancellation, the offer
    [offer_mail] = [m for m in messages if m["To"] == EMAIL and "/waitlist/offer/" in str(
        m.get_body(preferencelist=("plain",)).get_content())]  # fmt: skip
    text = offer_mail.get_body(preferencelist=("plain",)).get_content()
    assert local.strftime("%H:%M") in text
    [claim_link] = re.findall(rf"{re.escape(live_server.url)}/lund-optik/waitlist/offer/\S+/", text)

    # --- 3. Claim in the browser: GET shows, the button books ----------------------------
    page.goto(claim_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(t("A time has become free"))
    expect(page.locator("p.chosen")).to_contain_text(local.strftime("%H:%M"))
    _fits(page)
    assert not Appointment.objects.filter(clinic=clinic, start=slot.start, status="booked").exists()
    number = synthetic_se(random.Random("waitlist"), date(1979, 5, 17))
    page.get_by_role(
        "textbox", name=t("Personal identity number (YYYYMMDD-NNNN)"), exact=True
    ).fill(f"{number[:8]}-{number[8:]}")
    page.get_by_role("button", name=t("Book this time")).click()
    page.wait_for_url(re.compile(r"/lund-optik/booking/[\w-]+/\?lang=sv&new=1$"))
    expect(page.get_by_role("status")).to_have_text(
        t("Thank you! Your booking is confirmed. We have sent a confirmation by e-mail.")
    )
    reference = page.locator("#reference").inner_text().strip()
    appointment = Appointment.objects.get(clinic=clinic, reference=reference)
    assert (appointment.start, appointment.status) == (slot.start, "booked")
    assert appointment.booked_email == EMAIL
    assert WaitlistOffer.objects.get(entry=entry).status == "claimed"
    entry.refresh_from_db()
    assert (entry.status, entry.appointment_id) == ("booked", appointment.pk)

    # The confirmation of the booking arrives too; the claim link books nothing again.
    deliver_due()
    confirmations = [
        m for m in smtp_server.wait_for(already + 4)
        if m["To"] == EMAIL and t("Your booking is confirmed") in m["Subject"]
    ]  # fmt: skip
    assert len(confirmations) == 1
    page.goto(claim_link)
    expect(page.locator("#state")).to_have_text(
        t("You have already booked this time. The confirmation has been sent to you.")
    )
    expect(page.get_by_role("button", name=t("Book this time"))).to_have_count(0)
