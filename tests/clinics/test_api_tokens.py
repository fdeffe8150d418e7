"""API tokens (REQ-34, Art. 32: access control): they expire, staff list and revoke them on
a page, and a revoked or expired token, or one whose user or role is deactivated, stops
working at the next request. Sensitive actions need a token issued with that scope."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.clinics.access import Actor
from praksis.clinics.models import ApiToken, Membership
from praksis.clinics.reauth import SESSION_AUTH_AT
from praksis.clinics.services import staff_deactivate, token_issue
from praksis.core.errors import Conflict
from praksis.messaging.models import OutboxMessage
from praksis.people.models import Person
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import request_create
from tests.conftest import PASSWORD, ApiClient, speaks

pytestmark = pytest.mark.django_db

TOKENS = "/staff/tokens/"


def _issue(clinic, user, **fields) -> tuple[str, ApiToken]:
    secret = token_issue(user=user, clinic=clinic, **fields)
    return secret, ApiToken.objects.filter(user=user, clinic=clinic).latest("pk")


def _signed_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(speaks(user, language))
    return client


def _tokens_state():
    return list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at", "expires_at"))


def _assert_401(response):
    assert response.status_code == 401
    assert response.json() == {"detail": "A valid bearer token is required."}


# --- Expiry -------------------------------------------------------------------------------


def test_token_expires_after_the_configured_number_of_days(clinic, make_staff, settings):
    settings.PRAKSIS_API_TOKEN_DAYS = 30
    _secret, token = _issue(clinic, make_staff(clinic, "receptionist"))
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    _secret, short = _issue(clinic, make_staff(clinic, "owner"), days=7)
    assert short.expires_at - timezone.now() <= timedelta(days=7)


def test_expired_token_is_refused_with_401(clinic, make_staff):
    secret, token = _issue(clinic, make_staff(clinic, "receptionist"))
    api = ApiClient(secret)
    assert api.get("persons").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_401(api.get("persons"))


def test_a_token_cannot_be_issued_for_longer_than_ten_years_or_less_than_a_day(clinic, make_staff):
    from praksis.core.errors import ValidationFailed

    user = make_staff(clinic, "owner")
    for days in (0, -1, 3651, 2**63):
        with pytest.raises(ValidationFailed) as refused:
            token_issue(user=user, clinic=clinic, days=days)
        assert list(refused.value.errors) == ["days"]
    assert not ApiToken.objects.exists()


# --- At once: revoked, deactivated user, deactivated role ---------------------------------


def test_revoked_token_stops_working_at_once(clinic, make_staff):
    """Revoked on the page, refused by the very next API request (no cache in between)."""
    user = make_staff(clinic, "practitioner")
    secret, token = _issue(clinic, user)
    api = ApiClient(secret)
    assert api.get("persons").status_code == 200
    assert _signed_in(user).post(f"{TOKENS}{token.pk}/revoke/").status_code == 302
    _assert_401(api.get("persons"))
    row = AccessLogEntry.objects.get(object_type="api_token", action="update")
    assert (row.object_id, row.detail, row.user_id) == (str(token.pk), "revoked", user.pk)


def test_token_of_deactivated_user_stops_working_at_once(clinic, make_staff):
    user = make_staff(clinic, "owner")
    api = ApiClient(_issue(clinic, user)[0])
    assert api.get("persons").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    _assert_401(api.get("persons"))


def test_token_of_deactivated_membership_stops_working_at_once(clinic, other_clinic, make_staff):
    """A role ended in one clinic ends that clinic's token, not the user's other one."""
    user = make_staff(clinic, "receptionist", email="both@test.test")
    make_staff(other_clinic, "receptionist", email="both@test.test")
    here = ApiClient(_issue(clinic, user)[0])
    there = ApiClient(_issue(other_clinic, user)[0])
    Membership.objects.filter(user=user, clinic=clinic).update(is_active=False)
    _assert_401(here.get("persons"))
    assert there.get("persons").status_code == 200


def test_owner_deactivates_staff_tokens_and_sessions_end_at_once(
    clinic, owner, make_staff, other_clinic
):
    desk = make_staff(clinic, "receptionist")
    api = ApiClient(_issue(clinic, desk)[0])
    page = _signed_in(desk)
    assert page.get("/staff/persons/").status_code == 200
    bystander = _signed_in(owner.user)
    membership = Membership.objects.get(user=desk, clinic=clinic)

    staff_deactivate(actor=owner, membership_id=membership.pk)

    _assert_401(api.get("persons"))
    assert page.get("/staff/persons/").status_code == 302  # signed out: to the sign-in page
    assert bystander.get("/staff/persons/").status_code == 200  # others stay signed in
    assert not Membership.objects.get(pk=membership.pk).is_active
    assert ApiToken.objects.get(user=desk).revoked_at is not None
    row = AccessLogEntry.objects.get(object_type="membership")
    assert row.object_id == str(membership.pk) and row.user_id == owner.user.pk
    assert row.detail == "deactivated; tokens revoked=1; sessions ended=1"


def test_only_an_owner_deactivates_and_only_in_their_clinic(
    clinic, owner, make_actor, make_staff, other_clinic
):
    desk = make_actor(clinic, "receptionist")
    doctor = make_staff(clinic, "practitioner")
    doctor_membership = Membership.objects.get(user=doctor, clinic=clinic)
    secret, _token = _issue(clinic, doctor)
    outsider = make_actor(other_clinic, "owner")
    before = (_tokens_state(), Session.objects.count(), AccessLogEntry.objects.count())
    with pytest.raises(PermissionDenied):
        staff_deactivate(actor=desk, membership_id=doctor_membership.pk)
    with pytest.raises(Http404):
        staff_deactivate(actor=outsider, membership_id=doctor_membership.pk)
    with pytest.raises(Http404):
        staff_deactivate(actor=owner, membership_id=2**63)
    owner_membership = Membership.objects.get(user=owner.user, clinic=clinic)
    with pytest.raises(Conflict):  # the clinic keeps an owner
        staff_deactivate(actor=owner, membership_id=owner_membership.pk)
    assert Membership.objects.filter(clinic=clinic, is_active=False).count() == 0
    assert (_tokens_state(), Session.objects.count(), AccessLogEntry.objects.count()) == before
    assert ApiClient(secret).get("persons").status_code == 200


# --- Scope: sensitive actions -------------------------------------------------------------


@pytest.fixture
def erasure(clinic, owner, make_person):
    person = make_person(owner, first_name="Greta", last_name="Wikander", email="g@example.com")
    return request_create(actor=owner, person_id=person.pk, kind="erasure")


def _privacy_state(request):
    person = Person.objects.filter(pk=request.person_id).values_list(
        "first_name", "last_name", "email", "restricted_at"
    )
    dsr = DataSubjectRequest.objects.filter(pk=request.pk).values_list(
        "status", "answer", "completed_at", "download_token_hash"
    )
    return list(person), list(dsr), OutboxMessage.objects.count()


def _assert_scope_refused(response):
    assert response.status_code == 403
    body = response.json()
    assert set(body) <= {"detail", "errors"} and '"sensitive" scope' in body["detail"]


def test_plain_token_cannot_erase_and_nothing_changes(clinic, erasure, make_api):
    """REQ-27: erasure cannot be undone; a token for everyday work may not start it."""
    api = make_api(clinic, "owner")
    before = _privacy_state(erasure)
    _assert_scope_refused(api.post(f"privacy-requests/{erasure.pk}/erase"))
    assert _privacy_state(erasure) == before
    # The same refusal for an id that does not exist: nothing is looked up first.
    _assert_scope_refused(api.post("privacy-requests/999999/erase"))


def test_plain_token_cannot_answer_a_request_and_nothing_changes(
    clinic, owner, make_person, make_api
):
    """REQ-24: answering releases personal data; a plain token may not."""
    person = make_person(owner, email="access@example.com")
    request = request_create(actor=owner, person_id=person.pk, kind="access")
    api = make_api(clinic, "owner")
    before = _privacy_state(request)
    _assert_scope_refused(api.post(f"privacy-requests/{request.pk}/answer", {"delivery": "link"}))
    assert _privacy_state(request) == before
    # Everyday work goes on with the same token.
    assert api.get(f"privacy-requests/{request.pk}").status_code == 200


def test_sensitive_token_can_answer_request(clinic, owner, make_person, make_api):
    person = make_person(owner, email="access@example.com")
    request = request_create(actor=owner, person_id=person.pk, kind="access")
    api = make_api(clinic, "owner", scopes="sensitive")
    response = api.post(f"privacy-requests/{request.pk}/answer", {"delivery": "link"})
    assert response.status_code == 200
    assert response.json()["answered"] is True


def test_sensitive_token_can_erase(clinic, erasure, make_api):
    api = make_api(clinic, "owner", scopes="sensitive")
    response = api.post(f"privacy-requests/{erasure.pk}/erase")
    assert response.status_code == 200 and response.json()["applied"] is True


def test_sensitive_scope_gives_no_role_a_right_it_lacks(clinic, erasure, make_api):
    desk = make_api(clinic, "receptionist", scopes="sensitive")
    before = _privacy_state(erasure)
    response = desk.post(f"privacy-requests/{erasure.pk}/erase")
    assert response.status_code == 403 and "scope" not in response.json()["detail"]
    assert _privacy_state(erasure) == before


# --- The tokens page ----------------------------------------------------------------------


def test_staff_member_creates_a_token_and_sees_the_secret_once(clinic, make_staff):
    user = make_staff(clinic, "receptionist")
    page = _signed_in(user)
    created = page.post(TOKENS, {"name": "Kassasystem"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    secret = created.context["new_token"]
    assert secret.startswith("prk_") and secret in created.content.decode()
    assert (token.name, token.scopes, token.clinic_id) == ("Kassasystem", "", clinic.pk)
    assert ApiClient(secret).get("persons").status_code == 200

    listing = page.get(TOKENS).content.decode()
    assert "Kassasystem" in listing and token.prefix in listing
    assert secret not in listing  # never again
    assert "last used" in listing.lower()
    row = AccessLogEntry.objects.get(object_type="api_token", action="create")
    assert row.object_id == str(token.pk) and row.user_id == user.pk and row.channel == "ui"


def test_a_bad_name_is_a_form_error_that_keeps_what_was_typed(clinic, make_staff):
    page = _signed_in(make_staff(clinic, "receptionist"), language="sv")
    typed = "Kassa\u202eetsyS"  # a bidi override would spoof the name in the list
    response = page.post(TOKENS, {"name": typed})
    assert response.status_code == 422
    assert response.context["errors"]["name"]
    assert response.context["values"]["name"] == typed
    assert not ApiToken.objects.exists()


def test_sensitive_token_is_created_only_after_the_password_again(clinic, make_staff):
    user = make_staff(clinic, "owner")
    page = _signed_in(user)
    session = page.session
    session[SESSION_AUTH_AT] -= 3600
    session.save()
    asked = page.post(TOKENS, {"name": "Integration", "scopes": "sensitive"})
    assert asked.status_code == 200 and "Confirm it is you" in asked.content.decode()
    assert not ApiToken.objects.exists()
    # Everyday tokens need no password.
    assert page.post(TOKENS, {"name": "Läsning"}).status_code == 200
    assert ApiToken.objects.get().scopes == ""
    confirmed = page.post(
        TOKENS, {"name": "Integration", "scopes": "sensitive", "_reauth_password": PASSWORD}
    )
    assert confirmed.status_code == 200 and confirmed.context["new_token"]
    assert ApiToken.objects.get(name="Integration").scopes == "sensitive"


def test_owner_sees_and_revokes_receptionists_token(clinic, owner, make_staff):
    desk = make_staff(clinic, "receptionist")
    secret, token = _issue(clinic, desk, name="Kassa")
    page = _signed_in(owner.user)
    listing = page.get(TOKENS)
    assert [t.pk for t in listing.context["others"]] == [token.pk]
    assert page.post(f"{TOKENS}{token.pk}/revoke/").status_code == 302
    _assert_401(ApiClient(secret).get("persons"))
    assert AccessLogEntry.objects.get(object_type="api_token", action="update").user_id == (
        owner.user.pk
    )


def test_receptionist_cannot_revoke_others_token(clinic, owner, make_staff):
    """Another member's token is not found for a receptionist (nor listed), and stays."""
    secret, token = _issue(clinic, owner.user)
    desk = _signed_in(make_staff(clinic, "receptionist"))
    assert token.prefix not in desk.get(TOKENS).content.decode()
    before = (_tokens_state(), AccessLogEntry.objects.count())
    assert desk.post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    assert (_tokens_state(), AccessLogEntry.objects.count()) == before
    assert ApiClient(secret).get("persons").status_code == 200


