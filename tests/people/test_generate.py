"""``praksis generate``: synthetic people in bulk, valid, unique, and logged per batch."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.audit.selectors import verify_clinic_chain
from praksis.clinics.access import system_actor
from praksis.people.identity import parse_identity
from praksis.people.models import Animal, AnimalOwner, DataKey, Person
from praksis.people.selectors import person_search
from praksis.people.synthetic import person_values

pytestmark = pytest.mark.django_db


def generate(clinic, persons: int = 250, **options) -> str:
    out = StringIO()
    call_command("generate", clinic=clinic.slug, persons=persons, stdout=out, **options)
    return out.getvalue()


def identity_numbers(clinic) -> list[str]:
    """The numbers as the people's own pages read them: each opened with its data key."""
    people = Person.objects.filter(clinic=clinic).select_related("data_key")
    return [person.identity_number for person in people]


@pytest.mark.parametrize("kind", ["optician", "dental"])
def test_people_have_valid_unique_identity_numbers(make_clinic, kind):
    clinic = make_clinic(kind)
    output = generate(clinic)
    numbers = identity_numbers(clinic)
    assert len(numbers) == 250
    assert len(set(numbers)) == 250
    for number in numbers:
        assert parse_identity(number, country=clinic.country).number == number
    # Each number is sealed under a data key of its own person (REQ-34).
    assert DataKey.objects.filter(clinic=clinic, person__isnull=False).count() == 250
    assert "250 persons" in output
    assert not list(verify_clinic_chain(clinic))


def test_birth_date_only_clinic_gets_no_identity_numbers(make_clinic):
    clinic = make_clinic("therapy")
    generate(clinic)
    people = Person.objects.filter(clinic=clinic)
    assert people.count() == 250
    assert not people.filter(identity_hash__isnull=False).exists()
    assert not people.filter(identity_ciphertext__isnull=False).exists()
    assert not DataKey.objects.filter(clinic=clinic).exists()
    assert not people.filter(birth_date__isnull=True).exists()


def test_running_twice_adds_more_without_collisions(make_clinic):
    clinic = make_clinic("optician")
    generate(clinic, seed=7)
    generate(clinic, seed=7)  # the same random stream must still not collide
    numbers = identity_numbers(clinic)
    assert len(numbers) == 500
    assert len(set(numbers)) == 500
    assert not list(verify_clinic_chain(clinic))


def test_seed_makes_it_reproducible(make_clinic):
    first, second = make_clinic("optician"), make_clinic("other")
    generate(first, persons=50, seed=3)
    generate(second, persons=50, seed=3)
    assert sorted(identity_numbers(first)) == sorted(identity_numbers(second))


@pytest.mark.parametrize("kind", ["optician", "therapy"])
def test_rows_hold_exactly_the_synthetic_values(make_clinic, kind):
    # The PostgreSQL path streams rows with COPY: nothing may be lost or altered on the way.
    clinic = make_clinic(kind)
    generate(clinic, persons=30, seed=5)
    rng, taken, today = random.Random(5), set(), timezone.localdate()
    expected = [person_values(rng, clinic, i, taken=taken, today=today) for i in range(30)]
    fields = list(expected[0])
    people = Person.objects.filter(clinic=clinic).order_by("id").select_related("data_key")
    stored = [{field: getattr(person, field) for field in fields} for person in people]
    assert stored == expected


def test_generated_people_are_found_by_search(make_clinic):
    clinic = make_clinic("optician")
    generate(clinic, persons=50, seed=9)
    person = Person.objects.filter(clinic=clinic).order_by("id").last()
    actor = system_actor(clinic)
    by_name = person_search(actor=actor, query=person.last_name[:3], limit=100)
    assert person in by_name.items
    by_number = person_search(actor=actor, query=person.identity_number)
    assert by_number.items == [person]


def test_one_access_log_row_per_batch(make_clinic):
    clinic = make_clinic("optician")
    generate(clinic, batch_size=100)
    rows = list(AccessLogEntry.objects.filter(clinic=clinic).order_by("seq"))
    assert [row.detail.split(" ids ")[0] for row in rows] == [
        "generated 100 persons",
        "generated 100 persons",
        "generated 50 persons",
    ]
    assert {(row.action, row.object_type, row.channel, row.purpose) for row in rows} == {
        ("create", "person", "cli", "synthetic data")
    }
    ids = sorted(Person.objects.filter(clinic=clinic).values_list("pk", flat=True))
    assert rows[0].detail.endswith(f"ids {ids[0]}-{ids[99]}")
    assert not list(verify_clinic_chain(clinic))


def test_veterinary_clinic_gets_animals_with_owners(make_clinic):
    clinic = make_clinic("vet")
    generate(clinic, persons=120)
    animals = Animal.objects.filter(clinic=clinic)
    assert 120 <= animals.count() <= 240
    owned = AnimalOwner.objects.filter(clinic=clinic, person__clinic=clinic)
    assert owned.count() == animals.count()
    assert owned.values("person").distinct().count() == 120
    chips = [c for c in animals.values_list("chip_id", flat=True) if c]
    assert len(chips) == len(set(chips))
    assert all(len(c) == 15 and c.isdigit() for c in chips)
    # Owners are found by their pet's name: every generated animal has its search key.
    assert not animals.filter(name_key="").exists()
    logged = AccessLogEntry.objects.filter(clinic=clinic, object_type="animal")
    assert logged.count() == 1
    assert not list(verify_clinic_chain(clinic))


def test_other_clinics_are_untouched(make_clinic):
    clinic, other = make_clinic("optician"), make_clinic("other")
    generate(clinic, persons=10)
    assert not Person.objects.filter(clinic=other).exists()
    assert not AccessLogEntry.objects.filter(clinic=other).exists()


def test_unknown_clinic_is_refused(make_clinic):
    make_clinic("optician")
    with pytest.raises(CommandError):
        call_command("generate", clinic="no-such-clinic", persons=10, stdout=StringIO())


@pytest.mark.parametrize("persons", [0, -5])
def test_fewer_than_one_person_is_refused(make_clinic, persons):
    clinic = make_clinic("optician")
    with pytest.raises(CommandError):
        generate(clinic, persons=persons)
    assert not Person.objects.filter(clinic=clinic).exists()
