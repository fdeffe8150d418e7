"""The four demo clinics of PRODUCT.md, with staff, fictional people and what a clinic's
days leave behind: visits, signed journals, recalls due, orders, invoices and payments,
consents, privacy requests, disclosures, breaches and a booking request (idempotent).

This module composes the apps' own demo seeds; each writes through its app's services
(access-logged like real use) and adds nothing when its part is already there.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.booking.demo import seed_booking, seed_booking_request, seed_visits
from praksis.breaches.demo import seed_breaches
from praksis.clinics.access import Actor, system_actor
from praksis.clinics.models import Clinic, Membership, Profile, Regime, Role
from praksis.clinics.services import clinic_create, staff_add
from praksis.disclosures.demo import seed_disclosures
from praksis.journal.demo import seed_journal
from praksis.people.models import Animal, AnimalOwner, AnimalWeight, Person, animal_name_key
from praksis.people.synthetic import ANIMAL_NAMES, SPECIES_BREEDS, person_values
from praksis.privacy.demo import seed_privacy
from praksis.processing.services import demo_processors_seed
from praksis.recall.demo import seed_recalls
from praksis.sales.demo import seed_leads, seed_orders, seed_sales

DEMO_PASSWORD = "praksis-demo"

DEMO_CLINICS = [
    {
        "slug": "lund-optik",
        "name": "Lund Optik",
        "profile": Profile.OPTICIAN,
        "regime": Regime.SE_HUMAN,
        "country": "SE",
        "language": "sv",
        "time_zone": "Europe/Stockholm",
        "organisation_number": "556000-0001",
        "contact_email": "info@lund-optik.test",
        "address": "Stora Södergatan 1, 222 23 Lund",
    },
    {
        "slug": "alva-terapi",
        "name": "Alva Terapi & Massage",
        "profile": Profile.THERAPY,
        "regime": Regime.GDPR_ONLY,
        "country": "SE",
        "language": "sv",
        "time_zone": "Europe/Stockholm",
        "organisation_number": "556000-0002",
        "contact_email": "hej@alva-terapi.test",
        "address": "Kungsgatan 12, 211 49 Malmö",
    },
    {
        "slug": "fjord-dyreklinikk",
        "name": "Fjord Dyreklinikk",
        "profile": Profile.VETERINARY,
        "regime": Regime.NO_VET,
        "country": "NO",
        "language": "nb",
        "time_zone": "Europe/Oslo",
        "organisation_number": "900000001",
        "contact_email": "post@fjord-dyreklinikk.test",
        "address": "Fjordveien 3, 3015 Drammen",
        # Seed policy 002: requests are answered "senest innen 30 dager" (REQ-24).
        "request_answer_days": 30,
    },
    {
        "slug": "nordby-tannhelse",
        "name": "Nordby Tannhelse",
        "profile": Profile.DENTAL,
        "regime": Regime.NO_HUMAN,
        "country": "NO",
        "language": "nb",
        "time_zone": "Europe/Oslo",
        "organisation_number": "900000002",
        "contact_email": "post@nordby-tannhelse.test",
        "address": "Torget 5, 1430 Ås",
    },
]

DEMO_STAFF = [
    ("owner", Role.OWNER, "Owner", "Daglig leder"),
    ("practitioner", Role.PRACTITIONER, "Practitioner", ""),
    ("reception", Role.RECEPTIONIST, "Reception", ""),
]
PRACTITIONER_TITLES = {
    Profile.OPTICIAN: "Legitimerad optiker",
    Profile.THERAPY: "Massageterapeut",
    Profile.VETERINARY: "Veterinær",
    Profile.DENTAL: "Tannlege",
}
STAFF_NAMES = {
    "SE": {"owner": "Karin Ek", "practitioner": "Johan Lind", "reception": "Sara Holm"},
    "NO": {"owner": "Marit Dahl", "practitioner": "Eirik Lunde", "reception": "Nora Berge"},
}


def demo_overview() -> dict:
    """For the demo's front page: the demo clinics that are there, and who signs in."""
    found = {c.slug: c for c in Clinic.objects.filter(slug__in=[s["slug"] for s in DEMO_CLINICS])}
    clinics = [
        {
            "clinic": found[spec["slug"]],
            "profile": Profile(spec["profile"]).label,
            "staff": [
                (f"{local}@{spec['slug']}.test", Role(role).label) for local, role, *_ in DEMO_STAFF
            ],
        }
        for spec in DEMO_CLINICS
        if spec["slug"] in found
    ]
    return {"clinics": clinics, "password": DEMO_PASSWORD}


def seed_demo(*, persons_per_clinic: int = 300, stdout=None) -> list[Clinic]:
    """Create what is missing of the demo; running it twice changes nothing."""
    if not settings.PRAKSIS_DEMO:
        raise RuntimeError("seed-demo runs only in demo mode (PRAKSIS_DEMO=1)")
    clinics = []
    for spec in DEMO_CLINICS:
        with transaction.atomic():
            clinic = Clinic.objects.filter(slug=spec["slug"]).first()
            if clinic is None:
                clinic = clinic_create(**spec)
            demo_processors_seed(clinic)
            _seed_staff(clinic)
            if not Person.objects.filter(clinic=clinic).exists():
                _seed_people(clinic, persons_per_clinic)
                if stdout:
                    stdout.write(f"{clinic.slug}: {persons_per_clinic} people")
            seed_booking(clinic, random.Random(f"praksis-booking-{clinic.slug}"))
            seed_sales(clinic)
            seed_privacy(clinic)
            _seed_days(clinic)
        clinics.append(clinic)
    return clinics


