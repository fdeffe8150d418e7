"""Erasure from the privacy-request dashboard and the API (REQ-27, REQ-24): the owner sees
the plan, confirms it, and the requester gets the reasoned answer; nobody else may."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from praksis.journal.models import JournalEntry
from praksis.messaging.models import OutboxMessage
from praksis.people.models import Person
from praksis.privacy.models import DataSubjectRequest
from tests.privacy import test_erasure
from tests.privacy.test_erasure import EMAIL, LAST

pytestmark = pytest.mark.django_db
build = test_erasure.build  # the fixture: a person with a record of every kind


def _state(world):
    person = Person.objects.get(pk=world.person.pk)
    request = DataSubjectRequest.objects.get(pk=world.request.pk)
    return (
        person.first_name, person.last_name, person.email, person.restricted_at,
        request.status, request.answer, JournalEntry.objects.count(),
        OutboxMessage.objects.count(),
    )  # fmt: skip


def test_api_plan_is_dry_then_erase_answers(build, make_api):
    """GET erasure-plan changes nothing; POST erase applies it and returns plan + answer."""
    world = build("optician")
    owner = make_api(world.clinic, "owner", scopes="sensitive")
    before = _state(world)
    response = owner.get(f"privacy-requests/{world.request.pk}/erasure-plan")
    assert response.status_code == 200
    body = response.json()
    decisions = {d["record_type"]: d for d in body["decisions"]}
    assert decisions["journal"]["action"] == "keep"
    assert decisions["journal"]["kept_until"] and "patientdatalagen" in decisions["journal"]["law"]
    assert decisions["accounting"]["action"] == "keep"  # invoices stay as issued (REQ-06)
    assert decisions["accounting"]["restricted"] and decisions["accounting"]["kept_until"]
    assert decisions["appointments"]["action"] == "delete"
    assert body["applied"] is False and body["answer"] == ""
    assert _state(world) == before

    done = owner.post(f"privacy-requests/{world.request.pk}/erase")
    assert done.status_code == 200
    result = done.json()
    assert result["applied"] is True
    assert decisions["journal"]["kept_until"] in result["answer"]
    assert "IMY" in result["answer"]
    request = DataSubjectRequest.objects.get(pk=world.request.pk)
    assert request.status == "completed" and request.answer == result["answer"]
    again = owner.post(f"privacy-requests/{world.request.pk}/erase")
    assert again.status_code == 409


def test_api_refuses_receptionist_and_other_clinics(build, make_api, make_clinic):
    """Receptionist: 403; another clinic's owner: 404 — and nothing changes."""
    world = build("therapy")
    before = _state(world)
    desk = make_api(world.clinic, "receptionist", scopes="sensitive")
    outsider = make_api(make_clinic("other"), "owner", scopes="sensitive")
    for path in ("erasure-plan", "erase"):
        url = f"privacy-requests/{world.request.pk}/{path}"
        call = desk.get if path == "erasure-plan" else desk.post
        assert call(url).status_code == 403
        call = outsider.get if path == "erasure-plan" else outsider.post
        response = call(url)
        assert response.status_code == 404 and LAST not in response.content.decode()
    assert _state(world) == before


def test_api_only_erasure_requests(build, make_api):
    from praksis.privacy.requests import request_create

    world = build("therapy")
    access = request_create(actor=world.owner, person_id=world.person.pk, kind="access")
    owner = make_api(world.clinic, "owner", scopes="sensitive")
    assert owner.get(f"privacy-requests/{access.pk}/erasure-plan").status_code == 409
    assert owner.post(f"privacy-requests/{access.pk}/erase").status_code == 409


def test_staff_page_plan_confirm_and_answer(build, make_staff):
    """The dashboard links to the plan; the confirm button (POST, CSRF) erases and the page
    then shows the answer; the requester's link shows it too."""
    world = build("therapy")
    ui = Client(enforce_csrf_checks=True)
    ui.force_login(world.owner.user)
    dashboard = ui.get("/staff/privacy-requests/").content.decode()
    url = f"/staff/privacy-requests/{world.request.pk}/erasure/"
    assert url in dashboard
    page = ui.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="erasure-plan"' in html and 'id="erasure-confirm"' in html
    assert 'data-record-type="journal"' in html
    # Without the CSRF token the POST is refused and nothing happens.
    assert ui.post(url).status_code == 403
    assert Person.objects.get(pk=world.person.pk).email == EMAIL
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    done = ui.post(url, {"csrfmiddlewaretoken": token})
    assert done.status_code == 302 and done["Location"] == url
    after = ui.get(url).content.decode()
    assert 'id="erasure-answer"' in after and "IMY" in after
    assert Person.objects.get(pk=world.person.pk).email == ""
    # The requester reads the answer through the link e-mailed before the address went.
    mail = OutboxMessage.objects.get(related_type="privacy_request", related_id=world.request.pk)
    link = re.search(r"https?://\S+/privacy/answer/\S+/", mail.body).group(0)
    answer_page = Client().get("/" + link.split("://", 1)[1].split("/", 1)[1] + "?lang=en")
    assert answer_page.status_code == 200 and "IMY" in answer_page.content.decode()


def test_staff_page_is_for_the_owner(build, make_staff, make_clinic):
    world = build("therapy")
    url = f"/staff/privacy-requests/{world.request.pk}/erasure/"
    desk = Client()
    desk.force_login(make_staff(world.clinic, "receptionist"))
    assert desk.get(url).status_code == 403
    assert desk.post(url).status_code == 403
    outsider = Client()
    outsider.force_login(make_staff(make_clinic("other"), "owner", email="o@annan.test"))
    assert outsider.get(url).status_code == 404
    assert outsider.post(url).status_code == 404
    assert Person.objects.get(pk=world.person.pk).email == EMAIL


def test_staff_page_shows_a_blocker_instead_of_the_button(build):
    from praksis.privacy.services import consent_give

    world = build("therapy")
    consent_give(
        actor=world.owner, person_id=world.person.pk, purpose="photos", text_version="v1",
        text_shown="Photos of me may be shown on social media.",
    )  # fmt: skip
    ui = Client()
    ui.force_login(world.owner.user)
    html = ui.get(f"/staff/privacy-requests/{world.request.pk}/erasure/").content.decode()
    assert 'id="erasure-blockers"' in html and 'id="erasure-confirm"' not in html
    response = ui.post(f"/staff/privacy-requests/{world.request.pk}/erasure/")
    assert response.status_code == 409
    assert Person.objects.get(pk=world.person.pk).email == EMAIL
