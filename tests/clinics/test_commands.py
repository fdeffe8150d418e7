"""The command-line surface of PRODUCT.md: seed-demo, issue-token, verify-access-log."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from praksis.audit.models import AccessLogEntry
from praksis.clinics.models import Clinic, Membership, User
from praksis.people.identity import parse_identity
from praksis.people.models import Animal, Person
from tests.conftest import ApiClient

DEMO_SLUGS = ["alva-terapi", "fjord-dyreklinikk", "lund-optik", "nordby-tannhelse"]


def _state():
    return (
        list(Clinic.objects.order_by("slug").values_list("slug", "profile", "regime")),
        User.objects.count(),
        Membership.objects.count(),
        Person.objects.count(),
        Animal.objects.count(),
        AccessLogEntry.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_creates_the_four_clinics_once():
    call_command("seed-demo", persons=40, stdout=io.StringIO())
    first = _state()
    assert [slug for slug, *_ in first[0]] == DEMO_SLUGS
    assert first[1] == 12  # owner, practitioner, reception in each
    call_command("seed-demo", persons=40, stdout=io.StringIO())
    assert _state() == first  # running it twice changes nothing

    for clinic in Clinic.objects.all():
        people = Person.objects.filter(clinic=clinic)
        assert people.count() == 40
        for person in people:
            if clinic.profile == "therapy":
                assert person.identity_number is None and person.birth_date
            elif person.identity_number:
                parse_identity(person.identity_number, country=clinic.country)  # REQ-41
    vet = Clinic.objects.get(slug="fjord-dyreklinikk")
    assert Animal.objects.filter(clinic=vet).count() >= 40
    assert not Animal.objects.exclude(clinic=vet).exists()
    # The privacy side is there to try out: consents, requests on the clock, a take-down.
    from praksis.privacy.models import Consent, DataSubjectRequest, TakedownTask

    for clinic in Clinic.objects.all():
        assert Consent.objects.filter(clinic=clinic, purpose="marketing_email").exists()
        assert DataSubjectRequest.objects.filter(clinic=clinic, completed_at=None).count() == 2
    assert TakedownTask.objects.get().clinic.profile == "therapy"
    call_command("verify-access-log", stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_staff_sign_in_with_the_demo_password():
    from django.test import Client

    call_command("seed-demo", persons=5, stdout=io.StringIO())
    for slug in DEMO_SLUGS:
        for local in ("owner", "practitioner", "reception"):
            client = Client()
            response = client.post(
                "/staff/login/", {"username": f"{local}@{slug}.test", "password": "praksis-demo"}
            )
            assert response.status_code == 302, (slug, local)


@pytest.mark.django_db
def test_issue_token_prints_only_a_working_token(clinic, make_staff):
    make_staff(clinic, "receptionist")
    out = io.StringIO()
    call_command("issue-token", "receptionist@test-optik.test", stdout=out)
    token = out.getvalue().strip()
    assert "\n" not in token and " " not in token
    assert ApiClient(token).get("persons").status_code == 200


@pytest.mark.django_db
def test_issue_token_refuses_unknown_users_and_asks_for_a_clinic(clinic, other_clinic, make_staff):
    with pytest.raises(CommandError):
        call_command("issue-token", "nobody@test.test", stdout=io.StringIO())
    make_staff(clinic, "owner", email="both@test.test")
    make_staff(other_clinic, "owner", email="both@test.test")
    with pytest.raises(CommandError, match="--clinic"):
        call_command("issue-token", "both@test.test", stdout=io.StringIO())
    out = io.StringIO()
    call_command("issue-token", "both@test.test", clinic=other_clinic.slug, stdout=out)
    assert ApiClient(out.getvalue().strip()).get("persons").status_code == 200


def _run_praksis(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "praksis.cli", *args], env=env, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_secrets(tmp_path):
    result = _run_praksis(
        "check",
        env_extra={"PRAKSIS_ENV": "production", "SECRET_KEY": "", "PRAKSIS_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    result = _run_praksis(
        "check",
        env_extra={
            "PRAKSIS_ENV": "production",
            "SECRET_KEY": "x" * 50,
            "PRAKSIS_KEY": "not-a-key",
            "ALLOWED_HOSTS": "praksis.example.org",
        },
    )
    assert result.returncode != 0
    assert "PRAKSIS_KEY must be 32 bytes" in result.stderr


def test_settings_are_parsed_strictly(tmp_path):
    result = _run_praksis("check", env_extra={"PRAKSIS_ENV": "test", "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
