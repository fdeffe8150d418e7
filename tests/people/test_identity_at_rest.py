"""Identity numbers at rest (REQ-34; numbers per REQ-35..41, synthetic only): encrypted
under the person's data key, found by a keyed hash of the canonical number, unique per
clinic, unreadable once the key is destroyed, and never in clear in a database dump."""

from __future__ import annotations

import base64
import io
import json
import random
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from praksis.core.errors import ValidationFailed
from praksis.people import vault
from praksis.people.identity import synthetic_no, synthetic_se
from praksis.people.models import DataKey, Person
from praksis.people.selectors import person_search
from praksis.people.services import person_update
from praksis.privacy.erasure import erase_person
from praksis.privacy.requests import request_create

SE_NUMBER = synthetic_se(random.Random(35), date(1985, 3, 12))  # REQ-41: synthetic
NO_NUMBER = synthetic_no(random.Random(38), date(1975, 4, 3))


def se_forms(number: str) -> list[str]:
    """Every way REQ-35 lets a Swedish number be typed."""
    short = number[2:]
    return [
        number,
        short,
        f"{short[:6]}-{short[6:]}",
        f"{number[:8]}-{number[8:]}",
        f" {number[:8]} {number[8:]} ",
    ]


def _plain_forms(number: str) -> list[str]:
    """What a dump would contain if a number were stored in clear (text or bytes)."""
    forms = [number, number[2:]] if len(number) == 12 else [number]
    return forms + [form.encode().hex() for form in forms]


# --- Encrypted at rest ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_identity_number_is_in_clear_in_a_dump_of_the_database(
    make_clinic, make_actor, make_person
):
    """REQ-34: the whole database, as a backup would hold it, has no number in clear —
    whether the person came from the desk, the model, or the bulk generator."""
    clinic, norwegian = make_clinic("optician"), make_clinic("dental")
    make_person(make_actor(clinic), first_name="Greta", last_name="Wikander",
                identity_number=SE_NUMBER)  # fmt: skip
    make_person(make_actor(norwegian), first_name="Kari", last_name="Nordmann",
                identity_number=NO_NUMBER)  # fmt: skip
    other = synthetic_se(random.Random(36), date(1950, 5, 17))
    Person.objects.create(clinic=clinic, first_name="Per", last_name="Holm", identity_number=other)
    call_command("generate", clinic=clinic.slug, persons=20, seed=4, stdout=io.StringIO())
    named = ["Wikander", "Nordmann", "Holm"]
    people = Person.objects.exclude(last_name__in=named).select_related("data_key")
    generated = [person.identity_number for person in people]
    assert len(generated) == 20 and all(generated)

    dump = _dump().lower()
    assert "wikander" in dump and "nordmann" in dump  # the dump is real: names are in it
    for number in [SE_NUMBER, NO_NUMBER, other, *generated]:
        for form in _plain_forms(number):
            assert form.lower() not in dump, form


def _dump() -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    pg_dump = Path("/usr/lib/postgresql/15/bin/pg_dump")
    binary = str(pg_dump) if pg_dump.exists() else shutil.which("pg_dump")
    if binary is None:
        pytest.skip("pg_dump is not installed")
    db = connection.settings_dict
    env = {"PGPASSWORD": db.get("PASSWORD") or ""}
    command = [binary, "--data-only", "--no-owner", "-d", db["NAME"]]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout


def test_each_number_is_sealed_under_its_own_persons_data_key(clinic, owner, make_person):
    person = make_person(owner, identity_number=SE_NUMBER)
    stored = Person.objects.select_related("data_key").get(pk=person.pk)
    assert SE_NUMBER.encode() not in bytes(stored.identity_ciphertext)
    assert stored.identity_number == SE_NUMBER
    assert stored.data_key.person_id == person.pk
    # Moved to another person's row, it opens for nobody (their key is another one).
    someone = make_person(owner, first_name="Per", last_name="Holm")
    moved = Person.objects.select_related("data_key").get(pk=someone.pk)
    vault.data_key_for(moved)
    moved = Person.objects.select_related("data_key").get(pk=someone.pk)
    moved.identity_ciphertext = stored.identity_ciphertext
    with pytest.raises(vault.VaultError):
        _ = moved.identity_number


