"""The animals API (veterinary clinics): a person's animals, one animal, and search for
owners by their pet's name or chip number — roles, tenancy and field errors."""

from __future__ import annotations

import pytest

from praksis.audit.models import AccessLogEntry
from praksis.clinics.access import CAPABILITIES
from praksis.clinics.models import Role
from praksis.people.models import Animal
from praksis.people.services import animal_create

CHIP = "578097123456789"


@pytest.fixture
def vet_clinic(make_clinic):
    return make_clinic("vet")


@pytest.fixture
def vet_owner(vet_clinic, make_actor):
    return make_actor(vet_clinic, "owner")


@pytest.fixture
def anne(vet_owner, make_person):
    return make_person(vet_owner, first_name="Anne", last_name="Hansen")


@pytest.fixture
def api(vet_clinic, make_api):
    return make_api(vet_clinic, "receptionist")


def test_create_list_read_patch(api, anne):
    created = api.post(
        f"persons/{anne.pk}/animals",
        {
            "name": " Bamse ",
            "species": "dog",
            "breed": "Norsk elghund",
            "birth_date": "2019-04-01",
            "chip_number": "578 097 123 456 789",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Bamse"
    assert body["species"] == "dog"
    assert body["chip_number"] == CHIP
    assert body["birth_date"] == "2019-04-01"
    assert body["deceased_on"] is None
    assert (body["sex"], body["neutered"], body["colour"]) == ("unknown", False, "")
    assert (body["current_weight_kg"], body["weighed_on"]) == (None, None)
    assert body["owners"] == [{"person": anne.pk, "primary": True}]
    animal_id = body["id"]

    listed = api.get(f"persons/{anne.pk}/animals")
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [animal_id]
    assert listed.json()["count"] == 1

    read = api.get(f"animals/{animal_id}")
    assert read.status_code == 200
    assert read.json() == body

    patched = api.patch(
        f"animals/{animal_id}",
        {"name": "Bamse II", "breed": "", "chip_number": None, "deceased_on": "2024-01-02"},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["name"] == "Bamse II"
    assert patched.json()["breed"] == ""
    assert patched.json()["chip_number"] is None
    assert patched.json()["deceased_on"] == "2024-01-02"
    assert patched.json()["birth_date"] == "2019-04-01"  # untouched
    animal = Animal.objects.get(pk=animal_id)
    assert (animal.name, animal.chip_id, str(animal.deceased_on)) == (
        "Bamse II",
        None,
        "2024-01-02",
    )

    logged = AccessLogEntry.objects.filter(object_type="animal", person_id=anne.pk)
    assert set(logged.values_list("action", flat=True)) == {"create", "list", "read", "update"}


def test_an_animal_with_two_owners_lists_the_primary_first(vet_owner, api, anne, make_person):
    per = make_person(vet_owner, first_name="Per", last_name="Hansen")
    animal = animal_create(actor=vet_owner, owner_ids=[per.pk, anne.pk], name="Pus", species="cat")
    owners = api.get(f"animals/{animal.pk}").json()["owners"]
    assert owners == [{"person": per.pk, "primary": True}, {"person": anne.pk, "primary": False}]
    assert [a["id"] for a in api.get(f"persons/{anne.pk}/animals").json()["items"]] == [animal.pk]
    # The read is logged against each owner.
    reads = AccessLogEntry.objects.filter(action="read", object_type="animal")
    assert sorted(reads.values_list("person_id", flat=True)) == sorted([per.pk, anne.pk])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Pus", "species": "cat", "chip_number": "12345"}, "chip_number"),
        ({"name": "Pus", "species": "cat", "chip_number": "57809712345678X"}, "chip_number"),
        ({"name": "Pus", "species": "cat", "chip_number": "5780971234567890"}, "chip_number"),
        ({"name": "Pus", "species": "dragon"}, "species"),
        ({"name": "", "species": "cat"}, "name"),
        ({"species": "cat"}, "name"),
        ({"name": "Pus", "species": "cat", "birth_date": "2019-02-30"}, "birth_date"),
        ({"name": "Pus", "species": "cat", "birth_date": "2999-01-01"}, "birth_date"),
        ({"name": "Pus", "species": "cat", "birth_date": "0001-01-01"}, "birth_date"),
        ({"name": "Pus", "species": "cat", "breed": "x" * 101}, "breed"),
        ({"name": "Pus", "species": "cat", "sex": "it"}, "sex"),
        ({"name": "Pus", "species": "cat", "sex": None}, "sex"),
        ({"name": "Pus", "species": "cat", "neutered": "maybe"}, "neutered"),
        ({"name": "Pus", "species": "cat", "neutered": None}, "neutered"),
        ({"name": "Pus", "species": "cat", "colour": "x" * 51}, "colour"),
        ({"name": "Pus", "species": "cat", "weight_kg": 0}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": -3}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": 2000}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": "4.125"}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": "fire kilo"}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": "NaN"}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": 1e300}, "weight_kg"),
        ({"name": "Pus", "species": "cat", "weight_kg": [4]}, "weight_kg"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, anne, payload, field):
    response = api.post(f"persons/{anne.pk}/animals", payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert "detail" in response.json()
    assert not Animal.objects.exists()


def test_a_chip_number_is_unique_in_the_clinic(api, vet_owner, anne, make_person):
    first = api.post(
        f"persons/{anne.pk}/animals", {"name": "A", "species": "cat", "chip_number": CHIP}
    )
    assert first.status_code == 201
    again = api.post(
        f"persons/{anne.pk}/animals", {"name": "B", "species": "cat", "chip_number": CHIP}
    )
    assert again.status_code == 422
    assert list(again.json()["errors"]) == ["chip_number"]
    other = animal_create(actor=vet_owner, owner_ids=[anne.pk], name="C", species="dog")
    taken = api.patch(f"animals/{other.pk}", {"chip_number": CHIP})
    assert taken.status_code == 422
    assert list(taken.json()["errors"]) == ["chip_number"]
    # Its own chip number again is no conflict.
    same = api.patch(f"animals/{first.json()['id']}", {"chip_number": CHIP, "name": "A"})
    assert same.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"chip_number": "1234"}, "chip_number"),
        ({"name": None}, "name"),
        ({"deceased_on": "yesterday"}, "deceased_on"),
        ({"deceased_on": "2999-01-01"}, "deceased_on"),
        ({"deceased_on": "2010-01-01"}, "deceased_on"),  # before the birth date
        ({"birth_date": "2030-01-01"}, "birth_date"),
        ({"species": "dragon"}, "species"),
        ({"sex": "both"}, "sex"),
        ({"neutered": None}, "neutered"),
        ({"colour": "Grå\u0000"}, "colour"),
        ({"weight_kg": "0.001"}, "weight_kg"),
        ({"weight_kg": {"kg": 4}}, "weight_kg"),
    ],
)
def test_bad_patch_is_a_422_naming_the_field(api, vet_owner, anne, payload, field):
    from datetime import date

    animal = animal_create(
        actor=vet_owner, owner_ids=[anne.pk], name="Pus", species="cat", birth_date=date(2015, 1, 1)
    )
    response = api.patch(f"animals/{animal.pk}", payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    animal.refresh_from_db()
    assert (animal.name, animal.deceased_on) == ("Pus", None)


def test_all_staff_roles_may_register_animals(vet_clinic, make_api, anne):
    for role in Role.values:
        response = make_api(vet_clinic, role).post(
            f"persons/{anne.pk}/animals", {"name": f"Pus {role}", "species": "cat"}
        )
        assert response.status_code == 201, (role, response.content)


def test_a_role_that_may_not_edit_people_gets_403(
    vet_clinic, vet_owner, make_api, anne, monkeypatch
):
    """Every role may edit people today; the animals follow that rule, whatever it is."""
    monkeypatch.setitem(CAPABILITIES, "person.write", {Role.OWNER, Role.PRACTITIONER})
    animal = animal_create(actor=vet_owner, owner_ids=[anne.pk], name="Pus", species="cat")
    reception = make_api(vet_clinic, "receptionist")
    created = reception.post(f"persons/{anne.pk}/animals", {"name": "Bamse", "species": "dog"})
    assert created.status_code == 403
    assert "detail" in created.json()
    assert reception.patch(f"animals/{animal.pk}", {"name": "Mons"}).status_code == 403
    assert Animal.objects.get().name == "Pus"
    # Reading stays a person.read matter.
    assert reception.get(f"animals/{animal.pk}").status_code == 200
    assert reception.get(f"persons/{anne.pk}/animals").status_code == 200


def test_without_a_token_it_is_401(vet_owner, anne, client):
    animal = animal_create(actor=vet_owner, owner_ids=[anne.pk], name="Pus", species="cat")
    assert client.get(f"/api/v1/animals/{animal.pk}").status_code == 401
    assert client.get(f"/api/v1/persons/{anne.pk}/animals").status_code == 401


def test_another_clinics_person_and_animal_are_404(vet_owner, anne, make_clinic, make_api):
    animal = animal_create(
        actor=vet_owner, owner_ids=[anne.pk], name="Pus", species="cat", chip_id=CHIP
    )
    outsider = make_api(make_clinic("other"), "owner")
    assert outsider.get(f"persons/{anne.pk}/animals").status_code == 404
    created = outsider.post(f"persons/{anne.pk}/animals", {"name": "Bamse", "species": "dog"})
    assert created.status_code == 404
    assert outsider.get(f"animals/{animal.pk}").status_code == 404
    patched = outsider.patch(f"animals/{animal.pk}", {"name": "Mons", "deceased_on": "2024-01-01"})
    assert patched.status_code == 404
    animal.refresh_from_db()
    assert (animal.name, animal.deceased_on) == ("Pus", None)
    assert Animal.objects.count() == 1
    # Nor does search reach another clinic's animals.
    assert outsider.get("persons", q=CHIP).json()["count"] == 0
    assert outsider.get("persons", q="Pus").json()["count"] == 0


def test_a_clinic_without_animals_refuses_to_register_one(
    make_api, make_actor, make_person, clinic
):
    person = make_person(make_actor(clinic, "owner"))
    api = make_api(clinic, "receptionist")
    response = api.post(f"persons/{person.pk}/animals", {"name": "Pus", "species": "cat"})
    assert response.status_code == 409
    assert api.get(f"persons/{person.pk}/animals").json() == {"items": [], "count": 0}


def test_search_finds_the_owner_by_chip_number(api, vet_owner, anne, make_person):
    make_person(vet_owner, first_name="Per", last_name="Berg")
    animal_create(actor=vet_owner, owner_ids=[anne.pk], name="Bamse", species="dog", chip_id=CHIP)
    for query in (CHIP, "578 097 123 456 789"):
        body = api.get("persons", q=query).json()
        assert [p["id"] for p in body["items"]] == [anne.pk], query
        assert body["count"] == 1
    assert api.get("persons", q="578097123456788").json()["count"] == 0
    # Exact only: a prefix of a chip number is no match.
    assert api.get("persons", q=CHIP[:14]).json()["count"] == 0


def test_search_finds_owners_by_pet_name_after_name_matches(api, vet_owner, anne, make_person):
    per = make_person(vet_owner, first_name="Per", last_name="Berg")
    bamse = make_person(vet_owner, first_name="Bamse", last_name="Olsen")
    animal_create(actor=vet_owner, owner_ids=[per.pk, anne.pk], name="Bamsefar", species="dog")
    animal_create(actor=vet_owner, owner_ids=[bamse.pk], name="Bamse", species="dog")
    animal_create(actor=vet_owner, owner_ids=[anne.pk], name="Pusur", species="cat")
    body = api.get("persons", q="bamse").json()
    # The person named Bamse first (once, though their dog is called Bamse too), then the
    # owners of the pets called Bamse..., in name order.
    assert [p["id"] for p in body["items"]] == [bamse.pk, per.pk, anne.pk]
    assert body["count"] == 3
    assert set(body) == {"items", "count", "count_capped"}
    assert [p["id"] for p in api.get("persons", q="PUS").json()["items"]] == [anne.pk]
    assert api.get("persons", q="100%").json()["count"] == 0
    assert api.get("persons", q="B_mse").json()["count"] == 0
    page = api.get("persons", q="bamse", offset=1, limit=1).json()
    assert [p["id"] for p in page["items"]] == [per.pk]
    assert page["count"] == 3
    # Any case, Nordic letters too, on either database (the pet's name key is case-folded).
    animal_create(actor=vet_owner, owner_ids=[per.pk], name="Ærlig Bjørn", species="dog")
    assert [p["id"] for p in api.get("persons", q="ærlig bj").json()["items"]] == [per.pk]
    # A renamed pet is found by its new name only.
    from praksis.people.models import Animal

    pet = Animal.objects.get(name="Pusur")
    pet.name = "Åsa"
    pet.save(update_fields=["name"])
    assert [p["id"] for p in api.get("persons", q="åsa").json()["items"]] == [anne.pk]
    assert api.get("persons", q="pusur").json()["count"] == 0


def test_sex_neutering_colour_and_weight(api, anne):
    """The veterinary profile: sex, neutering and colour are read and written; a weight
    given on create or patch is a weighing today, and the latest is the current weight."""
    from praksis.people.models import AnimalWeight
    from praksis.people.services import clinic_today

    created = api.post(
        f"persons/{anne.pk}/animals",
        {"name": "Bamse", "species": "dog", "sex": "male", "neutered": True,
         "colour": " Rød  og hvit ", "weight_kg": 24.5},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    today = clinic_today(Animal.objects.get().clinic).isoformat()
    assert (body["sex"], body["neutered"], body["colour"]) == ("male", True, "Rød og hvit")
    assert (body["current_weight_kg"], body["weighed_on"]) == (24.5, today)

    patched = api.patch(
        f"animals/{body['id']}",
        {"sex": "female", "neutered": False, "colour": "", "weight_kg": "25,75"},
    )
    assert patched.status_code == 200, patched.content
    after = patched.json()
    assert (after["sex"], after["neutered"], after["colour"]) == ("female", False, "")
    assert (after["current_weight_kg"], after["weighed_on"]) == (25.75, today)
    assert AnimalWeight.objects.count() == 2
    read = api.get(f"animals/{body['id']}").json()
    assert read["current_weight_kg"] == 25.75
    listed = api.get(f"persons/{anne.pk}/animals").json()["items"]
    assert [a["current_weight_kg"] for a in listed] == [25.75]
    # A patch without a weight records none.
    api.patch(f"animals/{body['id']}", {"name": "Bamse II"})
    assert AnimalWeight.objects.count() == 2


def test_the_openapi_document_lists_the_new_fields(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"sex", "neutered", "colour", "weight_kg"} <= set(schemas["AnimalIn"]["properties"])
    assert {"sex", "neutered", "colour", "weight_kg", "species"} <= set(
        schemas["AnimalPatch"]["properties"]
    )
    assert {"current_weight_kg", "weighed_on", "sex"} <= set(schemas["AnimalOut"]["properties"])
