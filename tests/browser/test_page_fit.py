"""Every staff page fits the screen it is read on: a phone (390 px) and a desktop (1280 px),
in Swedish, Norwegian and English.

The walk signs in as the demo owner of Fjord Dyreklinikk (the demo clinic whose data fills
every URL pattern, animals included) and opens every GET page under /staff/: URL patterns
are read from the URL map and filled with ids of the demo's objects (made here when the
demo has none); a pattern with a parameter the walk cannot fill fails the test, so new
pages are walked when they are added. POST-only addresses (405 to a GET) and downloads
(not HTML) are left out. A page fails when it is wider than the window
(``document.documentElement.scrollWidth > window.innerWidth``), when a menu item lies
outside the header (1280 px), or when the collapsed menu button is not in the header and
the menu is not collapsed (390 px). Besides, as everywhere in the browser tests, a page
may make no third-party request, break no CSP rule and raise no script error.
"""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from praksis.clinics.access import Actor
from praksis.clinics.models import Membership, User
from praksis.site.demo import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import TIMEOUT_MS, PageProblems, _is_local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLINIC = "fjord-dyreklinikk"
OWNER = f"owner@{CLINIC}.test"
LANGUAGES = ("sv", "nb", "en")
PHONE, DESKTOP = 390, 1280
# The way in and out, not pages of a signed-in member of staff.
NOT_PAGES = {"staff/login/", "staff/login/otp/", "staff/logout/", "staff/setup/<str:token>/"}
# Phone screenshots to look at (saved under the test's tmp_path; PAGE_FIT_SHOTS=all: every
# page in every language and width).
SHOTS = ("/staff/", "/staff/persons/", "/staff/privacy-requests/", "/staff/calendar/")
ALL_SHOTS = os.environ.get("PAGE_FIT_SHOTS") == "all"

MEASURE = """() => {
  const header = document.querySelector("header.top");
  const box = header ? header.getBoundingClientRect() : null;
  const inside = (r) => box && r.left >= box.left - 1 && r.right <= box.right + 1
    && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  const shown = (el) => el.checkVisibility() && el.getBoundingClientRect().width > 0;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className ? "." + el.className : "");
  const items = header ? [...header.querySelectorAll("nav a, nav summary")].filter(shown) : [];
  const button = header && header.querySelector(".menu-button");
  let where = "none";
  if (button) {
    where = shown(button) ? (inside(button.getBoundingClientRect()) ? "in" : "out") : "hidden";
  }
  const outside = items.filter((el) => !inside(el.getBoundingClientRect()));
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    header: !!header,
    outside: outside.map((el) => el.textContent.trim()),
    items: items.length,
    button: where,
    wide: wide.slice(0, 4).map(name),
  };
}"""


# --- What the walk opens ---------------------------------------------------------------