def test_other_clinic_token_id_is_404(clinic, other_clinic, make_staff):
    secret, token = _issue(clinic, make_staff(clinic, "receptionist"))
    outsider = _signed_in(make_staff(other_clinic, "owner", email="owner@annan.test"))
    before = (_tokens_state(), AccessLogEntry.objects.count())
    assert outsider.post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    assert outsider.post(f"{TOKENS}{2**63}/revoke/").status_code == 404
    assert token.prefix not in outsider.get(TOKENS).content.decode()
    assert (_tokens_state(), AccessLogEntry.objects.count()) == before
    assert ApiClient(secret).get("persons").status_code == 200


def test_revoking_twice_changes_nothing(clinic, make_staff):
    user = make_staff(clinic, "receptionist")
    _secret, token = _issue(clinic, user)
    page = _signed_in(user)
    page.post(f"{TOKENS}{token.pk}/revoke/")
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    assert page.post(f"{TOKENS}{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert AccessLogEntry.objects.filter(object_type="api_token", action="update").count() == 1


# --- Last use ------------------------------------------------------------------------------


def _token_writes(api) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("persons").status_code == 200
    return sum(1 for q in ctx.captured_queries if q["sql"].startswith('UPDATE "clinics_apitoken"'))


def test_last_use_is_written_at_most_once_a_minute(clinic, make_staff):
    secret, token = _issue(clinic, make_staff(clinic, "receptionist"))
    api = ApiClient(secret)
    assert _token_writes(api) == 1
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert _token_writes(api) == 0  # within the minute: not written again
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    assert _token_writes(api) == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


# --- The command line ---------------------------------------------------------------------


def test_issue_token_takes_days_and_scope_and_prints_only_the_token(clinic, make_staff):
    make_staff(clinic, "owner")
    out = io.StringIO()
    call_command("issue-token", "owner@test-optik.test", days=7, scope="sensitive", stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("prk_") and "\n" not in secret and " " not in secret
    token = ApiToken.objects.get()
    assert token.scopes == "sensitive"
    assert token.expires_at - timezone.now() <= timedelta(days=7)
    row = AccessLogEntry.objects.get(object_type="api_token")
    assert row.channel == "cli" and "scope=sensitive" in row.detail


def test_actor_of_a_token_carries_its_scopes(clinic, make_staff):
    from praksis.clinics.services import actor_for_token

    secret, _token = _issue(clinic, make_staff(clinic, "owner"), scopes="sensitive")
    actor = actor_for_token(secret)
    assert isinstance(actor, Actor)
    assert (actor.channel, actor.scopes, actor.role) == ("api", frozenset({"sensitive"}), "owner")


# --- Tokens issued before expiry existed --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_tokens_from_before_expiry_get_the_full_period_from_the_upgrade(make_clinic, make_staff):
    """The data migration: an old token is not cut off by the upgrade itself (its holder
    would only learn of it from 401s), but ends within PRAKSIS_API_TOKEN_DAYS of it."""
    from django.db.migrations.executor import MigrationExecutor

    clinic = make_clinic("optician")
    user = make_staff(clinic, "owner")
    before = [("clinics", "0002_api_token_expiry_and_scope")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("clinics", "ApiToken")
        issued = timezone.now() - timedelta(days=400)
        old.objects.create(
            clinic_id=clinic.pk, user_id=user.pk, token_hash="a" * 64, prefix="prk_old",
            created_at=issued, expires_at=None,
        )  # fmt: skip
    finally:
        # Back to the newest state of every app (later tests need every migration).
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    token = ApiToken.objects.get(prefix="prk_old")
    remaining = token.expires_at - timezone.now()
    assert timedelta(days=89, hours=23) < remaining <= timedelta(days=90)
