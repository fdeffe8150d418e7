"""An owner registers a breach, sees the 72-hour clock, takes the persons affected from the
access log (those a practitioner opened in a time window) and sends them notices, which
arrive at a real SMTP server (REQ-31, REQ-32)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.breaches.models import AffectedPerson, Breach
from praksis.messaging.services import deliver_due
from praksis.people.selectors import person_get
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"  # the browser context's locale (sv-SE); labels are matched in it
CONSEQUENCES = "Någon kan ha sett ditt namn och dina synvärden."
MEASURES = "Vi har spärrat datorn och polisanmält stölden."
CONTACT = "Anna Ek, ägare, anna@test-optik.test"


def t(text: str) -> str:
    """``text`` as the server shows it to the browser's language."""
    with translation.override(LANGUAGE):
        return translation.gettext(text)


@pytest.fixture
def optician(clinic, make_staff, make_actor, make_person):
    """A practitioner opened Anna's and Bo's records; the receptionist opened Cecilia's."""
    # Load the URL map (and with it WeasyPrint, seconds on a busy machine) now, not in
    # the browser's first request with its 5-second timeout.
    get_resolver().url_patterns  # noqa: B018
    owner = make_staff(clinic, "owner")
    from praksis.clinics.access import Actor

    registrar = Actor(clinic=clinic, user=owner, role="owner", channel="ui")
    practitioner = make_actor(clinic, "practitioner")
    receptionist = make_actor(clinic, "receptionist")
    people = {
        name: make_person(
            registrar, first_name=name, last_name="Berg", email=f"{name.lower()}@example.com"
        )
        for name in ("Anna", "Bo", "Cecilia")
    }
    person_get(actor=practitioner, person_id=people["Anna"].pk)
    person_get(actor=practitioner, person_id=people["Bo"].pk)
    person_get(actor=receptionist, person_id=people["Cecilia"].pk)
    return clinic, owner, practitioner, people


def sign_in(page, email: str, password: str) -> None:
    page.goto("/staff/")
    page.wait_for_url(re.compile(r"/staff/login/\?next=%2Fstaff%2F$"))
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()


def test_owner_registers_a_breach_and_notifies_the_persons_affected(
    page, live_server, optician, smtp_server
):
    clinic, owner, practitioner, _people = optician
    sign_in(page, owner.email, PASSWORD)
    page.wait_for_url(re.compile(r"/staff/$"))  # the day's page

    menu = page.get_by_role("navigation", name=t("Main"))
    menu.locator("summary", has_text=t("Privacy")).click()  # the menu's privacy group
    menu.get_by_role("link", name=t("Breaches"), exact=True).click()
    page.wait_for_url(f"{live_server.url}/staff/breaches/")
    page.get_by_role("link", name=t("Register a breach"), exact=True).click()
    page.get_by_label(re.compile(r"^" + re.escape(t("What happened")))).fill(
        "En optikers bärbara dator stals ur bilen."
    )
    page.get_by_label(re.compile(r"^" + re.escape(t("Likely consequences (Art. 33(3)(c))")))).fill(
        CONSEQUENCES
    )
    page.get_by_label(
        re.compile(
            r"^"
            + re.escape(
                t("Measures taken or proposed, including to limit the harm (Art. 33(3)(d))")
            )
        )
    ).fill(MEASURES)
    page.get_by_label(
        re.compile(
            r"^"
            + re.escape(
                t(
                    "Contact point: name, e-mail and phone of the data protection officer or "
                    "contact (Art. 33(3)(b))"
                )
            )
        )
    ).fill(CONTACT)
    page.get_by_role("button", name=t("Register"), exact=True).click()

    breach = Breach.objects.get()
    page.wait_for_url(f"{live_server.url}/staff/breaches/{breach.pk}/")
    # The 72-hour clock: on the page, and in the banner every staff page carries.
    expect(page.locator("#breach-clock")).to_have_text(re.compile(r"^71 h \d\d min"))
    banner = page.locator("#breach-banner")
    expect(banner).to_contain_text(re.compile(r"71 h \d\d min"))
    page.goto("/staff/persons/")
    expect(page.locator("#breach-banner")).to_be_visible()
    page.go_back()

    # The persons the practitioner opened in the last hour, from the access log.
    now = timezone.localtime(timezone.now(), clinic.zone)
    page.get_by_label(t("Member of staff"), exact=True).select_option(str(practitioner.user.pk))
    page.get_by_label(t("From (clinic time)"), exact=True).fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label(t("To (clinic time)"), exact=True).fill(
        (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role(
        "button", name=t("Add the persons this member of staff opened"), exact=True
    ).click()
    page.wait_for_url(f"{live_server.url}/staff/breaches/{breach.pk}/")
    rows = page.locator("#affected-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#affected-list")).not_to_contain_text("Cecilia")

    page.get_by_label("Anna Berg", exact=True).check()
    page.get_by_label("Bo Berg", exact=True).check()
    page.get_by_role("button", name=t("Send notices to the chosen persons"), exact=True).click()
    page.wait_for_url(f"{live_server.url}/staff/breaches/{breach.pk}/")
    expect(page.get_by_label("Anna Berg", exact=True)).to_be_disabled()
    assert AffectedPerson.objects.filter(breach=breach, notified_at__isnull=False).count() == 2

    assert deliver_due().sent == 2
    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["anna@example.com", "bo@example.com"]
    for mail in mails:
        body = mail.get_content()
        for text in (CONSEQUENCES, MEASURES, CONTACT):
            assert text in body
        assert "Cecilia" not in body