# --- Found by the keyed hash --------------------------------------------------------------


@pytest.mark.parametrize("typed", se_forms(SE_NUMBER))
def test_a_swedish_number_finds_the_person_in_every_accepted_form(
    clinic, owner, make_person, make_api, typed
):
    """REQ-35: 10 or 12 digits, with or without separator: one hash, one person."""
    person = make_person(owner, first_name="Greta", last_name="Wikander",
                         identity_number=SE_NUMBER)  # fmt: skip
    make_person(owner, first_name="Greta", last_name="Wikström")
    assert list(Person.objects.by_identity(clinic, typed)) == [person]
    result = person_search(actor=owner, query=typed)
    assert (result.kind, result.items) == ("identity_number", [person])
    listed = make_api(clinic, "receptionist").get("persons", q=typed).json()
    assert [item["id"] for item in listed["items"]] == [person.pk]


def test_a_norwegian_number_finds_the_person_with_or_without_a_space(
    make_clinic, make_actor, make_person
):
    clinic = make_clinic("dental")
    actor = make_actor(clinic, "receptionist")
    person = make_person(actor, first_name="Kari", last_name="Nordmann",
                         identity_number=NO_NUMBER)  # fmt: skip
    for typed in (
        NO_NUMBER,
        f"{NO_NUMBER[:6]} {NO_NUMBER[6:]}",
        f"{NO_NUMBER[:6]}-{NO_NUMBER[6:]}",
    ):
        assert list(Person.objects.by_identity(clinic, typed)) == [person]
        assert person_search(actor=actor, query=typed).items == [person]


def test_part_of_a_number_or_an_invalid_one_finds_nobody(clinic, owner, make_person):
    """Numbers are matched whole (the birth date covers the partial case)."""
    make_person(owner, identity_number=SE_NUMBER)
    for typed in (SE_NUMBER[:9], SE_NUMBER[:-1] + str((int(SE_NUMBER[-1]) + 1) % 10), "", None):
        assert not Person.objects.by_identity(clinic, typed).exists()
    assert person_search(actor=owner, query=SE_NUMBER[:9]).items == []
    assert len(person_search(actor=owner, query="1985-03-12").items) == 1


def test_search_by_number_is_an_exact_match_on_the_hash_index(clinic, owner, make_person):
    """The one search statement asks for the hash, never for the number or a prefix."""
    make_person(owner, identity_number=SE_NUMBER)
    with CaptureQueriesContext(connection) as ctx:
        result = person_search(actor=owner, query=SE_NUMBER)
    assert len(result.items) == 1
    searches = [q["sql"] for q in ctx.captured_queries if "FROM people_person" in q["sql"]]
    assert len(searches) == 1 and "identity_hash IN" in searches[0]
    assert SE_NUMBER not in searches[0]


# --- One per clinic -----------------------------------------------------------------------


def test_a_number_is_registered_once_per_clinic_but_may_recur_in_another(
    clinic, other_clinic, owner, make_actor, make_person
):
    first = make_person(owner, identity_number=SE_NUMBER)
    typed_otherwise = f"{SE_NUMBER[2:8]}-{SE_NUMBER[8:]}"
    with pytest.raises(ValidationFailed) as refused:
        make_person(owner, first_name="Anna", identity_number=typed_otherwise)
    assert list(refused.value.errors) == ["identity_number"]
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it too
        Person.objects.create(
            clinic=clinic, first_name="A", last_name="B", identity_number=SE_NUMBER
        )
    assert Person.objects.filter(clinic=clinic).count() == 1

    elsewhere = make_person(make_actor(other_clinic), identity_number=SE_NUMBER)
    assert elsewhere.identity_number == SE_NUMBER
    # The hash is keyed per clinic: the two rows cannot be linked by comparing hashes.
    hashes = Person.objects.filter(pk__in=[first.pk, elsewhere.pk]).values_list(
        "identity_hash", flat=True
    )
    assert len({bytes(h) for h in hashes}) == 2


