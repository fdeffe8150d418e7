"""Demo booking set-up: services, practitioners, weekly hours and some bookings; past
visits, today's bookings and a phone booking made through the booking service (which
sends the confirmation); and, for a clinic that takes requests, a booking request."""

from __future__ import annotations

import random
import uuid
from datetime import date, time, timedelta

from django.utils import timezone

from praksis.booking.availability import free_slots
from praksis.booking.models import (
    Appointment,
    BookingPolicy,
    BookingRequest,
    Practitioner,
    Resource,
    Service,
    WorkingHours,
)
from praksis.booking.resources import hold_resources
from praksis.booking.services import appointment_book, booking_request_create, manage_token
from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic, Membership, Role
from praksis.core.crypto import sha256_hex
from praksis.people.models import Person

SERVICES = {
    "optician": [
        ({"sv": "Synundersökning", "nb": "Synsundersøkelse", "en": "Eye examination"}, 45, 15, 595),
        (
            {
                "sv": "Kontaktlinsundersökning",
                "nb": "Kontaktlinseundersøkelse",
                "en": "Contact lens examination",
            },
            30,
            0,
            450,
        ),
        ({"sv": "Glasögonutprovning", "nb": "Brilletilpasning", "en": "Glasses fitting"}, 15, 0, 0),
    ],
    "therapy": [
        (
            {
                "sv": "Klassisk massage 60 min",
                "nb": "Klassisk massasje 60 min",
                "en": "Classic massage 60 min",
            },
            60,
            15,
            750,
        ),
        ({"sv": "Samtalsterapi", "nb": "Samtaleterapi", "en": "Talking therapy"}, 50, 10, 900),
    ],
    "veterinary": [
        ({"sv": "Hälsokontroll", "nb": "Helsesjekk", "en": "Health check"}, 30, 0, 690),
        ({"sv": "Vaccination", "nb": "Vaksinasjon", "en": "Vaccination"}, 20, 0, 450),
        ({"sv": "Kastrering", "nb": "Kastrering", "en": "Neutering"}, 60, 30, 2900),
        ({"sv": "Röntgenundersökning", "nb": "Røntgenundersøkelse", "en": "X-ray"}, 30, 15, 1450),
    ],
    "dental": [
        ({"sv": "Undersökning", "nb": "Undersøkelse", "en": "Check-up"}, 45, 0, 890),
        ({"sv": "Tandrengöring", "nb": "Tannrens", "en": "Dental cleaning"}, 30, 0, 690),
    ],
}
# Rooms and equipment per profile: (name, kind, the services (English names) that need it).
RESOURCES = {
    "optician": [
        ("Undersökningsrum 1 (spaltlampa)", "room", ["Eye examination"]),
        ("Undersökningsrum 2", "room", []),
        ("Autorefraktor", "equipment", []),
    ],
    "therapy": [("Behandlingsrum 1", "room", ["Classic massage 60 min"])],
    "veterinary": [
        ("Operasjonssal", "room", ["Neutering"]),
        ("Røntgen", "room", ["X-ray"]),
        ("Ultralydapparat", "equipment", []),
    ],
    "dental": [("Røntgenapparat (OPG)", "equipment", ["Check-up"])],
}
EXTRA_PRACTITIONERS = {
    "SE": ["Emma Sjöberg", "Oskar Wallin"],
    "NO": ["Ingrid Solheim", "Håkon Berge"],
}
WEEK = [
    [(time(9), time(12)), (time(13), time(17))],
    [(time(9), time(12)), (time(13), time(17))],
    [(time(9), time(12)), (time(13), time(18))],
    [(time(9), time(12)), (time(13), time(17))],
    [(time(9), time(14))],
    [(time(10), time(14))],
    [],
]


def seed_booking(clinic: Clinic, rng: random.Random) -> None:
    """Create the booking set-up of a demo clinic once."""
    if Service.objects.filter(clinic=clinic).exists():
        return
    policy, _created = BookingPolicy.objects.get_or_create(clinic=clinic)
    if clinic.profile == "dental":
        policy.mode = BookingPolicy.Mode.REQUESTS
        policy.save(update_fields=["mode"])
    staff = Membership.objects.filter(clinic=clinic, role=Role.PRACTITIONER).select_related("user")
    practitioners = [
        Practitioner.objects.create(
            clinic=clinic, user=m.user, name=m.user.full_name, title=m.user.title
        )
        for m in staff
    ]
    practitioners += [
        Practitioner.objects.create(clinic=clinic, name=name)
        for name in EXTRA_PRACTITIONERS[clinic.country][:1]
    ]
    for practitioner in practitioners:
        WorkingHours.objects.bulk_create(
            WorkingHours(clinic=clinic, practitioner=practitioner, weekday=day, start=a, end=b)
            for day, spans in enumerate(WEEK)
            for a, b in spans
        )
    services = []
    for names, minutes, buffer, price in SERVICES[clinic.profile]:
        service = Service.objects.create(
            clinic=clinic,
            name=names[clinic.language],
            names=names,
            duration_minutes=minutes,
            buffer_minutes=buffer,
            price=price,
        )
        service.practitioners.set(practitioners)
        services.append(service)
    _seed_resources(clinic, services)
    _seed_appointments(clinic, services, rng)


