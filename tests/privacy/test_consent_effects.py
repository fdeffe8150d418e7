"""Withdrawing a consent has its effect at once (REQ-29): marketing stops — every marketing
message carries a one-click opt-out link — and a withdrawn photo consent opens a take-down
task with a deadline. Marketing is chosen from consents only, never from health data, and
never reaches restricted people (REQ-28, REQ-33)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from praksis.core.errors import ValidationFailed
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.privacy.marketing import campaign_send, optout_token
from praksis.privacy.models import Consent, TakedownTask
from praksis.privacy.services import (
    TAKEDOWN_HOURS,
    consent_give,
    consent_withdraw,
    restriction_set,
    takedown_done,
)

pytestmark = pytest.mark.django_db


def _opt_in(owner, person, purpose="marketing_email"):
    return consent_give(
        actor=owner,
        person_id=person.pk,
        purpose=purpose,
        text_version="v1",
        text_shown="Yes, send me offers.",
    )


@pytest.fixture
def people(clinic, owner, make_person):
    opted = make_person(owner, first_name="Ida", last_name="Berg", email="ida@example.com")
    silent = make_person(owner, first_name="Per", last_name="Ek", email="per@example.com")
    restricted = make_person(owner, first_name="Rut", last_name="Ås", email="rut@example.com")
    _opt_in(owner, opted)
    _opt_in(owner, restricted)
    restriction_set(actor=owner, person_id=restricted.pk, reason="Art. 18(1)(a)")
    return opted, silent, restricted


def test_req29_newsletter_goes_only_to_opted_in_with_an_opt_out_link(
    clinic, owner, people, smtp_server
):
    """REQ-29: prior opt-in per channel; every message includes an opt-out (marknads-
    föringslagen 19 §); REQ-28: not to restricted people."""
    opted, _silent, _restricted = people
    assert campaign_send(actor=owner, channel="email", subject="Autumn", body="New frames!") == 1
    assert campaign_send(actor=owner, channel="sms", subject="", body="Offer") == 0  # no SMS opt-in
    deliver_due()
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "ida@example.com"
    text = mail.get_content()
    link = re.search(r"https?://\S+/optout/\S+/", text).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    visitor = Client()
    assert visitor.get(path).status_code == 200
    assert visitor.post(path).status_code == 200  # one click on the page's one button
    consent = Consent.objects.get(person=opted, purpose="marketing_email")
    assert consent.withdrawn_at is not None
    assert campaign_send(actor=owner, channel="email", subject="Again", body="More") == 0


def test_req29_opt_out_links_cannot_be_forged(clinic, owner, people):
    opted, _silent, _restricted = people
    consent = Consent.objects.get(person=opted, purpose="marketing_email")
    token = optout_token(consent)
    forged = f"{consent.pk}-{'0' * 32}"
    visitor = Client()
    assert visitor.get(f"/{clinic.slug}/optout/{forged}/").status_code == 404
    assert visitor.post(f"/{clinic.slug}/optout/{forged}/").status_code == 404
    assert visitor.get(f"/{clinic.slug}/optout/{token}/").status_code == 200
    consent.refresh_from_db()
    assert consent.withdrawn_at is None  # opening the page alone changes nothing


def test_req29_withdrawal_drops_marketing_not_yet_sent(clinic, owner, people):
    opted, _silent, _restricted = people
    campaign_send(actor=owner, channel="email", subject="Autumn", body="New frames!")
    assert OutboxMessage.objects.filter(kind="marketing", status="pending").count() == 1
    consent = Consent.objects.get(person=opted, purpose="marketing_email")
    consent_withdraw(actor=owner, consent_id=consent.pk)
    assert not OutboxMessage.objects.filter(kind="marketing").exists()


def test_newsletter_needs_a_message_and_only_the_owner_sends_it(clinic, owner, receptionist):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(ValidationFailed) as exc:
        campaign_send(actor=owner, channel="fax", subject="", body="")
    assert {"channel", "body"} <= set(exc.value.errors)
    with pytest.raises(PermissionDenied):
        campaign_send(actor=receptionist, channel="email", subject="x", body="y")


def test_newsletter_page_keeps_what_was_typed(clinic, make_staff):
    ui = Client()
    ui.force_login(make_staff(clinic, "owner", email="boss@example.com"))
    response = ui.post("/staff/messages/marketing/", {"channel": "email", "body": "Hej alla"})
    assert response.status_code == 422
    assert "Hej alla" in response.content.decode()


def test_req29_withdrawn_photo_consent_opens_a_take_down_task(clinic, owner, make_person):
    """REQ-29 with seed 001: a client who regrets the photo consent gets the photo taken
    down — a task with a deadline on the owner's dashboard until it is marked done."""
    person = make_person(owner, first_name="Lea", last_name="Holm")
    photos = _opt_in(owner, person, purpose="photos")
    assert not TakedownTask.objects.exists()
    consent_withdraw(actor=owner, consent_id=photos.pk)
    consent_withdraw(actor=owner, consent_id=photos.pk)  # twice: still one task
    task = TakedownTask.objects.get()
    assert task.person == person
    assert task.due_at - task.opened_at == timedelta(hours=TAKEDOWN_HOURS)
    ui = Client()
    from praksis.clinics.models import User

    ui.force_login(User.objects.get(pk=owner.user_id))
    page = ui.get("/staff/privacy-requests/").content.decode()
    assert "Holm" in page and f"/staff/takedowns/{task.pk}/done/" in page
    ui.post(f"/staff/takedowns/{task.pk}/done/", {"note": "Instagram post deleted"})
    task.refresh_from_db()
    assert task.done_at is not None and task.note == "Instagram post deleted"
    assert "Holm" not in ui.get("/staff/privacy-requests/").content.decode()
    again = takedown_done(actor=owner, takedown_id=task.pk, note="later")
    assert again.note == "Instagram post deleted"  # done once, not overwritten


