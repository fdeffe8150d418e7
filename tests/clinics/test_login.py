"""Staff sign-in: password (Argon2), TOTP for every role (REQ-34), lock-out, idle timeout."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/staff/login/", {"username": email, "password": password, **extra})


def test_receptionist_signs_in_and_lands_on_today(clinic, make_staff):
    user = make_staff(clinic, "receptionist")
    assert identify_hasher(user.password).algorithm == "argon2"
    client = Client()
    response = _login(client, "Receptionist@Test-Optik.test")  # e-mail is case-insensitive
    assert response.status_code == 302 and response["Location"] == "/staff/"
    today = client.get("/staff/")
    assert today.status_code == 200 and 'id="day-bookings"' in today.content.decode()


def test_wrong_password_keeps_the_email_and_says_so(clinic, make_staff):
    make_staff(clinic, "receptionist")
    response = _login(Client(), "receptionist@test-optik.test", "wrong")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="receptionist@test-optik.test"' in body
    assert 'role="alert"' in body


def test_pages_need_a_signed_in_user(clinic):
    response = Client().get("/staff/persons/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_lock_out_after_repeated_failures(clinic, make_staff, settings):
    make_staff(clinic, "receptionist")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "receptionist@test-optik.test", "wrong")
    # Now even the right password is refused for a while.
    response = _login(client, "receptionist@test-optik.test")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert Client().get("/staff/persons/").status_code == 302


@override_settings(PRAKSIS_REQUIRE_2FA=True)
@pytest.mark.parametrize("role", ["owner", "practitioner", "receptionist"])
def test_req34_every_role_must_enrol_and_use_totp(clinic, make_staff, role):
    user = make_staff(clinic, role)
    client = Client()
    response = _login(client, user.email)
    assert response["Location"] == "/staff/login/otp/"
    assert "_auth_user_id" not in client.session  # not signed in before the second factor
    assert client.get("/staff/persons/").status_code == 302

    page = client.get("/staff/login/otp/").content.decode()
    assert "otp-secret" in page  # enrolment: key and QR code
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post("/staff/login/otp/", {"code": f"{code:06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/persons/").status_code == 200

    # Next time: the code is asked for, without enrolment.
    other = Client()
    _login(other, user.email)
    assert "otp-secret" not in other.get("/staff/login/otp/").content.decode()


@override_settings(PRAKSIS_REQUIRE_2FA=True)
def test_too_many_wrong_codes_end_the_attempt(clinic, make_staff):
    user = make_staff(clinic, "owner")
    client = Client()
    _login(client, user.email)
    for _ in range(5):
        response = client.post("/staff/login/otp/", {"code": "000000"})
    assert response["Location"] == "/staff/login/"
    assert client.get("/staff/login/otp/")["Location"] == "/staff/login/"


@override_settings(PRAKSIS_REQUIRE_2FA=True)
def test_a_session_without_the_second_factor_is_refused(clinic, make_staff):
    client = Client()
    client.force_login(make_staff(clinic, "practitioner"))  # password only
    assert client.get("/staff/persons/").status_code == 302


def test_idle_sessions_expire(clinic, make_staff, settings):
    client = Client()
    _login(client, make_staff(clinic, "receptionist").email)
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 30 * 60
    session = client.session
    session.set_expiry(-1)  # as if the idle time had passed
    session.save()
    assert client.get("/staff/persons/").status_code == 302


def test_logout(clinic, make_staff):
    client = Client()
    _login(client, make_staff(clinic, "receptionist").email)
    client.post("/staff/logout/")
    assert client.get("/staff/persons/").status_code == 302
