"""The recall API and the staff call list page, for every role and across clinics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.recall.models import CallAttempt, Recall
from praksis.recall.selectors import add_months, local_today
from praksis.recall.services import recall_set
from tests.conftest import speaks


@pytest.fixture
def due(owner, greta):
    return recall_set(
        actor=owner,
        person=greta,
        due_date=local_today(greta.clinic) + timedelta(days=7),
        reason="eye examination",
    )


def test_api_sets_a_persons_recall_by_interval_or_date(clinic, make_api, greta):
    api = make_api(clinic, "practitioner")
    response = api.post(f"persons/{greta.pk}/recall", {"interval_months": 24, "reason": "syn"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["due_date"] == add_months(local_today(clinic), 24).isoformat()
    assert (body["person"], body["animal"], body["status"]) == (greta.pk, None, "active")
    wanted = (local_today(clinic) + timedelta(days=90)).isoformat()
    response = api.post(f"persons/{greta.pk}/recall", {"due_date": wanted})
    assert response.json()["due_date"] == wanted
    assert Recall.objects.filter(status="active").count() == 1


def test_api_sets_an_animals_recall(vet, make_api):
    clinic, _actor, dog, _primary, _second = vet
    api = make_api(clinic, "receptionist")
    response = api.post(f"animals/{dog.pk}/recall", {"interval_months": 12, "reason": "vaksine"})
    assert response.status_code == 201
    assert (response.json()["animal"], response.json()["person"]) == (dog.pk, None)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "interval_months"),
        ({"interval_months": "twelve"}, "interval_months"),
        ({"interval_months": 500}, "interval_months"),
        ({"due_date": "31/12/2027"}, "due_date"),
    ],
)
def test_api_bad_input_is_422_with_field_errors(clinic, make_api, greta, payload, field):
    response = make_api(clinic, "owner").post(f"persons/{greta.pk}/recall", payload)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Recall.objects.exists()


def test_api_call_list_and_attempts(clinic, make_api, due, greta):
    api = make_api(clinic, "receptionist")
    listed = api.get("recall/call-list")
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["person"], item["name"], item["phone"]) == (
        due.pk, greta.pk, "Greta Wikander", greta.phone,
    )  # fmt: skip
    assert item["reason"] == "eye examination" and item["attempts"] == []

    later = (local_today(clinic) + timedelta(days=3)).isoformat()
    response = api.post(
        f"recall/{due.pk}/attempts", {"outcome": "call_later", "call_back_on": later}
    )
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "call_later"
    assert api.get("recall/call-list").json()["count"] == 0  # called today
    again = api.get("recall/call-list", include_contacted="true").json()
    assert again["items"][0]["call_on"] == later

    response = api.post(f"recall/{due.pk}/attempts", {"outcome": "declined"})
    assert response.status_code == 201
    due.refresh_from_db()
    assert due.status == "closed"


def test_api_call_list_bad_dates(clinic, make_api):
    api = make_api(clinic, "receptionist")
    response = api.get("recall/call-list", **{"from": "2027-13-01"})
    assert response.status_code == 422 and "from" in response.json()["errors"]
    response = api.get("recall/call-list", **{"from": "2027-01-10", "to": "2027-01-01"})
    assert response.status_code == 422 and "to" in response.json()["errors"]
    response = api.post("recall/1/attempts", {"outcome": "no_answer", "call_back_on": 5})
    assert response.status_code == 422


def test_api_another_clinic_gets_404_and_nothing_changes(due, greta, vet, make_clinic, make_api):
    _clinic, _actor, dog, _primary, _second = vet
    api = make_api(make_clinic("dental"), "owner")
    assert api.get("recall/call-list").json() == {"items": [], "count": 0}
    assert api.post(f"recall/{due.pk}/attempts", {"outcome": "declined"}).status_code == 404
    assert api.post(f"persons/{greta.pk}/recall", {"interval_months": 1}).status_code == 404
    assert api.post(f"animals/{dog.pk}/recall", {"interval_months": 1}).status_code == 404
    due.refresh_from_db()
    assert due.status == "active" and not CallAttempt.objects.exists()
    assert Recall.objects.count() == 1


@pytest.fixture
def desk(clinic, make_staff):
    client = Client()
    client.force_login(speaks(make_staff(clinic, "receptionist"), "en"))
    return client


def test_page_lists_and_records_a_call(clinic, desk, due, greta):
    page = desk.get("/staff/recall/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Greta Wikander" in body
    assert f'href="tel:{greta.phone}"' in body
    assert f'href="/staff/persons/{greta.pk}/"' in body
    assert f'action="/staff/recall/{due.pk}/attempts/"' in body
    assert due.due_date.isoformat() in body and "eye examination" in body

    today = local_today(clinic).isoformat()
    response = desk.post(
        f"/staff/recall/{due.pk}/attempts/",
        {"outcome": "no_answer", "note": "voicemail", "from": today, "to": today},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"/staff/recall/?from={today}&to={today}")
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.note) == ("no_answer", "voicemail")
    page = desk.get("/staff/recall/?contacted=1").content.decode()
    assert "No answer" in page and "voicemail" in page


def test_page_shows_errors_and_changes_nothing(desk, due):
    response = desk.post(f"/staff/recall/{due.pk}/attempts/", {"outcome": "call_later"})
    assert response.status_code == 302 and "error=" in response["Location"]
    page = desk.get(response["Location"]).content.decode()
    assert "Say when to call back." in page
    assert not CallAttempt.objects.exists()


def test_page_refuses_another_clinics_recall(due, make_clinic, make_staff):
    client = Client()
    client.force_login(make_staff(make_clinic("other"), "receptionist", email="r@annan.test"))
    assert (
        client.post(f"/staff/recall/{due.pk}/attempts/", {"outcome": "declined"}).status_code == 404
    )
    body = client.get("/staff/recall/").content.decode()
    assert "Wikander" not in body
    due.refresh_from_db()
    assert due.status == "active"


def test_summary_include_shows_the_date_and_reason_only(due):
    from django.template.loader import render_to_string

    html = render_to_string("recall/_summary.html", {"recall": due})
    assert due.due_date.isoformat() in html and "eye examination" in html
    assert render_to_string("recall/_summary.html", {"recall": None}).strip() == ""


def test_api_writes_are_logged_with_the_api_channel(clinic, make_api, greta):
    make_api(clinic, "receptionist").post(f"persons/{greta.pk}/recall", {"interval_months": 6})
    row = AccessLogEntry.objects.filter(object_type="recall").get()
    assert (row.action, row.channel, row.person_id) == ("create", "api", greta.pk)
