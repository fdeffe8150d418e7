"""Strong sign-in with an eID through OpenID Connect (issue 15), against a real local
provider (tests/oidc_provider.py): the authorisation code flow with PKCE, state and
nonce; the ID token's signature checked against the issuer's keys; the identity number
matched by its keyed hash. LAW.md REQ-50: only this level opens the journal copy, the
log extract and the complete access report."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from praksis.accounts import eid
from praksis.accounts.models import ClientSession, EidLogin
from praksis.audit.models import AccessLogEntry
from praksis.journal.services import entry_create
from praksis.privacy.models import DataSubjectRequest

pytestmark = pytest.mark.django_db

NUMBER = "199004021234"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _at_provider(url: str) -> str:
    """The browser at the provider: it signs the chosen person in and sends them back."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.read()
        return exc.headers["Location"]
    raise AssertionError("the provider did not redirect")


@pytest.fixture
def kari(owner, make_person):
    import random
    from datetime import date

    from praksis.people.identity import synthetic_se

    number = synthetic_se(random.Random(5), date(1990, 4, 2))
    person = make_person(
        owner, first_name="Kari", last_name="Lund", email="kari@example.com",
        identity_number=number,
    )  # fmt: skip
    person.number = number
    return person


def _sign_in_with_eid(client: Client, clinic, provider, number: str):
    provider.identity = number
    started = client.get(f"/{clinic.slug}/account/eid/?lang=en")
    assert started.status_code == 302, started.content[:300]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(started["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = _at_provider(started["Location"])
    parts = urllib.parse.urlsplit(back)
    assert parts.path == "/eid/callback/"
    return client.get(f"{parts.path}?{parts.query}")


def test_req50_strong_sign_in_opens_the_log_the_journal_and_the_report(
    clinic, owner, kari, oidc_provider
):
    entry_create(actor=owner, person_id=kari.pk, text="Synundersökning: utan anmärkning",
                 sign=True)  # fmt: skip
    client = Client()
    done = _sign_in_with_eid(client, clinic, oidc_provider, kari.number)
    assert done.status_code == 302 and done["Location"].startswith(f"/{clinic.slug}/account/")
    session = ClientSession.objects.get()
    assert (session.person_id, session.level) == (kari.pk, "strong")
    assert EidLogin.objects.get().used_at is not None
    # The number never stored: the login holds no identity, the session only the person.
    assert kari.number not in str(list(EidLogin.objects.values()))
    # PKCE: the verifier went to the token endpoint.
    (form,) = oidc_provider.token_requests
    assert form["code_verifier"] and form["redirect_uri"].endswith("/eid/callback/")

    home = client.get(f"/{clinic.slug}/account/?lang=en").content.decode()
    assert 'id="log-link"' in home and 'id="journal-download"' in home
    log = client.get(f"/{clinic.slug}/account/log/?lang=en")
    assert log.status_code == 200
    page = log.content.decode()
    assert "Who has opened your record" in page and owner.user.full_name in page
    assert owner.user.email not in page  # staff by name, never by e-mail address
    journal = client.get(f"/{clinic.slug}/account/journal.pdf")
    assert journal.status_code == 200 and journal.content.startswith(b"%PDF")
    report = client.get(f"/{clinic.slug}/account/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    request = DataSubjectRequest.objects.get(person=kari, channel="account")
    assert request.status == "completed"
    # Each download is logged on the person.
    logged = AccessLogEntry.objects.filter(person_id=kari.pk, channel="account")
    assert logged.filter(action="print").exists() and logged.filter(action="export").exists()


def test_req50_a_code_is_not_enough_for_the_journal(clinic, kari, oidc_provider):
    from tests.accounts.test_sign_in import _sign_in

    client = Client()
    _sign_in(client, clinic, kari.email)
    assert ClientSession.objects.get().level == "basic"
    home = client.get(f"/{clinic.slug}/account/?lang=en").content.decode()
    assert 'id="journal-download"' not in home and 'id="eid-sign-in"' in home
    for path in ("log/", "journal.pdf", "report.pdf"):
        assert client.get(f"/{clinic.slug}/account/{path}").status_code == 404, path


@pytest.mark.parametrize("tamper", ["signature", "nonce", "audience"])
def test_a_tampered_id_token_is_refused(clinic, kari, oidc_provider, tamper):
    oidc_provider.tamper = tamper
    client = Client()
    done = _sign_in_with_eid(client, clinic, oidc_provider, kari.number)
    assert done.status_code == 403
    assert "did not go through" in done.content.decode()
    assert not ClientSession.objects.exists()


def test_a_login_is_used_once_and_only_by_the_browser_that_started_it(clinic, kari, oidc_provider):
    client = Client()
    oidc_provider.identity = kari.number
    started = client.get(f"/{clinic.slug}/account/eid/?lang=en")
    back = urllib.parse.urlsplit(_at_provider(started["Location"]))
    callback = f"{back.path}?{back.query}"
    # Another browser with the same link (a stolen or planted callback) gets nothing.
    assert Client().get(callback).status_code == 403
    assert not ClientSession.objects.exists()
    # And the login is spent: its own browser cannot use it after that either.
    assert client.get(callback).status_code == 403
    # A state nobody issued: not found.
    assert client.get("/eid/callback/?state=forged&code=x").status_code == 404


def test_an_eid_of_no_one_at_this_clinic_signs_no_one_in(
    clinic, kari, oidc_provider, make_clinic, make_actor, make_person
):
    client = Client()
    done = _sign_in_with_eid(client, clinic, oidc_provider, "198001019876")
    assert done.status_code == 403 and "no record of you here" in done.content.decode()
    # The same human at another clinic: that clinic's record, never this one's.
    other = make_clinic("optician", slug="annan-optik", name="Annan Optik")
    other_owner = make_actor(other, "owner")
    twin = make_person(other_owner, first_name="Kari", last_name="Lund",
                       identity_number=kari.number)  # fmt: skip
    client = Client()
    _sign_in_with_eid(client, other, oidc_provider, kari.number)
    assert ClientSession.objects.get().person_id == twin.pk
    assert client.get(f"/{clinic.slug}/account/log/").status_code == 404


def test_without_a_provider_there_is_no_eid_sign_in(clinic, settings):
    settings.PRAKSIS_OIDC_ISSUER = ""
    assert Client().get(f"/{clinic.slug}/account/eid/").status_code == 404
    page = Client().get(f"/{clinic.slug}/account/?lang=en").content.decode()
    assert 'id="eid-sign-in"' not in page
    assert eid.provider() is None


def test_req50_an_answer_link_opens_without_a_code_for_the_client_signed_in_with_eid(
    clinic, owner, kari, oidc_provider
):
    import re

    from praksis.messaging.models import OutboxMessage
    from praksis.privacy.requests import request_answer, request_create
    from tests.accounts.test_sign_in import _sign_in

    made = request_create(actor=owner, person_id=kari.pk, kind="access")
    request_answer(actor=owner, request_id=made.pk, delivery="link")
    body = OutboxMessage.objects.filter(related_type="privacy_request").last().body
    link = re.search(r"(/[\w-]+/privacy/answer/[\w-]+/)", body).group(1)
    assert f"/{clinic.slug}/account/" in body  # the answer points to the account too
    # A code sign-in is not enough: the answer still asks for the one-time code.
    basic = Client()
    _sign_in(basic, clinic, kari.email)
    assert 'id="download-report"' not in basic.get(link + "?lang=en").content.decode()
    strong = Client()
    _sign_in_with_eid(strong, clinic, oidc_provider, kari.number)
    assert 'id="download-report"' in strong.get(link + "?lang=en").content.decode()
    # Someone else's strong sign-in opens nothing of Kari's.
    other = Client()
    oidc_provider.identity = ""
    assert 'id="download-report"' not in other.get(link + "?lang=en").content.decode()


def test_a_provider_that_cannot_be_reached_is_a_refusal_not_an_error(clinic, kari, oidc_provider):
    from praksis.accounts import eid as eid_module

    client = Client()
    oidc_provider.identity = kari.number
    started = client.get(f"/{clinic.slug}/account/eid/?lang=en")
    back = urllib.parse.urlsplit(_at_provider(started["Location"]))
    oidc_provider.stop()  # gone between the sign-in and the callback
    eid_module._cache.clear()
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 403 and "did not go through" in done.content.decode()
    assert not ClientSession.objects.exists()
    # And starting a sign-in while it is away says so, in the page's language.
    away = client.get(f"/{clinic.slug}/account/eid/?lang=en")
    assert away.status_code == 502 and "cannot be reached" in away.content.decode()
