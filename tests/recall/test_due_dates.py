"""Setting a recall: the due date from the interval and the last visit, replacement, checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from praksis.core.errors import ValidationFailed
from praksis.recall.models import Recall
from praksis.recall.selectors import add_months, local_today, recall_for
from praksis.recall.services import recall_clear, recall_set


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 12, date(2027, 1, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 1), 24, date(2028, 12, 1)),
        (date(2026, 5, 31), 18, date(2027, 11, 30)),
    ],
)
def test_it_adds_months_clamping_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_due_date_counts_from_today_without_a_visit(clinic, practitioner, greta):
    recall = recall_set(
        actor=practitioner, person=greta, interval_months=24, reason="eye examination"
    )
    assert recall.due_date == add_months(local_today(clinic), 24)
    assert recall.call_on == recall.due_date
    assert (recall.status, recall.reason, recall.interval_months) == (
        "active",
        "eye examination",
        24,
    )


def test_due_date_counts_from_the_last_visit(clinic, practitioner, greta, past_visit):
    past_visit(greta, days_ago=400)
    latest = past_visit(greta, days_ago=40)
    past_visit(greta, days_ago=10, status="cancelled")  # not a visit
    recall = recall_set(actor=practitioner, person=greta, interval_months=12)
    visited = latest.start.astimezone(clinic.zone).date()
    assert recall.due_date == add_months(visited, 12)


def test_a_signed_journal_entry_sets_the_recall(clinic, practitioner, greta):
    from praksis.journal.services import entry_create

    entry = entry_create(
        actor=practitioner,
        person_id=greta.pk,
        text="Synundersökning. Visus 1,0 bilateralt.",
        fields={"recall_months": 18},
        sign=True,
    )
    recall = recall_for(actor=practitioner, person=greta)
    assert recall.source_entry_id == entry.pk
    assert recall.due_date == add_months(local_today(clinic), 18)
    assert "Visus" not in recall.reason


def test_a_given_due_date_wins_and_a_new_recall_replaces_the_old(practitioner, greta):
    first = recall_set(actor=practitioner, person=greta, interval_months=12)
    wanted = local_today(greta.clinic) + timedelta(days=100)
    second = recall_set(actor=practitioner, person=greta, interval_months=12, due_date=wanted)
    assert second.due_date == wanted
    first.refresh_from_db()
    assert (first.status, first.closed_reason) == ("closed", "replaced")
    assert recall_for(actor=practitioner, person=greta) == second


def test_clear_closes_the_active_recall(practitioner, greta):
    recall = recall_set(actor=practitioner, person=greta, interval_months=12)
    recall_clear(actor=practitioner, person=greta)
    recall.refresh_from_db()
    assert (recall.status, recall.closed_reason) == ("closed", "cleared")
    assert recall_for(actor=practitioner, person=greta) is None
    recall_clear(actor=practitioner, person=greta)  # nothing to clear: no error


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "interval_months"),
        ({"interval_months": 0}, "interval_months"),
        ({"interval_months": 121}, "interval_months"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"due_date": date(2099, 1, 1)}, "due_date"),
        ({"interval_months": 12, "reason": "x" * 101}, "reason"),
    ],
)
def test_bad_input_is_refused_per_field(practitioner, greta, values, field):
    with pytest.raises(ValidationFailed) as refused:
        recall_set(actor=practitioner, person=greta, **values)
    assert field in refused.value.errors
    assert not Recall.objects.exists()


def test_another_clinics_subject_is_not_found(other_clinic, make_actor, greta):
    from django.http import Http404

    outsider = make_actor(other_clinic, "owner")
    with pytest.raises(Http404):
        recall_set(actor=outsider, person=greta, interval_months=12)
    assert not Recall.objects.exists()


def test_the_database_allows_one_active_recall_per_subject(clinic, practitioner, greta):
    recall = recall_set(actor=practitioner, person=greta, interval_months=12)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recall.objects.create(
            clinic=clinic, person=greta, due_date=recall.due_date, call_on=recall.due_date
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Recall.objects.create(clinic=clinic, due_date=recall.due_date, call_on=recall.due_date)


def test_writes_are_access_logged_against_the_person(practitioner, greta):
    from praksis.audit.models import AccessLogEntry

    first = recall_set(actor=practitioner, person=greta, interval_months=12)
    second = recall_set(actor=practitioner, person=greta, interval_months=24)
    rows = list(
        AccessLogEntry.objects.filter(object_type="recall").values_list(
            "action", "object_id", "person_id", "role"
        )
    )
    assert rows == [
        ("create", str(first.pk), greta.pk, "practitioner"),
        ("update", str(first.pk), greta.pk, "practitioner"),
        ("create", str(second.pk), greta.pk, "practitioner"),
    ]
