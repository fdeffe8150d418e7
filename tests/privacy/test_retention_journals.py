"""The retention sweep on journals: SE-human 10 years after the LAST entry per journal
document (REQ-01), NO-human never (REQ-02/03), NO-vet 10 years and while the animal may be
alive (REQ-04), SE-vet 5 years (REQ-05); legal holds stop it (REQ-11)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from praksis.audit.models import AccessLogEntry
from praksis.journal.models import Attachment, JournalEntry
from praksis.people.models import Animal, DataKey, Person
from praksis.people.services import animal_create
from praksis.privacy.models import LegalHold
from praksis.privacy.retention import hold_place, hold_release, kept_until, rules, sweep
from tests.privacy.retention_helpers import at, entry

JOURNALS = [r for r in rules() if r.record_type == "journal"]


def _sweep(now):
    return sum(o.count for o in sweep(now=now, rules=JOURNALS))


def test_req01_se_human_journal_kept_exactly_ten_years_after_the_last_entry(
    clinic, owner, make_person
):
    """REQ-01: deletion is blocked until 10 years after the last entry of the document;
    then the entries, amendments and attachments go, and the data key is destroyed."""
    patient = make_person(owner)
    first = entry(owner, person=patient, when=at(2014, 3, 1), attach=True)
    entry(owner, person=patient, when=at(2015, 6, 1), concerns=first)  # an amendment
    assert kept_until(clinic, "journal", at(2015, 6, 1)) == date(2025, 6, 1)
    assert _sweep(at(2025, 6, 1, 11)) == 0  # an hour short of ten years
    assert JournalEntry.objects.filter(person=patient).count() == 2
    assert _sweep(at(2025, 6, 1, 12)) == 1
    assert not JournalEntry.objects.filter(person=patient).exists()
    assert not Attachment.objects.filter(clinic=clinic).exists()
    assert not DataKey.objects.filter(person=patient).exists()
    assert Person.objects.filter(pk=patient.pk).exists()  # the client record stays
    evidence = AccessLogEntry.objects.filter(clinic=clinic, purpose="retention").get()
    assert evidence.detail == "rule=journals; delete: 1" and evidence.object_type == "journal"
    assert "SECRET" not in evidence.detail and evidence.person_id is None
    assert _sweep(at(2030, 1, 1)) == 0  # idempotent


def test_req01_a_later_entry_pushes_the_whole_document(clinic, owner, make_person):
    """REQ-01: computed per document — an entry added later keeps every older entry."""
    patient, other = make_person(owner), make_person(owner)
    entry(owner, person=patient, when=at(2010, 1, 1))
    entry(owner, person=patient, when=at(2018, 1, 1))
    entry(owner, person=other, when=at(2010, 1, 1))
    assert _sweep(at(2027, 1, 1)) == 1  # only the other patient's document
    assert JournalEntry.objects.filter(person=patient).count() == 2
    assert not JournalEntry.objects.filter(person=other).exists()
    assert _sweep(at(2028, 1, 1)) == 1


def test_req02_no_human_journals_are_never_swept(make_clinic, make_actor, make_person):
    """REQ-02/03: NO-human journals have no automatic purge, however old."""
    dental = make_clinic("dental")
    owner = make_actor(dental)
    patient = make_person(owner, birth_date="1970-01-01")
    entry(owner, person=patient, when=at(1990, 1, 1))
    assert kept_until(dental, "journal", at(1990, 1, 1)) is None
    assert _sweep(at(2100, 1, 1)) == 0
    assert JournalEntry.objects.filter(person=patient).count() == 1


@pytest.fixture
def vet(make_clinic, make_actor):
    return make_actor(make_clinic("vet"))


def _animal(actor, owner_person, **kw):
    fields = {"name": "Fido", "species": "dog", **kw}
    return animal_create(actor=actor, owner_ids=[owner_person.pk], **fields)


def test_req04_no_vet_ten_years_and_while_the_animal_may_be_alive(vet, make_person):
    """REQ-04: NO-vet journals are kept at least 10 years — and, as the vet notice
    promises, as long as the animal must be assumed alive."""
    owner_person = make_person(vet)
    dead = _animal(vet, owner_person, name="Gone")
    Animal.objects.filter(pk=dead.pk).update(deceased_on=date(2012, 1, 1))
    alive = _animal(vet, owner_person, name="Old", birth_date=date(2008, 1, 1))
    entry(vet, animal=dead, when=at(2011, 5, 1))
    entry(vet, animal=alive, when=at(2011, 5, 1))
    assert _sweep(at(2021, 4, 30)) == 0
    assert _sweep(at(2021, 5, 2)) == 1  # the deceased animal's journal
    assert not JournalEntry.objects.filter(animal=dead).exists()
    assert not DataKey.objects.filter(animal=dead).exists()
    assert JournalEntry.objects.filter(animal=alive).exists()  # a dog may live to 2033
    assert _sweep(at(2033, 1, 2)) == 1
    assert not JournalEntry.objects.filter(animal=alive).exists()


def test_req05_se_vet_five_years_after_the_last_entry(make_clinic, make_actor, make_person):
    """REQ-05: SE-vet journals are kept at least 5 years from the last entry."""
    clinic = make_clinic("vet", slug="se-djur", regime="SE-vet", country="SE", language="sv")
    actor = make_actor(clinic)
    cat = _animal(actor, make_person(actor), species="cat")
    entry(actor, animal=cat, when=at(2018, 9, 1))
    assert kept_until(clinic, "journal", at(2018, 9, 1)) == date(2023, 9, 1)
    assert _sweep(at(2023, 8, 31)) == 0
    assert _sweep(at(2023, 9, 1, 12)) == 1


def test_req11_a_legal_hold_stops_the_sweep_until_released(clinic, owner, make_person):
    """REQ-11: a hold on the person, or on one entry of the document, keeps it all."""
    patient, other = make_person(owner), make_person(owner)
    entry(owner, person=patient, when=at(2000, 1, 1))
    held_entry = entry(owner, person=other, when=at(2000, 1, 1))
    hold = hold_place(actor=owner, person=patient, reason="Malpractice claim 2024-17")
    record_hold = hold_place(
        actor=owner, record_type="journal", record_id=held_entry.pk, reason="IVO case"
    )
    assert _sweep(at(2030, 1, 1)) == 0
    assert JournalEntry.objects.count() == 2
    hold_release(actor=owner, hold_id=hold.pk)
    assert _sweep(at(2030, 1, 1)) == 1
    assert JournalEntry.objects.filter(person=other).exists()
    hold_release(actor=owner, hold_id=record_hold.pk)
    assert _sweep(at(2030, 1, 1)) == 1
    assert LegalHold.objects.filter(released_at__isnull=True).count() == 0
    logged = AccessLogEntry.objects.filter(clinic=clinic, object_type="legal_hold")
    assert logged.count() == 4 and set(logged.values_list("person_id", flat=True)) == {
        patient.pk,
        other.pk,
    }


def test_a_held_owner_holds_their_animals_journals(vet, make_person):
    """REQ-11: a hold on an animal's owner covers the animal's journal."""
    owner_person = make_person(vet)
    dog = _animal(vet, owner_person)
    Animal.objects.filter(pk=dog.pk).update(deceased_on=date(2001, 1, 1))
    entry(vet, animal=dog, when=at(2000, 1, 1))
    hold_place(actor=vet, person=owner_person, reason="Insurance dispute")
    assert _sweep(at(2030, 1, 1)) == 0
    assert JournalEntry.objects.filter(animal=dog).exists()


def test_sweep_timing_does_not_depend_on_wall_clock(clinic, owner, make_person):
    """REQ-01: `now` decides what is due (the bench and the tests pass their own)."""
    patient = make_person(owner)
    entry(owner, person=patient, when=at(2000, 1, 1))
    assert _sweep(at(2000, 1, 1) + timedelta(days=3652)) == 0  # 10 years minus leap days
    assert _sweep(at(2010, 1, 1)) == 1
