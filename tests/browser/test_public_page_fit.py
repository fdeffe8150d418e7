"""Every public page fits the screen it is read on: a phone (390 px) and a desktop
(1280 px), in Swedish, Norwegian and English.

The clients' side of test_page_fit.py. The walk opens every GET page of the root URL map
that is neither staff (test_page_fit.py) nor the API: the demo's front door and each
clinic's public pages, those of Lund Optik (a Swedish demo clinic, online booking). URL
patterns are read from the URL map and filled from the demo's objects, or with links made
here the way a client receives them (a booking's manage link, a waiting-list place and an
offer, a privacy request's confirmation and answer links, a consents link, an opt-out); a
pattern with a parameter the walk cannot fill fails the test, so new public pages are
walked when they are added. Some pages are walked in more than one state (free times
shown, a clinic that takes booking requests, an answer opened with its one-time code).
Addresses that are not HTML pages (POST only, downloads, the health check, a webhook) are
listed in NOT_PAGES with the reason, and the walk checks that they indeed answer no page.

A page opens with ``?lang=`` for its language and fails when it is not in that language,
when it is wider than the window (``document.documentElement.scrollWidth >
window.innerWidth``; the elements sticking out are named) or when it answers other than
200. Besides, as everywhere in the browser tests, a page may make no third-party request,
break no CSP rule and raise no script error.
"""

from __future__ import annotations

import os
import random
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from praksis.accounts import eid, signin
from praksis.accounts.models import Level, SignIn
from praksis.booking import selectors
from praksis.booking.availability import free_slots
from praksis.booking.feeds import feed_create
from praksis.booking.intake import intake_form_save
from praksis.booking.models import Appointment, WaitlistOffer
from praksis.booking.services import appointment_book, appointment_cancel, manage_token
from praksis.booking.waitlist import waitlist_join_public
from praksis.clinics.access import Actor, system_actor
from praksis.clinics.models import Clinic, User
from praksis.core.crypto import sha256_hex
from praksis.messaging.models import OutboxMessage
from praksis.people.identity import synthetic_se
from praksis.people.models import Person
from praksis.people.services import person_create
from praksis.privacy import answer_links
from praksis.privacy.consent_links import consent_link_token
from praksis.privacy.intake import request_public_create
from praksis.privacy.marketing import optout_token
from praksis.privacy.models import Consent, Purpose
from praksis.privacy.requests import request_answer, request_create
from praksis.privacy.services import consent_give_at_desk
from praksis.site.demo import seed_demo
from tests.browser.conftest import TIMEOUT_MS, PageProblems, _is_local
from tests.browser.test_page_fit import _routes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLINIC = "lund-optik"  # Swedish, online booking: every public page is there
REQUESTS_CLINIC = "nordby-tannhelse"  # takes booking requests: its front page is the form
OWNER = f"owner@{CLINIC}.test"
LANGUAGES = ("sv", "nb", "en")
PHONE, DESKTOP = 390, 1280
# Walked elsewhere: the staff pages (test_page_fit.py) and the JSON API.
NOT_PUBLIC = ("staff/", "api/", "^api/")
# Addresses of the public URL map that are not HTML pages, each with why.
NOT_PAGES = {
    "healthz": "the load balancers' health check: JSON",
    "i18n/setlang/": "Django's set_language: a POST sets the language; a GET only redirects",
    "sms/inbound": "the SMS provider's signed webhook: POST only",
    "feeds/<str:token>.ics": "a practitioner's calendar feed: ICS",
    "<slug:clinic>/privacy/request": "the privacy notice's request form posts here: POST only",
    "<slug:clinic>/privacy/answer/<str:token>/report.pdf": "the access report: a PDF download",
    "<slug:clinic>/privacy/answer/<str:token>/export.json": "the data export: a JSON download",
    "<slug:clinic>/privacy/answer/<str:token>/export.csv": "the data export: a CSV download",
    "<slug:clinic>/request/": "the booking request form posts here: POST only",
    "<slug:clinic>/booking/<str:token>/cancel/": "the manage page's Cancel posts here: POST only",
    "<slug:clinic>/booking/<str:token>/calendar.ics": "the booking as a calendar file: ICS",
    "<slug:clinic>/account/sign-out/": "the account's Sign out posts here: POST only",
    "<slug:clinic>/account/requests/": "the account's request form posts here: POST only",
    "<slug:clinic>/account/waitlist/<int:entry_id>/leave/": "the account's Leave: POST only",
    "<slug:clinic>/account/eid/": "sends the client to the eID provider: a redirect",
    "eid/callback/": "the eID provider sends the client back here: a redirect, or a refusal",
    "<slug:clinic>/account/journal.pdf": "the journal copy: a PDF download",
    "<slug:clinic>/account/report.pdf": "the access report: a PDF download",
}
# Phone screenshots of faulty pages are saved under the test's tmp_path; PAGE_FIT_SHOTS=all:
# every page in every language and width.
ALL_SHOTS = os.environ.get("PAGE_FIT_SHOTS") == "all"

