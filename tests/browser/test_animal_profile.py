"""At the vet demo clinic, the reception registers a client's new dog from the client's
page, the vet records its weight, and the dog's journal opens with its header: species,
breed, sex and neutering, age, the weight with its date and the owner (issue 13)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from praksis.people.models import Animal, AnimalWeight, Person
from praksis.people.selectors import age_text
from praksis.site.demo import DEMO_PASSWORD, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLINIC = "fjord-dyreklinikk"
LANGUAGE = "nb"  # staff pages speak the clinic's language
CHIP = "999000111222333"  # no demo chip starts with 999
BIRTH = date(2021, 3, 4)


def t(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


def _sign_in(page, email: str) -> None:
    page.goto("/staff/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form[action='/staff/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def test_register_an_animal_weigh_it_and_open_its_journal(page, live_server, settings, tmp_path):
    settings.PRAKSIS_DEMO = True
    settings.SMS_FILE_PATH = tmp_path / "sms"
    clinic = next(c for c in seed_demo(persons_per_clinic=4) if c.slug == CLINIC)
    owner = Person.objects.filter(clinic=clinic).order_by("pk").first()

    # The reception registers the dog from the owner's page.
    _sign_in(page, f"reception@{CLINIC}.test")
    page.goto(f"/staff/persons/{owner.pk}/")
    page.locator("#animals").get_by_role("link", name=t("Register an animal")).click()
    page.wait_for_url(re.compile(rf"/staff/persons/{owner.pk}/animals/new/$"))
    page.locator("#id_name").fill("Trofast")
    page.locator("#id_species").select_option("dog")
    page.locator("#id_breed").fill("Gordon setter")
    page.locator("#id_sex").select_option("female")
    page.locator("#id_neutered").check()
    page.locator("#id_birth_date").fill(BIRTH.isoformat())
    page.locator("#id_colour").fill("Svart og brun")
    page.locator("#id_chip_id").fill(CHIP[:3] + " " + CHIP[3:])
    page.get_by_role("button", name=t("Save"), exact=True).click()
    page.wait_for_url(re.compile(r"/staff/animals/\d+/$"))
    dog = Animal.objects.get(clinic=clinic, chip_id=CHIP)
    assert (dog.name, dog.sex, dog.neutered) == ("Trofast", "female", True)

    # The vet weighs it.
    page.context.clear_cookies()
    _sign_in(page, f"practitioner@{CLINIC}.test")
    page.goto(f"/staff/animals/{dog.pk}/")
    page.locator("#id_weight_kg").fill("18,4")
    page.get_by_role("button", name=t("Record the weight"), exact=True).click()
    page.wait_for_url(re.compile(rf"/staff/animals/{dog.pk}/#weights$"))
    expect(page.locator("#weight-history")).to_contain_text("18,40")
    assert AnimalWeight.objects.get(animal=dog).weight_kg == Decimal("18.40")

    # Its journal opens with the header.
    page.get_by_role("link", name=t("Open the journal")).click()
    page.wait_for_url(re.compile(rf"/staff/animals/{dog.pk}/journal/$"))
    header = page.locator("#animal-summary")
    today = timezone.now().astimezone(clinic.zone).date()
    with translation.override(LANGUAGE):
        age = age_text(BIRTH, today)
    for text in (
        t("Dog"), "Gordon setter", f"{t('Female')}, {t('neutered')}", age,
        "18,40 kg", today.isoformat(), owner.full_name, t("primary owner"),
    ):  # fmt: skip
        expect(header).to_contain_text(text)
    expect(page.locator("#id_field_next_vaccination")).to_have_attribute("type", "date")
