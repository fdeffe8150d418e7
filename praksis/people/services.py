"""Writes to people and animals. Each one is atomic and access-logged in its transaction."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

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
from praksis.people import protection
from praksis.people.models import (
    MAX_WEIGHT_KG,
    Animal,
    AnimalOwner,
    AnimalSex,
    AnimalWeight,
    Person,
    Species,
)
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
            if (
                "protected_identity" in changed
                and not values["protected_identity"]
                and not protection.sees_contact(actor)
            ):  # REQ-48: clearing it would show the address to whoever cleared it
                raise ValidationFailed({"protected_identity": [protection.clear_refused()]})
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
_WEIGHT_FORMAT = _("Enter the weight in kilograms, more than 0 and less than 2000, e.g. 12.5.")
ANIMAL_FIELDS = ("name", "species", "breed", "sex", "neutered", "colour", "birth_date", "chip_id")
ANIMAL_PATCH_FIELDS = (*ANIMAL_FIELDS, "deceased_on")


def clinic_today(clinic) -> date:
    """Today on the clinic's clock (a weighing "today" is the clinic's day)."""
    return timezone.now().astimezone(clinic.zone).date()


def clean_weight(value, field: str = "weight_kg") -> Decimal:
    """A weight in kilograms typed as text (a decimal comma is fine) or given as a
    number: more than 0, less than 2000, at most two decimals. ValidationFailed otherwise
    (the message never repeats the input)."""
    if isinstance(value, bool) or value is None:
        raise ValidationFailed({field: [_WEIGHT_FORMAT]})
    if isinstance(value, float):
        value = repr(value)
    text = "".join(str(value).split()).replace(",", ".")
    try:
        weight = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_WEIGHT_FORMAT]}) from None
    if (
        not weight.is_finite()
        or not 0 < weight < MAX_WEIGHT_KG
        or weight != weight.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    ):
        raise ValidationFailed({field: [_WEIGHT_FORMAT]})
    return weight.quantize(Decimal("0.01"))


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
    if "sex" in data:
        sex = data["sex"]
        if isinstance(sex, str) and sex in AnimalSex.values:
            out["sex"] = AnimalSex(sex).value
        else:
            errors["sex"] = [_("Choose female, male or unknown.")]
    if "neutered" in data:
        if isinstance(data["neutered"], bool):
            out["neutered"] = data["neutered"]
        else:
            errors["neutered"] = [_("Say whether the animal is neutered: true or false.")]
    if "colour" in data:
        colour = " ".join(str(data["colour"] or "").split())
        if has_forbidden_characters(colour):
            errors["colour"] = [CHARACTERS_NOT_ALLOWED]
        elif len(colour) > 50:
            errors["colour"] = [_("Use at most 50 characters.")]
        else:
            out["colour"] = colour
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
    sex: str = AnimalSex.UNKNOWN,
    neutered: bool = False,
    colour: str = "",
    birth_date=None,
    chip_id: str | None = None,
    weight_kg=None,
) -> Animal:
    """Register an animal with one or more owners of the same clinic (the first named is
    the primary owner); a weight given is its first weighing, today."""
    require(actor, "person.write")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    data = {
        "name": name,
        "species": species,
        "breed": breed,
        "sex": sex,
        "neutered": neutered,
        "colour": colour,
        "birth_date": birth_date,
        "chip_id": chip_id,
    }
    values: dict = {}
    try:
        values = clean_animal(clinic, data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    weight = None
    if weight_kg not in (None, ""):
        try:
            weight = clean_weight(weight_kg)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    found = {p.pk: p for p in Person.objects.filter(clinic=clinic, pk__in=owner_ids)}
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
            if weight is not None:
                _weigh(actor, animal, weight, clinic_today(clinic))
            log_accesses(
                actor,
                [
                    Access(
                        Action.CREATE,
                        "animal",
                        animal.pk,
                        person_id=owner.pk,
                        detail="with its weight" if weight is not None else "",
                    )
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
    fields = (*ANIMAL_FIELDS, "weight_kg")
    return animal_create(
        actor=actor, owner_ids=[person_id], **{k: data[k] for k in fields if k in data}
    )


def _owner_ids(animal: Animal) -> list[int | None]:
    return list(animal.ownerships.order_by("pk").values_list("person_id", flat=True)) or [None]


def _log_animal(actor: Actor, animal: Animal, action: str, detail: str, extra=()) -> None:
    """Log a write to an animal against each of its owners (and ``extra`` people: an
    owner just removed)."""
    people = list(dict.fromkeys([*_owner_ids(animal), *extra]))
    log_accesses(
        actor, [Access(action, "animal", animal.pk, person_id=pid, detail=detail) for pid in people]
    )


def _weigh(actor: Actor, animal: Animal, weight: Decimal, day: date) -> AnimalWeight:
    return AnimalWeight.objects.create(
        clinic_id=animal.clinic_id,
        animal=animal,
        weighed_on=day,
        weight_kg=weight,
        recorded_by_user_id=actor.user_id,
    )


def animal_update(*, actor: Actor, animal_id: int, changes: dict) -> Animal:
    """Correct an animal's details, or record that it died (``deceased_on``: no more
    reminders or recalls for it). A ``weight_kg`` records a weighing today."""
    require(actor, "person.write")
    clinic = actor.clinic
    present = {k: v for k, v in changes.items() if k in ANIMAL_PATCH_FIELDS}
    errors: dict[str, list] = {}
    values: dict = {}
    try:
        values = clean_animal(clinic, present, exclude_id=animal_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    weight = None
    if "weight_kg" in changes and changes["weight_kg"] not in (None, ""):
        try:
            weight = clean_weight(changes["weight_kg"])
        except ValidationFailed as exc:
            errors.update(exc.errors)
    try:
        with transaction.atomic():
            animal = animal_get_for_update(clinic=clinic, animal_id=animal_id)
            if errors:  # after the 404: another clinic's animal says nothing about input
                raise ValidationFailed(errors)
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
            if weight is not None:
                _weigh(actor, animal, weight, clinic_today(clinic))
                changed.append("weight")
            _log_animal(
                actor, animal, Action.UPDATE, "changed: " + (",".join(sorted(changed)) or "nothing")
            )
    except IntegrityError as exc:  # a concurrent registration of the same chip
        raise ValidationFailed({"chip_id": [_CHIP_TAKEN]}) from exc
    return animal


def animal_weight_record(
    *, actor: Actor, animal_id: int, weight_kg, weighed_on=None
) -> AnimalWeight:
    """Record a weighing of an animal of the actor's clinic (404 for any other): on
    ``weighed_on`` (today when not given; never in the future, nor before its birth)."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        animal = animal_get_for_update(clinic=clinic, animal_id=animal_id)
        errors: dict[str, list] = {}
        weight = None
        try:
            weight = clean_weight(weight_kg)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        day = _animal_date(
            weighed_on, "weighed_on", errors, _("Enter a date that is not in the future.")
        )
        if "weighed_on" not in errors:
            if day is None:
                day = clinic_today(clinic)
            elif day > clinic_today(clinic):
                errors["weighed_on"] = [_("Enter a date that is not in the future.")]
            elif animal.birth_date and day < animal.birth_date:
                errors["weighed_on"] = [_("The animal was not born yet on that date.")]
        if errors:
            raise ValidationFailed(errors)
        record = _weigh(actor, animal, weight, day)
        _log_animal(actor, animal, Action.UPDATE, f"weight recorded ({record.pk})")
    return record


