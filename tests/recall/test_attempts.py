"""Recording calls: each outcome, what it does to the recall, and what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.core.errors import Conflict, ValidationFailed
from praksis.people.models import Person
from praksis.recall.models import CallAttempt
from praksis.recall.selectors import local_today
from praksis.recall.services import call_attempt_record, recall_set


@pytest.fixture
def recall(owner, greta):
    return recall_set(actor=owner, person=greta, interval_months=12, reason="eye examination")


def test_no_answer_keeps_the_recall_and_is_logged(receptionist, recall, greta):
    attempt = call_attempt_record(
        actor=receptionist, recall_id=recall.pk, outcome="no_answer", note="  rang  twice "
    )
    recall.refresh_from_db()
    assert recall.status == "active"
    assert (attempt.outcome, attempt.note, attempt.user_id) == (
        "no_answer", "rang twice", receptionist.user.pk,
    )  # fmt: skip
    row = AccessLogEntry.objects.order_by("-seq").first()
    assert (row.action, row.object_type, row.object_id, row.person_id) == (
        "create", "recall_call", str(attempt.pk), greta.pk,
    )  # fmt: skip


@pytest.mark.parametrize("outcome", ["declined", "booked"])
def test_declined_and_booked_close_the_recall(receptionist, recall, outcome):
    call_attempt_record(actor=receptionist, recall_id=recall.pk, outcome=outcome)
    recall.refresh_from_db()
    assert (recall.status, recall.closed_reason) == ("closed", outcome)
    assert recall.closed_at is not None
    with pytest.raises(Conflict):
        call_attempt_record(actor=receptionist, recall_id=recall.pk, outcome="no_answer")
    assert CallAttempt.objects.count() == 1


def test_call_later_moves_the_call_date_not_the_due_date(receptionist, recall):
    due = recall.due_date
    later = local_today(recall.clinic) + timedelta(days=9)
    call_attempt_record(
        actor=receptionist, recall_id=recall.pk, outcome="call_later", call_back_on=later
    )
    recall.refresh_from_db()
    assert (recall.status, recall.call_on, recall.due_date) == ("active", later, due)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "call_later"}, "call_back_on"),
        ({"outcome": "call_later", "call_back_on": "tomorrow"}, "call_back_on"),
        ({"outcome": "call_later", "call_back_on": "2020-01-01"}, "call_back_on"),
        ({"outcome": "no_answer", "note": "x" * 301}, "note"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(receptionist, recall, values, field):
    with pytest.raises(ValidationFailed) as refused:
        call_attempt_record(actor=receptionist, recall_id=recall.pk, **values)
    assert field in refused.value.errors
    assert not CallAttempt.objects.exists()


def test_a_restricted_person_is_not_called(receptionist, recall, greta):
    Person.objects.filter(pk=greta.pk).update(restricted_at=timezone.now())
    with pytest.raises(Conflict):
        call_attempt_record(actor=receptionist, recall_id=recall.pk, outcome="no_answer")
    assert not CallAttempt.objects.exists()


def test_another_clinics_recall_is_not_found(recall, other_clinic, make_actor):
    outsider = make_actor(other_clinic, "owner")
    with pytest.raises(Http404):
        call_attempt_record(actor=outsider, recall_id=recall.pk, outcome="declined")
    recall.refresh_from_db()
    assert recall.status == "active" and not CallAttempt.objects.exists()
