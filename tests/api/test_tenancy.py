"""Tenancy is absolute: a member of another clinic gets 404 on every URL, and nothing changes.

The test walks every URL pattern of the API and the staff UI, fills in the ids of a
victim clinic's objects, and calls each with every method, as a member of another clinic
(owner role, the strongest). A new URL pattern that this walk cannot fill fails the test,
so new endpoints are covered when they are added.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from praksis.audit.models import AccessLogEntry
from praksis.booking import setup as booking_setup
from praksis.booking.feeds import feed_create
from praksis.booking.models import (
    Absence,
    Appointment,
    AppointmentSeries,
    BookingRequest,
    CalendarFeed,
    ClosedDay,
    Resource,
    ResourceHold,
    Service,
    WaitlistEntry,
    WorkingHours,
)
from praksis.booking.services import appointment_book, booking_request_create, manage_token
from praksis.clinics.models import ApiToken
from praksis.clinics.services import token_issue
from praksis.disclosures.services import disclosure_record
from praksis.journal.models import JournalEntry
from praksis.journal.services import attachment_add, entry_create
from praksis.messaging.models import OutboxMessage
from praksis.people.models import Animal, AnimalOwner, AnimalWeight, Person
from praksis.people.services import animal_create, animal_owner_add, animal_weight_record
from praksis.privacy.intake import request_public_create
from praksis.privacy.requests import request_create
from praksis.privacy.services import consent_give, consent_withdraw
from praksis.recall.services import recall_set
from tests.conftest import next_local, speaks

# Patterns that hold no clinic data (or are the way in): nothing to fill.
UNSCOPED = {
    "",
    "healthz",
    "api/v1/openapi.json",
    "api/v1/docs",
    "^api/",
    "staff/login/",
    "staff/login/otp/",
    "staff/logout/",
    "i18n/setlang/",
}
METHODS = ("get", "post", "put", "patch", "delete")


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str, values: dict[str, str]) -> str | None:
    """Fill ``<int:person_id>``-style parameters; None if one has no value."""
    route = route.lstrip("^").rstrip("$")
    missing = []

    def fill(match):
        name = match.group(2)
        if name not in values:
            missing.append(name)
            return ""
        return values[name]

    url = re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)
    return None if missing else "/" + url


def _snapshot(clinic):
    people = list(
        Person.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name", "email", "phone", "updated_at")
    )
    animals = list(
        Animal.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "name", "species", "sex", "neutered", "colour", "chip_id",
                     "deceased_on")
    )  # fmt: skip
    # The animals' owners (who is primary) and weighings (the animal pages' writes).
    animals.append(
        list(AnimalOwner.objects.filter(clinic=clinic).order_by("pk").values_list(
            "pk", "animal_id", "person_id", "is_primary"))
    )  # fmt: skip
    animals.append(
        list(AnimalWeight.objects.filter(clinic=clinic).order_by("pk").values_list(
            "pk", "weight_kg", "weighed_on"))
    )  # fmt: skip
    appointments = list(
        Appointment.objects.filter(clinic=clinic).values_list("pk", "status", "start", "sequence")
    )
    requests = list(BookingRequest.objects.filter(clinic=clinic).values_list("pk", "status"))
    requests += list(WaitlistEntry.objects.filter(clinic=clinic).values_list("pk", "status"))
    messages = list(
        OutboxMessage.objects.filter(clinic=clinic).values_list("pk", "status", "attempts")
    )
    journal = list(
        JournalEntry.objects.filter(clinic=clinic).values_list("pk", "signed_at", "updated_at")
    )
    log = AccessLogEntry.objects.filter(clinic=clinic).count()
    tokens = list(ApiToken.objects.filter(clinic=clinic).values_list("pk", "revoked_at"))
    # Calendar feeds (made, revoked) and recurring series (moved, cancelled: appointments).
    tokens.append(
        list(CalendarFeed.objects.filter(clinic=clinic).order_by("pk").values_list(
            "pk", "revoked_at", "show_names"))
    )  # fmt: skip
    return (
        people, animals, appointments, requests, messages, journal, log, tokens,
        _setup(clinic), _clinic_setup(clinic),
    )  # fmt: skip


def _clinic_setup(clinic):
    """The clinic's details, booking policy, staff (roles and accounts) and set-up links."""
    from praksis.booking.models import BookingPolicy
    from praksis.clinics.models import Clinic, Membership, SetupLink

    details = Clinic.objects.filter(pk=clinic.pk).values_list().get()
    policy = BookingPolicy.objects.filter(clinic=clinic).values_list().get()
    staff = list(
        Membership.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "role", "is_active", "user__full_name", "user__title",
                     "user__hpr_number", "user__password", "user__is_active")
    )  # fmt: skip
    links = list(
        SetupLink.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "used_at")
    )
    return details, policy, staff, links


