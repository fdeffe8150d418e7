"""Knowing somebody's identity number grants nothing over their record (issue 10, defect 1).

An online booking that gives an identity number on file is linked to that person for the
clinic's sake, but it never changes their consents or contact details, its messages go to
the contact details the booking gave, its manage link shows that booking only, and staff
confirm the match. Consents are managed only through a link sent to the contact on record
(REQ-29).
"""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from django.test import Client

from praksis.booking.models import Appointment
from praksis.booking.services import appointment_book, manage_token
from praksis.messaging.models import OutboxMessage
from praksis.people.identity import synthetic_no
from praksis.people.models import Animal, Person
from praksis.privacy.consent_links import consent_link_token
from praksis.privacy.models import Consent
from praksis.privacy.services import consent_give_at_desk
from tests.booking.test_public_booking import _payload, _post
from tests.conftest import next_local

STRANGER = "stranger@example.net"


@pytest.fixture
def victim(clinic, owner, make_person):
    person = make_person(
        owner, first_name="Viveka", last_name="Hedlund", email="viveka@example.se",
        phone="0702223344",
    )  # fmt: skip
    consent_give_at_desk(
        actor=owner, person_id=person.pk, purpose="marketing_email", channel="desk"
    )
    consent_give_at_desk(actor=owner, person_id=person.pk, purpose="recall", channel="desk")
    return person


@pytest.fixture
def service(clinic, make_bookable):
    return make_bookable(clinic)[0]


