"""Reads of people: always scoped to the actor's clinic, always access-logged.

Search reads what kind of query it was given — a name prefix, an identity number, a
phone number, an e-mail address or a birth date — and answers from an index for each:
the (clinic, name key) B-trees give the first page of a name prefix in index order, so a
search costs the same at a thousand or a million people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, IdentityPolicy
from praksis.people.identity import (
    IdentityNumberError,
    birth_date_only,
    looks_like_identity,
    parse_identity,
)
from praksis.people.models import Animal, Person
from praksis.people.validation import name_key

COUNT_CAP = 1000
_TOP = "\U0010ffff"
_PHONE_CHARS = re.compile(r"^[+\d][\d\s()-]*$")
_COUNTRY_CODE = {"SE": "+46", "NO": "+47"}


@dataclass
class SearchResult:
    items: list[Person]
    count: int
    kind: str
    count_capped: bool = False


def _prefix(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as a range the B-tree answers directly."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _TOP})


def _not_prefix(field: str, prefix: str) -> Q:
    return Q(**{f"{field}__lt": prefix}) | Q(**{f"{field}__gte": prefix + _TOP})


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


def _classify(clinic: Clinic, query: str) -> tuple[str, Q | None]:
    """Which kind of search ``query`` is, and its filter (None: a name search)."""
    if "@" in query:
        return "email", Q(email__iexact=query)
    try:
        return "birth_date", Q(birth_date=date.fromisoformat(query))
    except ValueError:
        pass
    if not _PHONE_CHARS.match(query):
        return "name", None
    compact = re.sub(r"[\s()+-]", "", query)
    if looks_like_identity(query):
        if clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY:
            birth = birth_date_only(query, country=clinic.country)
            return "birth_date", Q(birth_date=birth) if birth else Q(pk__in=[])
        try:
            identity = parse_identity(query, country=clinic.country)
        except IdentityNumberError:
            pass
        else:
            return "identity_number", Q(identity_number=identity.number)
    international = query.startswith(("+", "00"))
    se_phone = clinic.country == "SE" and query.startswith("0")
    if len(compact) in (6, 8) and not international and not se_phone:
        birth = birth_date_only(compact, country=clinic.country)
        if birth:
            return "birth_date", Q(birth_date=birth)
    phone = _phone_prefix(query, clinic.country)
    if phone:
        return "phone", _prefix("phone", phone)
    return "none", Q(pk__in=[])


def _capped_count(qs: QuerySet) -> int:
    return qs.order_by()[:COUNT_CAP].count()


def _page(qs: QuerySet, offset: int, limit: int) -> list[Person]:
    return list(qs[offset : offset + limit]) if limit > 0 else []


def _name_search(
    base: QuerySet, tokens: list[str], offset: int, limit: int
) -> tuple[list[Person], int]:
    if len(tokens) == 1:
        # Last-name matches first, then first-name-only matches: two ordered index scans.
        token = tokens[0]
        by_last = base.filter(_prefix("last_name_key", token)).order_by(
            "last_name_key", "first_name_key", "id"
        )
        by_first = base.filter(
            _prefix("first_name_key", token), _not_prefix("last_name_key", token)
        ).order_by("first_name_key", "last_name_key", "id")
        last_count = _capped_count(by_last)
        first_count = _capped_count(by_first)
        items = _page(by_last, offset, limit)
        if len(items) < limit:
            items += _page(by_first, max(0, offset - last_count), limit - len(items))
        return items, last_count + first_count
    head, rest = tokens[0], " ".join(tokens[1:])
    whole = " ".join(tokens)
    q = (
        (_prefix("first_name_key", head) & _prefix("last_name_key", rest))
        | (_prefix("last_name_key", head) & _prefix("first_name_key", rest))
        | _prefix("last_name_key", whole)
        | _prefix("first_name_key", whole)
    )
    qs = base.filter(q).order_by("last_name_key", "first_name_key", "id")
    return _page(qs, offset, limit), _capped_count(qs)


def person_search(
    *, actor: Actor, query: str = "", offset: int = 0, limit: int = 20
) -> SearchResult:
    """Find people in the actor's clinic. Logged as one search (never the query text)."""
    require(actor, "person.read")
    query = " ".join((query or "").split())
    base = Person.objects.filter(clinic=actor.clinic)
    offset = max(0, min(offset, COUNT_CAP))
    if not query:
        kind = "list"
        qs = base.order_by("last_name_key", "first_name_key", "id")
        items, count = _page(qs, offset, limit), _capped_count(qs)
    else:
        kind, q = _classify(actor.clinic, query)
        if q is None:
            items, count = _name_search(base, name_key(query).split(), offset, limit)
        else:
            qs = base.filter(q).order_by("last_name_key", "first_name_key", "id")
            items, count = _page(qs, offset, limit), _capped_count(qs)
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
    person = _scoped(actor.clinic).filter(pk=person_id).first()
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
        ),
    )
    return person


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
