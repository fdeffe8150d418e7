"""API endpoints for people. Thin: parse, call a selector or service, shape the answer."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from django.conf import settings
from django.http import Http404, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator, WithJsonSchema

from praksis.audit.selectors import person_access_log
from praksis.core.errors import ValidationFailed
from praksis.people import protection, selectors, services
from praksis.people.identity import mask_identity
from praksis.people.models import Animal, AnimalSex, Species

router = Router(tags=["persons"])


_PROTECTED_IN = (
    "REQ-48, blank for none. SE: se_sekretessmarkering, se_skyddad_folkbokforing,"
    " se_fingerade_personuppgifter; NO: no_strengt_fortrolig_adresse, no_fortrolig_adresse."
    " Only the owner may clear it."
)
_PROTECTED_OUT = "The grade of protected identity (REQ-48), or blank."
_HIDDEN_OUT = (
    f'"{protection.API_PROTECTED}" when the person has a protected identity and the caller'
    " is not the owner (and in lists)."
)


class PersonIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    identity_number: str | None = None
    birth_date: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    protected_identity: str | None = Field(None, description=_PROTECTED_IN)


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    identity_number: str | None
    birth_date: date | None
    email: str
    phone: str = Field(description=_HIDDEN_OUT)
    address: str = Field(description=_HIDDEN_OUT)
    protected_identity: str = Field(description=_PROTECTED_OUT)
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_phone(obj) -> str:
        return protection.API_PROTECTED if getattr(obj, "contact_hidden", False) else obj.phone

    @staticmethod
    def resolve_address(obj) -> str:
        hidden = getattr(obj, "contact_hidden", False)
        return protection.API_PROTECTED if hidden else obj.address


class PersonRef(Schema):
    id: int
    first_name: str
    last_name: str


class PersonCreated(PersonOut):
    possible_duplicates: list[PersonRef] = []


class PersonListItem(PersonOut):
    identity_number: str | None = Field(
        description="Masked to the birth date in lists (SE YYYYMMDD-****, NO DDMMYY *****):"
        " read the person for the full number."
    )


class PersonPage(Schema):
    items: list[PersonListItem]
    count: int
    count_capped: bool = False


class AccessLogOut(Schema):
    id: int
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    purpose: str
    channel: str


class AccessLogPage(Schema):
    items: list[AccessLogOut]
    count: int


_WEIGHT = "Kilograms (more than 0, less than 2000, two decimals): recorded as weighed today"


def _weight_as_text(value):
    """A weight may come as a JSON number or as text ("12.5", "12,5"): the service reads
    both from text (no float rounding on the way); anything else is refused as a field
    error of ``weight_kg``."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


WeightKg = Annotated[
    str | None,
    BeforeValidator(_weight_as_text),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}],
         "description": _WEIGHT, "examples": [12.5]}
    ),
]  # fmt: skip


class AnimalIn(Schema):
    name: str
    species: Species
    breed: str | None = None
    sex: AnimalSex | None = Field(None, description="female, male or unknown (the default)")
    neutered: bool | None = None
    colour: str | None = None
    birth_date: str | None = Field(None, description="YYYY-MM-DD")
    chip_number: str | None = Field(None, description="ISO 11784 transponder code: 15 digits")
    weight_kg: WeightKg = None


class AnimalPatch(Schema):
    name: str | None = None
    species: Species | None = None
    breed: str | None = None
    sex: AnimalSex | None = None
    neutered: bool | None = None
    colour: str | None = None
    weight_kg: WeightKg = None
    birth_date: str | None = Field(None, description="YYYY-MM-DD; null to clear")
    chip_number: str | None = Field(None, description="15 digits; null to clear")
    deceased_on: str | None = Field(
        None, description="YYYY-MM-DD: the animal died (no more reminders or recalls)"
    )


class AnimalOwnerOut(Schema):
    person: int
    primary: bool


class AnimalOut(Schema):
    id: int
    name: str
    species: str
    breed: str
    sex: str = Field(description="female, male or unknown")
    neutered: bool
    colour: str
    birth_date: date | None
    chip_number: str | None
    deceased_on: date | None
    current_weight_kg: float | None = Field(description="The latest weighing, in kilograms.")
    weighed_on: date | None = Field(description="The date of the latest weighing.")
    owners: list[AnimalOwnerOut] = Field(description="The primary owner first.")
    created_at: datetime


class AnimalPage(Schema):
    items: list[AnimalOut]
    count: int