def test_correcting_a_number_reseals_it_and_the_old_one_no_longer_finds(clinic, owner, make_person):
    person = make_person(owner, identity_number=SE_NUMBER)
    key_before = DataKey.objects.get(person=person).wrapped_key
    corrected = synthetic_se(random.Random(37), date(1985, 3, 12))
    person_update(actor=owner, person_id=person.pk, changes={"identity_number": corrected})
    assert not Person.objects.by_identity(clinic, SE_NUMBER).exists()
    assert list(Person.objects.by_identity(clinic, corrected)) == [person]
    stored = Person.objects.select_related("data_key").get(pk=person.pk)
    assert stored.identity_number == corrected
    assert bytes(stored.data_key.wrapped_key) == bytes(key_before)  # the same data key


def test_a_number_removed_leaves_neither_hash_nor_ciphertext(make_clinic, make_actor, make_person):
    clinic = make_clinic("dental")  # the number is optional there
    actor = make_actor(clinic, "receptionist")
    person = make_person(actor, identity_number=NO_NUMBER)
    person_update(actor=actor, person_id=person.pk, changes={"identity_number": ""})
    stored = Person.objects.get(pk=person.pk)
    assert (stored.identity_hash, stored.identity_ciphertext, stored.identity_number) == (
        None,
        None,
        None,
    )
    assert not Person.objects.by_identity(clinic, NO_NUMBER).exists()


# --- Lists are masked -------------------------------------------------------------------


def test_lists_show_the_number_masked_to_the_birth_date(
    clinic, owner, make_person, make_api, make_staff
):
    person = make_person(owner, first_name="Greta", last_name="Wikander",
                         identity_number=SE_NUMBER)  # fmt: skip
    api = make_api(clinic, "receptionist")
    with CaptureQueriesContext(connection) as ctx:
        listed = api.get("persons", q="wik").json()
    assert listed["items"][0]["identity_number"] == "19850312-****"
    assert SE_NUMBER not in json.dumps(listed) and SE_NUMBER[2:] not in json.dumps(listed)
    assert not [q for q in ctx.captured_queries if "people_datakey" in q["sql"]]
    assert api.get(f"persons/{person.pk}").json()["identity_number"] == SE_NUMBER

    page = Client()
    page.force_login(make_staff(clinic, "receptionist", email="desk2@test-optik.test"))
    results = page.get("/staff/persons/", {"q": "wik"}).content.decode()
    assert "19850312-****" in results
    assert f"{SE_NUMBER[:8]}-{SE_NUMBER[8:]}" not in results and SE_NUMBER[2:] not in results
    detail = page.get(f"/staff/persons/{person.pk}/").content.decode()
    assert f"{SE_NUMBER[:8]}-{SE_NUMBER[8:]}" in detail


# --- Crypto-shredding -----------------------------------------------------------------


def test_a_destroyed_data_key_leaves_the_number_unreadable(clinic, owner, make_person):
    person = make_person(owner, identity_number=SE_NUMBER)
    assert vault.destroy_key(person)
    stored = Person.objects.select_related("data_key").get(pk=person.pk)
    assert stored.identity_ciphertext is not None  # a backup still holds these bytes...
    assert stored.identity_number is None  # ...and nothing opens them any more


def test_erasure_leaves_no_number_to_read_or_to_find(clinic, owner, make_person):
    person = make_person(owner, identity_number=SE_NUMBER)
    request = request_create(actor=owner, person_id=person.pk, kind="erasure")
    erase_person(actor=owner, person_id=person.pk, request=request)
    kept = Person.objects.get(pk=person.pk)  # the row stays as proof of the answer
    assert (kept.identity_hash, kept.identity_ciphertext, kept.identity_kind) == (None, None, "")
    assert not Person.objects.by_identity(clinic, SE_NUMBER).exists()
    assert DataKey.objects.get(person=person).destroyed_at is not None


