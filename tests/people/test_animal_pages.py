"""Staff pages for animals (veterinary clinics): register one from the owner's page, edit
it, record its death and its weight, add and remove co-owners and choose the primary
owner. Forms keep what was typed and answer in the user's language; reads need
``person.read``, writes ``person.write``; every read and write is logged (LAW.md REQ-19);
another clinic's animal is not found."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.clinics.access import CAPABILITIES
from praksis.clinics.models import Role
from praksis.people.models import Animal, AnimalOwner, AnimalWeight
from praksis.people.services import animal_create
from tests.conftest import speaks

CHIP = "578097123456789"


@pytest.fixture
def vet_clinic(make_clinic):
    return make_clinic("vet")


@pytest.fixture
def vet_owner(vet_clinic, make_actor):
    return make_actor(vet_clinic, "owner")


@pytest.fixture
def kari(vet_owner, make_person):
    return make_person(vet_owner, first_name="Kari", last_name="Nordmann", phone="41234567")


@pytest.fixture
def ola(vet_owner, make_person):
    return make_person(vet_owner, first_name="Ola", last_name="Fjeld")


@pytest.fixture
def desk(vet_clinic, make_staff):
    """The reception of the vet clinic, in the clinic's language (Norwegian)."""
    client = Client()
    client.user = make_staff(vet_clinic, "receptionist")
    client.force_login(client.user)
    return client


@pytest.fixture
def bamse(vet_owner, kari):
    return animal_create(actor=vet_owner, owner_ids=[kari.pk], name="Bamse", species="dog")


FORM = {
    "name": "Pusur",
    "species": "cat",
    "breed": "Norsk skogkatt",
    "sex": "female",
    "neutered": "1",
    "birth_date": "2021-05-04",
    "colour": "Svart og hvit",
    "chip_id": "578 097 111 222 333",
    "weight_kg": "4,35",
}


def test_register_an_animal_from_the_owners_page(desk, kari):
    page = desk.get(f"/staff/persons/{kari.pk}/").content.decode()
    assert f'href="/staff/persons/{kari.pk}/animals/new/"' in page
    form = desk.get(f"/staff/persons/{kari.pk}/animals/new/")
    assert form.status_code == 200
    assert 'type="date"' in form.content.decode()

    response = desk.post(f"/staff/persons/{kari.pk}/animals/new/", FORM)
    animal = Animal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/animals/{animal.pk}/"
    assert (animal.name, animal.species, animal.sex, animal.neutered) == (
        "Pusur", "cat", "female", True,
    )  # fmt: skip
    assert (animal.colour, animal.chip_id, str(animal.birth_date)) == (
        "Svart og hvit", "578097111222333", "2021-05-04",
    )  # fmt: skip
    assert AnimalWeight.objects.get(animal=animal).weight_kg == Decimal("4.35")
    assert AnimalOwner.objects.get(animal=animal).person_id == kari.pk

    page = desk.get(f"/staff/animals/{animal.pk}/").content.decode()
    for text in ("Pusur", "Katt", "Norsk skogkatt", "Hunn, kastrert", "4,35", "Kari Nordmann"):
        assert text in page, text
    # The owner's page lists it, with a link to its page.
    assert (
        f'href="/staff/animals/{animal.pk}/"'
        in desk.get(f"/staff/persons/{kari.pk}/").content.decode()
    )
    # REQ-19: the registration and the page's read are logged against the owner.
    logged = AccessLogEntry.objects.filter(object_type="animal", object_id=str(animal.pk))
    assert {"create", "read"} <= set(logged.values_list("action", flat=True))
    assert set(logged.values_list("person_id", flat=True)) == {kari.pk}


def test_a_chip_number_already_registered_is_refused_in_the_users_language(
    desk, vet_owner, kari, ola
):
    animal_create(actor=vet_owner, owner_ids=[ola.pk], name="Rex", species="dog", chip_id=CHIP)
    typed = {**FORM, "chip_id": CHIP}
    response = desk.post(f"/staff/persons/{kari.pk}/animals/new/", typed)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Et dyr med dette chipnummeret er allerede registrert." in body  # Norwegian
    assert 'id="err_chip_id"' in body
    for value in ("Pusur", "Norsk skogkatt", "Svart og hvit", CHIP, "2021-05-04", "4,35"):
        assert f'value="{value}"' in body, value
    assert '<option value="female" selected>' in body and "checked" in body
    assert Animal.objects.count() == 1

    speaks(desk.user, "sv")  # a member of staff who reads Swedish
    response = desk.post(f"/staff/persons/{kari.pk}/animals/new/", {**typed, "chip_id": "1234"})
    assert response.status_code == 422
    assert "Ett chipnummer har 15 siffror (ISO 11784)." in response.content.decode()


