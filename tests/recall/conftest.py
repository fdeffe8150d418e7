"""Fixtures for recall: people with phones, an animal with owners, consents, past visits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def practitioner(clinic, make_actor):
    return make_actor(clinic, "practitioner")


@pytest.fixture
def greta(owner, make_person):
    return make_person(
        owner, first_name="Greta", last_name="Wikander", phone="0701234567",
        email="greta@example.com",
    )  # fmt: skip


@pytest.fixture
def nils(owner, make_person):
    return make_person(owner, first_name="Nils", last_name="Holm", phone="0709998877")


@pytest.fixture
def give_consent():
    """Record a person's recall consent (as the desk would, with its proof)."""
    from praksis.clinics.access import system_actor
    from praksis.privacy.services import consent_record

    def give(person, purpose: str = "recall"):
        return consent_record(
            actor=system_actor(person.clinic, channel="ui"),
            person=person,
            purpose=purpose,
            channel="desk",
            text_version="recall-1",
            text_shown="Ja, påminn mig när det är dags för nästa synundersökning.",
        )

    return give


@pytest.fixture
def past_visit(make_bookable):
    """Put a completed appointment ``days_ago`` in a person's (or animal's) history."""
    from praksis.booking.models import Appointment

    services: dict = {}

    def visit(person, days_ago: int, *, animal=None, status="completed"):
        clinic = person.clinic
        if clinic.pk not in services:
            services[clinic.pk] = make_bookable(clinic)
        service, (practitioner, *_rest) = services[clinic.pk]
        start = timezone.now() - timedelta(days=days_ago)
        return Appointment.objects.create(
            clinic=clinic, practitioner=practitioner, service=service, person=person,
            animal=animal, start=start, end=start + timedelta(minutes=30),
            busy_until=start + timedelta(minutes=30), status=status, channel="phone",
            reference=uuid.uuid4().hex[:8].upper(), manage_token_hash=uuid.uuid4().hex,
            uid=f"{uuid.uuid4()}@test",
        )  # fmt: skip

    return visit


@pytest.fixture
def vet(make_clinic, make_actor, make_person):
    """A vet clinic, its owner, a dog with a primary and a second owner."""
    from praksis.people.models import AnimalOwner
    from praksis.people.services import animal_create

    clinic = make_clinic("vet")
    actor = make_actor(clinic, "owner")
    primary = make_person(
        actor, first_name="Solveig", last_name="Offerdal", phone="41234567",
        email="solveig@example.com",
    )  # fmt: skip
    second = make_person(actor, first_name="Ola", last_name="Offerdal", phone="41234568")
    dog = animal_create(
        actor=actor, owner_ids=[primary.pk, second.pk], name="Tassen", species="dog"
    )
    # Which owner animal_create marks primary follows the database's row order; be explicit.
    AnimalOwner.objects.filter(animal=dog).update(is_primary=False)
    AnimalOwner.objects.filter(animal=dog, person=primary).update(is_primary=True)
    return clinic, actor, dog, primary, second
