"""Reads of people: always scoped to the actor's clinic, always access-logged.

Search reads what kind of query it was given — a name prefix, a whole identity number
(matched by its keyed hash: numbers are stored encrypted, so there is no prefix search on
them; a birth date covers the partial case), a phone number, an e-mail address or a birth
date — and answers from an index for each:
the (clinic, name key) B-trees give the first page of a name prefix in index order, so a
search costs the same at a thousand or a million people. At a clinic that keeps animals a
whole chip number (15 digits) finds the owners by the (clinic, chip) unique index, and a
name also finds the owners of pets whose name starts with it (after the people's own
names; by the animals' (clinic, name key) index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, IdentityPolicy
from praksis.people import protection
from praksis.people.identity import (
    birth_date_only,
    looks_like_identity,
)
from praksis.people.models import (
    Animal,
    AnimalOwner,
    AnimalSex,
    AnimalWeight,
    Person,
    animal_name_key,
)
from praksis.people.validation import name_key
from praksis.people.vault import lookup_digests

COUNT_CAP = 1000
_TOP = "\U0010ffff"
_PHONE_CHARS = re.compile(r"^[+\d][\d\s()-]*$")
_CHIP = re.compile(r"^[0-9]{15}$")  # ISO 11784: an animal's transponder code
_COUNTRY_CODE = {"SE": "+46", "NO": "+47"}


@dataclass
class SearchResult:
    items: list[Person]
    count: int
    kind: str
    count_capped: bool = False


def _phone_prefix(query: str, country: str) -> str | None:
    """The E.164 prefix a typed (partial) phone number stands for, or None."""
    compact = re.sub(r"[\s()-]", "", query)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("+"):
        pass
    elif country == "SE" and compact.startswith("0"):
        compact = _COUNTRY_CODE["SE"] + compact[1:]
    elif country == "NO" and not compact.startswith("0"):
        compact = _COUNTRY_CODE["NO"] + compact  # Norwegian numbers have no trunk prefix
    else:
        return None
    return compact if len(compact) >= 6 else None


def _classify(clinic: Clinic, query: str) -> tuple[str, object]:
    """Which kind of search ``query`` is, and the value to look for (a name: None)."""
    if "@" in query:
        return "email", query
    try:
        return "birth_date", date.fromisoformat(query)
    except ValueError:
        pass
    if not _PHONE_CHARS.match(query):
        return "name", None
    if clinic.has_animals and _CHIP.match(re.sub(r"\s", "", query)):
        return "chip", re.sub(r"\s", "", query)
    compact = re.sub(r"[\s()+-]", "", query)
    if looks_like_identity(query):
        if clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY:
            birth = birth_date_only(query, country=clinic.country)
            return ("birth_date", birth) if birth else ("none", None)
        digests = lookup_digests(clinic, query)
        if digests:
            return "identity_number", digests
    international = query.startswith(("+", "00"))
    se_phone = clinic.country == "SE" and query.startswith("0")
    if len(compact) in (6, 8) and not international and not se_phone:
        birth = birth_date_only(compact, country=clinic.country)
        if birth:
            return "birth_date", birth
    phone = _phone_prefix(query, clinic.country)
    if phone:
        return "phone", phone
    return "none", None


# --- One statement per search ----------------------------------------------------------
# Search is the reception's most frequent request, so it is answered by one SQL statement
# (the page and its capped counts together) built from fixed fragments — never from input,
# which goes in as parameters. Each part is a filter with its own index order; the page is
# the parts one after another (a name: last-name matches, then first-name-only matches).

_FIELDS = [f for f in Person._meta.concrete_fields]
_SELECT = ", ".join(f.column for f in _FIELDS)
_ORDER = {
    "last": ("last_name_key", "first_name_key", "id"),
    "first": ("first_name_key", "last_name_key", "id"),
}
_PREFIX_SQL = "{0} >= %s AND {0} < %s"


@dataclass(frozen=True)
class _Part:
    where: str  # fixed SQL over Person's columns (built from the constants above)
    params: tuple
    order: str  # a key of _ORDER


def _prefix_sql(column: str, prefix: str) -> tuple[str, tuple]:
    return _PREFIX_SQL.format(column), (prefix, prefix + _TOP)


def _counts_sql(parts: list[_Part]) -> tuple[list[str], list]:
    sql, params = [], []
    for part in parts:
        sql.append(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM people_person"  # noqa: S608 - constants
            f" WHERE clinic_id = %s AND {part.where} LIMIT {COUNT_CAP}) t) AS n{len(sql)}"
        )
        params += [None, *part.params]
    return sql, params


def _run(clinic_id: int, parts: list[_Part], offsets: list[int], limit: int, *, counts: bool):
    """(counts per part or None, rows per part) from one statement."""
    pages, params = [], []
    for i, (part, offset) in enumerate(zip(parts, offsets, strict=True)):
        order = ", ".join(_ORDER[part.order])
        pages.append(
            f"SELECT * FROM (SELECT {i} AS part, {_SELECT} FROM people_person"  # noqa: S608
            f" WHERE clinic_id = %s AND {part.where} ORDER BY {order} LIMIT %s OFFSET %s) p{i}"
        )
        params += [None, *part.params, limit, offset]
    union = " UNION ALL ".join(pages)
    if counts:
        count_sql, count_params = _counts_sql(parts)
        sql = (
            f"SELECT c.*, u.* FROM (SELECT {', '.join(count_sql)}) c "  # noqa: S608
            f"LEFT JOIN ({union}) u ON 1 = 1"
        )
        params = count_params + params
    else:
        sql = union
    params = [clinic_id if p is None else p for p in params]
    # A raw queryset makes the model instances (with the backend's converters, e.g. dates
    # SQLite returns as text); the counts and ``part`` come along as attributes.
    rows = list(Person.objects.raw(sql, params))
    found: list[list[Person]] = [[] for _ in parts]
    totals = [int(getattr(rows[0], f"n{i}")) for i in range(len(parts))] if counts else None
    for person in rows:
        if person.part is not None:  # None: the counts row when no part matched anything
            found[person.part].append(person)
    for part, items in zip(parts, found, strict=True):
        items.sort(key=lambda p, keys=_ORDER[part.order]: tuple(getattr(p, k) for k in keys))
    return totals, found


def _search(clinic_id: int, parts: list[_Part], offset: int, limit: int) -> tuple[list, int]:
    """The page ``offset:offset+limit`` of the parts one after another, and the count."""
    if limit <= 0:
        totals, _found = _run(clinic_id, parts, [0] * len(parts), 0, counts=True)
        return [], sum(totals or [0] * len(parts))
    if offset == 0 or len(parts) == 1:
        totals, found = _run(clinic_id, parts, [offset] * len(parts), limit, counts=True)
        totals = totals or [0] * len(parts)
    else:  # a later page of several parts: where each part starts depends on the counts
        totals, _found = _run(clinic_id, parts, [0] * len(parts), 0, counts=True)
        totals = totals or [0] * len(parts)
        offsets, before = [], 0
        for total in totals:
            offsets.append(max(0, offset - before))
            before += total
        _none, found = _run(clinic_id, parts, offsets, limit, counts=False)
    items: list[Person] = []
    for part_items in found:
        items += part_items[: limit - len(items)]
    return items, sum(totals)


def _parts(clinic: Clinic, query: str) -> tuple[str, list[_Part]]:
    """What kind of search ``query`` is, and the parts of its answer, in page order."""
    if not query:
        return "list", [_Part("1 = 1", (), "last")]
    kind, value = _classify(clinic, query)
    if kind != "name":
        return kind, _value_parts(clinic, kind, value)
    tokens = name_key(query).split()
    if len(tokens) == 1:
        last, last_params = _prefix_sql("last_name_key", tokens[0])
        first, first_params = _prefix_sql("first_name_key", tokens[0])
        first_only = f"{first} AND (last_name_key < %s OR last_name_key >= %s)"
        parts = [
            _Part(last, last_params, "last"),
            _Part(first_only, first_params + last_params, "first"),
        ]
        return "name", parts + _pet_parts(
            clinic, query, f"({last}) OR ({first})", (*last_params, *first_params)
        )
    head, rest, whole = tokens[0], " ".join(tokens[1:]), " ".join(tokens)
    pairs = [
        (("first_name_key", head), ("last_name_key", rest)),
        (("last_name_key", head), ("first_name_key", rest)),
    ]
    where, params = [], ()
    for (a, a_value), (b, b_value) in pairs:
        a_sql, a_params = _prefix_sql(a, a_value)
        b_sql, b_params = _prefix_sql(b, b_value)
        where.append(f"({a_sql} AND {b_sql})")
        params += a_params + b_params
    for column in ("last_name_key", "first_name_key"):
        sql, more = _prefix_sql(column, whole)
        where.append(f"({sql})")
        params += more
    named = "(" + " OR ".join(where) + ")"
    return "name", [_Part(named, params, "last"), *_pet_parts(clinic, query, named, params)]


# The owners of the clinic's animals that match: a subquery over the animals, joined to
# their owners by the (animal, person) unique index. A chip number is an equality on the
# (clinic, chip) unique index; a pet's name is a case-insensitive prefix within the clinic.
_OWNERS_OF = (
    "id IN (SELECT o.person_id FROM people_animalowner o"
    " JOIN people_animal a ON a.id = o.animal_id WHERE a.clinic_id = %s AND {})"
)


def _pet_parts(clinic: Clinic, query: str, named: str, named_params: tuple) -> list[_Part]:
    """Owners found by their pet's name, after (and not repeating) the people whose own
    name matched ``named``. Only at clinics that keep animals."""
    if not clinic.has_animals:
        return []
    key = animal_name_key(query)
    if not key:
        return []
    pet = _OWNERS_OF.format(_PREFIX_SQL.format("a.name_key"))
    return [_Part(f"{pet} AND NOT ({named})", (clinic.pk, key, key + _TOP, *named_params), "last")]


def _value_parts(clinic: Clinic, kind: str, value) -> list[_Part]:
    if kind == "chip":
        return [_Part(_OWNERS_OF.format("a.chip_id = %s"), (clinic.pk, value), "last")]
    if kind == "email":
        return [_Part("UPPER(email) = UPPER(%s)", (value,), "last")]
    if kind == "birth_date":
        return [_Part("birth_date = %s", (value.isoformat(),), "last")]
    if kind == "identity_number":  # an exact match on the keyed hash: the unique index
        marks = ", ".join(["%s"] * len(value))
        return [_Part(f"identity_hash IN ({marks})", tuple(value), "last")]
    if kind == "phone":
        return [_Part(_PREFIX_SQL.format("phone"), (value, value + _TOP), "last")]
    return []  # nothing can match


def person_search(
    *, actor: Actor, query: str = "", offset: int = 0, limit: int = 20
) -> SearchResult:
    """Find people in the actor's clinic. Logged as one search (never the query text)."""
    require(actor, "person.read")
    query = " ".join((query or "").split())
    offset = max(0, min(offset, COUNT_CAP))
    kind, parts = _parts(actor.clinic, query)
    items, count = _search(actor.clinic.pk, parts, offset, limit) if parts else ([], 0)
    for person in items:  # REQ-48: lists never show a protected address or phone
        person.contact_hidden = person.is_protected
    log_access(
        actor,
        Access(
            action=Action.SEARCH if query else Action.LIST,
            object_type="person",
            purpose="search",
            detail=f"kind={kind}; results={len(items)}; ids="
            + ",".join(str(p.pk) for p in items)[:400],
        ),
    )
    return SearchResult(items=items, count=count, kind=kind, count_capped=count >= COUNT_CAP)