MEASURE = """() => {
  const own = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim()
       ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const name = (el) => (own(el).includes(".") || el.id || !el.parentElement
    ? own(el) : own(el.parentElement) + " > " + own(el));
  const limit = window.innerWidth + 1;
  const wide = new Set([...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > limit));
  // Where the overflow starts (the parent fits the window), the widest first.
  const culprits = [...wide]
    .filter((el) => !wide.has(el.parentElement))
    .map((el) => [el, Math.round(el.getBoundingClientRect().right)])
    .sort((a, b) => b[1] - a[1]);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    lang: document.documentElement.lang,
    wide: [...new Set(culprits.map(([el, right]) => `${name(el)} to ${right} px`))].slice(0, 4),
  };
}"""


# --- What the walk opens ---------------------------------------------------------------


@dataclass
class Filling:
    """One state of a page: its URL parameters (a callable gives a fresh value for each
    visit: a one-time link), the query it needs, the cookie the browser holds, and what
    shows the page is in that state."""

    params: dict
    query: dict = field(default_factory=dict)
    cookie: tuple[str, str] | None = None  # (name, value), for the page's own path
    state: str = ""
    shows: str = ""  # a CSS selector found on the page in this state


@dataclass
class Visit:
    route: str
    filling: Filling

    def path(self) -> str | None:
        """The page's path, with a fresh one-time link where it has one (None: a
        parameter the walk cannot fill)."""
        return _fill(self.route, self.filling.params)

    def address(self, language: str) -> str | None:
        path = self.path()
        if path is None:
            return None
        return f"{path}?{urlencode({**self.filling.query, 'lang': language})}"

    @property
    def label(self) -> str:
        return "/" + self.route + (f" ({self.filling.state})" if self.filling.state else "")


def _fill(route: str, params: dict) -> str | None:
    missing = []

    def value(match):
        name = match.group(2)
        if name not in params:
            missing.append(name)
            return ""
        found = params[name]
        return str(found() if callable(found) else found)

    url = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    return None if missing else "/" + url


def _public_routes() -> list[str]:
    return [r for r in _routes() if not r.startswith(NOT_PUBLIC)]


def _newest(related_type: str, related_id: int, pattern: str) -> str:
    """The secret of the link in the newest message about an object (as the client got it)."""
    body = (
        OutboxMessage.objects.filter(related_type=related_type, related_id=related_id)
        .latest("pk")
        .body
    )
    return re.search(pattern, body).group(1)


