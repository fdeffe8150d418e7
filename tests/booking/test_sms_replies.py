"""Two-way SMS: a reminder asks for JA/NEJ (NEI); the provider's signed webhook confirms or
cancels the booking. The SMS go out through the outbox to a fake provider over real HTTP
(tests/messaging's), and the replies come in signed, as the provider would send them."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import timedelta

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Appointment, BookingPolicy, SmsReply
from praksis.booking.services import appointment_book, reminders_enqueue
from praksis.booking.sms_replies import meaning, signature_for
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from tests.conftest import next_local, speaks
from tests.messaging.conftest import FakeSmsProvider

SECRET = "webhook-secret-for-tests"
PHONE = "+46701234567"


@pytest.fixture
def sms_provider(settings, monkeypatch):
    """The fake SMS provider of tests/messaging, with HttpSmsBackend pointed at it."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    provider = FakeSmsProvider()
    thread = threading.Thread(
        target=provider.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    settings.SMS_BACKEND = "praksis.messaging.backends.HttpSmsBackend"
    settings.SMS_API_URL = provider.url
    settings.SMS_API_TOKEN = "test-token"
    settings.SMS_SENDER = ""
    settings.SMS_WEBHOOK_SECRET = SECRET
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()


def _ask_for_replies(clinic, **policy):
    BookingPolicy.objects.update_or_create(
        clinic=clinic, defaults={"sms_reply_requests": True, "reminder_hours": 72, **policy}
    )
    clinic.__dict__.pop("_booking_policy_cache", None)


@pytest.fixture
def reminded(clinic, owner, make_bookable, make_person, sms_provider):
    """A booking in two days whose reminder SMS has been delivered to PHONE."""
    _ask_for_replies(clinic)
    service, (practitioner,) = make_bookable(clinic)
    person = make_person(owner, first_name="Greta", last_name="Wikander", phone="0701234567")
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk,
        start=next_local(clinic, days=2, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    assert reminders_enqueue() == 1
    deliver_due()
    sms_provider.requests.clear()
    return appointment


def _post(client, payload=None, *, raw=None, secret=SECRET, ts=None, signature=None, **headers):
    body = raw if raw is not None else json.dumps(payload).encode()
    ts = str(int(time.time())) if ts is None else ts
    signed = {
        "X-Praksis-Timestamp": ts,
        "X-Praksis-Signature": signature or signature_for(body, ts, secret),
        **headers,
    }
    return client.post("/sms/inbound", data=body, content_type="application/json", headers=signed)


def _reply(message: str, *, msg_id: str = "in-1", sender: str = PHONE) -> dict:
    return {"id": msg_id, "from": sender, "message": message}


def _state(appointment):
    appointment.refresh_from_db()
    return appointment.status, appointment.confirmed_at is not None


# --- The reminder asks ---------------------------------------------------------------------


def test_the_reminder_asks_for_ja_or_nej_when_the_clinic_wants_replies(
    clinic, owner, make_bookable, make_person, make_clinic, make_actor, sms_provider
):
    service, _staff = make_bookable(clinic)
    person = make_person(owner, phone="0701234567")
    appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=next_local(clinic)
    )
    BookingPolicy.objects.filter(clinic=clinic).update(reminder_hours=72)
    reminders_enqueue()
    plain = OutboxMessage.objects.get(kind="reminder", channel="sms").body
    assert "JA" not in plain and "NEJ" not in plain

    _ask_for_replies(clinic)
    Appointment.objects.update(sequence=1)  # a new version of the booking: a new reminder
    reminders_enqueue()
    asking = OutboxMessage.objects.filter(kind="reminder", channel="sms").latest("pk").body
    assert "JA" in asking and "NEJ" in asking

    norway = make_clinic("vet")
    vet = make_actor(norway, "owner")
    _ask_for_replies(norway)
    service, _staff = make_bookable(norway)
    person = make_person(vet, phone="41234567")
    appointment_book(
        actor=vet, service_id=service.pk, person_id=person.pk, start=next_local(norway)
    )
    reminders_enqueue()
    norsk = OutboxMessage.objects.get(clinic=norway, kind="reminder", channel="sms").body
    assert "JA" in norsk and "NEI" in norsk and "NEJ" not in norsk
    deliver_due()
    assert {r["json"]["to"] for r in sms_provider.requests} == {PHONE, "+4741234567"}


# --- Answers --------------------------------------------------------------------------------


def test_ja_confirms_the_booking_and_staff_see_it(clinic, reminded, sms_provider, make_staff):
    response = _post(Client(), _reply("Ja!"))
    assert response.status_code == 200
    assert response.json() == {"outcome": "confirmed"}
    assert _state(reminded) == ("booked", True)
    reply = SmsReply.objects.get()
    assert (reply.clinic_id, reply.appointment_id, reply.from_phone, reply.body) == (
        clinic.pk, reminded.pk, PHONE, "Ja!"
    )  # fmt: skip
    assert AccessLogEntry.objects.filter(
        clinic=clinic, object_type="sms_reply", person_id=reminded.person_id
    ).exists()
    # No SMS back for a plain yes.
    deliver_due()
    assert sms_provider.requests == []
    staff = Client()
    staff.force_login(speaks(make_staff(clinic, "receptionist"), "en"))
    page = staff.get(f"/staff/appointments/{reminded.pk}/").content.decode()
    assert "Confirmed by SMS" in page


def test_nej_cancels_through_the_normal_path(clinic, reminded, sms_provider):
    response = _post(Client(), _reply("NEJ"))
    assert response.json() == {"outcome": "cancelled"}
    assert _state(reminded) == ("cancelled", False)
    assert reminded.cancelled_at is not None
    # The client hears that the booking is cancelled, as from any cancellation.
    deliver_due()
    (sent,) = [r for r in sms_provider.requests if r["json"]["to"] == PHONE]
    assert (
        OutboxMessage.objects.get(channel="sms", kind="cancellation").body
        == sent["json"]["message"]
    )
    assert AccessLogEntry.objects.filter(
        clinic=clinic, object_type="appointment", object_id=str(reminded.pk), action="update",
        detail="cancelled",
    ).exists()  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ja", "yes"), (" JA ", "yes"), ("Ja tack!", "yes"), ("jA.", "yes"), ("yes", "yes"),
        ("nej", "no"), ("NEI", "no"), ("Nei takk", "no"), ("nej!!", "no"),
        ("ja nej", None), ("kanske", None), ("", None), ("jag kommer inte, sorry", None),
        ("🙂", None),
    ],
)  # fmt: skip
def test_the_answers_are_read_whatever_the_case_and_punctuation(text, expected):
    assert meaning(text) == expected