@router.get("persons", response=PersonPage)
def list_persons(request, q: str = "", offset: int = 0, limit: int = 20):
    offset, limit = max(0, offset), min(max(1, limit), 100)
    result = selectors.person_search(actor=request.auth, query=q, offset=offset, limit=limit)
    # The reception's most frequent request: serialised directly (the schema documents it).
    country = request.auth.clinic.country
    body = {
        "items": [_person_dict(p, country) for p in result.items],
        "count": result.count,
        "count_capped": result.count_capped,
    }
    return HttpResponse(json.dumps(body), content_type="application/json")


def _person_dict(person, country: str) -> dict:
    """A list item: the identity number masked to the birth date (never decrypted here)."""
    masked = mask_identity(person.birth_date, country) if person.identity_hash else None
    return {
        "id": person.pk,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "identity_number": masked,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "email": person.email,
        "phone": protection.API_PROTECTED if person.is_protected else person.phone,
        "address": protection.API_PROTECTED if person.is_protected else person.address,
        "protected_identity": person.protected_identity,
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
    }


def _iso(value) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@router.post("persons", response={201: PersonCreated})
def create_person(request, payload: PersonIn):
    person, duplicates = services.person_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    person.possible_duplicates = duplicates
    return Status(201, protection.shown_after_write(request.auth, person))


@router.get("persons/{int:person_id}", response=PersonOut)
def read_person(request, person_id: int, purpose: str = ""):
    return selectors.person_get(actor=request.auth, person_id=person_id, purpose=purpose[:200])


@router.patch("persons/{int:person_id}", response=PersonOut)
def update_person(request, person_id: int, payload: PersonIn):
    person = services.person_update(
        actor=request.auth, person_id=person_id, changes=payload.model_dump(exclude_unset=True)
    )
    return protection.shown_after_write(request.auth, person)


@router.get("persons/{int:person_id}/access-log", response=AccessLogPage)
def person_access_log_view(
    request,
    person_id: int,
    offset: int = 0,
    limit: int = settings.PRAKSIS_API_PAGE_SIZE,
):
    offset, limit = max(0, offset), min(max(1, limit), 500)
    actor = request.auth
    if not selectors.person_exists(clinic=actor.clinic, person_id=person_id):
        raise Http404
    rows = person_access_log(actor=actor, person_id=person_id)
    return {"items": list(rows[offset : offset + limit]), "count": rows.count()}


# PRODUCT.md names the chip `chip_number` in the API; the model and the services say
# `chip_id`. The names are translated here, errors included.
_API_NAMES = {"chip_id": "chip_number"}


def _from_api(data: dict) -> dict:
    if "chip_number" in data:
        data["chip_id"] = data.pop("chip_number")
    return data


@contextmanager
def _api_field_names():
    try:
        yield
    except ValidationFailed as failed:
        raise ValidationFailed(
            {_API_NAMES.get(name, name): msgs for name, msgs in failed.errors.items()}
        ) from None


def _animal_out(animal: Animal) -> dict:
    owners = selectors.animal_owners(animal)
    weight = selectors.current_weight(animal)
    return {
        "id": animal.pk,
        "name": animal.name,
        "species": animal.species,
        "breed": animal.breed,
        "sex": animal.sex,
        "neutered": animal.neutered,
        "colour": animal.colour,
        "birth_date": animal.birth_date,
        "chip_number": animal.chip_id,
        "deceased_on": animal.deceased_on,
        "current_weight_kg": float(weight.weight_kg) if weight else None,
        "weighed_on": weight.weighed_on if weight else None,
        "owners": [{"person": o.person_id, "primary": o.is_primary} for o in owners],
        "created_at": animal.created_at,
    }


@router.get("persons/{int:person_id}/animals", response=AnimalPage)
def person_animals(request, person_id: int, purpose: str = ""):
    animals = selectors.person_animals(
        actor=request.auth, person_id=person_id, purpose=purpose[:200]
    )
    return {"items": [_animal_out(a) for a in animals], "count": len(animals)}


@router.post("persons/{int:person_id}/animals", response={201: AnimalOut})
def create_animal(request, person_id: int, payload: AnimalIn):
    with _api_field_names():
        animal = services.person_animal_create(
            actor=request.auth,
            person_id=person_id,
            data=_from_api(payload.model_dump(exclude_unset=True)),
        )
    return Status(201, _animal_out(animal))


@router.get("animals/{int:animal_id}", response=AnimalOut)
def read_animal(request, animal_id: int, purpose: str = ""):
    animal = selectors.animal_get(actor=request.auth, animal_id=animal_id, purpose=purpose[:200])
    return _animal_out(animal)


@router.patch("animals/{int:animal_id}", response=AnimalOut)
def update_animal(request, animal_id: int, payload: AnimalPatch):
    with _api_field_names():
        animal = services.animal_update(
            actor=request.auth,
            animal_id=animal_id,
            changes=_from_api(payload.model_dump(exclude_unset=True)),
        )
    return _animal_out(animal)
