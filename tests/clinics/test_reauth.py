"""Re-authentication before actions that cannot be undone or that release personal data:
a sign-in older than PRAKSIS_REAUTH_SECONDS is asked for the password (and the code,
where two-factor sign-in applies) before the POST is carried out; what was typed is
carried through, a wrong password changes nothing and counts as a failed sign-in."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from praksis.clinics.reauth import SESSION_AUTH_AT
from praksis.privacy.models import RetentionSetting
from tests.conftest import PASSWORD, speaks

SETTING = "/staff/retention/settings/"
FORM = {"record_type": "journal", "months": "144"}


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner_ui(clinic, make_staff):
    user = make_staff(clinic, "owner")
    client = Client()
    client.force_login(speaks(user, "en"))
    client.user = user
    return client


def _age(client, seconds: int = 3600) -> None:
    session = client.session
    session[SESSION_AUTH_AT] -= seconds
    session.save()


def test_a_fresh_sign_in_goes_straight_through(clinic, owner_ui):
    assert owner_ui.post(SETTING, FORM).status_code == 302
    assert RetentionSetting.objects.get(clinic=clinic).months == 144


def test_an_old_sign_in_is_asked_again_and_what_was_typed_is_carried(clinic, owner_ui):
    _age(owner_ui)
    asked = owner_ui.post(SETTING, FORM)
    body = asked.content.decode()
    assert asked.status_code == 200 and "Confirm it is you" in body
    assert 'name="months" value="144"' in body and 'name="record_type" value="journal"' in body
    assert not RetentionSetting.objects.exists()  # nothing done yet

    wrong = owner_ui.post(SETTING, {**FORM, "_reauth_password": "not-the-password"})
    assert wrong.status_code == 422 and "not right" in wrong.content.decode()
    assert 'name="months" value="144"' in wrong.content.decode()
    assert not RetentionSetting.objects.exists()

    done = owner_ui.post(SETTING, {**FORM, "_reauth_password": PASSWORD})
    assert done.status_code == 302
    assert RetentionSetting.objects.get(clinic=clinic).months == 144
    # Confirmed just now: the next such action needs no password.
    assert owner_ui.post(SETTING, {**FORM, "months": "156"}).status_code == 302
    assert RetentionSetting.objects.get(clinic=clinic).months == 156


def test_pages_and_ordinary_actions_are_not_interrupted(clinic, owner_ui):
    _age(owner_ui)
    assert owner_ui.get("/staff/retention/").status_code == 200


def test_with_two_factor_the_code_is_asked_too(clinic, owner_ui, settings):
    settings.PRAKSIS_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=owner_ui.user, name="phone", confirmed=True)
    session = owner_ui.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    _age(owner_ui)
    asked = owner_ui.post(SETTING, FORM)
    assert 'name="_reauth_code"' in asked.content.decode()
    without_code = owner_ui.post(SETTING, {**FORM, "_reauth_password": PASSWORD})
    assert without_code.status_code == 422
    assert not RetentionSetting.objects.exists()
    code = str(totp(device.bin_key)).zfill(6)
    done = owner_ui.post(SETTING, {**FORM, "_reauth_password": PASSWORD, "_reauth_code": code})
    assert done.status_code == 302
    assert RetentionSetting.objects.get(clinic=clinic).months == 144


def test_failed_confirmations_lock_the_account_like_failed_sign_ins(clinic, owner_ui, settings):
    _age(owner_ui)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        owner_ui.post(SETTING, {**FORM, "_reauth_password": "guess"})
    locked = owner_ui.post(SETTING, {**FORM, "_reauth_password": PASSWORD})
    assert locked.status_code != 302
    assert not RetentionSetting.objects.exists()


def test_the_question_is_asked_in_the_users_language(clinic, make_staff):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the browser's wish does not count
    client.force_login(speaks(make_staff(clinic, "owner"), "sv"))
    _age(client)
    body = client.post(SETTING, FORM).content.decode()
    assert "Bekräfta att det är du" in body and "Ange ditt lösenord" in body


def test_other_roles_are_refused_before_any_question(clinic, make_staff):
    """The role check comes first: a receptionist is not asked for a password."""
    client = Client()
    client.force_login(speaks(make_staff(clinic, "receptionist"), "en"))
    _age(client)
    response = client.post(SETTING, {**FORM, "_reauth_password": PASSWORD})
    assert response.status_code == 403
    assert "Confirm it is you" not in response.content.decode()
    assert not RetentionSetting.objects.exists()


def test_another_clinics_hold_stays_out_of_reach_after_confirming(
    clinic, other_clinic, make_actor, make_person, make_staff
):
    """Tenancy: confirming the password gives no reach into another clinic — the answer
    is the 404 a hold that does not exist gets, and the hold stays."""
    from praksis.privacy.models import LegalHold
    from praksis.privacy.retention import hold_place

    theirs = make_actor(other_clinic, "owner")
    hold = hold_place(actor=theirs, reason="Tvist", person=make_person(theirs))
    client = Client()
    client.force_login(speaks(make_staff(clinic, "owner"), "en"))
    _age(client)
    url = f"/staff/retention/holds/{hold.pk}/release/"
    asked = client.post(url, {})
    missing = client.post("/staff/retention/holds/999999/release/", {})
    assert asked.status_code == missing.status_code == 200  # the same question for both
    confirmed = client.post(url, {"_reauth_password": PASSWORD})
    assert confirmed.status_code == 404
    assert LegalHold.objects.get(pk=hold.pk).released_at is None
