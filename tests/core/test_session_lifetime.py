"""A staff session ends PRAKSIS_SESSION_MAX_HOURS after sign-in, however busy it is.

The 30-minute idle timeout alone let a session in steady use (or a stolen cookie kept
warm) live for ever. REQ-34 (Art. 32: access control).
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from praksis.core.sessions import SESSION_SIGNED_IN_AT
from tests.conftest import PASSWORD


@pytest.fixture
def signed_in(clinic, make_staff):
    """A receptionist signed in through the real sign-in page."""
    make_staff(clinic, "receptionist")
    client = Client(headers={"Accept-Language": "en"})
    response = client.post(
        "/staff/login/", {"username": f"receptionist@{clinic.slug}.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _signed_in_hours_ago(client: Client, hours: float) -> None:
    session = client.session
    session[SESSION_SIGNED_IN_AT] = int(time.time() - hours * 3600)
    session.save()


def test_req34_signing_in_stamps_the_session(signed_in):
    stamp = signed_in.session[SESSION_SIGNED_IN_AT]
    assert abs(stamp - time.time()) < 60


def test_req34_a_session_is_signed_out_after_the_maximum_however_busy(signed_in, settings):
    settings.PRAKSIS_SESSION_MAX_HOURS = 12
    _signed_in_hours_ago(signed_in, 11.9)
    for _ in range(3):  # steady use does not move the stamp
        assert signed_in.get("/staff/calendar/").status_code == 200
    _signed_in_hours_ago(signed_in, 12.01)
    response = signed_in.get("/staff/calendar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")
    assert SESSION_KEY not in signed_in.session  # signed out, not merely redirected
    assert signed_in.get("/staff/calendar/").status_code == 302


def test_req34_the_maximum_is_configurable(signed_in, settings):
    settings.PRAKSIS_SESSION_MAX_HOURS = 2
    _signed_in_hours_ago(signed_in, 2.01)
    assert signed_in.get("/staff/calendar/").status_code == 302


def test_req34_signing_in_again_starts_a_new_lifetime(signed_in, clinic):
    _signed_in_hours_ago(signed_in, 13)
    assert signed_in.get("/staff/calendar/").status_code == 302
    signed_in.post(
        "/staff/login/", {"username": f"receptionist@{clinic.slug}.test", "password": PASSWORD}
    )
    assert signed_in.get("/staff/calendar/").status_code == 200


def test_req34_a_session_without_a_sign_in_stamp_is_signed_out(signed_in):
    session = signed_in.session
    del session[SESSION_SIGNED_IN_AT]
    session.save()
    assert signed_in.get("/staff/calendar/").status_code == 302
    assert SESSION_KEY not in signed_in.session


def test_req34_re_authenticating_does_not_extend_the_lifetime(signed_in):
    from praksis.clinics.reauth import SESSION_AUTH_AT

    _signed_in_hours_ago(signed_in, 12.5)
    session = signed_in.session
    session[SESSION_AUTH_AT] = int(time.time())  # a fresh password for a sensitive action
    session.save()
    assert signed_in.get("/staff/calendar/").status_code == 302