def _routes(resolver=None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _fill(route: str, ids: dict) -> str | None:
    missing = []

    def value(match):
        name = match.group(2)
        if name == "subject_id":  # a person's or an animal's journal
            name = "animal_id" if route.startswith("staff/animals/") else "person_id"
        if name not in ids:
            missing.append(name)
            return ""
        return str(ids[name])

    url = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    return None if missing else "/" + url


def _model(label: str):
    return apps.get_model(label)


def _first(label: str, clinic, **filters) -> int | None:
    rows = _model(label).objects.filter(clinic=clinic, **filters).order_by("pk")
    return rows.values_list("pk", flat=True).first()


def _ids(clinic) -> dict:
    """An id for every parameter of the staff URLs: the demo's objects, or made here."""
    owner_user = User.objects.get(email=OWNER)
    owner = Actor(clinic=clinic, user=owner_user, role="owner", channel="ui")
    appointment = (
        _model("booking.Appointment")
        .objects.filter(clinic=clinic, status="booked")
        .order_by("start")
        .first()
    )
    person_id = appointment.person_id
    entry = (
        _model("journal.JournalEntry")
        .objects.filter(clinic=clinic, animal__isnull=False)
        .order_by("pk")
        .first()
    )
    ids = {
        "slug": clinic.slug,
        "person_id": person_id,
        "animal_id": entry.animal_id,
        "entry_id": entry.pk,
        "appointment_id": appointment.pk,
        "membership_id": Membership.objects.get(clinic=clinic, role="practitioner").pk,
    }
    for name, label in {
        "recall_id": "recall.Recall",
        "order_id": "sales.Order",
        "invoice_id": "sales.Invoice",
        "activity_id": "processing.ProcessingActivity",
        "processor_id": "processing.Processor",
        "consent_id": "privacy.Consent",
        "service_id": "booking.Service",
        "message_id": "messaging.OutboxMessage",
    }.items():
        ids[name] = _first(label, clinic)
    # An erasure request: its erasure plan is a page too.
    ids["privacy_request_id"] = _first(
        "privacy.DataSubjectRequest", clinic, kind="erasure"
    ) or _erasure_request(owner, person_id)
    makers = {
        "attachment_id": ("journal.Attachment", lambda: _attachment(owner, ids)),
        "request_id": ("booking.BookingRequest", lambda: _booking_request(clinic)),
        "breach_id": ("breaches.Breach", lambda: _breach(owner)),
        "token_id": ("clinics.ApiToken", lambda: _token(owner)),
        "hold_id": ("privacy.LegalHold", lambda: _hold(owner, person_id)),
        "disclosure_id": ("disclosures.Disclosure", lambda: _disclosure(owner, person_id)),
        "review_id": ("audit.AccessReview", lambda: _review(owner)),
        "takedown_id": ("privacy.TakedownTask", lambda: _takedown(owner, person_id)),
        "absence_id": ("booking.Absence", lambda: _absence(clinic)),
        "closing_day_id": ("booking.ClosedDay", lambda: _closed_day(clinic)),
        "waitlist_entry_id": ("booking.WaitlistEntry", lambda: _waitlist_entry(owner)),
        "resource_id": ("booking.Resource", lambda: _resource(clinic)),
        "journal_request_id": ("journal.JournalRequest", lambda: _journal_request(owner, ids)),
        "unmatched_id": ("privacy.UnmatchedRequest", lambda: _unmatched(clinic)),
    }
    for name, (label, make) in makers.items():
        ids[name] = _first(label, clinic) or make()
    # The booking is one of a recurring series (its page shows the series' actions, and
    # the series has its own page), and its practitioner has a calendar feed.
    ids["feed_id"] = _series_and_feed(owner, appointment)
    assert all(value for value in ids.values()), {k: v for k, v in ids.items() if not v}
    return ids


def _unmatched(clinic) -> int:
    """A public privacy request whose contact matches no one (issue 14)."""
    from praksis.privacy.intake import request_public_create

    return request_public_create(clinic=clinic, contact="ingen@example.com", kind="access").pk


def _series_and_feed(owner, appointment) -> int:
    from praksis.booking.feeds import feed_create

    series = _model("booking.AppointmentSeries").objects.create(
        clinic=owner.clinic, interval_weeks=2, count=6
    )
    appointment.series, appointment.series_index = series, 1
    appointment.save(update_fields=["series", "series_index"])
    feed, _url = feed_create(actor=owner, practitioner_id=appointment.practitioner_id)
    return feed.pk


def _journal_request(owner, ids) -> int:
    """An owner's request for access to the animal's journal (REQ-18)."""
    from praksis.journal.requests import journal_request_record

    return journal_request_record(actor=owner, kind="access", animal_id=ids["animal_id"]).pk


def _attachment(owner, ids) -> int:
    from praksis.journal.services import attachment_add, entry_create

    vet = Actor(
        clinic=owner.clinic,
        user=User.objects.get(email=f"practitioner@{CLINIC}.test"),
        role="practitioner",
    )
    draft = entry_create(actor=vet, animal_id=ids["animal_id"], text="Øre: otitt", sign=False)
    image = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    return attachment_add(
        actor=vet, entry_id=draft.pk, filename="ear.png", content_type="image/png", data=image
    ).pk


def _erasure_request(owner, person_id) -> int:
    from praksis.privacy.requests import request_create

    return request_create(actor=owner, person_id=person_id, kind="erasure").pk


def _booking_request(clinic) -> int:
    from praksis.booking.services import booking_request_create

    data = {"first_name": "Solveig", "last_name": "Aasen", "phone": "41234567"}
    return booking_request_create(clinic=clinic, data={**data, "accept_privacy_notice": True}).pk


def _breach(owner) -> int:
    from praksis.breaches.services import breach_register

    moment = timezone.now() - timedelta(hours=5)
    return breach_register(
        actor=owner, description="En bærbar PC ble stjålet.", discovered_at=moment, risk="high"
    ).pk


def _token(owner) -> int:
    from praksis.clinics.services import token_issue

    token_issue(user=owner.user, clinic=owner.clinic, name="Regnskap")
    return _model("clinics.ApiToken").objects.filter(user=owner.user).latest("pk").pk


def _hold(owner, person_id) -> int:
    from praksis.people.models import Person
    from praksis.privacy.retention import hold_place

    person = Person.objects.get(pk=person_id)
    return hold_place(actor=owner, reason="Tvist om faktura", person=person).pk


def _disclosure(owner, person_id) -> int:
    from praksis.disclosures.services import disclosure_record

    return disclosure_record(
        actor=owner,
        person_id=person_id,
        kind="lab_sample",
        recipient_name="Vetlab AS",
        description="Blodprøve",
        channel="post",
    ).pk


def _review(owner) -> int:
    from praksis.audit.services import access_review_record

    today = timezone.localdate()
    return access_review_record(
        actor=owner, date_from=today, date_to=today, method="systematic", outcome="no_remarks"
    ).pk


def _takedown(owner, person_id) -> int:
    from praksis.privacy.services import consent_give, consent_withdraw

    photos = consent_give(
        actor=owner,
        person_id=person_id,
        purpose="photos",
        text_version="v1",
        text_shown="Bilder av dyret mitt kan vises i sosiale medier.",
    )
    consent_withdraw(actor=owner, consent_id=photos.pk)
    return _model("privacy.TakedownTask").objects.get(consent=photos).pk


def _absence(clinic) -> int:
    practitioner = _model("booking.Practitioner").objects.filter(clinic=clinic).first()
    start = timezone.now() + timedelta(days=10)
    return (
        _model("booking.Absence")
        .objects.create(
            clinic=clinic, practitioner=practitioner, start=start, end=start + timedelta(hours=4)
        )
        .pk
    )


def _resource(clinic) -> int:
    return _model("booking.Resource").objects.create(clinic=clinic, name="Operasjonssal").pk


def _closed_day(clinic) -> int:
    day = timezone.localdate() + timedelta(days=40)
    return _model("booking.ClosedDay").objects.create(clinic=clinic, date=day, reason="Kurs").pk


def _waitlist_entry(owner) -> int:
    """A client with contact details on the waiting list (the list page shows them)."""
    from praksis.booking.waitlist import waitlist_add

    clinic = owner.clinic
    person = _model("people.Person").objects.filter(clinic=clinic).exclude(email="").first()
    service = _model("booking.Service").objects.filter(clinic=clinic, active=True).first()
    data = {"service": service.pk, "weekdays": [0, 1, 2, 3, 4], "earliest": "08:00",
            "latest": "16:00"}  # fmt: skip
    return waitlist_add(actor=owner, person_id=person.pk, data=data)[0].pk


def _identity_numbers(clinic) -> set[str]:
    """The clinic's people's whole identity numbers, as stored and as displayed."""
    from praksis.people.identity import format_identity
    from praksis.people.models import Person

    numbers = set()
    for person in Person.objects.filter(clinic=clinic).select_related("data_key"):
        if person.identity_number:
            numbers |= {
                person.identity_number,
                format_identity(person.identity_number, clinic.country),
            }
    return numbers


def _pages(ids: dict, clinic) -> tuple[list[tuple[str, int]], list[str]]:
    """The staff GET pages (with the status the owner gets), and what was left out.

    Lists show identity numbers masked to the birth date: a whole number appears only on
    the person's own page (and in its edit form)."""
    owner = Client()
    owner.force_login(User.objects.get(email=OWNER))
    numbers = _identity_numbers(clinic)
    assert numbers, "the demo clinic has no identity numbers to look for"
    own_pages = {f"/staff/persons/{ids['person_id']}/", f"/staff/persons/{ids['person_id']}/edit/"}
    pages, left_out = [], []
    for route in _routes():
        if not route.startswith("staff/") or route in NOT_PAGES:
            continue
        url = _fill(route, ids)
        assert url is not None, f"the walk cannot fill {route!r}: add its parameter to _ids"
        response = owner.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        html = "text/html" in response.get("Content-Type", "")
        if response.status_code == 405 or not html or b"<html" not in response.content[:200]:
            left_out.append(url)  # POST only, a download, or a fragment for htmx
        else:
            pages.append((url, response.status_code))
            if url not in own_pages:
                body = response.content.decode()
                shown = sorted(n for n in numbers if n in body)
                assert not shown, f"{url} shows whole identity numbers: {len(shown)}"
    return pages, left_out


# --- The browser ------------------------------------------------------------------------


def _context(browser, live_server, width: int, problems: PageProblems):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",  # the staff UI does not follow the browser's language
        timezone_id="Europe/Oslo",
        viewport={"width": width, "height": 860},
    )
    context.set_default_timeout(TIMEOUT_MS)

    def guard(route):
        if _is_local(route.request.url):
            route.continue_()
        else:
            problems.third_party.append(f"{route.request.method} {route.request.url}")
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and problems.console_errors.append(f"{m.text} ({page.url})"),
    )
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    return context, page