def _setup(clinic):
    """The clinic's booking set-up: services, hours, absences, closing days."""
    services = list(
        Service.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "name", "price", "vat_rate", "active", "online_bookable")
    )
    given_by = list(
        Service.practitioners.through.objects.filter(service__clinic=clinic)
        .order_by("pk")
        .values_list("service_id", "practitioner_id")
    )
    hours = list(
        WorkingHours.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "practitioner_id", "weekday", "start", "end")
    )
    absences = list(
        Absence.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "start", "end")
    )
    closed = list(ClosedDay.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "date"))
    rooms = list(
        Resource.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "name", "kind", "active", "services")
    )
    holds = list(ResourceHold.objects.filter(clinic=clinic).order_by("pk").values_list())
    return services, given_by, hours, absences, closed, rooms, holds


@pytest.fixture
def victim(make_clinic, make_actor, make_person, make_bookable):
    clinic = make_clinic("vet")
    owner = make_actor(clinic, "owner")
    person = make_person(
        owner, first_name="Solveig", last_name="Offerdal", email="solveig@example.com"
    )
    animal = animal_create(actor=owner, owner_ids=[person.pk], name="Tassen", species="cat")
    # A co-owner and a weighing: the animal pages (staff/animals/<animal_id>/...) change them.
    co_owner = make_person(owner, first_name="Ola", last_name="Offerdal-Berg")
    animal_owner_add(actor=owner, animal_id=animal.pk, person_id=co_owner.pk)
    animal_weight_record(actor=owner, animal_id=animal.pk, weight_kg="4.2")
    service, _staff = make_bookable(clinic)
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=next_local(clinic)
    )
    # One of a recurring series (its series pages), and a calendar feed of its practitioner.
    series = AppointmentSeries.objects.create(clinic=clinic, interval_weeks=1, count=2)
    Appointment.objects.filter(pk=appointment.pk).update(series=series, series_index=1)
    feed, _feed_url = feed_create(actor=owner, practitioner_id=_staff[0].pk, show_names=True)
    request = booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Solveig",
            "last_name": "Offerdal",
            "phone": "41234567",
            "accept_privacy_notice": True,
        },
    )
    message = OutboxMessage.objects.filter(clinic=clinic).first()
    vet = make_actor(clinic, "practitioner")
    entry = entry_create(actor=vet, animal_id=animal.pk, text="Tassen: otitis", sign=False)
    attachment = attachment_add(
        actor=vet,
        entry_id=entry.pk,
        filename="ear.png",
        content_type="image/png",
        data=b"\x89PNG\r\n\x1a\n" + b"0" * 32,
    )
    from praksis.sales.services import invoice_issue, order_create

    order = order_create(
        actor=owner,
        person_id=person.pk,
        journal_entry_id=entry.pk,
        lines=[{"description": "Vaksine", "unit_price": "450", "vat_rate": "25"}],
    )
    invoice = invoice_issue(actor=owner, order_id=order.pk)
    from praksis.journal.requests import journal_request_record

    # REQ-18: the owner's request about the animal's journal (its decision is a POST).
    journal_request = journal_request_record(
        actor=vet, kind="access", animal_id=animal.pk, requester_id=person.pk
    )
    return (
        clinic,
        person,
        {
            "person_id": person.pk,
            "animal_id": animal.pk,
            "appointment_id": appointment.pk,
            "request_id": request.pk,
            "message_id": message.pk,
            "token": manage_token(appointment),
            "subject_id": animal.pk,
            "privacy_request_id": request_create(
                actor=owner, person_id=person.pk, kind="access"
            ).pk,
            "consent_id": consent_give(
                actor=owner,
                person_id=person.pk,
                purpose="marketing_email",
                text_version="v1",
                text_shown="Yes, send me news by e-mail.",
            ).pk,
            "takedown_id": _takedown(owner, person).pk,
            # Issue 14: a public request whose contact matches no one (the owner's to resolve).
            "unmatched_id": request_public_create(
                clinic=clinic, contact="nobody.here@example.com", kind="access"
            ).pk,
            "entry_id": entry.pk,
            "attachment_id": attachment.pk,
            "recall_id": recall_set(actor=owner, animal=animal, interval_months=12).pk,
            "order_id": order.pk,
            "invoice_id": invoice.pk,
            "review_id": _review(owner).pk,
            "breach_id": _breach(owner).pk,
            "token_id": _token(owner).pk,
            "hold_id": _hold(owner, person).pk,
            "activity_id": _activity(owner),
            "processor_id": _processor(owner),
            "membership_id": _membership(clinic, vet),
            "service_id": service.pk,
            "absence_id": booking_setup.absence_add(
                actor=owner,
                membership_id=_membership(clinic, vet),
                start="2031-07-01T08:00",
                end="2031-07-31T17:00",
                reason="Ferie",
            )[0].pk,
            "closing_day_id": booking_setup.closing_day_add(actor=owner, day="2031-12-24")[0].pk,
            "resource_id": _room(owner, service, person),
            "waitlist_entry_id": _waitlist_entry(owner, person, service).pk,
            "feed_id": feed.pk,
            "journal_request_id": journal_request.pk,
            "disclosure_id": disclosure_record(
                actor=owner,
                person_id=person.pk,
                animal_id=animal.pk,
                kind="lab_sample",
                recipient_name="Vetlab AS",
                description="Blood sample",
                channel="post",
            ).pk,
        },
    )


