"""Writes to people and animals. Each one is atomic and access-logged in its transaction."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.input import EARLIEST
from praksis.people.models import Animal, AnimalOwner, Person, Species
from praksis.people.selectors import (
    animal_get_for_update,
    person_exists,
    person_get_for_update,
)
from praksis.people.validation import (
    CHARACTERS_NOT_ALLOWED,
    NameInvalid,
    clean_name,
    clean_person,
    has_forbidden_characters,
)
from praksis.people.vault import identity_digests

_DUPLICATE_IDENTITY = _("A person with this identity number is already registered.")


def possible_duplicates(*, clinic, values: dict, exclude_id: int | None = None) -> list[Person]:
    """People who are probably the same person: same phone, e-mail, or name and birth date."""
    q = Q()
    if values.get("phone"):
        q |= Q(phone=values["phone"])
    if values.get("email"):
        q |= Q(email__iexact=values["email"])
    if values.get("birth_date") and values.get("last_name_key"):
        q |= Q(birth_date=values["birth_date"], last_name_key=values["last_name_key"])
    if not q:
        return []
    qs = Person.objects.filter(q, clinic=clinic)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("id")[:5])


def _identity_taken(clinic, number: str | None, exclude_id: int | None = None) -> bool:
    if not number:
        return False
    qs = Person.objects.by_identity(clinic, number)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def _differs(person: Person, key: str, value) -> bool:
    if key == "identity_number":  # compared by hash: no need to decrypt the one on file
        stored = None if person.identity_hash is None else bytes(person.identity_hash)
        if not value:
            return stored is not None
        return stored not in identity_digests(person.clinic_id, value)
    return getattr(person, key) != value


def person_create(*, actor: Actor, data: dict) -> tuple[Person, list[Person]]:
    """Register a person in the actor's clinic. Returns it and any probable duplicates."""
    require(actor, "person.write")
    clinic = actor.clinic
    values = clean_person(clinic, data)
    if _identity_taken(clinic, values.get("identity_number")):
        raise ValidationFailed({"identity_number": [_DUPLICATE_IDENTITY]})
    duplicates = possible_duplicates(clinic=clinic, values=values)
    try:
        with transaction.atomic():
            person = Person.objects.create(clinic=clinic, **values)
            log_access(
                actor,
                Access(
                    action=Action.CREATE,
                    object_type="person",
                    object_id=person.pk,
                    person_id=person.pk,
                    detail="fields: " + ",".join(sorted(k for k, v in data.items() if v)),
                ),
            )
    except IntegrityError as exc:  # a concurrent create with the same identity number
        raise ValidationFailed({"identity_number": [_DUPLICATE_IDENTITY]}) from exc
    return person, duplicates


def person_update(*, actor: Actor, person_id: int, changes: dict) -> Person:
    """Correct a person's details (rectification of contact data is done in place)."""
    require(actor, "person.write")
    clinic = actor.clinic
    values = clean_person(clinic, changes, partial=True)
    try:
        with transaction.atomic():
            person = person_get_for_update(clinic=clinic, person_id=person_id)
            if _identity_taken(clinic, values.get("identity_number"), exclude_id=person.pk):
                raise ValidationFailed({"identity_number": [_DUPLICATE_IDENTITY]})
            changed = [k for k, v in values.items() if _differs(person, k, v)]
            for key in changed:
                setattr(person, key, values[key])
            if changed:
                person.updated_at = timezone.now()
                person.save(update_fields=[*changed, "updated_at"])
            public = sorted(k for k in changed if not k.endswith("_key"))
            log_access(
                actor,
                Access(
                    action=Action.UPDATE,
                    object_type="person",
                    object_id=person.pk,
                    person_id=person.pk,
                    detail="changed: " + (",".join(public) or "nothing"),
                ),
            )
    except IntegrityError as exc:
        raise ValidationFailed({"identity_number": [_DUPLICATE_IDENTITY]}) from exc
    return person


_CHIP_FORMAT = _("A chip number has 15 digits (ISO 11784).")
_CHIP_TAKEN = _("An animal with this chip number is already registered.")
ANIMAL_PATCH_FIELDS = ("name", "breed", "birth_date", "chip_id", "deceased_on")


def _animal_date(value, field: str, errors: dict, future: str) -> date | None:
    """A date typed as ISO text (or given as a date): not in the future, not before 1850."""
    if value is None or value == "":
        return None
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = [_("Enter a valid date (YYYY-MM-DD).")]
            return None
    if value > timezone.localdate():
        errors[field] = [future]
    elif value < EARLIEST:
        errors[field] = [_("Enter a date between 1850 and 2199.")]
    return value


