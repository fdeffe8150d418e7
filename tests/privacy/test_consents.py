"""Consents (REQ-29): who, when, how, the exact text; withdrawing is as easy as giving."""

from __future__ import annotations

from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.privacy.models import Consent


def test_req29_record_list_and_withdraw_through_the_api(clinic, owner, make_person, make_api):
    person = make_person(owner, first_name="Maja", last_name="Lind")
    api = make_api(clinic, "receptionist")
    created = api.post(
        "consents",
        {
            "person": person.pk,
            "purpose": "marketing_sms",
            "channel": "desk",
            "text_version": "sms-v2",
            "text_shown": "Ja, skicka erbjudanden via SMS.",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["active"] and body["text_version"] == "sms-v2"
    consent = Consent.objects.get()
    assert consent.recorded_by_user_id is not None and consent.channel == "desk"
    listed = api.get("consents", person=person.pk).json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]
    withdrawn = api.post(f"consents/{body['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert api.post(f"consents/{body['id']}/withdraw").json()["active"] is False  # idempotent
    actions = AccessLogEntry.objects.filter(object_type="consent", person_id=person.pk)
    assert sorted(actions.values_list("action", flat=True)) == ["create", "list", "update"]


def test_bad_consent_input_is_422(clinic, make_api):
    api = make_api(clinic, "owner")
    response = api.post("consents", {"person": 999, "purpose": "everything", "channel": "fax"})
    assert response.status_code == 422
    assert {"person", "purpose", "channel", "text_shown"} <= set(response.json()["errors"])
    assert not Consent.objects.exists()


def test_staff_withdraw_with_one_click(clinic, owner, make_person, make_staff):
    from praksis.privacy.services import consent_give

    person = make_person(owner)
    consent = consent_give(
        actor=owner,
        person_id=person.pk,
        purpose="photos",
        text_version="photo-v1",
        text_shown="Ni får visa bilder.",
    )
    client = Client()
    client.force_login(make_staff(clinic, "receptionist"))
    page = client.get(f"/staff/persons/{person.pk}/").content.decode()
    assert 'id="consents"' in page
    response = client.post(f"/staff/consents/{consent.pk}/withdraw/")
    assert response["Location"] == f"/staff/persons/{person.pk}/"
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_req28_restriction_stops_reminders_and_is_lifted_with_notice(
    clinic, owner, make_person, make_staff, make_bookable
):
    from datetime import timedelta

    from praksis.booking.services import appointment_book, reminders_enqueue
    from praksis.messaging.models import OutboxMessage
    from tests.conftest import next_local

    person = make_person(owner, email="maja@example.com", phone="0701112233")
    service, _staff = make_bookable(clinic)
    booked = appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic, days=1, hour=10),
    )
    client = Client()
    client.force_login(make_staff(clinic, "owner", email="boss@test-optik.test"))
    client.post(
        f"/staff/persons/{person.pk}/restriction/", {"action": "set", "reason": "Art. 18(1)(a)"}
    )
    person.refresh_from_db()
    assert person.restricted_at is not None
    assert reminders_enqueue(now=booked.start - timedelta(hours=20)) == 0  # only stored
    receptionist = Client()
    receptionist.force_login(make_staff(clinic, "receptionist"))
    receptionist.post(f"/staff/persons/{person.pk}/restriction/", {"action": "lift"})
    person.refresh_from_db()
    assert person.restricted_at is not None  # only the owner may lift it
    client.post(f"/staff/persons/{person.pk}/restriction/", {"action": "lift"})
    person.refresh_from_db()
    assert person.restricted_at is None
    notice = OutboxMessage.objects.get(kind="notice", person=person)
    assert notice.to_address == "maja@example.com"  # told before processing resumes
