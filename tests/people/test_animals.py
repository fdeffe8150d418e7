"""Animals (veterinary profile): species, ISO 11784 chip, one or more owners of the clinic."""

from __future__ import annotations

import pytest

from praksis.audit.models import AccessLogEntry
from praksis.core.errors import ValidationFailed
from praksis.people.models import Animal
from praksis.people.selectors import animals_of
from praksis.people.services import animal_create


@pytest.fixture
def vet(make_clinic, make_actor):
    clinic = make_clinic("vet")
    return make_actor(clinic, "receptionist")


def test_an_animal_with_two_owners(vet, make_person):
    anne = make_person(vet, first_name="Anne", last_name="Hansen")
    per = make_person(vet, first_name="Per", last_name="Hansen")
    animal = animal_create(
        actor=vet, owner_ids=[anne.pk, per.pk], name="Bamse", species="dog",
        breed="Norsk elghund", chip_id="578 097 123 456 789",
    )  # fmt: skip
    assert animal.chip_id == "578097123456789"
    assert animals_of(actor=vet, person=per) == [animal]
    assert animal.ownerships.get(person=anne).is_primary
    logged = AccessLogEntry.objects.filter(object_type="animal", object_id=str(animal.pk))
    assert sorted(logged.values_list("person_id", flat=True)) == sorted([anne.pk, per.pk])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"species": "dragon"}, "species"),
        ({"chip_id": "12345"}, "chip_id"),
        ({"chip_id": "57809712345678X"}, "chip_id"),
    ],
)
def test_bad_animal_input(vet, make_person, kwargs, field):
    owner = make_person(vet)
    data = {"name": "Pus", "species": "cat", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        animal_create(actor=vet, owner_ids=[owner.pk], **data)
    assert field in exc.value.errors
    assert not Animal.objects.exists()


def test_owner_from_another_clinic_is_refused(vet, make_clinic, make_actor, make_person):
    stranger = make_person(make_actor(make_clinic("other"), "owner"))
    with pytest.raises(ValidationFailed) as exc:
        animal_create(actor=vet, owner_ids=[stranger.pk], name="Pus", species="cat")
    assert "owners" in exc.value.errors


def test_chip_is_unique_in_the_clinic(vet, make_person):
    owner = make_person(vet)
    animal_create(actor=vet, owner_ids=[owner.pk], name="A", species="cat", chip_id="5" * 15)
    with pytest.raises(ValidationFailed):
        animal_create(actor=vet, owner_ids=[owner.pk], name="B", species="cat", chip_id="5" * 15)