def clean_animal(clinic, data: dict, *, exclude_id: int | None = None) -> dict:
    """Validate the animal fields present in ``data``; the values to store, or raise
    ValidationFailed (one message per field, never repeating the input)."""
    errors: dict[str, list] = {}
    out: dict = {}
    if "name" in data:
        try:
            out["name"] = clean_name(data["name"], required_message=_("Enter the animal's name."))
        except NameInvalid as exc:
            errors["name"] = [exc.message]
    if "species" in data:
        species = data["species"]
        if isinstance(species, str) and species in Species.values:
            out["species"] = Species(species).value
        else:
            errors["species"] = [_("Choose a species.")]
    if "breed" in data:
        breed = " ".join(str(data["breed"] or "").split())
        if has_forbidden_characters(breed):
            errors["breed"] = [CHARACTERS_NOT_ALLOWED]
        elif len(breed) > 100:
            errors["breed"] = [_("Use at most 100 characters.")]
        else:
            out["breed"] = breed
    if "birth_date" in data:
        out["birth_date"] = _animal_date(
            data["birth_date"],
            "birth_date",
            errors,
            _("Enter a birth date that is not in the future."),
        )
    if "deceased_on" in data:
        out["deceased_on"] = _animal_date(
            data["deceased_on"], "deceased_on", errors, _("Enter a date that is not in the future.")
        )
    if "chip_id" in data:
        chip = "".join(str(data["chip_id"] or "").split()) or None
        if chip is not None and (len(chip) != 15 or not chip.isdigit() or not chip.isascii()):
            errors["chip_id"] = [_CHIP_FORMAT]
        elif chip and _chip_taken(clinic, chip, exclude_id):
            errors["chip_id"] = [_CHIP_TAKEN]
        else:
            out["chip_id"] = chip
    if errors:
        raise ValidationFailed(errors)
    return out


def _chip_taken(clinic, chip: str, exclude_id: int | None) -> bool:
    qs = Animal.objects.filter(clinic=clinic, chip_id=chip)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def animal_create(
    *,
    actor: Actor,
    owner_ids: list[int],
    name: str,
    species: str,
    breed: str = "",
    birth_date=None,
    chip_id: str | None = None,
) -> Animal:
    """Register an animal with one or more owners of the same clinic."""
    require(actor, "person.write")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    data = {
        "name": name,
        "species": species,
        "breed": breed,
        "birth_date": birth_date,
        "chip_id": chip_id,
    }
    try:
        values = clean_animal(clinic, data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    found = {p.pk: p for p in Person.objects.filter(clinic=clinic, pk__in=owner_ids)}
    # The first owner named is the primary owner.
    owners = [found[pk] for pk in dict.fromkeys(owner_ids) if pk in found]
    if not owners or len(owners) != len(set(owner_ids)):
        errors["owners"] = [_("Choose at least one owner registered at this clinic.")]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            animal = Animal.objects.create(clinic=clinic, **values)
            AnimalOwner.objects.bulk_create(
                [
                    AnimalOwner(clinic=clinic, animal=animal, person=owner, is_primary=i == 0)
                    for i, owner in enumerate(owners)
                ]
            )
            log_accesses(
                actor,
                [
                    Access(Action.CREATE, "animal", animal.pk, person_id=owner.pk)
                    for owner in owners
                ],
            )
    except IntegrityError as exc:  # a concurrent registration of the same chip
        raise ValidationFailed({"chip_id": [_CHIP_TAKEN]}) from exc
    return animal


def person_animal_create(*, actor: Actor, person_id: int, data: dict) -> Animal:
    """Register an animal whose primary owner is a person of the actor's clinic (404 for
    any other person)."""
    require(actor, "person.write")
    if not person_exists(clinic=actor.clinic, person_id=person_id):
        raise Http404
    if not actor.clinic.has_animals:
        raise Conflict(_("This clinic does not keep animals."), code="no_animals")
    fields = ("name", "species", "breed", "birth_date", "chip_id")
    return animal_create(
        actor=actor, owner_ids=[person_id], **{k: data[k] for k in fields if k in data}
    )


def animal_update(*, actor: Actor, animal_id: int, changes: dict) -> Animal:
    """Correct an animal's details, or record that it died (``deceased_on``: no more
    reminders or recalls for it)."""
    require(actor, "person.write")
    clinic = actor.clinic
    present = {k: v for k, v in changes.items() if k in ANIMAL_PATCH_FIELDS}
    values = clean_animal(clinic, present, exclude_id=animal_id)
    try:
        with transaction.atomic():
            animal = animal_get_for_update(clinic=clinic, animal_id=animal_id)
            birth = values.get("birth_date", animal.birth_date)
            died = values.get("deceased_on", animal.deceased_on)
            if birth and died and died < birth:
                field = "deceased_on" if "deceased_on" in values else "birth_date"
                raise ValidationFailed(
                    {field: [_("The date of death cannot be before the birth date.")]}
                )
            changed = [k for k, v in values.items() if getattr(animal, k) != v]
            for key in changed:
                setattr(animal, key, values[key])
            if changed:
                animal.save(update_fields=changed)
            owners = list(animal.ownerships.values_list("person_id", flat=True)) or [None]
            detail = "changed: " + (",".join(sorted(changed)) or "nothing")
            log_accesses(
                actor,
                [
                    Access(Action.UPDATE, "animal", animal.pk, person_id=owner, detail=detail)
                    for owner in owners
                ],
            )
    except IntegrityError as exc:  # a concurrent registration of the same chip
        raise ValidationFailed({"chip_id": [_CHIP_TAKEN]}) from exc
    return animal
