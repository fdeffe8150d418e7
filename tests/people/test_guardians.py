"""Children and guardians (LAW.md REQ-49): one rule, ``guardian_may_see``, by country and
age band; a guardian's privacy request on behalf of a child is recorded with the guardian
and refused where the rule says no; the child's page lists the guardians."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from praksis.core.errors import ValidationFailed
from praksis.people.guardians import (
    FULL,
    NONE,
    PARENTAL,
    child_say_set,
    guardian_add,
    guardian_may_see,
)
from praksis.people.models import ChildrenSetting
from praksis.privacy.requests import export_json, request_create
from tests.conftest import speaks

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def _born(age: int, months: int = 0) -> str:
    """The birth date of someone ``age`` years (and ``months`` more) old on TODAY."""
    year, month = TODAY.year - age, TODAY.month - months
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1).isoformat()


@pytest.fixture
def family(make_clinic, make_actor, make_person):
    def make(kind: str, age: int, months: int = 0):
        clinic = make_clinic(kind)
        owner = make_actor(clinic, "owner")
        child = make_person(
            owner, first_name="Liv", last_name="Berg", birth_date=_born(age, months)
        )
        parent = make_person(
            owner, first_name="Anna", last_name="Berg", birth_date="1985-01-01",
            email="anna@example.com",
        )  # fmt: skip
        guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk, verified=True)
        return clinic, owner, child, parent

    return make


# Norway (dental, NO-human): fixed ages, pasient- og brukerrettighetsloven § 3-4.
@pytest.mark.parametrize(
    ("age", "say", "scope"),
    [
        (8, "", FULL),
        (11, "withhold", FULL),  # under 12 the parents are informed, whatever
        (12, "", FULL),
        (14, "withhold", NONE),  # 12-16: withheld when the child has reasons
        (15, "share", FULL),
        (16, "", PARENTAL),  # 16-18: what parental responsibility needs
        (17, "withhold", PARENTAL),
        (17, "share", FULL),
        (18, "", NONE),  # an adult
    ],
)
def test_req49_norway_by_age_band(family, age, say, scope):
    _clinic, owner, child, parent = family("dental", age)
    if say:
        child_say_set(actor=owner, child_id=child.pk, say=say, reason="Barnets ønske")
    child.refresh_from_db()
    assert guardian_may_see(child, parent, TODAY).scope == scope


# Sweden (optician, SE-human): no fixed age — the clinic's age of own say, 15 by default.
@pytest.mark.parametrize(
    ("age", "say", "own_say_from", "scope"),
    [
        (10, "", None, FULL),
        (10, "withhold", None, NONE),  # secrecy when release would harm the child
        (14, "", None, FULL),
        (15, "", None, NONE),  # mature by default from 15: only with the child's agreement
        (16, "share", None, FULL),
        (14, "", 13, NONE),  # the clinic's own age (configurable, LAW.md [U])
        (17, "", 18, FULL),
        (18, "share", None, NONE),
    ],
)
def test_req49_sweden_maturity_decides(family, age, say, own_say_from, scope):
    clinic, owner, child, parent = family("optician", age)
    if own_say_from is not None:
        ChildrenSetting.objects.create(clinic=clinic, own_say_from_age=own_say_from)
    if say:
        child_say_set(actor=owner, child_id=child.pk, say=say, reason="Barnets vilja")
    child.refresh_from_db()
    assert guardian_may_see(child, parent, TODAY).scope == scope


def test_req49_only_a_guardian_on_record_and_withholding_needs_a_reason(
    family, make_person, make_clinic, make_actor
):
    _clinic, owner, child, _parent = family("dental", 9)
    stranger = make_person(owner, first_name="Ola", last_name="Nordmann")
    assert guardian_may_see(child, stranger, TODAY).scope == NONE
    with pytest.raises(ValidationFailed) as refused:
        child_say_set(actor=owner, child_id=child.pk, say="withhold", reason="")
    assert "reason" in refused.value.errors
    other = make_actor(make_clinic("other"), "owner")
    with pytest.raises(Exception) as missing:
        guardian_add(actor=other, child_id=child.pk, guardian_id=stranger.pk)
    assert missing.type.__name__ == "Http404"


def test_req49_a_guardians_request_records_the_guardian_and_follows_the_rule(family):
    _clinic, owner, child, parent = family("dental", 17)  # today's date, not TODAY
    request = request_create(actor=owner, person_id=child.pk, kind="access", guardian_id=parent.pk)
    assert request.guardian_id == parent.pk and request.person_id == child.pk
    assert request.guardian_scope in (PARENTAL, FULL, NONE)
    data = json.loads(export_json(actor=owner, request_id=request.pk))
    keys = {s["key"] for s in data["sections"]}
    if request.guardian_scope == PARENTAL:  # only what parental responsibility needs
        assert "access_log" not in keys and not any(k.startswith("journal") for k in keys)

    _clinic, owner, child, parent = family("vet", 13)  # Norway too
    child_say_set(actor=owner, child_id=child.pk, say="withhold", reason="Ønsker ikke")
    with pytest.raises(ValidationFailed) as refused:
        request_create(actor=owner, person_id=child.pk, kind="access", guardian_id=parent.pk)
    assert "guardian" in refused.value.errors


def test_req49_the_childs_page_lists_the_guardians(family):
    _clinic, owner, child, parent = family("optician", 9)
    client = Client()
    client.force_login(speaks(owner.user, "en"))
    html = client.get(f"/staff/persons/{child.pk}/").content.decode()
    assert 'id="guardians"' in html and "Anna Berg" in html and "anna@example.com" in html
    html = client.get(f"/staff/persons/{parent.pk}/").content.decode()
    assert "Guardian of:" in html and "Liv Berg" in html
