"""The call list: who is due, with what the desk needs, and never who must not be called."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.people.models import Person
from praksis.privacy.models import Consent
from praksis.recall.selectors import call_list, local_today
from praksis.recall.services import call_attempt_record, recall_set


def _due(actor, days: int, **subject):
    return recall_set(
        actor=actor,
        due_date=local_today(actor.clinic) + timedelta(days=days),
        reason="eye examination",
        **subject,
    )


def _window(clinic, days: int = 30):
    today = local_today(clinic)
    return {"date_from": today, "date_to": today + timedelta(days=days)}


def test_it_lists_due_people_with_phone_last_visit_and_reason(
    clinic, owner, receptionist, greta, nils, make_person, past_visit
):
    visit = past_visit(greta, days_ago=300)
    soon = _due(owner, 5, person=greta)
    later = _due(owner, 20, person=nils)
    _due(owner, 45, person=make_person(owner, first_name="Ebba", phone="0701112233"))
    _due(owner, -3, person=make_person(owner, first_name="Olle", phone="0701112244"))

    rows = call_list(actor=receptionist, **_window(clinic))

    assert [r.recall_id for r in rows] == [soon.pk, later.pk]
    row = rows[0]
    assert (row.person_id, row.name, row.phone) == (greta.pk, "Greta Wikander", greta.phone)
    assert (row.due_date, row.reason) == (soon.due_date, "eye examination")
    assert row.last_visit == visit.start.astimezone(clinic.zone).date()
    assert rows[1].last_visit is None and rows[1].attempts == []


def test_restricted_and_opted_out_people_never_appear(
    clinic, owner, receptionist, greta, nils, make_person, give_consent
):
    _due(owner, 5, person=greta)
    _due(owner, 6, person=nils)
    kept = make_person(owner, first_name="Ebba", phone="0701112233")
    _due(owner, 7, person=kept)
    Person.objects.filter(pk=greta.pk).update(restricted_at=timezone.now())
    consent = give_consent(nils)
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())

    rows = call_list(actor=receptionist, **_window(clinic))
    assert [r.person_id for r in rows] == [kept.pk]


def test_another_clinic_sees_nothing(clinic, owner, greta, other_clinic, make_actor):
    _due(owner, 5, person=greta)
    outsider = make_actor(other_clinic, "owner")
    assert call_list(actor=outsider, **_window(other_clinic)) == []


def test_an_animal_is_recalled_through_its_primary_owner(vet, make_actor):
    clinic, actor, dog, primary, _second = vet
    recall = recall_set(actor=actor, animal=dog, interval_months=1, reason="rabies vaccination")
    desk = make_actor(clinic, "receptionist")
    today = local_today(clinic)
    (row,) = call_list(actor=desk, date_from=today, date_to=today + timedelta(days=40))
    assert (row.recall_id, row.person_id, row.phone) == (recall.pk, primary.pk, primary.phone)
    assert (row.animal_id, row.animal_name, row.reason) == (dog.pk, "Tassen", "rabies vaccination")

    Person.objects.filter(pk=primary.pk).update(restricted_at=timezone.now())
    assert call_list(actor=desk, date_from=today, date_to=today + timedelta(days=40)) == []
    Person.objects.filter(pk=primary.pk).update(restricted_at=None)
    dog.deceased_on = today
    dog.save(update_fields=["deceased_on"])
    assert call_list(actor=desk, date_from=today, date_to=today + timedelta(days=40)) == []


def test_called_today_leaves_the_list_unless_asked_for(clinic, owner, receptionist, greta):
    recall = _due(owner, 5, person=greta)
    call_attempt_record(actor=receptionist, recall_id=recall.pk, outcome="no_answer")
    assert call_list(actor=receptionist, **_window(clinic)) == []
    (row,) = call_list(actor=receptionist, include_contacted=True, **_window(clinic))
    assert row.last_outcome == "no_answer" and len(row.attempts) == 1


def test_the_list_is_one_logged_list_read(clinic, owner, receptionist, greta, nils):
    _due(owner, 5, person=greta)
    _due(owner, 6, person=nils)
    before = AccessLogEntry.objects.count()
    call_list(actor=receptionist, **_window(clinic))
    (row,) = AccessLogEntry.objects.order_by("-seq")[: AccessLogEntry.objects.count() - before]
    assert (row.action, row.object_type, row.role) == ("list", "recall", "receptionist")
    assert "results=2" in row.detail and str(greta.pk) in row.detail
    assert "Greta" not in row.detail


def test_query_count_does_not_grow_with_the_list(
    clinic, owner, receptionist, make_person, past_visit, django_assert_max_num_queries
):
    for i in range(12):
        person = make_person(owner, first_name=f"P{i}", phone=f"07011122{i:02d}")
        past_visit(person, days_ago=100 + i)
        recall = _due(owner, i + 1, person=person)
        if i % 2:
            call_attempt_record(actor=owner, recall_id=recall.pk, outcome="no_answer")
    with django_assert_max_num_queries(12):
        rows = call_list(actor=receptionist, include_contacted=True, **_window(clinic))
    assert len(rows) == 12


@pytest.mark.parametrize("role", ["owner", "practitioner", "receptionist"])
def test_every_role_may_work_the_list(clinic, make_actor, role):
    assert call_list(actor=make_actor(clinic, role), **_window(clinic)) == []