def _scoped(clinic: Clinic) -> QuerySet[Person]:
    return Person.objects.filter(clinic=clinic)


def person_get(*, actor: Actor, person_id: int, purpose: str = "") -> Person:
    """One person of the actor's clinic (404 for any other), with the read logged."""
    require(actor, "person.read")
    # With its data key: a page that shows the identity number opens it without a query.
    person = _scoped(actor.clinic).select_related("data_key").filter(pk=person_id).first()
    if person is None:
        raise Http404
    log_access(
        actor,
        Access(
            action=Action.READ,
            object_type="person",
            object_id=person.pk,
            person_id=person.pk,
            purpose=purpose,
            # REQ-48: the owner's view of a protected address is logged as such.
            detail=protection.read_detail(actor, person),
        ),
    )
    return protection.mark(actor, person)


def person_get_for_update(*, clinic: Clinic, person_id: int) -> Person:
    """Lock the person row for a write (inside the caller's transaction)."""
    person = _scoped(clinic).select_for_update().filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def person_exists(*, clinic: Clinic, person_id: int) -> bool:
    return _scoped(clinic).filter(pk=person_id).exists()


def animals_of(*, actor: Actor, person: Person) -> list[Animal]:
    """The animals a person owns (already within a logged read of the person)."""
    assert person.clinic_id == actor.clinic.pk
    return list(
        Animal.objects.filter(clinic=actor.clinic, ownerships__person=person).order_by("name")
    )


