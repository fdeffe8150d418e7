"""The operator's ``create-clinic`` (PRODUCT.md, clinic set-up): a clinic with its
profile's defaults and an owner, whose one-time set-up link is all it prints; bad input
or a taken slug is a clear error that changes nothing."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import BookingPolicy
from praksis.clinics.models import Clinic, Membership, SetupLink, User
from praksis.core.crypto import sha256_hex
from praksis.privacy.models import PrivacyNotice
from praksis.privacy.retention import policies_for
from praksis.processing.models import ProcessingActivity

LINK = re.compile(r"^(?P<base>https?://[^/]+)/staff/setup/(?P<token>[A-Za-z0-9_-]{43})/$")


def _create(*args: str) -> str:
    out = io.StringIO()
    call_command("create-clinic", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _args(slug="ny-optik", name="Ny Optik", profile="optician", country="SE", owner=None):
    return [
        "--slug", slug, "--name", name, "--profile", profile, "--country", country,
        "--owner", owner or f"agare@{slug}.test",
    ]  # fmt: skip


def _state():
    return (
        Clinic.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        SetupLink.objects.count(),
        BookingPolicy.objects.count(),
        PrivacyNotice.objects.count(),
        ProcessingActivity.objects.count(),
        AccessLogEntry.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("profile", "country", "regime", "language", "zone"),
    [
        ("optician", "SE", "SE-human", "sv", "Europe/Stockholm"),
        ("optician", "NO", "NO-human", "nb", "Europe/Oslo"),
        ("dental", "NO", "NO-human", "nb", "Europe/Oslo"),
        ("dental", "SE", "SE-human", "sv", "Europe/Stockholm"),
        ("veterinary", "SE", "SE-vet", "sv", "Europe/Stockholm"),
        ("veterinary", "NO", "NO-vet", "nb", "Europe/Oslo"),
        ("therapy", "SE", "GDPR-only", "sv", "Europe/Stockholm"),
        ("therapy", "NO", "GDPR-only", "nb", "Europe/Oslo"),
    ],
)
def test_create_clinic_gives_the_profiles_defaults_and_prints_only_the_owners_link(
    settings, profile, country, regime, language, zone
):
    settings.PRAKSIS_BASE_URL = "https://praksis.example.org"
    before = timezone.now()
    out = _create(*_args(profile=profile, country=country, owner="Agare@Example.SE"))

    lines = out.splitlines()
    assert len(lines) == 1  # the link and nothing else
    match = LINK.match(lines[0])
    assert match and match["base"] == "https://praksis.example.org"

    clinic = Clinic.objects.get(slug="ny-optik")
    assert (clinic.name, clinic.profile, clinic.country) == ("Ny Optik", profile, country)
    assert (clinic.regime, clinic.language, clinic.time_zone) == (regime, language, zone)
    # Its profile's defaults: retention rules of its regime (REQ-11), a booking policy, the
    # record of processing (REQ-30) and the first notice, written from that record.
    assert policies_for(clinic)
    assert BookingPolicy.objects.filter(clinic=clinic).exists()
    assert ProcessingActivity.objects.filter(clinic=clinic).count() >= 3
    notice = PrivacyNotice.objects.get(clinic=clinic)
    assert notice.version == 1 and set(notice.text.content) == {"sv", "nb", "en"}

    owner = Membership.objects.select_related("user").get(clinic=clinic)
    assert owner.role == "owner" and owner.is_active
    assert owner.user.email == "agare@example.se"
    assert not owner.user.has_usable_password()  # chosen through the link
    link = SetupLink.objects.get(clinic=clinic)
    assert link.user == owner.user and link.used_at is None
    assert link.token_hash == sha256_hex(match["token"])  # only the hash is kept
    hours = (link.expires_at - before) / timedelta(hours=1)
    assert 71.9 < hours <= 72.1
    logged = set(AccessLogEntry.objects.filter(clinic=clinic).values_list("object_type", flat=True))
    assert {"clinic", "membership", "setup_link"} <= logged


@pytest.mark.django_db
def test_create_clinic_takes_the_language_and_zone_asked_for():
    _create(*_args(country="NO"), "--language", "en", "--zone", "Europe/Stockholm")
    clinic = Clinic.objects.get(slug="ny-optik")
    assert (clinic.language, clinic.time_zone) == ("en", "Europe/Stockholm")


@pytest.mark.django_db
def test_an_existing_staff_user_becomes_owner_of_the_new_clinic_too(clinic, make_staff):
    user = make_staff(clinic, "practitioner", email="lisa@example.se")
    out = _create(*_args(owner="lisa@example.se"))
    assert LINK.match(out.strip())
    assert User.objects.filter(email="lisa@example.se").count() == 1
    roles = dict(Membership.objects.filter(user=user).values_list("clinic__slug", "role"))
    assert roles == {clinic.slug: "practitioner", "ny-optik": "owner"}


BAD_INPUT = {
    "existing slug": (_args(slug="test-optik"), "--slug"),
    "existing slug in other case": (_args(slug="Test-Optik"), "--slug"),
    "reserved slug": (_args(slug="staff"), "--slug"),
    "slug with a space": (_args(slug="ny optik"), "--slug"),
    "slug with a slash": (_args(slug="ny/optik"), "--slug"),
    "slug too long": (_args(slug="a" * 51), "--slug"),
    "empty name": (_args(name="  "), "--name"),
    "name with a bidi override": (_args(name="Ny \u202eOptik"), "--name"),
    "unknown profile": (_args(profile="physio"), "--profile"),
    "unknown country": (_args(country="DK"), "--country"),
    "invalid e-mail": (_args(owner="agare.example.se"), "--owner"),
    "unknown language": ([*_args(), "--language", "fi"], "--language"),
    "unknown zone": ([*_args(), "--zone", "Europe/Lund"], "--zone"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_create_clinic_refuses_bad_input_or_a_taken_slug_and_changes_nothing(clinic, case):
    args, option = BAD_INPUT[case]
    before = _state()
    with pytest.raises(CommandError) as refused:
        _create(*args)
    assert option in str(refused.value)
    assert _state() == before


@pytest.mark.django_db
def test_create_clinic_refuses_a_deactivated_account_as_owner(clinic, make_staff):
    user = make_staff(clinic, "receptionist", email="gone@example.se")
    User.objects.filter(pk=user.pk).update(is_active=False)
    before = _state()
    with pytest.raises(CommandError, match="--owner"):
        _create(*_args(owner="gone@example.se"))
    assert _state() == before


# --- As the operator runs it: a real process on a real database file ------------------


def _praksis(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        PRAKSIS_ENV="test",
        PRAKSIS_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'praksis.sqlite3'}",
        PRAKSIS_BASE_URL="http://clinic.test:9000",
    )
    return subprocess.run(
        [sys.executable, "-m", "praksis.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rows(tmp_path) -> tuple[int, ...]:
    with sqlite3.connect(tmp_path / "praksis.sqlite3") as db:
        return tuple(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "clinics_clinic",
                "clinics_user",
                "clinics_membership",
                "clinics_setuplink",
                "audit_accesslogentry",
            )
        )


def test_create_clinic_as_a_command_exits_non_zero_and_creates_nothing_on_bad_input(tmp_path):
    assert _praksis(tmp_path, "migrate", "--no-input", "-v0").returncode == 0

    created = _praksis(tmp_path, "create-clinic", *_args(slug="fjell-tann", country="NO"))
    assert created.returncode == 0, created.stderr
    assert LINK.match(created.stdout.strip())
    assert created.stdout.strip().startswith("http://clinic.test:9000/staff/setup/")
    after_first = _rows(tmp_path)
    assert after_first[:4] == (1, 1, 1, 1)

    again = _praksis(tmp_path, "create-clinic", *_args(slug="fjell-tann", owner="x@y.test"))
    assert again.returncode != 0
    assert again.stdout == ""
    assert "--slug" in again.stderr and "exists already" in again.stderr

    bad = _praksis(tmp_path, "create-clinic", *_args(slug="ny-tann", profile="physio"))
    assert bad.returncode != 0 and bad.stdout == ""
    assert "--profile" in bad.stderr and "optician" in bad.stderr  # says what is allowed
    assert _rows(tmp_path) == after_first