def _waitlist_entry(owner, person, service):
    """A client staff put on the waiting list."""
    from praksis.booking.waitlist import waitlist_add

    data = {"service": service.pk, "weekdays": [0, 1, 2]}
    return waitlist_add(actor=owner, person_id=person.pk, data=data)[0]


def _room(owner, service, person) -> int:
    """The surgery, needed by the service, held by a booking of it."""
    room = Resource.objects.create(clinic=owner.clinic, name="Operasjonssal")
    service.resources.set([room])
    appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk,
        start=next_local(owner.clinic, days=4),
    )  # fmt: skip
    return room.pk


def _membership(clinic, actor) -> int:
    """A member of staff, by the id the set-up pages and API use."""
    from praksis.clinics.models import Membership

    return Membership.objects.get(clinic=clinic, user=actor.user).pk


def _activity(owner) -> int:
    """An activity of the record of processing (every clinic gets its profile's)."""
    from praksis.processing.models import ProcessingActivity

    return ProcessingActivity.objects.filter(clinic=owner.clinic).values_list("pk", flat=True)[0]


def _processor(owner) -> int:
    """An entry of the processor register."""
    from praksis.processing.services import processor_save

    data = {"name": "Fjellsky Drift AS", "service": "hosting", "country": "NO"}
    return processor_save(actor=owner, data=data).pk


def _review(owner):
    """A recorded review of the access log (REQ-22)."""
    from praksis.audit.services import access_review_record

    today = owner.clinic.created_at.date()
    return access_review_record(
        actor=owner, date_from=today, date_to=today, method="systematic", outcome="no_remarks"
    )


def _hold(owner, person):
    """A legal hold on the person (retention engine)."""
    from praksis.privacy.retention import hold_place

    return hold_place(actor=owner, person=person, reason="Pending claim")


def _breach(owner):
    """A breach in the register, with a phase and an affected person."""
    from praksis.breaches.services import (
        affected_from_access_log,
        breach_add_update,
        breach_register,
    )

    start = next_local(owner.clinic, days=-1)
    breach = breach_register(actor=owner, description="Lost laptop", discovered_at=start)
    breach_add_update(actor=owner, breach_id=breach.pk, text="Reported to the police")
    affected_from_access_log(
        actor=owner,
        breach_id=breach.pk,
        user_id=owner.user.pk,
        start=start,
        end=next_local(owner.clinic, days=1),
    )
    return breach


def _token(owner):
    """An API token of the clinic's owner."""
    token_issue(user=owner.user, clinic=owner.clinic, name="Bokföring")
    return ApiToken.objects.filter(user=owner.user, clinic=owner.clinic).latest("pk")


