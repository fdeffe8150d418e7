"""Staff pages of the breach register: the clock everywhere, forms, the notification draft."""

from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.breaches.models import AffectedPerson, Breach, BreachUpdate
from praksis.breaches.services import breach_mark_notified, breach_register
from praksis.people.selectors import person_get
from tests.conftest import speaks


@pytest.fixture
def login():
    def login(user):
        client = Client()
        client.force_login(speaks(user, "en"))
        return client

    return login


def test_banner_shows_the_clock_on_an_ordinary_page(owner, breach, login, make_staff, clinic):
    """REQ-31: the owner sees the 72-hour clock on every staff page, e.g. the people list."""
    page = login(owner.user).get("/staff/persons/")
    body = page.content.decode()
    assert 'id="breach-banner"' in body
    assert f"/staff/breaches/{breach.pk}/" in body
    assert "69 h" in body or "70 h" in body  # discovered two hours ago: about 70 hours left
    assert 'href="/staff/breaches/"' in body  # the nav link
    # Other roles neither see the banner nor the link.
    desk = login(make_staff(clinic, "receptionist")).get("/staff/persons/").content.decode()
    assert "breach-banner" not in desk and 'href="/staff/breaches/"' not in desk


def test_banner_says_overdue_and_goes_once_notified(owner, login):
    """REQ-31: past 72 hours the banner says overdue; a notified breach leaves the banner."""
    late = breach_register(
        actor=owner, description="Lost folder", discovered_at=timezone.now() - timedelta(hours=80)
    )
    client = login(owner.user)
    assert "overdue by 8 h" in client.get("/staff/calendar/").content.decode()
    breach_mark_notified(actor=owner, breach_id=late.pk, late_reason="Found on Monday")
    assert "breach-banner" not in client.get("/staff/calendar/").content.decode()


def test_register_form_keeps_what_was_typed(owner, login):
    """REQ-31: a form with an error comes back with everything typed still in it."""
    client = login(owner.user)
    response = client.post(
        "/staff/breaches/new/",
        {
            "description": "Printer sent lab results to the waiting room",
            "discovered_at": "",
            "consequences": "Others may have seen test results.",
            "approx_persons": "12",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Printer sent lab results to the waiting room" in body
    assert "Others may have seen test results." in body and 'value="12"' in body
    assert not Breach.objects.exists()

    response = client.post(
        "/staff/breaches/new/",
        {"description": "Printer sent lab results", "discovered_at": "2025-03-29T10:00"},
    )
    breach = Breach.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/breaches/{breach.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "2025-04-01 11:00" in detail  # the deadline on the clinic's clock, after DST
    assert "overdue" in detail


def test_detail_page_flow(owner, breach, clinic, make_actor, make_person, login):
    """REQ-31/REQ-32: phases, affected persons from the log, exemption and notification."""
    x = make_actor(clinic, "practitioner")
    greta = make_person(owner, first_name="Greta", last_name="Wikander", email="g@example.com")
    start = timezone.localtime(timezone.now() - timedelta(minutes=1), clinic.zone)
    person_get(actor=x, person_id=greta.pk)
    client = login(owner.user)
    url = f"/staff/breaches/{breach.pk}/"

    bad = client.post(url + "updates/", {"text": ""})
    assert bad.status_code == 422
    assert client.post(url + "updates/", {"text": "Police report filed"}).status_code == 302
    assert BreachUpdate.objects.get().text == "Police report filed"

    window = {
        "user": str(x.user.pk),
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "action": "",
    }
    bad = client.post(url + "affected/find/", {**window, "end": ""})
    assert bad.status_code == 422 and window["start"] in bad.content.decode()
    assert client.post(url + "affected/find/", window).status_code == 302
    (row,) = AffectedPerson.objects.filter(breach=breach)
    assert row.person == greta
    page = client.get(url).content.decode()
    assert "Greta Wikander" in page and "Police report filed" in page

    no_ground = client.post(url + "affected/exempt/", {"affected": [row.pk], "note": "x"})
    assert no_ground.status_code == 422
    assert client.post(url + "affected/notify/", {"affected": [row.pk]}).status_code == 302
    row.refresh_from_db()
    assert row.notified_at and row.channel == "email"
    logged = AccessLogEntry.objects.filter(object_type="breach_notice", person_id=greta.pk)
    assert logged.count() == 1


def test_notification_draft_has_every_art_33_item(owner, breach, login):
    """REQ-31/REQ-45: the draft names the authority and its channel, with all Art. 33(3)
    items and the phased updates, as a page and as a PDF."""
    client = login(owner.user)
    client.post(f"/staff/breaches/{breach.pk}/updates/", {"text": "Laptop found, wiped"})
    page = html.unescape(client.get(f"/staff/breaches/{breach.pk}/draft/").content.decode())
    pdf = client.get(f"/staff/breaches/{breach.pk}/draft.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    channel = "IMY's e-service for reporting personal data breaches"
    with translation.override(owner.clinic.language):
        channels = (channel, translation.gettext(channel))  # the staff page, the PDF
    for shown in (page, text):
        assert any(c in shown for c in channels)
        for item in (
            "Integritetsskyddsmyndigheten (IMY)",
            breach.nature,
            breach.consequences,
            breach.measures,
            "Anna Ek",
            "Laptop found, wiped",
        ):
            assert item in shown, item
    assert AccessLogEntry.objects.filter(object_type="breach", action="print").count() == 1


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_other_roles_are_refused(clinic, breach, make_staff, login, role):
    """REQ-31: the register pages are the owner's; others get 403 and change nothing."""
    client = login(make_staff(clinic, role))
    assert client.get("/staff/breaches/").status_code == 403
    assert client.get(f"/staff/breaches/{breach.pk}/").status_code == 403
    response = client.post(f"/staff/breaches/{breach.pk}/updates/", {"text": "x"})
    assert response.status_code == 403
    assert not BreachUpdate.objects.exists()
