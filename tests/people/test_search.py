"""Search by name prefix, identity number, phone, e-mail and birth date — own clinic only."""

from __future__ import annotations

import random
from datetime import date

import pytest

from praksis.people.identity import synthetic_no, synthetic_se
from praksis.people.selectors import person_search


@pytest.fixture
def people(clinic, owner, make_person):
    rng = random.Random(3)
    made = {}
    for first, last, birth, phone in [
        ("Greta", "Wikander", date(1950, 5, 17), "0701000001"),
        ("Gustav", "Wikström", date(1961, 1, 2), "0701000002"),
        ("Anna", "Greger", date(1990, 12, 24), "0731000003"),
        ("Åsa", "Öberg", date(2001, 7, 7), "0761000004"),
        ("Wilma", "Åberg", date(1988, 8, 8), "0701000005"),
    ]:
        made[last] = make_person(
            owner,
            first_name=first,
            last_name=last,
            identity_number=synthetic_se(rng, birth),
            phone=phone,
            email=f"{last.lower().encode('ascii', 'ignore').decode()}@example.com",
        )
    return made


def _names(result):
    return [p.last_name for p in result.items]


def test_name_prefix_matches_last_names_first_then_first_names(owner, people):
    result = person_search(actor=owner, query="gre")
    assert _names(result) == ["Greger", "Wikander"]  # last-name match, then first-name match
    assert result.kind == "name"
    assert result.count == 2


def test_case_and_nordic_letters(owner, people):
    assert _names(person_search(actor=owner, query="ÖBERG")) == ["Öberg"]
    assert _names(person_search(actor=owner, query="åb")) == ["Åberg"]
    assert _names(person_search(actor=owner, query="wik")) == ["Wikander", "Wikström"]


def test_first_and_last_name_together(owner, people):
    assert _names(person_search(actor=owner, query="greta wik")) == ["Wikander"]
    assert _names(person_search(actor=owner, query="wikström gus")) == ["Wikström"]


def test_identity_number_in_any_accepted_form(owner, people):
    number = people["Greger"].identity_number
    for typed in (number, number[2:], f"{number[2:8]}-{number[8:]}", f"{number[:8]}-{number[8:]}"):
        result = person_search(actor=owner, query=typed)
        assert result.kind == "identity_number"
        assert _names(result) == ["Greger"]


def test_phone_in_national_and_international_form(owner, people):
    for typed in ("0731000003", "073-100 00 03", "+46731000003", "0046731000003"):
        result = person_search(actor=owner, query=typed)
        assert result.kind == "phone", typed
        assert _names(result) == ["Greger"]
    assert _names(person_search(actor=owner, query="070100")) == ["Wikander", "Wikström", "Åberg"]


def test_birth_date_and_email(owner, people):
    assert _names(person_search(actor=owner, query="1990-12-24")) == ["Greger"]
    assert _names(person_search(actor=owner, query="19901224")) == ["Greger"]
    assert _names(person_search(actor=owner, query="GREGER@example.com")) == ["Greger"]


def test_no_match_and_paging(owner, people):
    assert person_search(actor=owner, query="zzz").items == []
    page1 = person_search(actor=owner, query="", limit=2)
    page2 = person_search(actor=owner, query="", limit=2, offset=2)
    assert page1.count == 5
    assert len(page1.items) == 2
    assert not set(page1.items) & set(page2.items)


def test_other_clinics_are_never_searched(people, make_clinic, make_actor):
    outsider = make_actor(make_clinic("other"), "owner")
    for query in ("gre", "", people["Greger"].identity_number, "0731000003", "1990-12-24"):
        assert person_search(actor=outsider, query=query).items == []


def test_norwegian_numbers_and_phones(make_clinic, make_actor, make_person):
    actor = make_actor(make_clinic("dental"), "receptionist")
    number = synthetic_no(random.Random(1), date(1975, 4, 3))
    make_person(actor, first_name="Kari", last_name="Nordmann", identity_number=number,
                phone="41234567")  # fmt: skip
    assert _names(person_search(actor=actor, query=f"{number[:6]} {number[6:]}")) == ["Nordmann"]
    assert _names(person_search(actor=actor, query="412 34 567")) == ["Nordmann"]
    assert _names(person_search(actor=actor, query="030475")) == ["Nordmann"]  # DDMMYY


def test_every_page_of_a_name_search_matches_the_plain_definition(owner, make_person):
    """The one-statement search (page and counts together) agrees with the definition:
    last-name matches in (last, first) order, then first-name-only matches in (first,
    last) order, sliced by offset and limit, for every offset — also across the seam."""
    rng = random.Random(11)
    syllables = ["an", "ber", "bo", "ma", "ol", "sa"]
    people = []
    for _ in range(30):
        first = rng.choice(syllables).title() + rng.choice(syllables)
        last = rng.choice(syllables).title() + rng.choice(syllables) + "son"
        people.append(make_person(owner, first_name=first, last_name=last))

    def key(p, *fields):
        return tuple(getattr(p, f) for f in fields)

    for token in ["an", "ber", "bo", "ma", "x"]:
        by_last = sorted(
            (p for p in people if p.last_name_key.startswith(token)),
            key=lambda p: key(p, "last_name_key", "first_name_key", "pk"),
        )
        by_first = sorted(
            (
                p
                for p in people
                if p.first_name_key.startswith(token) and not p.last_name_key.startswith(token)
            ),
            key=lambda p: key(p, "first_name_key", "last_name_key", "pk"),
        )
        expected = [p.pk for p in by_last + by_first]
        for limit in (1, 3, 7):
            for offset in range(len(expected) + 2):
                result = person_search(actor=owner, query=token, offset=offset, limit=limit)
                assert [p.pk for p in result.items] == expected[offset : offset + limit], (
                    token,
                    offset,
                    limit,
                )
                assert result.count == len(expected)
    found = person_search(actor=owner, query="", limit=100)
    assert [p.pk for p in found.items] == [
        p.pk for p in sorted(people, key=lambda p: key(p, "last_name_key", "first_name_key", "pk"))
    ]
    assert found.items[0].created_at.tzinfo is not None  # typed as the ORM gives them