def _fillings(clinic: Clinic) -> dict[str, list[Filling]]:
    """How each public pattern is filled (a pattern not named here: the clinic only)."""
    owner = Actor(clinic=clinic, user=User.objects.get(email=OWNER), role="owner", channel="ui")
    slug = {"clinic": clinic.slug}
    service = selectors.services_public(clinic=clinic).first()
    today = timezone.now().astimezone(clinic.zone).date()
    days = {"date_from": today + timedelta(days=1), "date_to": today + timedelta(days=14)}
    slot = free_slots(clinic=clinic, service=service, **days)[0]
    start = slot.start.astimezone(clinic.zone).isoformat()

    # A booking far enough ahead to be moved or cancelled from its link; another booking
    # is cancelled, and its time offered to a client on the waiting list.
    manage, freed = _bookings(clinic)
    offer = _offer(clinic, owner, freed)
    leave = _waitlist_token(clinic, service, "kim.berg@example.com")

    people = _people(clinic)
    consent = _marketing_consent(clinic, people[0])
    _portability, coded = _answered(owner, people[1], "portability")
    access, opened = _answered(owner, people[2], "access")
    secret = _open_answer(clinic, access, opened)
    shared = _shared_contact_token(clinic)

    def confirm() -> str:
        """A new one-time confirmation link each time: opening it confirms the request."""
        made = request_public_create(clinic=clinic, contact=people[3].email, kind="access")
        return _newest("privacy_request", made.pk, r"/privacy/verify/([\w-]+)/")

    # The client's account: signed in (its own cookie), a code asked for, and a shared
    # contact told apart by the birth date after the code.
    session, code_pending, who_pending = _account_states(clinic, people[0])
    signed_in = (signin.SESSION_COOKIE, session)
    intake_booking = _intake_booking(clinic, owner, people[0])

    managed = {**slug, "token": manage_token(manage)}
    opener = (answer_links.COOKIE, secret)
    verify = "<slug:clinic>/privacy/verify/<str:token>/"
    answer = "<slug:clinic>/privacy/answer/<str:token>/"
    booking = "<slug:clinic>/booking/<str:token>/"
    return {
        "": [Filling({}, state="the demo's front door", shows="#demo-clinics")],
        "<slug:clinic>/": [
            Filling(slug, shows=".choices"),
            Filling(slug, {"service": service.pk}, state="a service's free times", shows=".times"),
            Filling(
                {"clinic": REQUESTS_CLINIC},
                state="a clinic that takes booking requests",
                shows="form[action$='/request/']",
            ),
        ],
        "<slug:clinic>/book/": [
            Filling(slug, {"service": service.pk, "start": start}, shows=".chosen")
        ],
        verify: [
            Filling({**slug, "token": confirm}, state="one person: confirmed", shows=".success"),
            Filling(
                {**slug, "token": shared},
                state="a shared contact: who is asking",
                shows="#identify-form",
            ),
        ],
        answer: [
            Filling({**slug, "token": coded}, state="asks for the code", shows="#answer-code"),
            Filling(
                {**slug, "token": opened},
                cookie=opener,
                state="opened with the one-time code",
                shows="#download-report",
            ),
        ],
        "<slug:clinic>/optout/<str:token>/": [Filling({**slug, "token": optout_token(consent)})],
        "<slug:clinic>/consents/<str:token>/": [
            Filling({**slug, "token": consent_link_token(people[0])})
        ],
        "<slug:clinic>/waitlist/leave/<str:token>/": [
            Filling({**slug, "token": leave}, shows="button.danger")
        ],
        "<slug:clinic>/waitlist/offer/<str:token>/": [
            Filling({**slug, "token": offer}, shows="main form[method=post]")
        ],
        booking: [
            Filling(managed, shows="a[href^='move/']"),
            Filling(managed, {"new": 1}, state="just booked", shows=".success"),
        ],
        booking + "move/": [Filling(managed, shows=".times")],
        "<slug:clinic>/account/": [
            Filling(
                {"clinic": REQUESTS_CLINIC},
                state="signed out: the sign-in form",
                shows="#sign-in",
            ),
            Filling(
                slug,
                cookie=(signin.SESSION_COOKIE, session),
                state="signed in",
                shows="#request-form",
            ),
        ],
        "<slug:clinic>/account/log/": [Filling(slug, cookie=signed_in, shows="#access-log")],
        "<slug:clinic>/account/journal.pdf": [Filling(slug, cookie=signed_in)],
        "<slug:clinic>/account/report.pdf": [Filling(slug, cookie=signed_in)],
        "<slug:clinic>/account/eid/": [Filling(slug)],
        "<slug:clinic>/account/intake/<int:appointment_id>/": [
            Filling(
                {**slug, "appointment_id": intake_booking}, cookie=signed_in, shows="#intake-form"
            )
        ],
        # A login that came back without a code (the client cancelled at the provider).
        "eid/callback/": [
            Filling({}, {"state": _eid_state(clinic)}, cookie=(eid.BROWSER_COOKIE, "x"))
        ],
        "<slug:clinic>/account/code/": [
            Filling(slug, cookie=(signin.SIGNIN_COOKIE, code_pending), shows="#code-form")
        ],
        "<slug:clinic>/account/who/": [
            Filling(slug, cookie=(signin.SIGNIN_COOKIE, who_pending), shows="#who-form")
        ],
        "<slug:clinic>/account/waitlist/<int:entry_id>/leave/": [Filling({**slug, "entry_id": 1})],
        # For checking that the addresses left out are no pages.
        booking + "cancel/": [Filling(managed)],
        booking + "calendar.ics": [Filling(managed)],
        answer + "report.pdf": [Filling({**slug, "token": opened}, cookie=opener)],
        answer + "export.json": [Filling({**slug, "token": opened}, cookie=opener)],
        answer + "export.csv": [Filling({**slug, "token": opened}, cookie=opener)],
        "feeds/<str:token>.ics": [Filling({"token": _feed_token(owner, manage)})],
    }