def test_anything_else_gets_a_short_explanation_once(clinic, reminded, sms_provider):
    response = _post(Client(), _reply("Vad menar ni?"))
    assert response.json() == {"outcome": "unclear"}
    assert _state(reminded) == ("booked", False)
    deliver_due()
    (sent,) = sms_provider.requests
    assert sent["json"]["to"] == PHONE
    assert "JA" in sent["json"]["message"] and "NEJ" in sent["json"]["message"]
    assert sent["json"]["message"].startswith("Test Optik: ")
    # An auto-reply on the phone does not start a conversation.
    assert _post(Client(), _reply("Vad menar ni?", msg_id="in-2")).json()["outcome"] == "unclear"
    deliver_due()
    assert len(sms_provider.requests) == 1
    assert SmsReply.objects.count() == 2


def test_past_the_cutoff_the_client_is_asked_to_call(clinic, reminded, sms_provider):
    BookingPolicy.objects.filter(clinic=clinic).update(cancel_cutoff_hours=72)
    clinic.contact_phone = "+46461234567"
    clinic.save(update_fields=["contact_phone"])
    response = _post(Client(), _reply("nej"))
    assert response.json() == {"outcome": "too_late"}
    assert _state(reminded) == ("booked", False)
    deliver_due()
    (sent,) = sms_provider.requests
    assert "+46461234567" in sent["json"]["message"]
    assert SmsReply.objects.get().outcome == "too_late"


