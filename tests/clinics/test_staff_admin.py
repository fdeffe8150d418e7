"""The owner's staff administration, by API and on /staff/staff/: invite by e-mail with a
one-time link, change role, title and licence, deactivate (their sign-ins and tokens stop
at once, their history stays). Other roles 403, another clinic's staff 404, and nothing
changes when refused."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.clinics.models import ApiToken, Membership, SetupLink, User
from praksis.clinics.services import token_issue
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from tests.conftest import PASSWORD, ApiClient
from tests.smtp import smtp_server  # noqa: F401

LINK = re.compile(r"http://[^/\s]+(/staff/setup/[A-Za-z0-9_-]{43}/)")
INVITE = {"email": "Lisa.Berg@Example.se", "role": "practitioner", "name": "Lisa Berg",
          "title": "Legitimerad optiker", "licence": "1234 5678"}  # fmt: skip


def _member(clinic, email) -> Membership:
    return Membership.objects.select_related("user").get(clinic=clinic, user__email=email)


MEMBER_COLUMNS = ("pk", "role", "is_active", "user__full_name", "user__title",
                  "user__hpr_number", "user__password", "user__is_active")  # fmt: skip


def _state(clinic) -> tuple:
    return (
        list(Membership.objects.filter(clinic=clinic).order_by("pk").values_list(*MEMBER_COLUMNS)),
        User.objects.count(),
        SetupLink.objects.count(),
        OutboxMessage.objects.count(),
        list(ApiToken.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "revoked_at")),
    )


def test_owner_lists_the_staff_with_role_title_and_licence(clinic, make_api, make_staff):
    api = make_api(clinic, "owner")
    desk = make_staff(clinic, "receptionist")
    User.objects.filter(pk=desk.pk).update(title="Receptionist", hpr_number="987654")
    response = api.get("staff")
    assert response.status_code == 200
    items = {item["email"]: item for item in response.json()["items"]}
    assert response.json()["count"] == 2
    assert items["receptionist@test-optik.test"] == {
        "id": _member(clinic, "receptionist@test-optik.test").pk,
        "email": "receptionist@test-optik.test", "name": "Receptionist of Test Optik",
        "role": "receptionist", "title": "Receptionist", "licence": "987654", "active": True,
        "invited": False,
    }  # fmt: skip
    row = AccessLogEntry.objects.filter(clinic=clinic, object_type="membership").latest("at")
    assert (row.action, row.detail) == ("list", "count=2")


def test_an_invitation_reaches_a_real_mail_server_and_its_link_signs_the_new_member_in(
    clinic,
    make_api,
    smtp_server,  # noqa: F811
    settings,
):
    settings.PRAKSIS_REQUIRE_2FA = False
    api = make_api(clinic, "owner")
    response = api.post("staff", INVITE)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body | {"id": 0} == {
        "id": 0, "email": "lisa.berg@example.se", "name": "Lisa Berg", "role": "practitioner",
        "title": "Legitimerad optiker", "licence": "12345678", "active": True, "invited": True,
    }  # fmt: skip
    assert deliver_due().sent == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "lisa.berg@example.se"
    text = mail.get_content()
    assert "Test Optik" in text
    assert "http://testserver/staff/setup/" in text  # where the owner reached the server
    path = LINK.search(text).group(1)

    client = Client()
    assert client.get(path).status_code == 200
    response = client.post(
        path, {"name": "Lisa Berg", "password": "Glasögon i ordning 7", "password_confirm":
               "Glasögon i ordning 7"}
    )  # fmt: skip
    assert response.status_code == 302
    assert client.get("/staff/persons/").status_code == 200  # signed in, in this clinic
    assert api.get(f"staff/{body['id']}").json()["invited"] is False
    assert client.get(path).status_code == 404  # once only


def test_someone_who_already_signs_in_elsewhere_is_told_without_a_link(
    clinic, other_clinic, make_api, make_staff
):
    user = make_staff(other_clinic, "practitioner", email="lisa.berg@example.se")
    password = user.password
    response = make_api(clinic, "owner").post("staff", INVITE)
    assert response.status_code == 201
    assert response.json()["invited"] is False
    assert not SetupLink.objects.filter(user=user).exists()  # nobody here sets their password
    message = OutboxMessage.objects.get(to_address="lisa.berg@example.se")
    assert "/staff/setup/" not in message.body and "/staff/login/" in message.body
    user.refresh_from_db()
    # Their account's name, title and licence are theirs: another clinic does not set them.
    assert (user.password, user.full_name, user.title) == (password, user.full_name, "")


def test_someone_invited_by_another_clinic_and_not_yet_signed_up_is_a_conflict(
    clinic, other_clinic, make_api
):
    assert make_api(other_clinic, "owner").post("staff", INVITE).status_code == 201
    api = make_api(clinic, "owner")
    before = _state(clinic)
    response = api.post("staff", INVITE)
    assert response.status_code == 409
    assert _state(clinic) == before


def test_inviting_again_sends_a_new_link_and_the_old_one_stops(clinic, make_api):
    api = make_api(clinic, "owner")
    api.post("staff", INVITE)
    first = LINK.search(OutboxMessage.objects.get().body).group(1)
    assert api.post("staff", INVITE | {"role": "receptionist"}).status_code == 201
    second = LINK.search(OutboxMessage.objects.latest("pk").body).group(1)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert _member(clinic, "lisa.berg@example.se").role == "receptionist"


def test_inviting_someone_already_working_here_is_a_conflict(clinic, make_api, make_staff):
    make_staff(clinic, "practitioner", email="lisa.berg@example.se")
    api = make_api(clinic, "owner")
    before = _state(clinic)
    response = api.post("staff", INVITE)
    assert response.status_code == 409
    assert _state(clinic) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "lisa.berg.example.se"),
        ("role", "admin"),
        ("name", ""),
        ("name", "Lisa \u202eBerg"),  # a bidi override
        ("title", "Optiker\u200b"),  # a zero-width space
        ("licence", "1234567890123"),
        ("licence", "12/34"),
    ],
)
def test_a_bad_invitation_is_a_field_error_that_never_repeats_it_and_changes_nothing(
    clinic, make_api, field, value
):
    api = make_api(clinic, "owner")
    before = _state(clinic)
    response = api.post("staff", INVITE | {field: value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    if len(value) > 4:
        assert value not in response.content.decode()
    assert _state(clinic) == before


def test_owner_changes_role_title_licence_and_name(clinic, make_api, make_staff):
    api = make_api(clinic, "owner")
    make_staff(clinic, "receptionist")
    member = _member(clinic, "receptionist@test-optik.test")
    response = api.patch(
        f"staff/{member.pk}",
        {"role": "practitioner", "title": "Optiker", "licence": "55-66", "name": "Sara Holm"},
    )
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("role", "title", "licence", "name")} == {
        "role": "practitioner", "title": "Optiker", "licence": "5566", "name": "Sara Holm",
    }  # fmt: skip
    row = AccessLogEntry.objects.filter(object_type="membership", action="update").get()
    assert row.detail == "changed=role,name,title,licence; role=practitioner"
    # The new role counts from the next request: the journal is open to a practitioner.
    token = token_issue(user=member.user, clinic=clinic)
    assert ApiClient(token).get("staff").status_code == 403


def test_the_last_active_owner_cannot_step_down_or_be_deactivated(clinic, make_api, make_staff):
    api = make_api(clinic, "owner")
    me = _member(clinic, "owner@test-optik.test")
    before = _state(clinic)
    assert api.patch(f"staff/{me.pk}", {"role": "practitioner"}).status_code == 409
    response = api.post(f"staff/{me.pk}/deactivate")
    assert response.status_code == 409
    assert "owner" in response.json()["detail"]
    assert _state(clinic) == before

    make_staff(clinic, "owner", email="second@test-optik.test")
    assert api.patch(f"staff/{me.pk}", {"role": "practitioner"}).status_code == 200


def test_deactivation_stops_sessions_and_tokens_at_once_and_keeps_the_history(
    clinic, make_api, make_staff
):
    api = make_api(clinic, "owner")
    vet = make_staff(clinic, "practitioner")
    member = _member(clinic, vet.email)
    token = ApiClient(token_issue(user=vet, clinic=clinic))
    assert token.get("persons").status_code == 200
    browser = Client()
    assert browser.post("/staff/login/", {"username": vet.email, "password": PASSWORD})
    assert browser.get("/staff/persons/").status_code == 200
    logged_before = AccessLogEntry.objects.filter(user_id=vet.pk).count()

    response = api.post(f"staff/{member.pk}/deactivate")
    assert response.status_code == 200
    assert response.json()["active"] is False

    assert token.get("persons").status_code == 401
    assert browser.get("/staff/persons/").status_code == 302  # signed out
    assert AccessLogEntry.objects.filter(user_id=vet.pk).count() == logged_before
    assert User.objects.filter(pk=vet.pk).exists()  # the history keeps its author
    listed = {i["email"]: i for i in api.get("staff").json()["items"]}
    assert listed[vet.email]["active"] is False


def test_a_member_working_elsewhere_keeps_their_own_name_and_licence(
    clinic, other_clinic, make_api, make_staff
):
    both = make_staff(clinic, "practitioner", email="both@example.se")
    make_staff(other_clinic, "practitioner", email="both@example.se")
    api = make_api(clinic, "owner")
    member = _member(clinic, both.email)
    before = _state(clinic)
    assert api.patch(f"staff/{member.pk}", {"licence": "999"}).status_code == 409
    assert _state(clinic) == before
    assert api.patch(f"staff/{member.pk}", {"role": "receptionist"}).status_code == 200


# --- Roles and tenancy ---------------------------------------------------------------


def _endpoints(member_id: int):
    return [
        ("get", "staff", None),
        ("post", "staff", INVITE),
        ("get", f"staff/{member_id}", None),
        ("patch", f"staff/{member_id}", {"role": "owner"}),
        ("post", f"staff/{member_id}/deactivate", None),
    ]


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_other_roles_may_not_see_or_manage_the_staff(clinic, make_api, make_staff, role):
    make_staff(clinic, "owner")
    api = make_api(clinic, role)
    target = _member(clinic, "owner@test-optik.test")
    before = _state(clinic)
    for method, path, data in _endpoints(target.pk):
        response = api.call(method, path, data)
        assert response.status_code == 403, (method, path)
    assert _state(clinic) == before


def test_another_clinics_staff_are_not_found_and_nothing_changes(
    clinic, other_clinic, make_api, make_staff
):
    make_staff(clinic, "practitioner")
    target = _member(clinic, "practitioner@test-optik.test")
    outsider = make_api(other_clinic, "owner")
    before = _state(clinic)
    for method, path, data in _endpoints(target.pk)[2:]:
        response = outsider.call(method, path, data)
        assert response.status_code == 404, (method, path)
    assert target.user.email not in str(outsider.get("staff").json())
    assert _state(clinic) == before


# --- The pages ----------------------------------------------------------------------


def _page_client(clinic, make_staff, role="owner") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_staff(clinic, role))
    return client


def test_owner_invites_edits_and_deactivates_on_the_staff_pages(clinic, make_staff):
    client = _page_client(clinic, make_staff)
    assert client.get("/staff/staff/").status_code == 200
    response = client.post("/staff/staff/", INVITE)
    assert response.status_code == 302
    member = _member(clinic, "lisa.berg@example.se")
    page = client.get("/staff/staff/").content.decode()
    assert f'href="/staff/staff/{member.pk}/"' in page and 'data-status="invited"' in page

    edit = client.get(f"/staff/staff/{member.pk}/")
    assert 'value="Legitimerad optiker"' in edit.content.decode()
    response = client.post(
        f"/staff/staff/{member.pk}/",
        {"name": "Lisa Berg", "role": "receptionist", "title": "", "licence": ""},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "receptionist"

    assert client.post(f"/staff/staff/{member.pk}/deactivate/").status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert not SetupLink.objects.filter(user=member.user, used_at=None).exists()


def test_the_staff_pages_keep_what_was_typed_and_explain_refusals(clinic, make_staff):
    client = _page_client(clinic, make_staff)
    before = _state(clinic)
    response = client.post("/staff/staff/", INVITE | {"licence": "12/34"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="Lisa.Berg@Example.se"' in body and 'id="err_licence"' in body

    me = _member(clinic, "owner@test-optik.test")
    response = client.post(
        f"/staff/staff/{me.pk}/",
        {"name": "Owner", "role": "receptionist", "title": "Chef", "licence": ""},
    )
    assert response.status_code == 409
    assert 'value="Chef"' in response.content.decode()
    response = client.post(f"/staff/staff/{me.pk}/deactivate/")
    assert response.status_code == 409
    assert _state(clinic) == before


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_other_roles_are_refused_the_staff_pages(clinic, make_staff, role):
    owner = make_staff(clinic, "owner")
    target = Membership.objects.get(user=owner, clinic=clinic)
    client = _page_client(clinic, make_staff, role)
    before = _state(clinic)
    for method, url in [
        ("get", "/staff/staff/"),
        ("post", "/staff/staff/"),
        ("get", f"/staff/staff/{target.pk}/"),
        ("post", f"/staff/staff/{target.pk}/"),
        ("post", f"/staff/staff/{target.pk}/deactivate/"),
    ]:
        data = INVITE if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 403, url
    assert _state(clinic) == before


def test_another_clinics_owner_finds_no_staff_page_of_ours(clinic, other_clinic, make_staff):
    make_staff(clinic, "practitioner")
    target = _member(clinic, "practitioner@test-optik.test")
    client = _page_client(other_clinic, make_staff)
    before = _state(clinic)
    assert client.get(f"/staff/staff/{target.pk}/").status_code == 404
    assert client.post(f"/staff/staff/{target.pk}/", {"role": "owner"}).status_code == 404
    assert client.post(f"/staff/staff/{target.pk}/deactivate/").status_code == 404
    assert _state(clinic) == before


def test_the_menu_offers_the_clinic_and_its_staff_to_the_owner_only(clinic, make_staff):
    owner = _page_client(clinic, make_staff).get("/staff/tokens/").content.decode()
    assert 'href="/staff/clinic/"' in owner and 'href="/staff/staff/"' in owner
    desk = _page_client(clinic, make_staff, "receptionist").get("/staff/tokens/")
    assert 'href="/staff/staff/"' not in desk.content.decode()


def test_the_staff_list_costs_the_same_for_3_or_20_members(clinic, make_api, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = make_api(clinic, "owner")
    page = _page_client(clinic, make_staff)

    def count(call) -> int:
        call()  # warm: the token's last use is written once a minute
        with CaptureQueriesContext(connection) as ctx:
            assert call().status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        make_staff(clinic, "receptionist", email=f"desk{i}@test-optik.test")
    few = (count(lambda: api.get("staff")), count(lambda: page.get("/staff/staff/")))
    for i in range(2, 19):
        make_staff(clinic, "receptionist", email=f"desk{i}@test-optik.test")
    assert (count(lambda: api.get("staff")), count(lambda: page.get("/staff/staff/"))) == few