# --- Owners -----------------------------------------------------------------------------

_NOT_AN_OWNER = _("This person does not own the animal.")


def animal_owner_add(*, actor: Actor, animal_id: int, person_id: int | None) -> AnimalOwner:
    """Add a co-owner: another person of the same clinic (not the primary owner)."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        animal = animal_get_for_update(clinic=clinic, animal_id=animal_id)
        person = Person.objects.filter(clinic=clinic, pk=person_id).first() if person_id else None
        if person is None:
            raise ValidationFailed({"person": [_("Choose the person from the list.")]})
        if animal.ownerships.filter(person=person).exists():
            raise ValidationFailed({"person": [_("This person already owns the animal.")]})
        link = AnimalOwner.objects.create(
            clinic=clinic, animal=animal, person=person, is_primary=False
        )
        _log_animal(actor, animal, Action.UPDATE, f"owner added: {person.pk}")
    return link


def animal_owner_remove(*, actor: Actor, animal_id: int, person_id: int | None) -> None:
    """Remove an owner; an animal keeps at least one. When the primary owner goes, the
    earliest registered of the others becomes the primary owner."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        animal = animal_get_for_update(clinic=clinic, animal_id=animal_id)
        links = list(animal.ownerships.select_for_update().order_by("pk"))
        link = next((o for o in links if o.person_id == person_id), None)
        if link is None:
            raise ValidationFailed({"person": [_NOT_AN_OWNER]})
        if len(links) == 1:
            raise ValidationFailed(
                {"person": [_("An animal keeps at least one owner: add another one first.")]}
            )
        link.delete()
        if link.is_primary:
            heir = next(o for o in links if o.pk != link.pk)
            AnimalOwner.objects.filter(pk=heir.pk).update(is_primary=True)
        _log_animal(actor, animal, Action.UPDATE, f"owner removed: {person_id}", [person_id])


def animal_owner_make_primary(*, actor: Actor, animal_id: int, person_id: int | None) -> None:
    """Make one of the animal's owners its primary owner (the contact for recalls)."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        animal = animal_get_for_update(clinic=clinic, animal_id=animal_id)
        links = animal.ownerships.select_for_update()
        if not links.filter(person_id=person_id).exists():
            raise ValidationFailed({"person": [_NOT_AN_OWNER]})
        links.exclude(person_id=person_id).update(is_primary=False)
        links.filter(person_id=person_id).update(is_primary=True)
        _log_animal(actor, animal, Action.UPDATE, f"primary owner: {person_id}")