def _seed_resources(clinic: Clinic, services: list[Service]) -> None:
    by_name = {s.names["en"]: s for s in services}
    for name, kind, needed_by in RESOURCES[clinic.profile]:
        resource = Resource.objects.create(clinic=clinic, name=name, kind=kind)
        resource.services.set([by_name[n] for n in needed_by])


def _seed_appointments(clinic: Clinic, services: list[Service], rng: random.Random) -> None:
    people = list(Person.objects.filter(clinic=clinic).order_by("pk")[:60])
    today = timezone.now().astimezone(clinic.zone).date()
    for person in people[:40]:
        service = rng.choice(services)
        day = today + timedelta(days=rng.randint(1, 14))
        slots = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)
        if not slots:
            continue
        slot = rng.choice(slots)
        uid = f"{uuid.uuid4()}@praksis"
        appointment = Appointment(
            clinic=clinic,
            practitioner_id=slot.practitioner_id,
            service=service,
            person=person,
            start=slot.start,
            end=slot.end,
            busy_until=slot.end + timedelta(minutes=service.buffer_minutes),
            channel=rng.choice(["online", "phone", "desk"]),
            reference=uuid.uuid4().hex[:8].upper(),
            uid=uid,
        )
        appointment.manage_token_hash = sha256_hex(manage_token(appointment))
        appointment.save()
        hold_resources(appointment)


def seed_visits(clinic: Clinic, *, actor: Actor, people: list[Person], today: date) -> None:
    """Once: a past visit for each of ``people`` (recorded as such), bookings later today
    and one phone booking in the coming days, by the receptionist through the booking
    service, so the ones still ahead get their confirmation message."""
    if Appointment.objects.filter(clinic=clinic, created_by_user_id__isnull=False).exists():
        return
    services = list(Service.objects.filter(clinic=clinic, active=True).order_by("pk"))
    if not services or not people:
        return
    for weeks, person in enumerate(people, start=1):
        _book_first_free(actor, person, services[0], today - timedelta(weeks=weeks), past=True)
    later_today = people[-2:] if len(people) > 2 else people[:1]
    for person in later_today:
        _book_first_free(actor, person, services[-1], today)
    _book_first_free(actor, people[0], services[0], today + timedelta(days=2), days=7)


def _book_first_free(
    actor: Actor, person: Person, service: Service, day: date, *, past=False, days=1
) -> Appointment | None:
    """Book the first free time from ``day`` on (within ``days``); None when there is none."""
    clinic = actor.clinic
    last = day + timedelta(days=days - 1)
    slots = free_slots(
        clinic=clinic, service=service, date_from=day, date_to=last, respect_notice=not past
    )
    if not slots:
        return None
    animal = person.ownerships.order_by("pk").values_list("animal_id", flat=True).first()
    return appointment_book(
        actor=actor,
        service_id=service.pk,
        person_id=person.pk,
        start=slots[0].start,
        channel="desk" if past else "phone",
        practitioner_id=slots[0].practitioner_id,
        animal_id=animal,
        allow_past=past,
    )


REQUEST = {
    "first_name": "Solveig",
    "last_name": "Nygård",
    "email": "solveig.nygard@example.com",
    "phone": "+4741234567",
    "preferred_weekdays": [1, 3],
    "preferred_time": BookingRequest.TimeOfDay.MORNING,
    "source": "Google",
    "message": "Jeg har vondt i en jeksel og ønsker time så snart som mulig.",
    "accept_privacy_notice": True,
}


def seed_booking_request(clinic: Clinic) -> None:
    """Once, for a clinic that books its clients itself: a request waiting for an answer."""
    policy = BookingPolicy.objects.filter(clinic=clinic).first()
    if policy is None or policy.mode != BookingPolicy.Mode.REQUESTS:
        return
    if BookingRequest.objects.filter(clinic=clinic).exists():
        return
    service = Service.objects.filter(clinic=clinic, active=True).order_by("pk").first()
    booking_request_create(clinic=clinic, data={**REQUEST, "service": service and service.pk})
