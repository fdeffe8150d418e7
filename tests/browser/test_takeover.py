"""A stranger who knows somebody's personnummer books in their name on the public page,
in a real Chromium, and gets nothing of theirs: not their consents, not their bookings,
not their details, and no way to change them (issue 10, defect 1; REQ-29)."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.booking.models import Appointment
from praksis.booking.selectors import services_public
from praksis.booking.services import appointment_book
from praksis.clinics.access import Actor
from praksis.clinics.models import Membership
from praksis.messaging.models import OutboxMessage
from praksis.people.identity import synthetic_se
from praksis.people.services import person_create
from praksis.privacy.models import Consent
from praksis.privacy.services import consent_give_at_desk
from praksis.site.demo import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"
VICTIM_EMAIL = "ingrid.holmlund@example.se"
STRANGER_EMAIL = "okand@example.net"
SERVICE = "Synundersökning"  # the demo's eye examination


def t(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


@pytest.fixture
def victim(settings, live_server):
    settings.PRAKSIS_DEMO = True
    settings.PRAKSIS_BASE_URL = live_server.url
    clinic = next(c for c in seed_demo(persons_per_clinic=3) if c.slug == "lund-optik")
    membership = Membership.objects.get(clinic=clinic, role="owner")
    owner = Actor(clinic=clinic, user=membership.user, role="owner", channel="ui")
    number = synthetic_se(random.Random("takeover"), date(1961, 11, 4))
    person, _dups = person_create(
        actor=owner,
        data={
            "first_name": "Ingrid",
            "last_name": "Holmlund",
            "identity_number": number,
            "email": VICTIM_EMAIL,
            "phone": "070-174 06 99",
        },
    )
    for purpose in ("marketing_email", "recall"):
        consent_give_at_desk(actor=owner, person_id=person.pk, purpose=purpose, channel="desk")
    service = services_public(clinic=clinic).get(name=SERVICE)
    # Her own booking, which the stranger must never see.
    day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=12)
    own = None
    for hour in range(9, 16):
        try:
            own = appointment_book(
                actor=owner,
                service_id=service.pk,
                person_id=person.pk,
                start=datetime(day.year, day.month, day.day, hour, tzinfo=clinic.zone),
            )
            break
        except Exception:
            continue
    return clinic, person, number, own


def test_a_stranger_with_a_known_personnummer_gets_nothing_of_the_person(page, victim, tmp_path):
    clinic, person, number, own = victim
    consents = Consent.objects.filter(person=person)
    consents_before = sorted(consents.values_list("pk", "withdrawn_at"))

    page.goto("/lund-optik/")
    page.get_by_role("link", name=re.compile(rf"^{SERVICE}\b")).click()
    page.locator("a.time").first.click()
    page.get_by_role("textbox", name=t("First name"), exact=True).fill("Sune")
    page.get_by_role("textbox", name=t("Last name"), exact=True).fill("Okänd")
    page.get_by_role(
        "textbox", name=t("Personal identity number (YYYYMMDD-NNNN)"), exact=True
    ).fill(f"{number[:8]}-{number[8:]}")
    page.get_by_role("textbox", name=t("E-mail"), exact=True).fill(STRANGER_EMAIL)
    page.get_by_role("textbox", name=t("Mobile phone"), exact=True).fill("070-174 06 11")
    page.get_by_role("checkbox", name=t("I have read the privacy notice.")).check()
    page.get_by_role("checkbox", name=t("Send me news and offers by e-mail.")).check()
    page.get_by_role("button", name=t("Book"), exact=True).click()
    page.wait_for_url(re.compile(r"/lund-optik/booking/[\w-]+/\?lang=sv&new=1$"))
    page.screenshot(path=str(tmp_path / "manage.png"), full_page=True)

    # The manage page: this booking, and nothing of the person it was linked to.
    body = page.locator("body").inner_text()
    for secret in ("Ingrid", "Holmlund", VICTIM_EMAIL, number[-4:]):
        assert secret not in body, secret
    if own is not None:
        assert own.reference not in body
    expect(page.get_by_role("button", name=t("Withdraw"))).to_have_count(0)
    reference = page.locator("#reference").inner_text().strip()
    appointment = Appointment.objects.get(clinic=clinic, reference=reference)
    assert appointment.person_id == person.pk
    assert appointment.identity_match == "to_confirm"

    # Nothing on the record changed: no consent given or withdrawn in her name.
    assert sorted(consents.values_list("pk", "withdrawn_at")) == consents_before
    person.refresh_from_db()
    assert person.email == VICTIM_EMAIL

    # The way to consents sends a link only to the contact on record: the stranger's own
    # address gets nothing, and the page says the same as for a known one.
    page.get_by_role("link", name=t("Manage your consents")).click()
    page.get_by_role(
        "textbox", name=t("The e-mail address or mobile number you gave us"), exact=True
    ).fill(STRANGER_EMAIL)
    page.get_by_role("button", name=t("Send me a link")).click()
    expect(page.get_by_role("status")).to_contain_text(
        t(
            "If these are contact details we have on record, we have sent a link there. "
            "It works for seven days."
        )
    )
    assert (
        not OutboxMessage.objects.filter(clinic=clinic, to_address=STRANGER_EMAIL)
        .exclude(related_type="appointment")
        .exists()
    )