def test_req29_the_person_withdraws_photos_from_the_manage_page_too(clinic, owner, make_person):
    from praksis.privacy.services import consent_withdraw_by_person

    person = make_person(owner, first_name="Lea", last_name="Holm")
    photos = _opt_in(owner, person, purpose="photos")
    consent_withdraw_by_person(clinic=clinic, person_id=person.pk, consent_id=photos.pk)
    assert TakedownTask.objects.filter(consent=photos, done_at__isnull=True).exists()


def test_req29_desk_consent_to_a_named_third_party_allows_only_that_disclosure(
    make_clinic, make_actor, make_person, make_staff
):
    """REQ-29 with seeds 003/004: a referral consent names its recipient, is recorded at the
    desk with the exact text in the clinic's language, allows that referral only, and its
    withdrawal blocks the next one at once."""
    from praksis.disclosures.services import disclosure_record

    dental = make_clinic("dental")
    owner = make_actor(dental, "owner")
    person = make_person(owner, first_name="Kari", last_name="Nordmann")

    def refer(to: str):
        return disclosure_record(
            actor=owner,
            person_id=person.pk,
            kind="referral",
            recipient_name=to,
            description="Røntgen og henvisning",
            reason="Vurdering av visdomstann 38",
            channel="encrypted_email",
            basis="consent",
        )

    with pytest.raises(ValidationFailed):
        refer("Kjevekirurgen AS")
    ui = Client()
    ui.force_login(make_staff(dental, "receptionist", email="desk@example.com"))
    missing = ui.post(f"/staff/persons/{person.pk}/consents/new/", {"purpose": "disclosure"})
    assert missing.status_code == 302 and "consent_error=" in missing["Location"]
    assert "purpose=disclosure" in missing["Location"]  # what was chosen comes back
    ui.post(
        f"/staff/persons/{person.pk}/consents/new/",
        {"purpose": "disclosure", "third_party": " Kjevekirurgen  AS ", "channel": "desk"},
    )
    consent = Consent.objects.get(person=person, purpose="disclosure")
    assert consent.third_party == "Kjevekirurgen AS"
    assert "Kjevekirurgen AS" in consent.text_shown and consent.text_version == "desk-1"
    refer("kjevekirurgen as")
    with pytest.raises(ValidationFailed):
        refer("Annen Klinikk AS")
    consent_withdraw(actor=owner, consent_id=consent.pk)
    with pytest.raises(ValidationFailed):
        refer("Kjevekirurgen AS")


def test_req28_dashboard_names_the_recipients_to_tell(make_clinic, make_actor, make_person):
    """REQ-28 (Art. 19): for a rectification, erasure or restriction the owner sees who
    received the person's data, to tell them."""
    from praksis.clinics.models import User
    from praksis.disclosures.services import disclosure_record
    from praksis.privacy.requests import request_create
    from praksis.privacy.services import consent_give_at_desk

    dental = make_clinic("dental")
    owner = make_actor(dental, "owner")
    person = make_person(owner, first_name="Kari", last_name="Nordmann")
    consent_give_at_desk(
        actor=owner,
        person_id=person.pk,
        purpose="disclosure",
        channel="desk",
        third_party="Kjevekirurgen AS",
    )
    disclosure_record(
        actor=owner,
        person_id=person.pk,
        kind="referral",
        recipient_name="Kjevekirurgen AS",
        description="Røntgen",
        reason="Vurdering",
        channel="post",
        basis="consent",
    )
    rectify = request_create(actor=owner, person_id=person.pk, kind="rectification")
    access = request_create(actor=owner, person_id=person.pk, kind="access")
    ui = Client()
    ui.force_login(User.objects.get(pk=owner.user_id))
    page = ui.get("/staff/privacy-requests/").content.decode()
    assert f'id="recipients-{rectify.pk}"' in page and "Kjevekirurgen AS" in page
    assert f'id="recipients-{access.pk}"' not in page
