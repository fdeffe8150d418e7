"""An animal that has died stops every reminder and recall (issue 13): no recall message,
no line on the call list (the page and the API), no call recorded about it, and no
booking reminder about it — while its owners' other reminders still go out. Marketing
is chosen per person from their consent, never from an animal's record (LAW.md REQ-33),
so there is nothing there to stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from praksis.booking.services import appointment_book, reminders_enqueue
from praksis.core.errors import Conflict
from praksis.journal.services import entry_create
from praksis.messaging.models import OutboxMessage
from praksis.people.services import animal_create, animal_update
from praksis.recall.models import Recall
from praksis.recall.selectors import call_list, local_today
from praksis.recall.services import call_attempt_record, recall_messages_enqueue, recall_set
from tests.conftest import next_local


def _die(actor, animal):
    """Record the death as the desk does (the animal's edit form and the API use this)."""
    today = local_today(actor.clinic)
    animal_update(actor=actor, animal_id=animal.pk, changes={"deceased_on": today.isoformat()})
    animal.refresh_from_db()


def _window(clinic):
    today = local_today(clinic)
    return {"date_from": today - timedelta(days=60), "date_to": today + timedelta(days=60)}


def test_a_vaccination_recall_stops_when_the_animal_dies(vet, give_consent, make_actor):
    clinic, actor, dog, primary, _second = vet
    give_consent(primary)
    cat = animal_create(actor=actor, owner_ids=[primary.pk], name="Pusur", species="cat")
    doctor = make_actor(clinic, "practitioner")
    due = local_today(clinic) + timedelta(days=5)
    for animal in (dog, cat):  # a signed entry sets each one's vaccination recall
        entry_create(
            actor=doctor, animal_id=animal.pk, text="Vaksinert",
            fields={"next_vaccination": due.isoformat()}, sign=True,
        )  # fmt: skip
    assert set(Recall.objects.values_list("animal_id", "due_date")) == {
        (dog.pk, due), (cat.pk, due),
    }  # fmt: skip

    _die(actor, dog)
    desk = make_actor(clinic, "receptionist")
    # The call list shows the cat only.
    assert [r.animal_id for r in call_list(actor=desk, **_window(clinic))] == [cat.pk]
    # The recall message goes out for the cat only.
    assert recall_messages_enqueue() == 1
    (message,) = OutboxMessage.objects.filter(related_type="recall")
    assert message.related_id == Recall.objects.get(animal=cat).pk
    assert "Pusur" in message.body and "Tassen" not in message.body
    # Nobody is to be called about the dog.
    with pytest.raises(Conflict):
        call_attempt_record(
            actor=desk, recall_id=Recall.objects.get(animal=dog).pk, outcome="no_answer"
        )


def test_the_call_list_api_and_page_leave_out_a_dead_animal(vet, make_api, make_staff):
    clinic, actor, dog, _primary, _second = vet
    recall_set(actor=actor, animal=dog, interval_months=1, reason="rabies vaccination")
    api = make_api(clinic, "receptionist")
    window = {k: v.isoformat() for k, v in _window(clinic).items()}
    query = {"from": window["date_from"], "to": window["date_to"]}
    assert api.get("recall/call-list", **query).json()["count"] == 1
    page = Client()
    page.force_login(make_staff(clinic, "practitioner"))
    assert "Tassen" in page.get("/staff/recall/", query).content.decode()

    _die(actor, dog)
    assert api.get("recall/call-list", **query).json()["count"] == 0
    assert "Tassen" not in page.get("/staff/recall/", query).content.decode()


def test_no_booking_reminder_about_a_dead_animal(vet, make_bookable):
    clinic, actor, dog, primary, _second = vet
    service, _staff = make_bookable(clinic)
    start = next_local(clinic, days=1, hour=10)
    visit = appointment_book(
        actor=actor, service_id=service.pk, person_id=primary.pk, start=start, animal_id=dog.pk
    )
    other = appointment_book(
        actor=actor,
        service_id=service.pk,
        person_id=primary.pk,
        start=start + timedelta(hours=2),
    )
    _die(actor, dog)
    now = start - timedelta(hours=20)
    assert reminders_enqueue(now=now) >= 1
    reminded = set(
        OutboxMessage.objects.filter(kind="reminder", related_type="appointment").values_list(
            "related_id", flat=True
        )
    )
    assert reminded == {other.pk}  # the owner's own booking, not the dead dog's
    assert visit.pk not in reminded
