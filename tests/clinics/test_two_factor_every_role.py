"""REQ-34 (Art. 32: MFA): outside demo mode every member of staff signs in with a second
factor — owners, practitioners and receptionists alike. Until the authenticator is enrolled
and a code given, no staff page opens; API tokens (issued to a member of staff on purpose,
revocable, expiring) keep working; demo mode signs in with the password alone, and
production cannot turn the requirement off."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

ROLES = ["owner", "practitioner", "receptionist"]
# Pages that are reached before the second factor: signing in, the code itself, the
# one-time set-up link, signing out and choosing the page language.
BEFORE_SIGN_IN = {"login", "otp", "setup", "logout", "language"}


def _staff_pages():
    """Every staff address, with its path parameters filled in."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    for route, name in walk(get_resolver().url_patterns):
        if route.startswith("staff/") and name not in BEFORE_SIGN_IN:
            path = re.sub(r"<int:\w+>", "1", route)
            path = re.sub(r"<(?:slug|str):\w+>", "x", path)
            yield "/" + path


def _login(client, email):
    return client.post("/staff/login/", {"username": email, "password": PASSWORD})


@pytest.mark.parametrize("role", ROLES)
def test_req34_every_role_is_sent_to_enrol_an_authenticator(clinic, make_staff, settings, role):
    settings.PRAKSIS_REQUIRE_2FA = True
    user = make_staff(clinic, role)
    client = Client()
    response = _login(client, user.email)
    assert response.status_code == 302 and response["Location"] == "/staff/login/otp/"
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in

    # Before the code: no staff page opens, each sends back to the sign-in.
    for path in ("/staff/", "/staff/persons/", "/staff/calendar/", "/staff/tokens/"):
        refused = client.get(path)
        assert refused.status_code == 302, path
        assert refused["Location"].startswith("/staff/login/"), path

    enrol = client.get("/staff/login/otp/").content.decode()
    assert "otp-secret" in enrol  # the key and the QR code of a first authenticator
    device = TOTPDevice.objects.get(user=user)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    assert client.post("/staff/login/otp/", {"code": f"{code:06d}"})["Location"] == "/staff/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/persons/").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_req34_a_password_only_session_opens_no_staff_page(clinic, make_staff, settings, role):
    """Every address under /staff/ (the walk of the URL map), for every role: a session
    signed in with the password alone is sent to the sign-in, never shown a page."""
    settings.PRAKSIS_REQUIRE_2FA = True
    client = Client()
    client.force_login(make_staff(clinic, role))  # password only, no verified device
    pages = list(_staff_pages())
    assert len(pages) > 50
    for path in pages:
        response = client.get(path)
        assert response.status_code in (302, 405), (path, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/staff/login/"), path


@pytest.mark.parametrize("role", ROLES)
def test_req34_api_tokens_are_unaffected(clinic, make_api, settings, role):
    settings.PRAKSIS_REQUIRE_2FA = True
    api = make_api(clinic, role)
    response = api.get("persons")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("role", ROLES)
def test_req34_demo_mode_signs_in_with_the_password(clinic, make_staff, settings, role):
    settings.PRAKSIS_REQUIRE_2FA = False  # demo mode (PRAKSIS_DEMO=1)
    user = make_staff(clinic, role)
    client = Client()
    assert _login(client, user.email)["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()


def _check(env_extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "PRAKSIS_DEMO")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.PRAKSIS_REQUIRE_2FA)"],
        env={**env, "DJANGO_SETTINGS_MODULE": "praksis.settings"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_req34_production_requires_the_second_factor_and_cannot_turn_it_off(tmp_path):
    production = {
        "PRAKSIS_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "PRAKSIS_KEY": "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=",
        "ALLOWED_HOSTS": "praksis.example.org",
        "PRAKSIS_VAR_DIR": str(tmp_path),
    }
    default = _check(production)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "True"
    off = _check({**production, "PRAKSIS_REQUIRE_2FA": "0"})
    assert off.returncode != 0
    assert "PRAKSIS_REQUIRE_2FA cannot be turned off" in off.stderr
