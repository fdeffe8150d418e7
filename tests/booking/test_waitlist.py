"""The waiting list: joining, matching a freed time, offers, claims, expiry, retention,
erasure and the access report (issue 13, part 3)."""

from __future__ import annotations

import io
import random
import re
from datetime import date, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from praksis.audit.models import AccessLogEntry
from praksis.booking import waitlist
from praksis.booking.models import Appointment, WaitlistEntry, WaitlistOffer
from praksis.booking.services import appointment_book, appointment_cancel, appointment_move
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.personal_data import Subject, sweep_rules
from praksis.messaging.models import OutboxMessage
from praksis.people.identity import synthetic_se
from praksis.privacy.erasure import erase_person, plan_erasure
from praksis.privacy.retention import policy_for, relevant_record_types, sweep_rule
from tests.conftest import next_local

pytestmark = pytest.mark.django_db


def _number(seed: int) -> str:
    return synthetic_se(random.Random(seed), date(1980, 1, 1) + timedelta(days=seed))


@pytest.fixture
def world(clinic, owner, make_bookable, make_person):
    service, staff = make_bookable(clinic, practitioners=2)
    person = make_person(owner, first_name="Berit", last_name="Ek", email="berit@example.com")
    start = next_local(clinic, days=3, hour=10)
    booked = appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=start,
        practitioner_id=staff[0].pk,
    )
    return clinic, owner, service, staff, booked, start


def _join(clinic, service, start, **overrides):
    data = {
        "service": service.pk,
        "first_name": "Maja",
        "last_name": "Lind",
        "email": "maja@example.com",
        "weekdays": [start.weekday()],
        "earliest": "09:00",
        "latest": "12:00",
        "accept_privacy_notice": True,
        **overrides,
    }
    return waitlist.waitlist_join_public(clinic=clinic, data=data)


def _claim_token(offer_message: OutboxMessage) -> str:
    return re.search(r"/waitlist/offer/([\w-]+)/", offer_message.body).group(1)


def test_joining_stores_a_hashed_leave_link_and_sends_it(world):
    clinic, _owner, service, _staff, _booked, start = world
    entry, token = _join(clinic, service, start)
    assert entry.token_hash != token and len(entry.token_hash) == 64
    assert entry.status == "waiting" and entry.notice_version is not None
    message = OutboxMessage.objects.get(related_type="waitlist_entry", related_id=entry.pk)
    assert message.to_address == "maja@example.com"
    assert f"/{clinic.slug}/waitlist/leave/{token}/" in message.body
    # Default: 60 days (the end of that day on the clinic's clock).
    until = (entry.expires_at - timedelta(seconds=1)).astimezone(clinic.zone).date()
    assert until == timezone.now().astimezone(clinic.zone).date() + timedelta(days=60)


def test_bad_input_gets_field_errors_and_nothing_is_stored(world):
    clinic, _owner, service, _staff, _booked, start = world
    with pytest.raises(ValidationFailed) as caught:
        _join(
            clinic, service, start, email="", phone="", weekdays=[], earliest="12:00",
            latest="09:00", until="2999-01-01", accept_privacy_notice=False,
        )  # fmt: skip
    assert set(caught.value.errors) == {
        "email", "weekdays", "latest", "until", "accept_privacy_notice",
    }  # fmt: skip
    assert not WaitlistEntry.objects.exists()


def test_a_cancellation_offers_the_time_to_matching_entries_only(world):
    clinic, owner, service, staff, booked, start = world
    fits, _t = _join(clinic, service, start)
    _join(clinic, service, start, email="late@example.com", earliest="11:00", latest="15:00")
    other_day = (start.weekday() + 1) % 7
    _join(clinic, service, start, email="day@example.com", weekdays=[other_day])
    _join(clinic, service, start, email="pract@example.com", practitioner=staff[1].pk)
    named, _t = _join(clinic, service, start, email="named@example.com", practitioner=staff[0].pk)

    appointment_cancel(actor=owner, appointment_id=booked.pk)

    offers = WaitlistOffer.objects.filter(start=start).order_by("entry__created_at")
    assert [o.entry_id for o in offers] == [fits.pk, named.pk]
    assert all(o.practitioner_id == staff[0].pk and o.status == "open" for o in offers)
    notice = timedelta(minutes=60)
    assert all(o.expires_at == start - notice for o in offers)
    mails = OutboxMessage.objects.filter(body__contains="/waitlist/offer/")
    assert sorted(m.to_address for m in mails) == ["maja@example.com", "named@example.com"]


def test_a_move_offers_the_time_it_left(world):
    clinic, owner, service, staff, booked, start = world
    entry, _t = _join(clinic, service, start)
    later = next_local(clinic, days=4, hour=14)
    appointment_move(
        actor=owner, appointment_id=booked.pk, start=later, practitioner_id=staff[0].pk
    )
    [offer] = WaitlistOffer.objects.all()
    assert (offer.entry_id, offer.start, offer.practitioner_id) == (entry.pk, start, staff[0].pk)