def _sign_in(page, language: str) -> None:
    page.goto("/staff/login/")
    page.locator("#id_username").fill(OWNER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form[action='/staff/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    page.locator("#lang-select").select_option(language)  # the header's language form
    page.locator("form.lang button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("html").get_attribute("lang") == language


def _faults(url: str, width: int, seen: dict) -> list[str]:
    faults = []
    if not seen["header"]:
        return [f"{url}: no staff header"]
    if seen["scrollWidth"] > seen["innerWidth"]:
        culprits = ", ".join(seen["wide"])
        faults.append(f"{url}: {seen['scrollWidth']} px wide in a {width} px window ({culprits})")
    if seen["outside"]:
        faults.append(f"{url}: menu items outside the header: {seen['outside']}")
    if width == PHONE and (seen["button"] != "in" or seen["items"]):
        faults.append(f"{url}: menu button {seen['button']}, {seen['items']} items showing")
    if width == DESKTOP and (seen["button"] != "hidden" or seen["items"] < 7):
        faults.append(f"{url}: menu button {seen['button']}, {seen['items']} items showing")
    return faults


def test_every_staff_page_fits_a_phone_and_a_desktop_in_every_language(
    browser, live_server, settings, tmp_path
):
    settings.PRAKSIS_DEMO = True
    settings.SMS_FILE_PATH = tmp_path / "sms"
    clinic = next(c for c in seed_demo(persons_per_clinic=12) if c.slug == CLINIC)
    pages, left_out = _pages(_ids(clinic), clinic)
    statuses = {url: status for url, status in pages}

    faults: list[str] = []
    problems = PageProblems()
    started = time.monotonic()
    walked = 0
    for width in (PHONE, DESKTOP):
        for language in LANGUAGES:
            context, page = _context(browser, live_server, width, problems)
            try:
                _sign_in(page, language)
                for url, _status in pages:
                    page.goto(url)
                    seen = page.evaluate(MEASURE)
                    faults += [f"{language} {f}" for f in _faults(url, width, seen)]
                    walked += 1
                    if ALL_SHOTS or (width == PHONE and language == "nb" and url in SHOTS):
                        name = urlsplit(url).path.strip("/").replace("/", "_") or "staff"
                        shot = tmp_path / f"{name}-{language}-{width}.png"
                        page.screenshot(path=str(shot), full_page=True)
            finally:
                context.close()
    seconds = time.monotonic() - started

    # Pages that answer 4xx by design (a form for a finished request, say) log their status.
    problems.console_errors = [
        e
        for e in problems.console_errors
        if not any(f"status of {s} " in e and u in e for u, s in statuses.items() if s != 200)
    ]
    print(
        f"\n{len(pages)} staff pages x {len(LANGUAGES)} languages x 2 widths = {walked} "
        f"page views in {seconds:.0f} s; {len(left_out)} POST-only or download addresses "
        f"left out; not 200 for the owner: "
        f"{sorted((u, s) for u, s in statuses.items() if s != 200)}; screenshots in {tmp_path}"
    )
    assert not faults, "pages that do not fit:\n" + "\n".join(faults)
    assert not problems.report(), problems.report()
    assert len(pages) > 40
