"""The one-time set-up link: a new clinic's owner (or an invited member of staff) chooses a
name and password, enrols an authenticator where the role needs one, and lands signed in.
It works once, for 72 hours; otherwise it says so (404) and changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from praksis.audit.models import AccessLogEntry
from praksis.clinics.models import Membership, SetupLink, User

NEW_PASSWORD = "Blåbärssylt på fredag 42"


def _open_clinic(slug="ny-optik", country="SE", owner=None) -> str:
    """create-clinic as the operator runs it; the path of the printed link."""
    out = io.StringIO()
    call_command(
        "create-clinic",
        "--slug", slug, "--name", "Ny Optik", "--profile", "optician", "--country", country,
        "--owner", owner or f"agare@{slug}.test",
        stdout=out,
    )  # fmt: skip
    return out.getvalue().strip().split("127.0.0.1:8000", 1)[1]


def _choose(client, path, name="Anna Ek", password=NEW_PASSWORD, confirm=None):
    return client.post(
        path,
        {"name": name, "password": password, "password_confirm": confirm or password},
    )


def _owner(slug="ny-optik") -> User:
    return Membership.objects.get(clinic__slug=slug, role="owner").user


@pytest.mark.django_db
def test_owner_chooses_a_password_and_lands_signed_in_on_the_staff_home(settings):
    settings.PRAKSIS_REQUIRE_2FA = False  # demo mode: no authenticator
    path = _open_clinic()
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ny Optik" in body and "agare@ny-optik.test" in body
    assert page["Cache-Control"].startswith("max-age=0")  # never cached: it holds a secret

    response = _choose(client, path)
    assert response.status_code == 302 and response["Location"] == "/staff/"
    owner = _owner()
    assert owner.check_password(NEW_PASSWORD) and owner.full_name == "Anna Ek"
    assert client.get("/staff/clinic/").status_code == 200  # signed in, as the owner
    # The sign-in works with the chosen password from now on.
    login = Client().post(
        "/staff/login/", {"username": "agare@ny-optik.test", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert SetupLink.objects.get().used_at is not None
    assert AccessLogEntry.objects.filter(
        object_type="setup_link", action="update", user_id=owner.pk
    ).exists()


@pytest.mark.django_db
def test_outside_demo_mode_the_owner_enrols_an_authenticator_before_signing_in(settings):
    settings.PRAKSIS_REQUIRE_2FA = True
    path = _open_clinic()
    client = Client()
    assert 'id="needs-code"' in client.get(path).content.decode()  # says what comes next
    response = _choose(client, path)
    assert response["Location"] == "/staff/login/otp/"
    assert client.get("/staff/clinic/").status_code == 302  # not signed in yet (REQ-34)

    enrol = client.get("/staff/login/otp/").content.decode()
    assert "otp-secret" in enrol  # the sign-in's own enrolment: key and QR code
    device = TOTPDevice.objects.get(user=_owner())
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post("/staff/login/otp/", {"code": f"{code:06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/clinic/").status_code == 200


@pytest.mark.django_db
def test_a_refused_password_keeps_the_name_never_the_password_and_says_why_in_swedish():
    path = _open_clinic()
    # An English browser: the page speaks the clinic's language until one is chosen.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _choose(client, path, name="Anna Ek", password="kort")
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="Anna Ek"' in body
    assert "kort" not in body.replace("för kort", "")  # the password is not shown again
    assert "för kort" in body  # Django's own validators, in the clinic's language

    response = _choose(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert response.status_code == 422
    assert 'id="err_password_confirm"' in response.content.decode()

    response = _choose(client, path, name="Anna \u202eEk")  # a bidi override in the name
    assert response.status_code == 422
    assert 'id="err_name"' in response.content.decode()

    owner = _owner()
    assert not owner.has_usable_password() and owner.full_name == ""
    assert SetupLink.objects.get().used_at is None  # still usable


def _expire(link: SetupLink) -> None:
    SetupLink.objects.filter(pk=link.pk).update(
        created_at=timezone.now() - timedelta(hours=73),
        expires_at=timezone.now() - timedelta(hours=1),
    )


def _deactivate(link: SetupLink) -> None:
    Membership.objects.filter(clinic=link.clinic, user=link.user).update(is_active=False)


@pytest.mark.django_db
@pytest.mark.parametrize("spoil", ["used", "expired", "unknown", "deactivated"])
def test_a_used_expired_unknown_or_revoked_link_says_so_and_changes_nothing(settings, spoil):
    settings.PRAKSIS_REQUIRE_2FA = False
    path = _open_clinic()
    link = SetupLink.objects.get()
    if spoil == "used":
        assert _choose(Client(), path).status_code == 302
    elif spoil == "expired":
        _expire(link)
    elif spoil == "unknown":
        path = path[:-6] + "AAAAA/"
    else:
        _deactivate(link)
    owner = _owner()
    before = (owner.password, owner.full_name, AccessLogEntry.objects.count())

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for response in (client.get(path), _choose(client, path, password="Ett annat lösen 77")):
        assert response.status_code == 404
        assert 'id="setup-invalid"' in response.content.decode()
    owner.refresh_from_db()
    assert (owner.password, owner.full_name, AccessLogEntry.objects.count()) == before
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_link_is_stored_only_as_its_hash():
    path = _open_clinic()
    token = path.rstrip("/").rsplit("/", 1)[1]
    link = SetupLink.objects.get()
    stored = " ".join(str(v) for v in SetupLink.objects.values_list().get())
    assert token not in stored and len(link.token_hash) == 64
