"""Writes to people and animals. Each one is atomic and access-logged in its transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.core.errors import ValidationFailed
from praksis.people.models import Animal, AnimalOwner, Person, Species
from praksis.people.selectors import person_get_for_update
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
    try:
        name = clean_name(name, required_message=_("Enter the animal's name."))
    except NameInvalid as exc:
        errors["name"] = [exc.message]
    if species not in Species.values:
        errors["species"] = [_("Choose a species.")]
    breed = " ".join(str(breed or "").split())
    if has_forbidden_characters(breed):
        errors["breed"] = [CHARACTERS_NOT_ALLOWED]
    elif len(breed) > 100:
        errors["breed"] = [_("Use at most 100 characters.")]
    chip = (chip_id or "").replace(" ", "") or None
    if chip is not None and (len(chip) != 15 or not chip.isdigit()):
        errors["chip_id"] = [_("A chip number has 15 digits (ISO 11784).")]
    elif chip and Animal.objects.filter(clinic=clinic, chip_id=chip).exists():
        errors["chip_id"] = [_("An animal with this chip number is already registered.")]
    found = {p.pk: p for p in Person.objects.filter(clinic=clinic, pk__in=owner_ids)}
    # The first owner named is the primary owner.
    owners = [found[pk] for pk in dict.fromkeys(owner_ids) if pk in found]
    if not owners or len(owners) != len(set(owner_ids)):
        errors["owners"] = [_("Choose at least one owner registered at this clinic.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        animal = Animal.objects.create(
            clinic=clinic,
            name=name,
            species=species,
            breed=breed,
            birth_date=birth_date,
            chip_id=chip,
        )
        AnimalOwner.objects.bulk_create(
            [
                AnimalOwner(clinic=clinic, animal=animal, person=owner, is_primary=i == 0)
                for i, owner in enumerate(owners)
            ]
        )
        log_accesses(
            actor,
            [Access(Action.CREATE, "animal", animal.pk, person_id=owner.pk) for owner in owners],
        )
    return animal
