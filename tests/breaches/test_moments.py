"""Every moment in the breach register is a real one: from the year 2000 to now.

A breach "discovered" in year 1 (or 9999) gets a field error on the API and in the form,
never a 500 and never a 72-hour clock that cannot be computed; the database refuses such
rows too (REQ-31).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from praksis.breaches.models import AffectedPerson, Breach
from praksis.breaches.services import affected_from_access_log, breach_mark_notified
from praksis.core.errors import ValidationFailed
from tests.conftest import speaks


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00",
        "1999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59",
    ],
)
def test_req31_a_breach_discovered_outside_2000_to_now_is_422(clinic, make_api, moment):
    response = make_api(clinic, "owner").post(
        "breaches", {"description": "Printout left on the bus", "discovered_at": moment}
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert list(body["errors"]) == ["discovered_at"]
    assert moment not in response.content.decode()  # the input is not echoed
    assert not Breach.objects.exists()


def test_req31_a_breach_discovered_on_the_first_day_of_2000_is_accepted(clinic, make_api):
    response = make_api(clinic, "owner").post(
        "breaches", {"description": "Old paper records found", "discovered_at": "2000-01-01T00:00Z"}
    )
    assert response.status_code == 201, response.content


def test_req31_the_form_explains_the_year_and_keeps_what_was_typed(clinic, owner):
    client = Client()
    client.force_login(speaks(owner.user, "en"))
    response = client.post(
        "/staff/breaches/new/",
        {"description": "Laptop stolen from the car", "discovered_at": "0001-01-01T09:00"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter a time from the year 2000 on." in page
    assert "Laptop stolen from the car" in page and 'value="0001-01-01T09:00"' in page
    assert not Breach.objects.exists()


@pytest.mark.parametrize(
    ("notified_at", "field"),
    [("0001-01-01T00:00", "notified_at"), ("9999-12-31T23:59-05:00", "notified_at")],
)
def test_req31_the_authority_cannot_be_told_in_year_1_or_9999(owner, breach, notified_at, field):
    with pytest.raises(ValidationFailed) as refused:
        breach_mark_notified(actor=owner, breach_id=breach.pk, notified_at=notified_at)
    assert list(refused.value.errors) == [field]
    breach.refresh_from_db()
    assert breach.authority_notified_at is None


def test_req31_the_notified_form_answers_a_field_error(clinic, owner, breach):
    client = Client()
    client.force_login(speaks(owner.user, "en"))
    response = client.post(
        f"/staff/breaches/{breach.pk}/notified/",
        {"notified_at": "0001-01-01T00:00", "reference": "IMY-1", "late_reason": ""},
    )
    assert response.status_code == 422
    assert "Enter a time from the year 2000 on." in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00", "2025-01-01T00:00", "start"),
        ("2025-01-01T00:00", "9999-12-31T23:59-05:00", "end"),
    ],
)
def test_req31_finding_affected_persons_refuses_an_impossible_window(
    owner, breach, start, end, field
):
    with pytest.raises(ValidationFailed) as refused:
        affected_from_access_log(
            actor=owner, breach_id=breach.pk, user_id=owner.user.pk, start=start, end=end
        )
    assert list(refused.value.errors) == [field]
    assert not AffectedPerson.objects.exists()


def test_req31_the_window_may_end_later_today(owner, breach):
    end = timezone.localtime(timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    added = affected_from_access_log(
        actor=owner, breach_id=breach.pk, user_id=owner.user.pk, start="2025-01-01T00:00", end=end
    )
    assert added == []


@pytest.mark.parametrize("value", ["²", "1" * 30, "-3"])
def test_req31_estimates_must_be_plain_whole_numbers(clinic, make_api, value):
    response = make_api(clinic, "owner").post(
        "breaches",
        {"description": "x", "discovered_at": "2025-01-01T00:00", "approx_persons": value},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["approx_persons"]


def test_req31_the_database_refuses_a_discovery_before_2000(breach):
    with pytest.raises(IntegrityError), transaction.atomic():
        Breach.objects.filter(pk=breach.pk).update(discovered_at=datetime(1999, 12, 31, tzinfo=UTC))


def test_req31_the_database_refuses_a_notification_before_the_discovery(breach):
    before = breach.discovered_at - timedelta(minutes=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Breach.objects.filter(pk=breach.pk).update(authority_notified_at=before)
    Breach.objects.filter(pk=breach.pk).update(authority_notified_at=breach.discovered_at)