def test_no_offer_when_the_time_is_still_taken_or_past(world, make_person):
    clinic, owner, service, _staff, booked, start = world
    _join(clinic, service, start)
    # The other practitioner's time is not freed by this cancellation: nothing else is.
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    assert WaitlistOffer.objects.count() == 1
    assert waitlist.offer_freed_time(booked, now=start + timedelta(minutes=1)) == []


def test_the_first_claim_wins_and_the_others_are_told_it_is_gone(world):
    clinic, owner, service, _staff, booked, start = world
    _join(clinic, service, start, email="first@example.com")
    _join(clinic, service, start, email="second@example.com")
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    first, second = WaitlistOffer.objects.order_by("entry__created_at")
    tokens = {
        m.to_address: _claim_token(m)
        for m in OutboxMessage.objects.filter(body__contains="/waitlist/offer/")
    }
    appointment = waitlist.offer_claim(
        clinic=clinic, token=tokens["first@example.com"], data={"identity_number": _number(1)}
    )
    assert appointment.start == start and appointment.status == "booked"
    assert appointment.booked_email == "first@example.com"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.appointment_id) == ("claimed", appointment.pk)
    assert second.status == "gone"
    assert first.entry.__class__.objects.get(pk=first.entry_id).status == "booked"
    # The other client is told at once, in the clinic's language, and stays on the list.
    with translation.override(clinic.language):
        subject = translation.gettext("The free time has been booked")
    told = OutboxMessage.objects.filter(subject__startswith=subject)
    assert [m.to_address for m in told] == ["second@example.com"]
    assert start.astimezone(clinic.zone).strftime("%H:%M") in told[0].body
    assert second.entry.__class__.objects.get(pk=second.entry_id).status == "waiting"
    # The normal booking confirmation goes to the winner.
    assert OutboxMessage.objects.filter(
        related_type="appointment", related_id=appointment.pk, kind="confirmation"
    ).exists()
    with pytest.raises(Conflict) as caught:
        waitlist.offer_claim(
            clinic=clinic, token=tokens["second@example.com"], data={"identity_number": _number(2)}
        )
    assert caught.value.message == str(waitlist.TIME_GONE)
    # A claimed link cannot book again.
    with pytest.raises(Conflict):
        waitlist.offer_claim(
            clinic=clinic, token=tokens["first@example.com"], data={"identity_number": _number(1)}
        )
    assert Appointment.objects.filter(start=start, status="booked").count() == 1


def test_a_claim_that_loses_the_race_marks_its_offer_gone(world, make_person):
    clinic, owner, service, staff, booked, start = world
    _join(clinic, service, start)
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    token = _claim_token(OutboxMessage.objects.get(body__contains="/waitlist/offer/"))
    # Staff book the time by phone before the client clicks.
    other = make_person(owner, first_name="Nils", last_name="Holm")
    appointment_book(
        actor=owner, service_id=service.pk, person_id=other.pk, start=start,
        practitioner_id=staff[0].pk,
    )  # fmt: skip
    with pytest.raises(Conflict) as caught:
        waitlist.offer_claim(clinic=clinic, token=token, data={"identity_number": _number(3)})
    assert caught.value.message == str(waitlist.TIME_GONE)
    assert WaitlistOffer.objects.get().status == "gone"
    assert WaitlistEntry.objects.get().status == "waiting"  # still on the list


def test_a_claim_with_bad_details_keeps_the_offer_open(world):
    clinic, owner, service, _staff, booked, start = world
    _join(clinic, service, start)
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    token = _claim_token(OutboxMessage.objects.get(body__contains="/waitlist/offer/"))
    with pytest.raises(ValidationFailed) as caught:
        waitlist.offer_claim(clinic=clinic, token=token, data={"identity_number": "123"})
    assert set(caught.value.errors) == {"identity_number"}
    assert WaitlistOffer.objects.get().status == "open"


def test_offers_expire_at_the_minimum_notice_and_with_their_entry(world):
    clinic, owner, service, _staff, booked, start = world
    entry, _t = _join(clinic, service, start)
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    offer = WaitlistOffer.objects.get()
    assert waitlist.offer_state(offer) == "open"
    assert waitlist.offer_state(offer, now=start - timedelta(minutes=59)) == "expired"
    token = _claim_token(OutboxMessage.objects.get(body__contains="/waitlist/offer/"))
    WaitlistOffer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict) as caught:
        waitlist.offer_claim(clinic=clinic, token=token, data={"identity_number": _number(4)})
    assert caught.value.message == str(waitlist.OFFER_ENDED)
    # An entry past its day is no longer offered anything, and the job marks it expired.
    WaitlistEntry.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("expire-booking-data", stdout=out)  # the scheduled job ends it
    assert "waiting-list places ended: 1" in out.getvalue()
    entry.refresh_from_db()
    assert entry.status == "expired"
    assert waitlist.waitlist_expire() == 0  # idempotent


def test_leaving_the_list_ends_the_entry_and_its_offers(world):
    clinic, owner, service, _staff, booked, start = world
    _entry, token = _join(clinic, service, start)
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    left = waitlist.waitlist_leave(clinic=clinic, token=token)
    assert left.status == "withdrawn" and left.expires_at <= timezone.now()
    assert WaitlistOffer.objects.get().status == "expired"