def _bookings(clinic: Clinic) -> list:
    """Two bookings days ahead (past the cancellation cut-off), the later one first."""
    found = list(
        Appointment.objects.filter(
            clinic=clinic, status="booked", start__gt=timezone.now() + timedelta(days=2)
        ).order_by("-start")[:2]
    )
    assert len(found) == 2, "the demo clinic has too few bookings ahead"
    return found


def _offer(clinic: Clinic, owner: Actor, freed) -> str:
    """A client who joined the waiting list online is offered the time a cancellation
    freed; the claim link's secret, from the offer message."""
    data = {
        "service": freed.service_id,
        "first_name": "Maja",
        "last_name": "Lind",
        "email": "maja.lind@example.com",
        "weekdays": list(range(7)),
        "accept_privacy_notice": True,
    }
    entry, _token = waitlist_join_public(clinic=clinic, data=data)
    appointment_cancel(actor=owner, appointment_id=freed.pk)
    assert WaitlistOffer.objects.filter(entry=entry, status="open").exists()
    return _newest("waitlist_entry", entry.pk, r"/waitlist/offer/([\w-]+)/")


def _waitlist_token(clinic: Clinic, service, email: str) -> str:
    """A place on the waiting list; the secret of its leave-the-list link."""
    data = {
        "service": service.pk,
        "first_name": "Kim",
        "last_name": "Berg",
        "email": email,
        "weekdays": [0, 2, 4],
        "earliest": "08:00",
        "latest": "12:00",
        "accept_privacy_notice": True,
    }
    return waitlist_join_public(clinic=clinic, data=data)[1]


def _people(clinic: Clinic) -> list[Person]:
    """Clients with an e-mail address of their own and a mobile number (the answer's
    one-time code goes to the number)."""
    people = list(
        Person.objects.filter(clinic=clinic).exclude(email="").exclude(phone="").order_by("pk")
    )
    emails = [p.email.lower() for p in people]
    own = [p for p in people if emails.count(p.email.lower()) == 1]
    assert len(own) >= 4, "the demo clinic has too few clients with their own contact details"
    return own


def _marketing_consent(clinic: Clinic, person: Person) -> Consent:
    found = Consent.objects.filter(
        clinic=clinic, person=person, purpose=Purpose.MARKETING_EMAIL, withdrawn_at__isnull=True
    ).first()
    return found or consent_give_at_desk(
        actor=system_actor(clinic, channel="desk"),
        person_id=person.pk,
        purpose=Purpose.MARKETING_EMAIL,
        channel="desk",
    )


def _answered(owner: Actor, person: Person, kind: str) -> tuple[int, str]:
    """A request made at the desk and answered by link: the request and the answer link's
    secret, from the message to the requester."""
    made = request_create(actor=owner, person_id=person.pk, kind=kind)
    request_answer(actor=owner, request_id=made.pk, delivery="link")
    return made.pk, _newest("privacy_request", made.pk, r"/privacy/answer/([\w-]+)/")


def _open_answer(clinic: Clinic, request_id: int, token: str) -> str:
    """The secret a browser keeps once it gave the one-time code sent by SMS."""
    answer_links.answer_code_send(clinic=clinic, token=token)
    code = _newest(answer_links.CODE_RELATED, request_id, r"\b(\d{6})\b")
    return answer_links.answer_code_check(clinic=clinic, token=token, code=code)


def _shared_contact_token(clinic: Clinic) -> str:
    """Two clients registered with one e-mail address (a family) and a request made
    online with it: the confirmation link asks who is asking; its secret."""
    desk = system_actor(clinic, channel="desk")
    email = "familjen.aberg@example.com"
    for seed, first_name in ((1, "Ylva"), (2, "Tove")):
        number = synthetic_se(random.Random(seed), date(1984, 3, seed))
        data = {
            "first_name": first_name,
            "last_name": "Åberg",
            "identity_number": number,
            "email": email,
            "phone": f"070123456{seed}",
        }
        person_create(actor=desk, data=data)
    made = request_public_create(clinic=clinic, contact=email, kind="access")
    return _newest("unmatched_request", made.pk, r"/privacy/verify/([\w-]+)/")


