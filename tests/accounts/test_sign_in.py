"""A client's own account, basic level (issue 15): signing in with a one-time code sent to
the contact on record, the pages of what is theirs, and what a stranger cannot do.

LAW.md REQ-50 (the recipient identified before anything is released): a code goes only to a
contact on record, the page never tells whether a contact is known, and people who share
a contact are told apart by their birth date after the code."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from praksis.accounts import signin
from praksis.accounts.models import ClientSession, SignIn
from praksis.audit.models import AccessLogEntry
from praksis.booking import waitlist
from praksis.booking.services import appointment_book
from praksis.messaging.models import OutboxMessage
from praksis.privacy.erasure import erase_person
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import export_json, request_create
from praksis.privacy.retention import sweep_rule
from tests.conftest import next_local

pytestmark = pytest.mark.django_db

EMAIL = "maja.lind@example.com"


@pytest.fixture
def maja(owner, make_person):
    return make_person(
        owner, first_name="Maja", last_name="Lind", email=EMAIL, birth_date="1990-04-02"
    )


def _url(clinic, rest: str = "") -> str:
    return f"/{clinic.slug}/account/{rest}"


def _code(to: str) -> str:
    message = OutboxMessage.objects.filter(to_address=to).order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def _sign_in(client: Client, clinic, contact: str = EMAIL) -> None:
    assert client.post(_url(clinic), {"contact": contact, "lang": "en"}).status_code == 302
    response = client.post(_url(clinic, "code/"), {"code": _code(contact), "lang": "en"})
    assert response.status_code == 302, response.content.decode()[:400]


def _routes(resolver=None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern)


def test_a_code_to_the_contact_on_record_signs_the_client_in(clinic, owner, maja,
                                                             make_bookable):  # fmt: skip
    service, (practitioner,) = make_bookable(clinic)
    booked = appointment_book(
        actor=owner, service_id=service.pk, person_id=maja.pk,
        start=next_local(clinic, days=3, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    client = Client()
    page = client.get(_url(clinic) + "?lang=en").content.decode()
    assert "Sign in to your account" in page
    started = client.post(_url(clinic), {"contact": "  MAJA.lind@example.com ", "lang": "en"})
    assert started.status_code == 302 and started["Location"].startswith(_url(clinic, "code/"))
    assert signin.SIGNIN_COOKIE in started.cookies
    message = OutboxMessage.objects.get(related_type=signin.CODE_RELATED)
    assert message.to_address == EMAIL and message.person_id == maja.pk
    code = _code(EMAIL)
    assert code not in str(SignIn.objects.get().code_hash)  # only a keyed hash is kept
    signed = client.post(_url(clinic, "code/"), {"code": code, "lang": "en"})
    assert signed.status_code == 302
    cookie = signed.cookies[signin.SESSION_COOKIE]
    assert cookie["httponly"] and cookie["path"] == f"/{clinic.slug}/"
    home = client.get(_url(clinic) + "?lang=en").content.decode()
    assert "Welcome, Maja" in home and f'data-appointment="{booked.pk}"' in home
    assert "/booking/" in home  # the booking's own page moves or cancels it
    assert f"/{clinic.slug}/consents/" in home
    # Every read is logged as the client's, on the person.
    assert AccessLogEntry.objects.filter(
        person_id=maja.pk, object_type="client_account", action="read", channel="account"
    ).exists()
    # The code is used: it cannot sign in again.
    again = client.post(_url(clinic, "code/"), {"code": code, "lang": "en"})
    assert again.status_code == 302 and again["Location"].startswith(_url(clinic))
    # Signing out ends the session on the server, not only the cookie.
    client.post(_url(clinic, "sign-out/"), {"lang": "en"})
    assert ClientSession.objects.get().ended_at is not None
    assert "Sign in to your account" in client.get(_url(clinic) + "?lang=en").content.decode()


def test_an_unknown_contact_looks_the_same_and_no_code_works(clinic, maja):
    client = Client()
    known = client.post(_url(clinic), {"contact": EMAIL, "lang": "en"})
    stranger = Client()
    unknown = stranger.post(_url(clinic), {"contact": "nobody@example.com", "lang": "en"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    same = [c.get(_url(clinic, "code/") + "?lang=en").content.decode() for c in (client, stranger)]
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", same[0]) == csrf.sub("", same[1])
    assert not OutboxMessage.objects.filter(to_address="nobody@example.com").exists()
    # Even Maja's code does not open the stranger's sign-in.
    refused = stranger.post(_url(clinic, "code/"), {"code": _code(EMAIL), "lang": "en"})
    assert refused.status_code == 422
    assert not ClientSession.objects.exists()


def test_wrong_codes_lock_after_five_and_expired_codes_fail(clinic, maja):
    client = Client()
    client.post(_url(clinic), {"contact": EMAIL, "lang": "en"})
    code = _code(EMAIL)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for attempt in range(1, 5):
        response = client.post(_url(clinic, "code/"), {"code": wrong, "lang": "en"})
        assert response.status_code == 422, attempt
        assert "The code is not right" in response.content.decode()
    locked = client.post(_url(clinic, "code/"), {"code": wrong, "lang": "en"})
    assert locked.status_code == 409 and "Too many wrong codes" in locked.content.decode()
    # Locked: not even the right code opens it now, and the sent code is forgotten.
    after = client.post(_url(clinic, "code/"), {"code": code, "lang": "en"})
    assert after.status_code == 409 and not ClientSession.objects.exists()

    late = Client()
    late.post(_url(clinic), {"contact": EMAIL, "lang": "en"})
    SignIn.objects.filter(locked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = late.post(_url(clinic, "code/"), {"code": _code(EMAIL), "lang": "en"})
    assert expired.status_code == 409 and "expired" in expired.content.decode()
    assert not ClientSession.objects.exists()


def test_a_shared_contact_asks_the_birth_date_after_the_code(clinic, owner, maja, make_person):
    son = make_person(
        owner, first_name="Elis", last_name="Lind", email=EMAIL, birth_date="2012-09-09"
    )
    client = Client()
    client.post(_url(clinic), {"contact": EMAIL, "lang": "en"})
    assert OutboxMessage.objects.filter(to_address=EMAIL).count() == 1  # one code
    response = client.post(_url(clinic, "code/"), {"code": _code(EMAIL), "lang": "en"})
    assert response["Location"].startswith(_url(clinic, "who/"))
    assert not ClientSession.objects.exists()
    wrong = client.post(_url(clinic, "who/"), {"birth_date": "1990-04-03", "lang": "en"})
    assert wrong.status_code == 422 and 'value="1990-04-03"' in wrong.content.decode()
    right = client.post(_url(clinic, "who/"), {"birth_date": "2012-09-09", "lang": "en"})
    assert right.status_code == 302
    assert ClientSession.objects.get().person_id == son.pk
    home = client.get(_url(clinic) + "?lang=en").content.decode()
    assert "Welcome, Elis" in home and "Maja" not in home


def test_the_account_is_one_clinics_and_not_the_staff_session(
    clinic, maja, make_clinic, make_actor, make_person
):
    client = Client()
    _sign_in(client, clinic)
    other = make_clinic("dental")
    other_owner = make_actor(other, "owner")
    make_person(other_owner, first_name="Maja", last_name="Lind", email=EMAIL)
    # The same human at another clinic: not signed in there (the cookie is this clinic's).
    page = client.get(f"/{other.slug}/account/?lang=en").content.decode()
    assert "Sign in to your account" in page
    session_token = client.cookies[signin.SESSION_COOKIE].value
    assert signin.session_get(clinic=other, token=session_token) is None
    # Nor does it sign in to staff pages.
    assert client.get("/staff/").status_code == 302
    # Another clinic's account actions need that clinic's sign-in.
    assert client.post(f"/{other.slug}/account/requests/", {"kind": "access"}).status_code == 404
    # The tenancy walk of every account address under the other clinic: nothing of
    # Maja's, no account, and nothing changes.
    routes = [r for r in _routes() if r.startswith("<slug:clinic>/account/")]
    assert len(routes) >= 6
    for route in routes:
        url = "/" + re.sub(r"<slug:clinic>", other.slug, route).replace("<int:entry_id>", "1")
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (200, 302, 404, 405, 422), (method, url)
            assert b"Welcome" not in response.content, (method, url)
    assert not DataSubjectRequest.objects.exists()


def test_a_request_from_the_account_is_verified_and_waitlist_places_can_be_left(
    clinic, owner, maja, make_bookable, make_person
):
    service, _staff = make_bookable(clinic)
    mine, _t = waitlist.waitlist_add(
        actor=owner, person_id=maja.pk,
        data={"service": service.pk, "weekdays": [0, 1, 2, 3, 4]},
    )  # fmt: skip
    other = make_person(owner, first_name="Olle", last_name="Berg", email="olle@example.com")
    theirs, _t = waitlist.waitlist_add(
        actor=owner, person_id=other.pk, data={"service": service.pk, "weekdays": [0]}
    )
    client = Client()
    _sign_in(client, clinic)
    home = client.get(_url(clinic) + "?lang=en").content.decode()
    assert f'data-entry="{mine.pk}"' in home and f'data-entry="{theirs.pk}"' not in home
    # Someone else's place: not found, and it stays.
    assert client.post(_url(clinic, f"waitlist/{theirs.pk}/leave/")).status_code == 404
    assert client.post(_url(clinic, f"waitlist/{mine.pk}/leave/")).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("withdrawn", "waiting")

    bad = client.post(_url(clinic, "requests/"), {"kind": "nonsense", "details": "Kopia"})
    assert bad.status_code == 422 and "Kopia" in bad.content.decode()
    assert client.post(_url(clinic, "requests/"), {"kind": "access"}).status_code == 302
    request = DataSubjectRequest.objects.get()
    assert (request.person_id, request.channel) == (maja.pk, "account")
    assert request.verified_at is not None  # signed in: no confirmation link needed


def test_idle_sessions_end_and_erasure_and_the_sweep_delete_sign_ins(clinic, owner, maja):
    client = Client()
    _sign_in(client, clinic)
    ClientSession.objects.update(last_seen_at=timezone.now() - timedelta(minutes=31))
    assert "Sign in to your account" in client.get(_url(clinic) + "?lang=en").content.decode()
    # The sweep deletes sign-ins and sessions after their period.
    long_ago = timezone.now() - timedelta(days=91)
    SignIn.objects.update(created_at=long_ago)
    ClientSession.objects.update(created_at=long_ago)
    sweep_rule("account-sessions")
    sweep_rule("account-sign-ins")
    assert not SignIn.objects.exists() and not ClientSession.objects.exists()
    # The access report lists the person's sign-ins (when, how, until when).
    made = request_create(actor=owner, person_id=maja.pk, kind="access")
    _sign_in(Client(), clinic)
    report = json.loads(export_json(actor=owner, request_id=made.pk))
    (section,) = [x for x in report["sections"] if x["key"] == "sign_ins"]
    assert len(section["items"]) == 1
    # An erasure deletes them at once.
    _sign_in(Client(), clinic)
    erase_person(actor=owner, person_id=maja.pk)
    assert not SignIn.objects.filter(person_id=maja.pk).exists()
    assert not ClientSession.objects.exists()