def test_edit_an_animal_and_record_its_death(desk, bamse):
    form = desk.get(f"/staff/animals/{bamse.pk}/edit/").content.decode()
    assert 'value="Bamse"' in form and 'name="deceased_on"' in form
    today = timezone.now().astimezone(bamse.clinic.zone).date().isoformat()
    data = {**FORM, "name": "Bamse", "species": "dog", "chip_id": "", "deceased_on": today}
    data.pop("weight_kg")
    response = desk.post(f"/staff/animals/{bamse.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bamse.refresh_from_db()
    assert (bamse.deceased_on.isoformat(), bamse.sex, bamse.chip_id) == (today, "female", None)
    page = desk.get(f"/staff/animals/{bamse.pk}/").content.decode()
    assert "død" in page

    response = desk.post(f"/staff/animals/{bamse.pk}/edit/", {**data, "deceased_on": "2999-01-01"})
    assert response.status_code == 422
    assert 'value="2999-01-01"' in response.content.decode()


def test_record_weights_and_see_the_history(desk, bamse):
    url = f"/staff/animals/{bamse.pk}/weights/"
    bad = desk.post(url, {"weight_kg": "tjue", "weighed_on": ""})
    assert bad.status_code == 422
    body = bad.content.decode()
    assert 'value="tjue"' in body and "Skriv inn vekten i kilo" in body
    assert not AnimalWeight.objects.exists()

    assert desk.post(url, {"weight_kg": "31,2", "weighed_on": "2024-01-10"}).status_code == 302
    assert desk.post(url, {"weight_kg": "32.05", "weighed_on": ""}).status_code == 302
    page = desk.get(f"/staff/animals/{bamse.pk}/").content.decode()
    history = page.split('id="weight-history"', 1)[1]
    assert history.index("32,05") < history.index("31,20")  # the latest first
    assert "2024-01-10" in history


def test_co_owners_through_the_person_picker(desk, bamse, kari, ola):
    url = f"/staff/animals/{bamse.pk}/owners/"
    # Without JavaScript the typed text comes back as choices.
    choose = desk.post(url, {"action": "add", "owner_q": "Fjeld"})
    assert choose.status_code == 422
    body = choose.content.decode()
    assert f'name="owner" value="{ola.pk}"' in body and "Velg personen fra listen." in body
    assert desk.post(url, {"action": "add", "owner": ola.pk}).status_code == 302
    owners = AnimalOwner.objects.filter(animal=bamse)
    assert {(o.person_id, o.is_primary) for o in owners} == {(kari.pk, True), (ola.pk, False)}

    assert desk.post(url, {"action": "primary", "person": ola.pk}).status_code == 302
    assert AnimalOwner.objects.get(animal=bamse, is_primary=True).person_id == ola.pk
    page = desk.get(f"/staff/animals/{bamse.pk}/").content.decode()
    summary = page.split('id="animal-summary"', 1)[1]
    assert summary.index("Ola Fjeld") < summary.index("Kari Nordmann")

    assert desk.post(url, {"action": "remove", "person": ola.pk}).status_code == 302
    assert list(
        AnimalOwner.objects.filter(animal=bamse).values_list("person_id", "is_primary")
    ) == [(kari.pk, True)]
    last = desk.post(url, {"action": "remove", "person": kari.pk})
    assert last.status_code == 422
    assert "minst én eier" in last.content.decode()


def test_a_person_of_another_clinic_cannot_be_a_co_owner(
    desk, bamse, make_clinic, make_actor, make_person
):
    stranger = make_person(make_actor(make_clinic("other"), "owner"), first_name="Ann")
    response = desk.post(
        f"/staff/animals/{bamse.pk}/owners/", {"action": "add", "owner": stranger.pk}
    )
    assert response.status_code == 422
    assert AnimalOwner.objects.filter(animal=bamse).count() == 1


def test_writes_need_person_write_and_reads_person_read(vet_clinic, desk, bamse, kari, monkeypatch):
    monkeypatch.setitem(CAPABILITIES, "person.write", {Role.OWNER, Role.PRACTITIONER})
    assert desk.get(f"/staff/animals/{bamse.pk}/").status_code == 200
    page = desk.get(f"/staff/animals/{bamse.pk}/").content.decode()
    assert 'id="weight-form"' not in page and 'id="owner-form"' not in page
    for url, data in (
        (f"/staff/persons/{kari.pk}/animals/new/", FORM),
        (f"/staff/animals/{bamse.pk}/edit/", {**FORM, "deceased_on": ""}),
        (f"/staff/animals/{bamse.pk}/weights/", {"weight_kg": "9"}),
        (f"/staff/animals/{bamse.pk}/owners/", {"action": "remove", "person": kari.pk}),
    ):
        assert desk.post(url, data).status_code == 403, url
    assert Animal.objects.count() == 1 and not AnimalWeight.objects.exists()
    monkeypatch.setitem(CAPABILITIES, "person.read", {Role.OWNER})
    assert desk.get(f"/staff/animals/{bamse.pk}/").status_code == 403


def test_another_clinics_animal_and_a_clinic_without_animals_are_404(
    bamse, kari, make_clinic, make_staff
):
    outsider = Client()
    outsider.force_login(make_staff(make_clinic("vet", slug="annen-dyr"), "owner"))
    for url in (
        f"/staff/animals/{bamse.pk}/",
        f"/staff/animals/{bamse.pk}/edit/",
        f"/staff/persons/{kari.pk}/animals/new/",
    ):
        assert outsider.get(url).status_code == 404, url
    for url in ("weights/", "owners/", "edit/"):
        assert (
            outsider.post(f"/staff/animals/{bamse.pk}/{url}", {"weight_kg": "5"}).status_code == 404
        )
    assert not AnimalWeight.objects.exists()


def test_a_clinic_without_animals_has_no_animal_form(clinic, owner, make_person):
    person = make_person(owner, first_name="Greta", last_name="Wikander")
    client = Client()
    client.force_login(owner.user)
    assert client.get(f"/staff/persons/{person.pk}/animals/new/").status_code == 404
    assert "/animals/new/" not in client.get(f"/staff/persons/{person.pk}/").content.decode()