def _animals(clinic: Clinic) -> QuerySet[Animal]:
    """The clinic's animals, each with its owners (the primary owner first) and its
    weighings (the latest first: ``weights_newest_first``)."""
    owners = AnimalOwner.objects.order_by("-is_primary", "id").select_related("person")
    return Animal.objects.filter(clinic=clinic).prefetch_related(
        Prefetch("ownerships", queryset=owners),
        Prefetch("weights", queryset=_newest_first(), to_attr="weights_newest_first"),
    )


def _newest_first() -> QuerySet[AnimalWeight]:
    return AnimalWeight.objects.order_by("-weighed_on", "-pk")


def current_weight(animal: Animal) -> AnimalWeight | None:
    """The animal's latest weighing (by date, then the latest recorded), or None."""
    weights = getattr(animal, "weights_newest_first", None)
    if weights is None:
        return _newest_first().filter(animal=animal).first()
    return weights[0] if weights else None


def person_animals(*, actor: Actor, person_id: int, purpose: str = "") -> list[Animal]:
    """The animals a person of the actor's clinic owns (404 for any other person), with
    the read logged against the person."""
    require(actor, "person.read")
    if not person_exists(clinic=actor.clinic, person_id=person_id):
        raise Http404
    animals = list(
        _animals(actor.clinic).filter(ownerships__person_id=person_id).order_by("name", "id")
    )
    log_access(
        actor,
        Access(
            action=Action.LIST,
            object_type="animal",
            person_id=person_id,
            purpose=purpose,
            detail="ids=" + ",".join(str(a.pk) for a in animals)[:400],
        ),
    )
    return animals


