"""On a 390 px phone, the owner sets a practitioner's week with a lunch break, offers a
service and closes the clinic on a public holiday — and a client sees those times at once.
Every set-up page fits the phone (no sideways scrolling)."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.utils import timezone, translation

from praksis.booking.models import ClosedDay, Service, WorkingHours
from praksis.clinics.models import Membership
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def t(text: str) -> str:
    with translation.override("sv"):  # the clinic's language
        return translation.gettext(text)


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def _slots(base_url: str, clinic, service_id: int, day) -> list[str]:
    query = f"service={service_id}&from={day.isoformat()}&to={day.isoformat()}"
    url = f"{base_url}/api/v1/public/{clinic.slug}/availability?{query}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return [s["start"][11:16] for s in json.load(response)["items"]]


def test_on_a_phone_the_owner_sets_hours_a_service_and_a_holiday(
    page, live_server, clinic, make_staff
):
    get_resolver().url_patterns  # noqa: B018 - load the URL map before the first request
    owner = make_staff(clinic, "owner")
    optician = make_staff(clinic, "practitioner")
    member = Membership.objects.get(clinic=clinic, user=optician)
    page.set_viewport_size(PHONE)
    page.goto("/staff/")
    page.get_by_label(t("E-mail"), exact=True).fill(owner.email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/$"))

    # The week: Monday to Friday 08:00-12:00 and 13:00-17:00, one row per stretch.
    page.goto(f"/staff/staff/{member.pk}/hours/")
    _fits_the_phone(page)
    while page.locator("fieldset.stretch").count() < 10:
        page.get_by_role("button", name=t("More rows"), exact=True).click()
    for row, (weekday, start, end) in enumerate(
        (d, s, e) for d in range(5) for s, e in (("08:00", "12:00"), ("13:00", "17:00"))
    ):
        page.locator(f"#row-{row}-weekday").select_option(str(weekday))
        page.locator(f"#row-{row}-start").fill(start)
        page.locator(f"#row-{row}-end").fill(end)
    page.get_by_role("button", name=t("Save the week"), exact=True).click()
    page.wait_for_url(re.compile(r"saved=1"))
    _fits_the_phone(page)
    assert WorkingHours.objects.filter(practitioner__user=optician).count() == 10

    # A service the optician gives, bookable online.
    page.goto("/staff/services/new/")
    _fits_the_phone(page)
    page.locator("#id_name").fill("Synundersökning")
    page.locator("#id_duration_minutes").fill("60")
    page.locator("#id_price").fill("650")
    page.locator(f"#practitioners input[value='{member.pk}']").check()
    page.get_by_role("button", name=t("Save"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/services/$"))
    _fits_the_phone(page)
    service = Service.objects.get(clinic=clinic)

    # A client sees the morning and the afternoon, with the lunch break between.
    today = timezone.now().astimezone(clinic.zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    starts = _slots(live_server.url, clinic, service.pk, monday)
    assert "11:00" in starts and "13:00" in starts
    assert "12:00" not in starts and "11:15" not in starts

    # Close on a public holiday picked from the list: no more times that day.
    page.goto("/staff/closing-days/")
    _fits_the_phone(page)
    year = today.year + 1
    holiday = page.locator(f"#holiday-{year}-06-06")
    assert "Nationaldagen" in holiday.inner_text()
    holiday.locator("input").check()
    page.get_by_role("button", name=t("Close on the days ticked"), exact=True).click()
    page.wait_for_url(re.compile(r"added=1"))
    assert ClosedDay.objects.get(clinic=clinic).reason == "Nationaldagen"

    # Close next Monday by its date: the client sees no times that day any more.
    page.locator("#id_date").fill(monday.isoformat())
    page.get_by_role("button", name=t("Close this day"), exact=True).click()
    page.wait_for_url(re.compile(r"added=1"))
    _fits_the_phone(page)
    assert _slots(live_server.url, clinic, service.pk, monday) == []