def _account_states(clinic: Clinic, person: Person) -> tuple[str, str, str]:
    """A signed-in client's session secret; a sign-in waiting for its code; and one that
    waits for the birth date (a contact two clients share, after the right code)."""

    def code_of(sign_in_token: str) -> str:
        sign_in = SignIn.objects.get(token_hash=sha256_hex(sign_in_token))
        return _newest(signin.CODE_RELATED, sign_in.pk, r"\b(\d{6})\b")

    # Signed in with a code, then with an eID (the strong level shows every section).
    started = signin.sign_in_start(clinic=clinic, contact=person.email, language="sv")
    signin.sign_in_check(clinic=clinic, token=started, code=code_of(started))
    session = signin.open_session(clinic, person.pk, level=Level.STRONG, how="eID (the walk)")
    waiting = signin.sign_in_start(clinic=clinic, contact=person.email, language="sv")
    shared = "familjen.aberg@example.com"  # made by _shared_contact_token
    told_apart = signin.sign_in_start(clinic=clinic, contact=shared, language="sv")
    assert signin.sign_in_check(clinic=clinic, token=told_apart, code=code_of(told_apart)) is None
    return session, waiting, told_apart


def _intake_booking(clinic: Clinic, owner: Actor, person: Person) -> int:
    """A booking of the signed-in client, weeks ahead, of a service with an intake form."""
    service = selectors.services_public(clinic=clinic).first()
    intake_form_save(
        actor=owner, service_id=service.pk, title="Före synundersökningen",
        questions=[
            {"text": "Bär du kontaktlinser?", "why": "Undersökningen skiljer sig då.",
             "kind": "yesno"},
            {"text": "Använder du ögondroppar eller mediciner?",
             "why": "En del påverkar ögats tryck.", "kind": "text"},
        ],
    )  # fmt: skip
    today = timezone.now().astimezone(clinic.zone).date()
    slot = free_slots(
        clinic=clinic, service=service, date_from=today + timedelta(days=30),
        date_to=today + timedelta(days=40),
    )[0]  # fmt: skip
    return appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=slot.start,
        practitioner_id=slot.practitioner_id,
    ).pk  # fmt: skip


def _eid_state(clinic: Clinic) -> str:
    """The state of an eID login under way (as the provider hands it back)."""
    url, _browser = eid.eid_start(clinic=clinic, language="sv")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]


def _feed_token(owner: Actor, appointment) -> str:
    """A practitioner's calendar feed; the secret in its address."""
    _feed, url = feed_create(actor=owner, practitioner_id=appointment.practitioner_id)
    return re.search(r"/feeds/([^/]+)\.ics", url).group(1)


def _visits(clinic: Clinic) -> tuple[list[Visit], dict[str, str]]:
    """The public GET pages in each of their states, and what the addresses left out
    answer. Each is fetched once first: a page answers 200 with HTML (a 404 is a link
    the walk filled wrongly), an address left out answers no page."""
    fillings = _fillings(clinic)
    routes = _public_routes()
    stale = sorted(set(NOT_PAGES) - set(routes))
    assert not stale, f"NOT_PAGES names addresses the URL map no longer has: {stale}"
    visits, left_out = [], {}
    for route in routes:
        for filling in fillings.get(route, [Filling({"clinic": CLINIC})]):
            visit = Visit(route, filling)
            url = visit.address(LANGUAGES[0])
            assert url is not None, f"the walk cannot fill {route!r}: add it to _fillings"
            client = Client()
            if filling.cookie:
                client.cookies[filling.cookie[0]] = filling.cookie[1]
            response = client.get(url)
            kind = response.get("Content-Type", "")
            page = response.status_code == 200 and "text/html" in kind
            assert response.status_code != 404, f"GET {url}: 404 (fill it right)"
            if route in NOT_PAGES:
                assert not page, f"GET {url} is an HTML page: walk it ({NOT_PAGES[route]})"
                left_out[route] = f"{response.status_code} {kind.split(';')[0]}".strip()
                continue
            assert response.status_code == 200, f"GET {url}: {response.status_code}"
            assert page and b"<html" in response.content[:300], f"GET {url}: not a page"
            visits.append(visit)
    return visits, left_out