def test_staff_put_a_registered_client_on_the_list_and_the_claim_books_them(
    world, make_person, make_actor
):
    clinic, owner, service, _staff, booked, start = world
    reception = make_actor(clinic, "receptionist")
    client = make_person(reception, first_name="Olle", last_name="Berg", phone="0701740642")
    entry, _token = waitlist.waitlist_add(
        actor=reception,
        person_id=client.pk,
        data={"service": service.pk, "weekdays": [start.weekday()], "until": ""},
    )
    assert (entry.person_id, entry.channel, entry.email) == (client.pk, "phone", "")
    joined = OutboxMessage.objects.get(related_type="waitlist_entry")
    assert joined.channel == "sms"  # the record has only a phone number
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    offer_sms = OutboxMessage.objects.filter(related_type="waitlist_entry").latest("pk")
    appointment = waitlist.offer_claim(clinic=clinic, token=_claim_token(offer_sms))
    assert appointment.person_id == client.pk and appointment.start == start


def test_staff_refusals(world, make_actor, make_person, other_clinic):
    clinic, owner, service, _staff, _booked, start = world
    data = {"service": service.pk, "weekdays": [0]}
    with pytest.raises(ValidationFailed) as caught:
        waitlist.waitlist_add(actor=owner, person_id=999999, data=data)
    assert set(caught.value.errors) == {"person"}
    outsider = make_actor(other_clinic, "owner")
    entry, _t = _join(clinic, service, start)
    from django.http import Http404

    with pytest.raises(Http404):
        waitlist.waitlist_remove(actor=outsider, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.status == "waiting"


def test_waitlist_retention_rule_and_notice_text(world):
    """GDPR art. 5(1)(e) (REQ-11): an ended place is deleted 30 days after it ended, with
    evidence; a waiting one is kept while it waits."""
    clinic, _owner, service, _staff, _booked, start = world
    assert "waitlist" in relevant_record_types(clinic)
    policy = policy_for(clinic, "waitlist")
    assert (policy.days, policy.trigger, policy.action) == (30, "ended", "delete")
    with translation.override("en"):
        assert policy.describe() == (
            "30 days after the place on the waiting list ended (a time was booked, it was "
            "left or it expired) (GDPR art. 5.1 e)"
        )
    assert "waitlist-ended" in {r.name for r in sweep_rules()}
    _ended, token = _join(clinic, service, start)
    waiting, _t = _join(clinic, service, start, email="wait@example.com")
    waitlist.waitlist_leave(clinic=clinic, token=token)
    assert sweep_rule("waitlist-ended", now=timezone.now() + timedelta(days=29)) == 0
    assert sweep_rule("waitlist-ended", now=timezone.now() + timedelta(days=31)) == 1
    assert list(WaitlistEntry.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert AccessLogEntry.objects.filter(clinic=clinic, purpose="retention").exists()


def test_erasure_deletes_the_persons_entries_and_offers(world, make_person):
    """Art. 17: a person's places on the list (also those given by e-mail before they
    were a client) and their offers are deleted."""
    clinic, owner, service, _staff, booked, start = world
    entry, _t = _join(clinic, service, start, email="berit@example.com")
    other, _t = _join(clinic, service, start, email="someone@example.com")
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    person = booked.person
    plan = plan_erasure(clinic, person)
    decision = next(d for d in plan.decisions if d.key == "waitlist")
    assert (decision.action, decision.count) == ("delete", 1)
    erase_person(actor=owner, person_id=person.pk)
    assert list(WaitlistEntry.objects.values_list("pk", flat=True)) == [other.pk]
    assert WaitlistOffer.objects.filter(entry_id=entry.pk).count() == 0


def test_the_access_report_has_a_waitlist_section(world):
    """Art. 15 and 20 (REQ-25, REQ-26): the entries, in words, with the times offered."""
    from praksis.booking.personal_data import BookingData

    clinic, owner, service, _staff, booked, start = world
    _join(clinic, service, start, email="berit@example.com")
    appointment_cancel(actor=owner, appointment_id=booked.pk)
    with translation.override("en"):
        sections = BookingData().sections(Subject(clinic=clinic, person=booked.person, actor=owner))
    section = next(s for s in sections if s.key == "waitlist")
    assert section.title == "Waiting list" and section.portable
    assert section.columns["offers"] == "Times offered"
    [item] = section.items
    assert item["email"] == "berit@example.com" and item["times"] == "09:00–12:00"
    assert start.astimezone(clinic.zone).strftime("%Y-%m-%d %H:%M") in item["offers"]
    assert item["status"] == "Waiting"


def test_matching_window_is_the_whole_visit(world):
    clinic, _owner, _service, _staff, _booked, start = world
    entry = WaitlistEntry(weekdays=[start.weekday()], earliest=time(10), latest=time(10, 30))
    local = start.astimezone(clinic.zone)
    assert waitlist._suits(entry, local, timedelta(minutes=30))
    assert not waitlist._suits(entry, local, timedelta(minutes=45))
    assert not waitlist._suits(entry, local - timedelta(minutes=15), timedelta(minutes=30))