def animal_get(*, actor: Actor, animal_id: int, purpose: str = "") -> Animal:
    """One animal of the actor's clinic (404 for any other), the read logged against
    each of its owners."""
    require(actor, "person.read")
    animal = _animals(actor.clinic).filter(pk=animal_id).first()
    if animal is None:
        raise Http404
    owners = [o.person_id for o in animal.ownerships.all()] or [None]
    log_accesses(
        actor,
        [
            Access(Action.READ, "animal", animal.pk, person_id=owner, purpose=purpose)
            for owner in owners
        ],
    )
    return animal


def animal_owners(animal: Animal) -> list[AnimalOwner]:
    """The animal's ownerships with their people, the primary owner first."""
    return sorted(animal.ownerships.all(), key=lambda o: (not o.is_primary, o.pk))


# --- The animal's summary (the journal's header, the animal's page) ---------------------


def age_text(birth: date, today: date) -> str:
    """An age in words, in the active language: "3 years 2 months", "5 months", "12 days"."""
    months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
    if months < 0:
        return ""
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(ngettext("%(count)d year", "%(count)d years", years) % {"count": years})
    if months:
        parts.append(ngettext("%(count)d month", "%(count)d months", months) % {"count": months})
    if not parts:
        days = (today - birth).days
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    return " ".join(parts)


@dataclass
class AnimalSummary:
    """What the journal of an animal opens with: who it is and whose it is."""

    animal: Animal
    species: str
    breed: str
    sex: str  # the sex and whether neutered, in words ("Female, neutered")
    age: str  # "" without a birth date
    weight: AnimalWeight | None
    owners: list[AnimalOwner]  # the primary owner first, each with its person

    @property
    def deceased_on(self) -> date | None:
        return self.animal.deceased_on


def _sex_text(animal: Animal) -> str:
    if animal.sex == AnimalSex.UNKNOWN:
        sex = gettext("Sex unknown")
    else:
        sex = str(animal.get_sex_display())
    neutered = gettext("neutered") if animal.neutered else gettext("not neutered")
    return f"{sex}, {neutered}"


def animal_summary(*, actor: Actor, animal_id: int, purpose: str = "") -> AnimalSummary:
    """The summary of an animal of the actor's clinic (404 for any other): species,
    breed, sex and neutering, age (until its death, if it died), current weight with its
    date, and the owners, the primary owner first. The read is logged against each owner
    (it shows their names)."""
    animal = animal_get(actor=actor, animal_id=animal_id, purpose=purpose)
    today = timezone.now().astimezone(actor.clinic.zone).date()
    until = min(animal.deceased_on, today) if animal.deceased_on else today
    return AnimalSummary(
        animal=animal,
        species=str(animal.get_species_display()),
        breed=animal.breed,
        sex=_sex_text(animal),
        age=age_text(animal.birth_date, until) if animal.birth_date else "",
        weight=current_weight(animal),
        owners=animal_owners(animal),
    )


def animal_get_for_update(*, clinic: Clinic, animal_id: int) -> Animal:
    """Lock the animal row for a write (inside the caller's transaction)."""
    animal = Animal.objects.filter(clinic=clinic, pk=animal_id).select_for_update().first()
    if animal is None:
        raise Http404
    return animal


def log_duplicate_check(*, actor: Actor, duplicates: list[Person]) -> None:
    """Showing probable duplicates reveals other people's names: log it like a search."""
    log_access(
        actor,
        Access(
            action=Action.SEARCH,
            object_type="person",
            purpose="duplicate check",
            detail="kind=duplicates; ids=" + ",".join(str(p.pk) for p in duplicates),
        ),
    )


def animal_exists(*, clinic: Clinic, animal_id: int) -> bool:
    return Animal.objects.filter(clinic=clinic, pk=animal_id).exists()
