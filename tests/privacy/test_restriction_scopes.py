"""Restriction of processing (GDPR art. 18, LAW.md REQ-28): the ground is chosen from
art. 18(1)(a)-(d) and stored; a restriction covers the whole person or one use of their
data (recall, marketing, the journal), and stops exactly the processing it covers; it is
a row with who and when, lifted with a notice to the person (art. 18(3)); the access
report lists it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from praksis.booking.services import appointment_book, reminders_enqueue
from praksis.clinics.access import system_actor
from praksis.core.errors import ValidationFailed
from praksis.messaging.models import OutboxMessage
from praksis.people.models import Person
from praksis.privacy.marketing import campaign_send
from praksis.privacy.models import Restriction, RestrictionGround, RestrictionScope
from praksis.privacy.requests import export_json, request_create
from praksis.privacy.services import consent_record, restriction_lift, restriction_set
from praksis.recall.selectors import local_today
from praksis.recall.services import recall_messages_enqueue, recall_set
from tests.conftest import next_local, speaks

pytestmark = pytest.mark.django_db


def _consent(person, purpose):
    return consent_record(
        actor=system_actor(person.clinic, channel="ui"), person=person, purpose=purpose,
        channel="desk", text_version="v1", text_shown="Ja.",
    )  # fmt: skip


@pytest.fixture
def greta(owner, make_person):
    person = make_person(
        owner, first_name="Greta", last_name="Wikander", email="greta@example.com",
        phone="0701234567",
    )  # fmt: skip
    for purpose in ("recall", "marketing_email"):
        _consent(person, purpose)
    return person


def test_req28_the_ground_is_one_of_art_18_1_a_to_d_and_is_stored(owner, greta):
    with pytest.raises(ValidationFailed) as refused:
        restriction_set(actor=owner, person_id=greta.pk, ground="", note="Disputes an entry")
    assert "ground" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        restriction_set(actor=owner, person_id=greta.pk, ground="because", scope="journal")
    assert "ground" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        restriction_set(actor=owner, person_id=greta.pk, ground="accuracy", scope="everything")
    assert "scope" in refused.value.errors
    assert not Restriction.objects.exists()

    made = restriction_set(
        actor=owner, person_id=greta.pk, ground=RestrictionGround.OBJECTION, scope="recall"
    )
    row = Restriction.objects.get()
    assert (row.pk, row.ground, row.scope) == (made.pk, "objection", "recall")
    assert row.started_by_user_id == owner.user_id and row.started_by_name == owner.user.full_name
    assert row.ended_at is None
    greta.refresh_from_db()
    assert greta.restricted_at is None  # one use only: the person as a whole is not

    whole = restriction_set(actor=owner, person_id=greta.pk, ground="legal_claims")
    greta.refresh_from_db()
    assert whole.scope == "whole" and greta.restricted_at == whole.started_at


def test_req28_a_recall_restriction_stops_recall_only(clinic, owner, greta, make_bookable):
    restriction_set(actor=owner, person_id=greta.pk, ground="accuracy", scope="recall")
    recall_set(actor=owner, person=greta, due_date=local_today(clinic) + timedelta(days=5))
    assert recall_messages_enqueue() == 0  # no recall message
    # Marketing and booking reminders go on: the restriction covers recall only.
    assert campaign_send(actor=owner, channel="email", subject="Höst", body="Nya bågar") == 1
    service, _staff = make_bookable(clinic)
    booked = appointment_book(
        actor=owner, service_id=service.pk, person_id=greta.pk,
        start=next_local(clinic, days=1, hour=10),
    )  # fmt: skip
    assert reminders_enqueue(now=booked.start - timedelta(hours=20)) >= 1


def test_req28_a_marketing_restriction_stops_marketing_only(clinic, owner, greta):
    restriction_set(actor=owner, person_id=greta.pk, ground="objection", scope="marketing")
    assert campaign_send(actor=owner, channel="email", subject="Höst", body="Nya bågar") == 0
    recall_set(actor=owner, person=greta, due_date=local_today(clinic) + timedelta(days=5))
    assert recall_messages_enqueue() == 1
    assert OutboxMessage.objects.get().kind == "reminder"


def test_req28_booking_reminders_stop_only_for_the_whole_person(
    clinic, owner, greta, make_bookable
):
    service, _staff = make_bookable(clinic)
    booked = appointment_book(
        actor=owner, service_id=service.pk, person_id=greta.pk,
        start=next_local(clinic, days=1, hour=10),
    )  # fmt: skip
    for scope in ("recall", "marketing", "journal"):
        restriction_set(actor=owner, person_id=greta.pk, ground="accuracy", scope=scope)
    restriction_set(actor=owner, person_id=greta.pk, ground="unlawful", scope="whole")
    assert reminders_enqueue(now=booked.start - timedelta(hours=20)) == 0


def test_req28_lifting_tells_the_person_first_and_ends_only_that_restriction(owner, greta):
    recall = restriction_set(actor=owner, person_id=greta.pk, ground="accuracy", scope="recall")
    whole = restriction_set(actor=owner, person_id=greta.pk, ground="accuracy")
    restriction_lift(actor=owner, person_id=greta.pk, restriction_id=whole.pk)
    greta.refresh_from_db()
    whole.refresh_from_db()
    recall.refresh_from_db()
    assert greta.restricted_at is None and whole.ended_at is not None
    assert whole.ended_by_user_id == owner.user_id
    assert recall.ended_at is None  # the recall restriction goes on
    notice = OutboxMessage.objects.get(kind="notice", person=greta)
    assert notice.to_address == "greta@example.com"
    with translation.override(owner.clinic.language):
        assert str(RestrictionScope.WHOLE.label) in notice.body
    # A second restriction of the same scope after the first was lifted is a new row.
    again = restriction_set(actor=owner, person_id=greta.pk, ground="objection")
    assert again.pk != whole.pk and Restriction.objects.filter(scope="whole").count() == 2


def test_req28_the_access_report_lists_the_restrictions(clinic, owner, greta):
    restriction_set(actor=owner, person_id=greta.pk, ground="legal_claims", scope="journal")
    request = request_create(actor=owner, person_id=greta.pk, kind="access", channel="desk")
    data = json.loads(export_json(actor=owner, request_id=request.pk))
    (section,) = [s for s in data["sections"] if s["key"] == "restrictions"]
    (item,) = section["items"]
    with translation.override(clinic.language):
        assert item["scope"] == str(RestrictionScope.JOURNAL.label)
        assert item["ground"] == str(RestrictionGround.LEGAL_CLAIMS.label)
    assert item["active"] is True and item["ended_at"] is None


def test_req28_staff_choose_ground_and_scope_on_the_person_page(
    clinic, owner, greta, make_staff, other_clinic, make_actor, make_person
):
    client = Client()
    client.force_login(speaks(owner.user, "en"))
    url = f"/staff/persons/{greta.pk}/restriction/"
    page = client.get(f"/staff/persons/{greta.pk}/").content.decode()
    assert 'name="ground"' in page and 'name="scope"' in page
    assert "Art. 18(1)(d)" in page and "Recall (no recall messages or calls)" in page

    # No ground: nothing changes; the page says why and keeps what was typed.
    client.post(url, {"action": "set", "ground": "", "scope": "recall", "note": "Rättelse"})
    assert not Restriction.objects.exists()
    page = client.get(f"/staff/persons/{greta.pk}/").content.decode()
    assert "Choose the ground for the restriction" in page
    assert "Rättelse</textarea>" in page and 'value="recall" selected' in page

    client.post(url, {"action": "set", "ground": "accuracy", "scope": "recall", "note": "X"})
    row = Restriction.objects.get()
    assert (row.ground, row.scope, row.note) == ("accuracy", "recall", "X")
    page = client.get(f"/staff/persons/{greta.pk}/").content.decode()
    assert 'id="restriction-list"' in page and "Art. 18(1)(a)" in page

    # A receptionist sees it, but may neither set nor lift one.
    desk = Client()
    desk.force_login(speaks(make_staff(clinic, "receptionist"), "en"))
    assert 'id="restriction-list"' in desk.get(f"/staff/persons/{greta.pk}/").content.decode()
    assert desk.post(url, {"action": "lift", "restriction": row.pk}).status_code == 403
    assert desk.post(url, {"action": "set", "ground": "accuracy"}).status_code == 403
    row.refresh_from_db()
    assert row.ended_at is None and Restriction.objects.count() == 1

    # Another clinic's owner: 404, nothing changes.
    stranger = Client()
    stranger.force_login(make_actor(other_clinic, "owner").user)
    assert stranger.post(url, {"action": "set", "ground": "accuracy"}).status_code == 404
    assert stranger.post(url, {"action": "lift", "restriction": row.pk}).status_code == 404
    assert Restriction.objects.count() == 1

    client.post(url, {"action": "lift", "restriction": row.pk})
    row.refresh_from_db()
    assert row.ended_at is not None


def test_req28_a_person_restricted_without_a_row_is_shown_and_can_be_lifted(owner, greta):
    """Restricted on the person row alone (what an erasure kept, or data from before
    restrictions were rows): shown as restricted, lifted as a whole."""
    Person.objects.filter(pk=greta.pk).update(restricted_at=timezone.now())
    client = Client()
    client.force_login(speaks(owner.user, "en"))
    page = client.get(f"/staff/persons/{greta.pk}/").content.decode()
    assert 'id="restricted"' in page
    client.post(f"/staff/persons/{greta.pk}/restriction/", {"action": "lift"})
    greta.refresh_from_db()
    assert greta.restricted_at is None


def test_req28_a_journal_restriction_stops_disclosure_of_the_journal(
    make_clinic, make_actor, make_person, make_api
):
    """The journal restricted (e.g. its accuracy contested): a referral is refused unless
    art. 18(2) allows it (a consent given after the restriction began); the person's
    bookings and messages are not affected."""
    from praksis.disclosures.models import Disclosure
    from praksis.privacy.services import consent_give
    from tests.disclosures.test_disclosures import SPECIALIST, referral

    dental = make_clinic("dental")
    owner = make_actor(dental, "owner")
    patient = make_person(owner, first_name="Ingrid", last_name="Haugland")

    def consent():
        return consent_give(
            actor=owner, person_id=patient.pk, purpose="disclosure", text_version="v1",
            text_shown=f"Henvisning til {SPECIALIST}.", third_party=SPECIALIST,
        )  # fmt: skip

    consent()
    restriction_set(actor=owner, person_id=patient.pk, ground="accuracy", scope="journal")
    api = make_api(dental, "practitioner")
    refused = api.post("disclosures", referral(patient))
    assert refused.status_code == 409 and "restricted" in refused.json()["detail"]
    assert not Disclosure.objects.exists()
    patient.refresh_from_db()
    assert patient.restricted_at is None  # the person as a whole is not restricted
    later = consent()  # asked again after the restriction began (art. 18(2))
    allowed = api.post("disclosures", referral(patient, consent=later.pk))
    assert allowed.status_code == 201, allowed.json()