def _stranger_books(clinic, service, victim, days=3, **extra):
    payload = _payload(
        service,
        next_local(clinic, days, 10),
        identity_number=victim.identity_number,
        first_name="Sten",
        last_name="Främling",
        email=STRANGER,
        phone="0709998877",
        marketing_opt_in=True,
        **extra,
    )
    response = _post(clinic, payload, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201, response.content
    return Appointment.objects.get(clinic=clinic, reference=response.json()["reference"])


def _snapshot(person):
    person.refresh_from_db()
    consents = sorted(
        Consent.objects.filter(person=person).values_list("pk", "purpose", "withdrawn_at")
    )
    return (person.first_name, person.last_name, person.email, person.phone, consents)


def test_a_booking_with_a_known_identity_number_changes_nothing_on_the_record(
    clinic, service, victim
):
    before = _snapshot(victim)
    appointment = _stranger_books(clinic, service, victim)
    assert appointment.person_id == victim.pk
    assert appointment.identity_match == Appointment.IdentityMatch.TO_CONFIRM
    assert _snapshot(victim) == before  # no consent (notice, marketing) and no contact change
    assert not Consent.objects.filter(person=victim, ip_address="203.0.113.9").exists()
    assert appointment.notice_version is not None  # the acknowledgement stays on the booking
    assert (appointment.booked_email, appointment.booked_first_name) == (STRANGER, "Sten")


def test_messages_about_a_matched_booking_go_to_the_details_it_gave(clinic, service, victim):
    appointment = _stranger_books(clinic, service, victim)
    sent_to = set(
        OutboxMessage.objects.filter(
            related_type="appointment", related_id=appointment.pk
        ).values_list("to_address", flat=True)
    )
    assert sent_to == {STRANGER}


def test_the_manage_link_shows_only_that_booking(clinic, owner, service, victim):
    other = appointment_book(
        actor=owner, service_id=service.pk, person_id=victim.pk, start=next_local(clinic, 5, 14)
    )
    appointment = _stranger_books(clinic, service, victim)
    page = Client().get(f"/{clinic.slug}/booking/{manage_token(appointment)}/?lang=en")
    assert page.status_code == 200
    html = page.content.decode()
    assert appointment.reference in html
    for secret in ("Viveka", "Hedlund", "viveka@example.se", other.reference, "Withdraw"):
        assert secret not in html, secret
    assert "Marketing by e-mail" not in html and "Recall reminders" not in html
    assert not re.search(r"consents/\d+/", html)


def test_the_answer_is_the_same_whether_or_not_the_number_is_on_file(clinic, service, victim):
    matched = _post(
        clinic, _payload(service, next_local(clinic, 3, 10), identity_number=victim.identity_number)
    )
    fresh = _post(clinic, _payload(service, next_local(clinic, 3, 11)))
    assert matched.status_code == fresh.status_code == 201
    assert matched.json().keys() == fresh.json().keys()
    pages = [
        Client()
        .get(
            f"/{clinic.slug}/booking/"
            f"{manage_token(Appointment.objects.get(reference=r.json()['reference']))}/?lang=en"
        )
        .content.decode()
        for r in (matched, fresh)
    ]
    noise = r"\d\d:\d\d|[A-Z0-9]{8}|/booking/[\w-]+/|csrfmiddlewaretoken\" value=\"[^\"]+"
    strip = [re.sub(noise, "", p) for p in pages]
    import difflib

    assert strip[0] == strip[1], "\n".join(difflib.unified_diff(*(x.splitlines() for x in strip)))


def test_a_booking_from_the_contact_on_record_needs_no_confirmation(clinic, service, victim):
    payload = _payload(
        service,
        next_local(clinic, 3, 10),
        identity_number=victim.identity_number,
        email="VIVEKA@example.se",
        marketing_opt_in=True,
    )
    before = _snapshot(victim)
    response = _post(clinic, payload)
    appointment = Appointment.objects.get(reference=response.json()["reference"])
    assert appointment.identity_match == Appointment.IdentityMatch.SAME_CONTACT
    assert _snapshot(victim) == before  # still no consent recorded from a booking


def test_a_new_client_gives_their_consents_with_the_booking(clinic, service):
    response = _post(clinic, _payload(service, next_local(clinic, 3, 10), marketing_opt_in=True))
    appointment = Appointment.objects.get(reference=response.json()["reference"])
    assert appointment.identity_match == ""
    purposes = set(
        Consent.objects.filter(person=appointment.person).values_list("purpose", flat=True)
    )
    assert purposes == {"privacy_notice", "marketing_email"}


def test_staff_see_the_match_and_confirm_it(clinic, service, victim, make_staff):
    appointment = _stranger_books(clinic, service, victim)
    desk = Client()
    desk.force_login(make_staff(clinic, "receptionist"))
    page = desk.get("/staff/requests/").content.decode()
    assert "Viveka Hedlund" in page and STRANGER in page
    detail = desk.get(f"/staff/appointments/{appointment.pk}/").content.decode()
    assert 'id="identity-match"' in detail
    before = _snapshot(victim)
    response = desk.post(f"/staff/appointments/{appointment.pk}/identity/", {"same_person": "1"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.identity_match == Appointment.IdentityMatch.CONFIRMED
    assert appointment.identity_checked_at is not None
    assert appointment.status == "booked"
    assert _snapshot(victim) == before
    assert "Viveka Hedlund" not in desk.get("/staff/requests/").content.decode()


def test_staff_reject_the_match_which_cancels_and_tells_the_booker(
    clinic, service, victim, make_api
):
    appointment = _stranger_books(clinic, service, victim)
    api = make_api(clinic, "receptionist")
    response = api.post(f"appointments/{appointment.pk}/identity", {"same_person": False})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    cancellation = OutboxMessage.objects.get(
        related_type="appointment", related_id=appointment.pk, kind="cancellation",
        channel="email",
    )  # fmt: skip
    assert cancellation.to_address == STRANGER
    assert (
        api.post(f"appointments/{appointment.pk}/identity", {"same_person": True}).status_code
        == 409
    )


def test_another_clinic_cannot_settle_a_match(clinic, service, victim, make_clinic, make_api):
    appointment = _stranger_books(clinic, service, victim)
    other = make_api(make_clinic("other"), "owner")
    assert (
        other.post(f"appointments/{appointment.pk}/identity", {"same_person": True}).status_code
        == 404
    )
    appointment.refresh_from_db()
    assert appointment.identity_match == Appointment.IdentityMatch.TO_CONFIRM


def test_a_vet_booking_for_a_known_owner_adds_no_animal_to_their_record(
    make_clinic, make_bookable, make_actor, make_person
):
    clinic = make_clinic("vet")
    owner = make_actor(clinic, "owner")
    service, _staff = make_bookable(clinic)
    number = synthetic_no(random.Random(3), date(1979, 6, 30))
    victim = make_person(
        owner, first_name="Ola", last_name="Nordmann", email="ola@example.no",
        identity_number=number,
    )  # fmt: skip
    payload = _payload(
        service, next_local(clinic, 3, 10), identity_number=number, email=STRANGER,
        phone="41234567", animal_name="Fant", animal_species="dog",
    )  # fmt: skip
    response = _post(clinic, payload)
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(reference=response.json()["reference"])
    assert appointment.animal_id is None and appointment.booked_animal.startswith("Fant")
    assert not Animal.objects.filter(clinic=clinic, ownerships__person=victim).exists()


# --- Consents only through a link sent to the contact on record (REQ-29) ----------------


def test_req29_a_consents_link_goes_only_to_the_contact_on_record(clinic, victim):
    client = Client()
    unknown = client.post(f"/{clinic.slug}/consents/", {"contact": STRANGER, "lang": "en"})
    known = client.post(f"/{clinic.slug}/consents/", {"contact": "Viveka@Example.se", "lang": "en"})
    assert unknown.status_code == known.status_code == 200
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.content.decode())  # noqa: E731
    assert strip(unknown) == strip(known)  # no way to tell whether the address is known
    (message,) = OutboxMessage.objects.filter(clinic=clinic, subject__startswith="Your consents")
    assert message.to_address == "viveka@example.se"
    link = re.search(r"https?://\S+/consents/\S+", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path).content.decode()
    assert "Marketing by e-mail" in page and "Withdraw" in page


def test_req29_the_client_withdraws_and_gives_consents_from_the_link(clinic, victim):
    client = Client()
    url = f"/{clinic.slug}/consents/{consent_link_token(victim)}/?lang=en"
    marketing = Consent.objects.get(person=victim, purpose="marketing_email")
    assert client.post(url, {"withdraw": marketing.pk}).status_code == 302
    marketing.refresh_from_db()
    assert marketing.withdrawn_at is not None
    assert client.post(url, {"give": "marketing_sms"}).status_code == 302
    sms = Consent.objects.get(person=victim, purpose="marketing_sms", withdrawn_at=None)
    assert sms.channel == "online" and sms.text_shown
    # Only self-service purposes: a disclosure consent cannot be given this way.
    assert client.post(url, {"give": "disclosure"}).status_code == 422


def test_req29_a_consents_link_is_refused_when_tampered_foreign_or_stale(
    clinic, victim, make_clinic, make_person, make_actor
):
    client = Client()
    token = consent_link_token(victim)
    assert client.get(f"/{clinic.slug}/consents/{token[:-2]}xx/").status_code == 404
    other = make_clinic("other")
    assert client.get(f"/{other.slug}/consents/{token}/").status_code == 404
    # Another consent of another person cannot be withdrawn through this link.
    someone = make_person(make_actor(clinic, "owner"), email="someone@example.se")
    theirs = consent_give_at_desk(
        actor=make_actor(clinic, "owner"), person_id=someone.pk, purpose="recall", channel="desk"
    )
    assert (
        client.post(f"/{clinic.slug}/consents/{token}/", {"withdraw": theirs.pk}).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None
    # A changed contact on record ends the links sent to the old one.
    Person.objects.filter(pk=victim.pk).update(email="new@example.se")
    assert client.get(f"/{clinic.slug}/consents/{token}/").status_code == 404