# --- Key rotation -------------------------------------------------------------------------


def test_key_rotation_keeps_numbers_readable_findable_and_unique(
    clinic, owner, make_person, settings
):
    person = make_person(owner, identity_number=SE_NUMBER)
    hash_before = bytes(Person.objects.get(pk=person.pk).identity_hash)
    settings.PRAKSIS_KEY_PREVIOUS = settings.PRAKSIS_KEY
    settings.PRAKSIS_KEY = base64.urlsafe_b64encode(b"r" * 32).decode()
    # Deployed with the new key, rotate-key not run yet: still found, still one per clinic.
    assert person_search(actor=owner, query=SE_NUMBER).items == [person]
    with pytest.raises(ValidationFailed):
        make_person(owner, first_name="Anna", identity_number=SE_NUMBER)

    call_command("rotate-key", stdout=io.StringIO())
    settings.PRAKSIS_KEY_PREVIOUS = None  # the old key is gone now
    stored = Person.objects.select_related("data_key").get(pk=person.pk)
    assert bytes(stored.identity_hash) != hash_before  # hashed again under the new key
    assert stored.identity_number == SE_NUMBER
    assert person_search(actor=owner, query=SE_NUMBER).items == [person]
    with pytest.raises(ValidationFailed):
        make_person(owner, first_name="Anna", identity_number=SE_NUMBER)


# --- Migrating a database of the previous version -------------------------------------------

BEFORE = [("people", "0005_restriction_and_recall_consent")]


@pytest.mark.django_db(transaction=True)
def test_migrating_a_previous_version_encrypts_and_hashes_the_numbers_on_file(make_clinic):
    clinic = make_clinic("optician")
    numbers = [synthetic_se(random.Random(n), date(1960 + n, 1, 2)) for n in range(3)]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        ids = _people_of_the_previous_version(executor, clinic, numbers)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    columns = _columns("people_person")
    assert "identity_number" not in columns and "identity_hash" in columns
    plain, keyed, shredded, without = (
        Person.objects.select_related("data_key").get(pk=pk) for pk in ids
    )
    assert plain.identity_number == numbers[0]
    assert list(Person.objects.by_identity(clinic, f"{numbers[0][2:8]}-{numbers[0][8:]}")) == [
        plain
    ]
    assert keyed.identity_number == numbers[1]  # sealed under the data key it already had
    assert DataKey.objects.filter(person=keyed).count() == 1
    assert (shredded.identity_hash, shredded.identity_ciphertext) == (None, None)
    assert without.identity_hash is None and not DataKey.objects.filter(person=without).exists()
    if connection.vendor == "sqlite":
        dump = _dump()
        assert not any(form in dump for n in numbers for form in _plain_forms(n))


def _people_of_the_previous_version(executor, clinic, numbers) -> list[int]:
    """Rows as the previous version stored them: a number in clear; one person who
    already had a data key (a journal), one whose key was destroyed, one without."""
    old = executor.loader.project_state(BEFORE).apps
    OldPerson, OldKey = old.get_model("people", "Person"), old.get_model("people", "DataKey")

    def person(name: str, number: str | None):
        return OldPerson.objects.create(
            clinic_id=clinic.pk, first_name=name, last_name="Äldre", first_name_key=name.lower(),
            last_name_key="äldre", identity_number=number,
        )  # fmt: skip

    plain, keyed = person("Plain", numbers[0]), person("Keyed", numbers[1])
    shredded, without = person("Shredded", numbers[2]), person("Without", None)
    existing = vault.seal_new_identity(clinic.pk, "0")  # a real wrapped data key
    OldKey.objects.create(clinic_id=clinic.pk, person_id=keyed.pk, kek_id=existing.kek_id,
                          wrapped_key=existing.wrapped_key)  # fmt: skip
    OldKey.objects.create(clinic_id=clinic.pk, person_id=shredded.pk, wrapped_key=None,
                          destroyed_at=timezone.now())  # fmt: skip
    return [plain.pk, keyed.pk, shredded.pk, without.pk]


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}