def _takedown(owner, person):
    """A withdrawn photo consent's take-down task."""
    from praksis.privacy.models import TakedownTask

    photos = consent_give(
        actor=owner,
        person_id=person.pk,
        purpose="photos",
        text_version="v1",
        text_shown="Photos of me may be shown on social media.",
    )
    consent_withdraw(actor=owner, consent_id=photos.pk)
    return TakedownTask.objects.get(consent=photos)


def test_every_url_refuses_another_clinic(victim, make_clinic, make_staff, make_api):
    clinic, person, ids = victim
    outsider_clinic = make_clinic("other")
    ui = Client()
    ui.force_login(make_staff(outsider_clinic, "owner", email="owner@annan.test"))
    # The strongest token too: one that may also do sensitive actions (erasure, ...).
    api = make_api(outsider_clinic, "owner", scopes="sensitive")
    # Public pages name a clinic: asked under the outsider's own clinic, the victim's
    # objects (its manage-link token) must not be found.
    values = {k: str(v) for k, v in ids.items()}
    values.update(slug=clinic.slug, clinic=outsider_clinic.slug)
    before = _snapshot(clinic)

    missing = {k: ("x" * 43 if k in ("token", "slug") else "999999") for k in values}
    missing["clinic"] = outsider_clinic.slug

    def call(url: str, method: str):
        if url.startswith("/api/v1/"):
            data = {"first_name": "X"} if method in ("post", "put", "patch") else None
            return api.call(method, url.removeprefix("/api/v1/"), data)
        return getattr(ui, method)(url)

    checked = 0
    for route in _walk(get_resolver()):
        if route.lstrip("^").rstrip("$") in UNSCOPED:
            continue
        url = _concrete(route, values)
        assert url is not None, f"tenancy walk cannot fill {route!r}: add its parameter"
        names_object = re.search(r"<(?:\w+:)?(?!clinic>)\w+>", route)
        for method in METHODS:
            response = call(url, method)
            body = response.content.decode(errors="replace")
            assert person.last_name not in body, f"{method.upper()} {url} leaked a name"
            assert response.status_code < 500, f"{method.upper()} {url}"
            if names_object:
                # Another clinic's object is indistinguishable from one that does not exist.
                assert response.status_code in (404, 405, 422), (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
                ghost = call(_concrete(route, missing), method)
                assert (ghost.status_code, ghost.content) == (
                    response.status_code,
                    response.content,
                ) or response.status_code == 404, f"{method.upper()} {url} differs from a ghost"
            checked += 1
    assert checked > 40
    assert _snapshot(clinic) == before


def test_api_lists_only_own_clinic(victim, make_clinic, make_api):
    _clinic, person, _ids = victim
    api = make_api(make_clinic("other"), "receptionist")
    response = api.get("persons", q="Offerdal")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0, "count_capped": False}
    response = api.get(f"persons/{person.pk}")
    assert response.status_code == 404


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_every_page_and_read_answers_its_own_clinic_without_error(victim, language):
    """The other side of the walk: the clinic's own owner GETs every URL with the ids of
    real objects — staff pages, API reads, PDFs — in each UI language, and nothing fails
    (a missing translation placeholder or a template error would be a 500)."""
    from praksis.clinics.models import Membership

    clinic, _person, ids = victim
    owner = Membership.objects.filter(clinic=clinic, role="owner").select_related("user").first()
    ui = Client(HTTP_ACCEPT_LANGUAGE=language)  # the API's language
    ui.force_login(speaks(owner.user, language))  # the staff pages' language
    bearer = {"Authorization": f"Bearer {token_issue(user=owner.user, clinic=clinic)}"}
    values = {k: str(v) for k, v in ids.items()}
    values.update(slug=clinic.slug, clinic=clinic.slug)
    checked = 0
    for route in _walk(get_resolver()):
        url = _concrete(route, values)
        if url is None or "logout" in url or "/optout/" in url:
            continue
        headers = bearer if url.startswith("/api/v1/") else {}
        response = ui.get(url, headers=headers)
        assert response.status_code < 500, f"GET {url} ({language}): {response.status_code}"
        checked += 1
    assert checked > 80
