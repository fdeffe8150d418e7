"""An animal's profile (veterinary clinics): sex, neutering, colour, weighings over time,
co-owners and the primary owner, and the summary the journal opens with. Every read and
write is access-logged against each owner (LAW.md REQ-19, REQ-20); another clinic's
animal is not found."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import translation

from praksis.audit.models import AccessLogEntry
from praksis.core.errors import ValidationFailed
from praksis.people.models import Animal, AnimalOwner, AnimalWeight
from praksis.people.selectors import age_text, animal_summary
from praksis.people.services import (
    animal_create,
    animal_owner_add,
    animal_owner_make_primary,
    animal_owner_remove,
    animal_update,
    animal_weight_record,
    clean_weight,
    clinic_today,
)


@pytest.fixture
def vet(make_clinic, make_actor):
    return make_actor(make_clinic("vet"), "receptionist")


@pytest.fixture
def kari(vet, make_person):
    return make_person(vet, first_name="Kari", last_name="Nordmann")


@pytest.fixture
def ola(vet, make_person):
    return make_person(vet, first_name="Ola", last_name="Nordmann")


@pytest.fixture
def bamse(vet, kari):
    return animal_create(
        actor=vet, owner_ids=[kari.pk], name="Bamse", species="dog", breed="Elghund",
        sex="male", neutered=True, colour="Grå", birth_date=date(2020, 3, 15), weight_kg="24,5",
    )  # fmt: skip


def _logged(animal, **filters):
    return AccessLogEntry.objects.filter(object_type="animal", object_id=str(animal.pk), **filters)


def test_a_registered_animal_keeps_sex_neutering_colour_and_its_first_weight(vet, kari, bamse):
    bamse.refresh_from_db()
    assert (bamse.sex, bamse.neutered, bamse.colour) == ("male", True, "Grå")
    (weight,) = AnimalWeight.objects.filter(animal=bamse)
    assert weight.weight_kg == Decimal("24.50")
    assert weight.weighed_on == clinic_today(vet.clinic)
    assert (weight.clinic_id, weight.recorded_by_user_id) == (vet.clinic.pk, vet.user.pk)
    # REQ-19: the registration is logged against the owner.
    assert _logged(bamse, action="create", person_id=kari.pk).exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5", "12.50"), ("12,25", "12.25"), (" 0,01 ", "0.01"), (1999.99, "1999.99"), (7, "7.00")],
)
def test_weights_typed_the_nordic_way_or_as_numbers(value, expected):
    assert clean_weight(value) == Decimal(expected)


@pytest.mark.parametrize(
    "value", ["0", "-1", "2000", "12.345", "tolv", "NaN", "Infinity", "1e9", "", None, True]
)
def test_impossible_weights_are_field_errors(value):
    with pytest.raises(ValidationFailed) as exc:
        clean_weight(value)
    assert list(exc.value.errors) == ["weight_kg"]


def test_the_database_refuses_an_impossible_weight(vet, bamse):
    for weight in (Decimal("0"), Decimal("2000")):
        with pytest.raises(IntegrityError), transaction.atomic():
            AnimalWeight.objects.create(
                clinic=vet.clinic, animal=bamse, weighed_on=date(2024, 1, 1), weight_kg=weight
            )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sex": "hermaphrodite"}, "sex"),
        ({"sex": None}, "sex"),
        ({"neutered": "yes"}, "neutered"),
        ({"colour": "x" * 51}, "colour"),
        ({"colour": "Grå\x00"}, "colour"),
        ({"weight_kg": "3000"}, "weight_kg"),
    ],
)
def test_bad_profile_values_are_field_errors_and_change_nothing(vet, bamse, changes, field):
    with pytest.raises(ValidationFailed) as exc:
        animal_update(actor=vet, animal_id=bamse.pk, changes=changes)
    assert field in exc.value.errors
    bamse.refresh_from_db()
    assert (bamse.sex, bamse.neutered, bamse.colour) == ("male", True, "Grå")
    assert AnimalWeight.objects.filter(animal=bamse).count() == 1


def test_a_weighing_history_gives_the_current_weight(vet, kari, bamse):
    today = clinic_today(vet.clinic)
    animal_weight_record(
        actor=vet, animal_id=bamse.pk, weight_kg="22", weighed_on=today - timedelta(days=30)
    )
    summary = animal_summary(actor=vet, animal_id=bamse.pk)
    assert summary.weight.weight_kg == Decimal("24.50")  # the latest by date, not by entry
    animal_update(actor=vet, animal_id=bamse.pk, changes={"weight_kg": "25.1"})
    summary = animal_summary(actor=vet, animal_id=bamse.pk)
    assert (summary.weight.weight_kg, summary.weight.weighed_on) == (Decimal("25.10"), today)
    assert AnimalWeight.objects.filter(animal=bamse).count() == 3
    assert _logged(bamse, action="update", person_id=kari.pk).count() == 2


@pytest.mark.parametrize(
    ("weighed_on", "message"),
    [("i går", "valid date"), ("2999-01-01", "future"), ("2019-01-01", "not born")],
)
def test_a_weighing_date_must_be_possible(vet, bamse, weighed_on, message):
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        animal_weight_record(actor=vet, animal_id=bamse.pk, weight_kg="20", weighed_on=weighed_on)
    assert message in str(exc.value.errors["weighed_on"][0])
    assert AnimalWeight.objects.filter(animal=bamse).count() == 1


def test_co_owners_are_added_removed_and_one_is_primary(vet, kari, ola, bamse):
    animal_owner_add(actor=vet, animal_id=bamse.pk, person_id=ola.pk)

    def links():
        return AnimalOwner.objects.filter(animal=bamse).order_by("pk")

    assert {(o.person_id, o.is_primary) for o in links()} == {(kari.pk, True), (ola.pk, False)}
    with pytest.raises(ValidationFailed):  # once is enough
        animal_owner_add(actor=vet, animal_id=bamse.pk, person_id=ola.pk)

    animal_owner_make_primary(actor=vet, animal_id=bamse.pk, person_id=ola.pk)
    assert {(o.person_id, o.is_primary) for o in links()} == {(kari.pk, False), (ola.pk, True)}
    summary = animal_summary(actor=vet, animal_id=bamse.pk)
    assert [o.person_id for o in summary.owners] == [ola.pk, kari.pk]  # primary first

    # The primary owner leaves: the other becomes the primary owner.
    animal_owner_remove(actor=vet, animal_id=bamse.pk, person_id=ola.pk)
    assert [(o.person_id, o.is_primary) for o in links()] == [(kari.pk, True)]
    with pytest.raises(ValidationFailed) as exc:  # the last owner stays
        animal_owner_remove(actor=vet, animal_id=bamse.pk, person_id=kari.pk)
    assert "person" in exc.value.errors
    assert links().count() == 1
    # REQ-19: each change is logged for the owners, the one removed included.
    for person in (kari, ola):
        assert _logged(bamse, action="update", person_id=person.pk).exists()
    assert _logged(bamse, detail__startswith="owner removed").filter(person_id=ola.pk).exists()


def test_a_co_owner_comes_from_the_same_clinic(vet, bamse, make_clinic, make_actor, make_person):
    stranger = make_person(make_actor(make_clinic("other"), "owner"), first_name="Ann")
    with pytest.raises(ValidationFailed):
        animal_owner_add(actor=vet, animal_id=bamse.pk, person_id=stranger.pk)
    with pytest.raises(ValidationFailed):
        animal_owner_make_primary(actor=vet, animal_id=bamse.pk, person_id=stranger.pk)
    assert AnimalOwner.objects.filter(animal=bamse).count() == 1


def test_another_clinics_animal_is_not_found(bamse, make_clinic, make_actor):
    outsider = make_actor(make_clinic("vet", slug="annen-dyr"), "owner")
    attempts = [
        lambda: animal_summary(actor=outsider, animal_id=bamse.pk),
        lambda: animal_update(actor=outsider, animal_id=bamse.pk, changes={"weight_kg": "9"}),
        lambda: animal_weight_record(actor=outsider, animal_id=bamse.pk, weight_kg="9"),
        lambda: animal_owner_add(actor=outsider, animal_id=bamse.pk, person_id=None),
        lambda: animal_owner_remove(actor=outsider, animal_id=bamse.pk, person_id=None),
        lambda: animal_owner_make_primary(actor=outsider, animal_id=bamse.pk, person_id=None),
    ]
    for attempt in attempts:
        with pytest.raises(Http404):
            attempt()
    assert AnimalWeight.objects.filter(animal=bamse).count() == 1
    assert not AccessLogEntry.objects.filter(clinic=outsider.clinic, object_type="animal")


@pytest.mark.parametrize(
    ("birth", "today", "language", "expected"),
    [
        (date(2021, 1, 10), date(2024, 3, 10), "en", "3 years 2 months"),
        (date(2021, 1, 10), date(2024, 3, 9), "en", "3 years 1 month"),
        (date(2023, 3, 10), date(2024, 3, 10), "en", "1 year"),
        (date(2024, 1, 31), date(2024, 3, 1), "en", "1 month"),
        (date(2024, 3, 1), date(2024, 3, 13), "en", "12 days"),
        (date(2021, 1, 10), date(2024, 3, 10), "nb", "3 år 2 måneder"),
        (date(2021, 1, 10), date(2024, 3, 10), "sv", "3 år 2 månader"),
        (date(2024, 2, 1), date(2024, 3, 1), "sv", "1 månad"),
    ],
)
def test_the_age_in_words(birth, today, language, expected):
    with translation.override(language):
        assert age_text(birth, today) == expected


def test_the_summary_reads_like_the_journal_header_and_is_logged(vet, kari, ola, bamse):
    animal_owner_add(actor=vet, animal_id=bamse.pk, person_id=ola.pk)
    before = _logged(bamse, action="read").count()
    with translation.override("nb"):
        summary = animal_summary(actor=vet, animal_id=bamse.pk, purpose="journal")
        assert (summary.species, summary.breed) == ("Hund", "Elghund")
        assert summary.sex == "Hann, kastrert"
        assert summary.age.endswith(("år", "måneder", "måned")) and summary.age[0].isdigit()
    assert [o.person.first_name for o in summary.owners] == ["Kari", "Ola"]
    assert summary.weight.weight_kg == Decimal("24.50")
    # REQ-19: the read shows both owners' names, so it is logged against each of them.
    reads = _logged(bamse, action="read", purpose="journal")
    assert sorted(reads.values_list("person_id", flat=True)) == sorted([kari.pk, ola.pk])
    assert _logged(bamse, action="read").count() == before + 2


def test_a_dead_animal_ages_no_more(vet, bamse):
    animal_update(actor=vet, animal_id=bamse.pk, changes={"deceased_on": "2023-03-15"})
    with translation.override("en"):
        summary = animal_summary(actor=vet, animal_id=bamse.pk)
    assert summary.age == "3 years"
    assert summary.deceased_on == date(2023, 3, 15)
    assert Animal.objects.get(pk=bamse.pk).deceased_on == date(2023, 3, 15)


def test_req27_erasure_deletes_the_weighings_with_the_animal(make_clinic, make_actor, make_person):
    """The weighings follow their animal (people's contract): an animal without a journal
    goes with its only owner's erasure, weighings included; an animal whose journal the
    law keeps (NO-vet, REQ-04) keeps them."""
    from praksis.journal.services import entry_create
    from praksis.privacy.erasure import erase_person

    clinic = make_clinic("vet")
    owner = make_actor(clinic, "owner")
    person = make_person(owner, first_name="Siri", last_name="Lie")
    bird = animal_create(
        actor=owner, owner_ids=[person.pk], name="Pip", species="bird", weight_kg="0.05"
    )
    dog = animal_create(
        actor=owner, owner_ids=[person.pk], name="Rex", species="dog", weight_kg="30"
    )
    entry_create(
        actor=make_actor(clinic, "practitioner"), animal_id=dog.pk, text="Frisk", sign=True
    )
    erase_person(actor=owner, person_id=person.pk)
    assert not Animal.objects.filter(pk=bird.pk).exists()
    assert not AnimalWeight.objects.filter(animal_id=bird.pk).exists()
    assert AnimalWeight.objects.filter(animal=dog).count() == 1