def _staff_actors(clinic: Clinic) -> dict[str, Actor]:
    """The demo owner, practitioner and receptionist as actors of the seeding run."""
    members = Membership.objects.filter(
        clinic=clinic, user__email__in=[f"{local}@{clinic.slug}.test" for local, *_ in DEMO_STAFF]
    ).select_related("user")
    seeding = {"request_id": "seed-demo", "channel": "cli"}
    return {m.role: Actor(clinic=clinic, user=m.user, role=m.role, **seeding) for m in members}


def _seed_days(clinic: Clinic) -> None:
    """What the clinic's staff have done: people 3-8 (the first three serve the privacy
    seed) had visits and journal entries, the next ones are due for recall."""
    staff = _staff_actors(clinic)
    owner, practitioner = staff[Role.OWNER], staff[Role.PRACTITIONER]
    reception = staff[Role.RECEPTIONIST]
    people = list(Person.objects.filter(clinic=clinic).order_by("pk")[:13])
    patients = people[3:9] or people[:6]
    due = people[9:13] or people[:4]
    today = timezone.now().astimezone(clinic.zone).date()
    seed_visits(clinic, actor=reception, people=patients, today=today)
    entries = seed_journal(clinic, actor=practitioner, people=patients, today=today)
    seed_recalls(clinic, actor=reception, people=due, today=today)
    seed_orders(clinic, actor=reception, people=patients, entries=entries)
    seed_leads(clinic, actor=reception)
    seed_disclosures(clinic, actor=practitioner, entries=entries)
    seed_breaches(clinic, actor=owner, suspect=reception.user)
    seed_booking_request(clinic)


def _seed_staff(clinic: Clinic) -> None:
    names = STAFF_NAMES[clinic.country]
    for local, role, _label, title in DEMO_STAFF:
        email = f"{local}@{clinic.slug}.test"
        title = PRACTITIONER_TITLES[Profile(clinic.profile)] if role == Role.PRACTITIONER else title
        staff_add(
            clinic=clinic,
            email=email,
            full_name=names[local],
            role=role,
            password=DEMO_PASSWORD,
            title=title,
        )


def _seed_people(clinic: Clinic, count: int) -> None:
    rng = random.Random(f"praksis-demo-{clinic.slug}")
    today = date.today()
    taken: set[str] = set()
    people = Person.objects.bulk_create(
        [
            Person(clinic=clinic, **person_values(rng, clinic, i, taken=taken, today=today))
            for i in range(count)
        ]
    )
    actor = system_actor(clinic, channel="cli")
    log_accesses(
        actor,
        [
            Access(Action.CREATE, "person", p.pk, person_id=p.pk, purpose="demo data")
            for p in people
        ],
    )
    if clinic.has_animals:
        _seed_animals(clinic, people, rng)


def _seed_animals(clinic: Clinic, people: list[Person], rng: random.Random) -> None:
    animals, owners = [], []
    chips: set[str] = set()
    for person in people:
        for _ in range(rng.choice([1, 1, 1, 2])):
            species = rng.choice(["dog", "dog", "cat", "cat", "horse", "rabbit"])
            chip = None
            if species in ("dog", "cat", "horse"):
                while chip is None or chip in chips:
                    chip = f"578{rng.randrange(10**12):012d}"  # 578: Norway (ISO 3166)
                chips.add(chip)
            animals.append(
                Animal(
                    clinic=clinic,
                    name=(name := rng.choice(ANIMAL_NAMES)),
                    name_key=animal_name_key(name),
                    species=species,
                    breed=rng.choice(SPECIES_BREEDS[species]),
                    sex=rng.choice(["female", "male"]),
                    neutered=rng.random() < 0.5,
                    birth_date=date.today().replace(year=date.today().year - rng.randint(1, 14)),
                    chip_id=chip,
                )
            )
            owners.append(person)
    animals = Animal.objects.bulk_create(animals)
    AnimalOwner.objects.bulk_create(
        [
            AnimalOwner(clinic=clinic, animal=a, person=p, is_primary=True)
            for a, p in zip(animals, owners, strict=True)
        ]
    )
    # Two weighings each, half a year apart (the animal page's history, the journal header).
    AnimalWeight.objects.bulk_create(
        [
            AnimalWeight(
                clinic=clinic, animal=a, weighed_on=date.today() - timedelta(days=days),
                weight_kg=(Decimal(DEMO_WEIGHTS[a.species]) * factor).quantize(Decimal("0.01")),
            )
            for a in animals
            for days, factor in ((190, Decimal("0.96")), (20, Decimal("1.00")))
        ]
    )  # fmt: skip
    log_accesses(
        system_actor(clinic, channel="cli"),
        [
            Access(Action.CREATE, "animal", a.pk, person_id=p.pk, purpose="demo data")
            for a, p in zip(animals, owners, strict=True)
        ],
    )


# A typical adult weight per species (kg), for the demo's weighings.
DEMO_WEIGHTS = {"dog": "24.50", "cat": "4.60", "horse": "520.00", "rabbit": "2.10"}