# --- The browser ------------------------------------------------------------------------


def _context(browser, live_server, width: int, visits: list[Visit], problems: PageProblems):
    """A client's browser (no cookies but those a page's state needs) of one width."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",  # the public pages follow ?lang=, not the browser's language
        timezone_id="Europe/Stockholm",
        viewport={"width": width, "height": 860},
    )
    context.set_default_timeout(TIMEOUT_MS)

    def guard(route):
        if _is_local(route.request.url):
            route.continue_()
        else:
            problems.third_party.append(f"{route.request.method} {route.request.url}")
            route.abort("blockedbyclient")

    def request_failed(failed):
        if _is_local(failed.url) and failed.failure != "net::ERR_ABORTED":
            problems.failed_requests.append(f"{failed.method} {failed.url}: {failed.failure}")

    context.route("**/*", guard)
    for visit in visits:
        if visit.filling.cookie:
            name, value = visit.filling.cookie
            url = live_server.url + visit.path()
            context.add_cookies(
                [{"name": name, "value": value, "url": url, "httpOnly": True, "sameSite": "Strict"}]
            )
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and problems.console_errors.append(f"{m.text} ({page.url})"),
    )
    page.on("pageerror", lambda error: problems.page_errors.append(f"{error} ({page.url})"))
    page.on("requestfailed", request_failed)
    return context, page


def _speak(context, live_server, language: str) -> None:
    """The demo's front door (/) speaks the language of Django's language cookie (its own
    language buttons set it); the clinics' pages follow ?lang=."""
    cookie = {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language}
    context.add_cookies([{**cookie, "url": live_server.url + "/"}])


def _faults(where: str, width: int, language: str, status: int, seen: dict) -> list[str]:
    faults = []
    if status != 200:
        faults.append(f"{where}: answered {status}")
    if seen["lang"] != language:
        faults.append(f"{where}: in {seen['lang']!r}, not {language!r}")
    if seen["scrollWidth"] > seen["innerWidth"]:
        culprits = ", ".join(seen["wide"])
        faults.append(f"{where}: {seen['scrollWidth']} px wide in a {width} px window ({culprits})")
    return faults


def test_every_public_page_fits_a_phone_and_a_desktop_in_every_language(
    browser, live_server, settings, tmp_path, oidc_provider
):
    settings.PRAKSIS_DEMO = True
    settings.PRAKSIS_BASE_URL = live_server.url
    settings.SMS_FILE_PATH = tmp_path / "sms"
    clinic = next(c for c in seed_demo(persons_per_clinic=12) if c.slug == CLINIC)
    visits, left_out = _visits(clinic)

    faults: list[str] = []
    problems = PageProblems()
    started = time.monotonic()
    walked = 0
    for width in (PHONE, DESKTOP):
        context, page = _context(browser, live_server, width, visits, problems)
        try:
            for language in LANGUAGES:
                _speak(context, live_server, language)
                for visit in visits:
                    url = visit.address(language)
                    response = page.goto(url)
                    seen = page.evaluate(MEASURE)
                    found = _faults(f"{language} {url}", width, language, response.status, seen)
                    shows = visit.filling.shows
                    if shows and not page.locator(shows).count():
                        found.append(f"{language} {url}: not {visit.label}: no {shows}")
                    faults += found
                    walked += 1
                    if ALL_SHOTS or (found and width == PHONE):
                        name = urlsplit(url).path.strip("/").replace("/", "_")[:60] or "root"
                        shot = tmp_path / f"{name}-{walked}-{language}-{width}.png"
                        page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()
    seconds = time.monotonic() - started

    routes = sorted({visit.route for visit in visits})
    print(
        f"\n{len(routes)} public pages in {len(visits)} states x {len(LANGUAGES)} languages "
        f"x 2 widths = {walked} page views in {seconds:.0f} s:\n"
        + "\n".join(f"  {visit.label}" for visit in visits)
        + f"\nleft out (not pages): {left_out}; screenshots in {tmp_path}"
    )
    assert not faults, "pages that do not fit:\n" + "\n".join(faults)
    assert not problems.report(), problems.report()
    assert len(routes) >= 14