def test_the_same_delivery_twice_acts_once(clinic, reminded, sms_provider):
    client = Client()
    first = _post(client, _reply("nej", msg_id="dup-1"))
    messages = OutboxMessage.objects.count()
    again = _post(client, _reply("nej", msg_id="dup-1"))
    assert first.json() == again.json() == {"outcome": "cancelled"}
    assert SmsReply.objects.count() == 1
    assert OutboxMessage.objects.count() == messages
    assert AccessLogEntry.objects.filter(clinic=clinic, object_type="sms_reply").count() == 1


def test_only_the_latest_reminder_to_that_number_counts(
    clinic, owner, reminded, make_bookable, sms_provider
):
    later = appointment_book(
        actor=owner, service_id=reminded.service_id, person_id=reminded.person_id,
        start=reminded.start + timedelta(days=1), practitioner_id=reminded.practitioner_id,
    )  # fmt: skip
    assert reminders_enqueue() == 1
    deliver_due()
    _post(Client(), _reply("ja"))
    assert _state(later) == ("booked", True)
    assert _state(reminded) == ("booked", False)


def test_an_unknown_number_changes_and_keeps_nothing(clinic, owner, make_person, reminded):
    # A person on file with that number, but no reminder sent to it: never found by phone.
    make_person(owner, first_name="Nils", last_name="Holm", phone="0709998877")
    response = _post(Client(), _reply("nej", sender="+46709998877"))
    assert response.status_code == 200
    assert response.json() == {"outcome": "no_booking"}
    assert SmsReply.objects.count() == 0
    assert _state(reminded) == ("booked", False)
    assert not OutboxMessage.objects.filter(kind="other").exists()


def test_a_number_reminded_by_another_clinic_acts_only_there(
    clinic, owner, reminded, other_clinic, make_actor, make_bookable, make_person, sms_provider
):
    # The same number, also a client of another clinic, which sent the latest reminder.
    other_owner = make_actor(other_clinic, "owner")
    _ask_for_replies(other_clinic, cancel_cutoff_hours=0)
    service, (practitioner,) = make_bookable(other_clinic)
    person = make_person(other_owner, phone="0701234567")
    theirs = appointment_book(
        actor=other_owner, service_id=service.pk, person_id=person.pk,
        start=next_local(other_clinic, days=1, hour=15), practitioner_id=practitioner.pk,
    )  # fmt: skip
    reminders_enqueue()
    deliver_due()
    response = _post(Client(), _reply("nej"))
    assert response.json() == {"outcome": "cancelled"}
    assert _state(theirs)[0] == "cancelled"
    assert _state(reminded) == ("booked", False)
    assert SmsReply.objects.get().clinic_id == other_clinic.pk
    assert not AccessLogEntry.objects.filter(clinic=clinic, object_type="sms_reply").exists()


def test_a_booking_no_longer_to_come_is_not_changed(clinic, reminded, sms_provider):
    Appointment.objects.filter(pk=reminded.pk).update(status="cancelled")
    response = _post(Client(), _reply("ja"))
    assert response.json() == {"outcome": "no_booking"}
    assert _state(reminded) == ("cancelled", False)
    deliver_due()
    (sent,) = sms_provider.requests
    assert "Test Optik" in sent["json"]["message"]


# --- The signature and bad requests ---------------------------------------------------------


