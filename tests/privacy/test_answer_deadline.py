"""REQ-24: a clinic may promise a shorter answer time for data-subject requests than the
law's one calendar month, never a longer one. The tracker's due date is whichever comes
first; the owner sets the promise on the privacy requests' answer-time page; the published
privacy notice states it; the veterinary seed (policy 002: "senest innen 30 dager")
promises 30 days."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.clinics.models import Clinic
from praksis.clinics.selectors import forget_clinic
from praksis.privacy.deadline import answer_due
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import add_months
from praksis.processing.services import notice_publish
from tests.conftest import speaks

PAGE = "/staff/privacy-requests/deadline/"


def _promise(clinic, days):
    Clinic.objects.filter(pk=clinic.pk).update(request_answer_days=days)
    forget_clinic(clinic.slug)  # the public pages' cache of clinics
    clinic.refresh_from_db()
    return clinic


def _today(clinic) -> date:
    return timezone.now().astimezone(clinic.zone).date()


@pytest.mark.parametrize(
    ("days", "received", "due"),
    [
        (None, date(2026, 3, 1), date(2026, 4, 1)),  # the law's month
        (30, date(2026, 3, 1), date(2026, 3, 31)),  # 30 days come before 1 April
        (30, date(2026, 1, 31), date(2026, 2, 28)),  # February: the month is shorter
        (30, date(2028, 1, 31), date(2028, 2, 29)),
        (10, date(2026, 12, 25), date(2027, 1, 4)),
        (1, date(2026, 6, 30), date(2026, 7, 1)),
    ],
)
def test_req24_due_is_the_earlier_of_the_month_and_the_promise(clinic, days, received, due):
    assert answer_due(_promise(clinic, days), received) == due


def test_req24_a_request_taken_by_staff_is_due_by_the_clinics_promise(
    clinic, make_api, make_actor, make_person
):
    _promise(clinic, 10)
    person = make_person(make_actor(clinic, "practitioner"))
    desk = make_api(clinic, "receptionist")
    created = desk.post("privacy-requests", {"person": person.pk, "kind": "access"})
    assert created.status_code == 201, created.json()
    received = date.fromisoformat(created.json()["received_at"][:10])
    expected = min(add_months(received, 1), date.fromordinal(received.toordinal() + 10))
    assert created.json()["due_date"] == expected.isoformat()


def test_req24_a_public_request_is_due_by_the_clinics_promise(clinic, make_actor, make_person):
    _promise(clinic, 5)
    person = make_person(make_actor(clinic, "owner"), email="greta@example.se")
    response = Client().post(
        f"/{clinic.slug}/privacy/request",
        {"contact": "greta@example.se", "kind": "access", "lang": "en"},
    )
    assert response.status_code == 200
    assert "we answer within 5 days" in response.content.decode()
    request = DataSubjectRequest.objects.get(person=person)
    received = request.received_at.astimezone(clinic.zone).date()
    assert request.due_date == answer_due(clinic, received)
    assert (request.due_date - received).days <= 5


def test_req24_other_clinics_keep_the_laws_month(clinic, other_clinic, make_api):
    _promise(clinic, 3)
    assert other_clinic.request_answer_days is None
    today = _today(other_clinic)
    assert answer_due(other_clinic, today) == add_months(today, 1)


def _owner_page(clinic, make_staff, role="owner"):
    client = Client()
    client.force_login(speaks(make_staff(clinic, role), "en"))
    return client


def test_req24_the_owner_sets_a_shorter_promise_and_it_is_logged(clinic, make_staff):
    owner = _owner_page(clinic, make_staff)
    page = owner.get(PAGE)
    assert page.status_code == 200
    assert "one calendar month" in page.content.decode()
    saved = owner.post(PAGE, {"request_answer_days": " 14 "})
    assert saved.status_code == 302
    clinic.refresh_from_db()
    assert clinic.request_answer_days == 14
    body = owner.get(saved["Location"]).content.decode()
    assert "We promise an answer within 14 days." in body
    row = AccessLogEntry.objects.filter(clinic=clinic, object_type="clinic").latest("at")
    assert (row.action, row.detail) == ("update", "request_answer_days=14")
    # The requests page says how requests are now due.
    listing = owner.get("/staff/privacy-requests/").content.decode()
    assert "within 14 days as we promise" in listing
    # Empty: back to the law's month.
    assert owner.post(PAGE, {"request_answer_days": ""}).status_code == 302
    clinic.refresh_from_db()
    assert clinic.request_answer_days is None


@pytest.mark.parametrize("typed", ["31", "45", "0", "-3", "two weeks", "1.5", "9999"])
def test_req24_a_longer_or_unreadable_promise_is_refused_and_the_input_kept(
    clinic, make_staff, typed
):
    _promise(clinic, 20)
    owner = _owner_page(clinic, make_staff)
    response = owner.post(PAGE, {"request_answer_days": typed})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a number of days from 1 to 30" in body
    assert 'aria-invalid="true"' in body
    assert f'value="{typed[:20]}"' in body  # what was typed stays in the form
    clinic.refresh_from_db()
    assert clinic.request_answer_days == 20  # unchanged


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_req24_only_the_owner_changes_the_promise(clinic, make_staff, role):
    client = _owner_page(clinic, make_staff, role)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"request_answer_days": "3"}).status_code == 403
    clinic.refresh_from_db()
    assert clinic.request_answer_days is None


def test_req24_another_clinics_owner_changes_only_their_own(clinic, other_clinic, make_staff):
    owner = _owner_page(other_clinic, make_staff)
    assert owner.post(PAGE, {"request_answer_days": "7"}).status_code == 302
    clinic.refresh_from_db()
    other_clinic.refresh_from_db()
    assert (clinic.request_answer_days, other_clinic.request_answer_days) == (None, 7)


def test_req24_the_published_notice_states_the_promise(clinic, owner):
    notice_publish(actor=owner, summary="")
    page = Client().get(f"/{clinic.slug}/privacy?lang=en").content.decode()
    assert "we answer within one month" in page
    _promise(clinic, 30)
    owner.clinic.request_answer_days = 30
    published = notice_publish(actor=owner, summary="Svar inom 30 dagar.")
    assert published.notice.version == 2  # the promise is news: a new version
    page = Client().get(f"/{clinic.slug}/privacy?lang=en").content.decode()
    assert "we answer within 30 days, and never later than one calendar month" in page
    old = Client().get(f"/{clinic.slug}/privacy?lang=en&version=1").content.decode()
    assert "we answer within one month" in old  # the earlier version as it was


def test_req24_the_veterinary_demo_clinic_promises_30_days_as_its_policy_does():
    from praksis.site.demo import DEMO_CLINICS

    vet = next(c for c in DEMO_CLINICS if c["slug"] == "fjord-dyreklinikk")
    assert vet["request_answer_days"] == 30
    others = [c for c in DEMO_CLINICS if c["slug"] != "fjord-dyreklinikk"]
    assert all("request_answer_days" not in c for c in others)