def _refused(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    return body


def test_unsigned_wrongly_signed_stale_and_replayed_calls_are_refused(reminded):
    client = Client()
    body = json.dumps(_reply("nej")).encode()
    _refused(client.post("/sms/inbound", data=body, content_type="application/json"), 401)
    _refused(_post(client, _reply("nej"), secret="not-the-secret"), 403)
    _refused(_post(client, _reply("nej"), signature="sha256=" + "0" * 64), 403)
    _refused(_post(client, _reply("nej"), signature="sha256=åäö"), 403)
    _refused(_post(client, _reply("nej"), ts="yesterday"), 403)
    # Signed for another body (the message changed on the way).
    ts = str(int(time.time()))
    other = signature_for(json.dumps(_reply("ja")).encode(), ts, SECRET)
    _refused(_post(client, _reply("nej"), ts=ts, signature=other), 403)
    # A captured request replayed after five minutes, or one dated ahead.
    old = str(int(time.time()) - 301)
    _refused(_post(client, _reply("nej"), ts=old), 403)
    _refused(_post(client, _reply("nej"), ts=str(int(time.time()) + 400)), 403)
    assert _state(reminded) == ("booked", False)
    assert SmsReply.objects.count() == 0


def test_without_a_secret_every_call_is_refused(reminded, settings):
    settings.SMS_WEBHOOK_SECRET = ""
    _refused(_post(Client(), _reply("nej"), secret=""), 403)
    assert _state(reminded) == ("booked", False)


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'"ja"', b"{}", b'{"id": "x", "from": "+4670", "message": "ja"}',
     b'{"id": "x", "from": "+46701234567", "message": 7}',
     b'{"id": "", "from": "+46701234567", "message": "ja"}',
     b'{"id": "x", "from": "+46701234567", "message": "ja\\u0000"}',
     b"\xff\xfe{", b'{"id": "' + b"9" * 500 + b'", "from": "+46701234567", "message": "ja"}'],
)  # fmt: skip
def test_a_body_that_cannot_be_read_is_400_in_the_one_shape(reminded, raw):
    _refused(_post(Client(), raw=raw), 400)
    assert SmsReply.objects.count() == 0


def test_other_methods_and_huge_bodies(reminded):
    client = Client()
    response = client.get("/sms/inbound")
    _refused(response, 405)
    _refused(client.post("/sms/inbound", {"id": "1", "from": PHONE, "message": "nej"}), 400)
    _refused(_post(client, raw=b"{" + b" " * 20000 + b"}"), 400)


@pytest.mark.django_db(transaction=True)
def test_the_webhook_over_real_http(live_server, reminded, settings):
    settings.SMS_WEBHOOK_SECRET = SECRET
    body = json.dumps(_reply("Ja")).encode()
    ts = str(int(time.time()))
    request = urllib.request.Request(
        f"{live_server.url}/sms/inbound",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Praksis-Timestamp": ts,
            "X-Praksis-Signature": signature_for(body, ts, SECRET),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read()) == {"outcome": "confirmed"}
    assert _state(reminded) == ("booked", True)


def test_a_time_cancelled_by_sms_is_offered_to_the_waiting_list(
    clinic, owner, reminded, make_person, sms_provider
):
    from praksis.booking.models import WaitlistOffer
    from praksis.booking.waitlist import waitlist_add

    waiting = make_person(owner, first_name="Ove", last_name="Sjö", email="ove@example.com")
    entry, _token = waitlist_add(
        actor=owner,
        person_id=waiting.pk,
        data={"service": reminded.service_id, "weekdays": list(range(7))},
    )
    assert _post(Client(), _reply("Nej")).json() == {"outcome": "cancelled"}
    offer = WaitlistOffer.objects.get(entry=entry)
    assert offer.start == reminded.start


def test_the_replies_are_in_the_persons_access_report(clinic, owner, reminded):
    from praksis.booking.personal_data import _bookings_section
    from praksis.core.personal_data import Subject

    _post(Client(), _reply("Ja, tack"))
    subject = Subject(clinic=clinic, person=reminded.person, actor=owner)
    (item,) = _bookings_section(subject).items
    assert item["confirmed_at"] is not None
    assert "Ja, tack" in item["sms_replies"] and PHONE in item["sms_replies"]
