"""Family in the client's account (issue 15): a guardian sees their children's bookings as
far as the age rules let them (LAW.md REQ-49); a pet owner sees their animals' bookings
and reminders, and a co-owner only the animals they own."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from praksis.booking.services import appointment_book
from praksis.people.guardians import child_say_set, guardian_add
from praksis.people.services import animal_create, animal_owner_add
from praksis.recall.services import recall_set
from tests.accounts.test_sign_in import _sign_in
from tests.conftest import next_local

pytestmark = pytest.mark.django_db


def _born(age: int) -> str:
    return date(date.today().year - age, 1, 1).isoformat()


def test_req49_a_guardian_sees_the_childs_bookings_as_the_rules_allow(
    make_clinic, make_actor, make_person, make_bookable
):
    clinic = make_clinic("dental")  # Norway: fixed ages
    owner = make_actor(clinic, "owner")
    parent = make_person(owner, first_name="Anna", last_name="Berg", email="anna@example.com",
                         birth_date="1985-01-01")  # fmt: skip
    small = make_person(owner, first_name="Liv", last_name="Berg", birth_date=_born(9))
    teen = make_person(owner, first_name="Tor", last_name="Berg", birth_date=_born(14))
    for child in (small, teen):
        guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk, verified=True)
    service, (practitioner,) = make_bookable(clinic)
    booked = {
        child.pk: appointment_book(
            actor=owner,
            service_id=service.pk,
            person_id=child.pk,
            start=next_local(clinic, days=3 + n, hour=10),
            practitioner_id=practitioner.pk,
        )
        for n, child in enumerate((small, teen))
    }
    child_say_set(actor=owner, child_id=teen.pk, say="withhold", reason="Har grunner")
    client = Client()
    _sign_in(client, clinic, parent.email)
    home = client.get(f"/{clinic.slug}/account/?lang=en").content.decode()
    assert f'data-child="{small.pk}"' in home
    assert f'data-appointment="{booked[small.pk].pk}"' in home
    # 12 to 16 and the child has reasons: named, with why, and nothing of theirs shown.
    assert f'data-child="{teen.pk}"' in home
    assert f'data-appointment="{booked[teen.pk].pk}"' not in home
    assert "withheld from the guardians" in home


def test_a_co_owner_sees_the_animals_they_own_and_their_reminders(
    make_clinic, make_actor, make_person, make_bookable
):
    clinic = make_clinic("vet")
    owner = make_actor(clinic, "owner")
    kari = make_person(owner, first_name="Kari", last_name="Nordmann", email="kari@example.com")
    ola = make_person(owner, first_name="Ola", last_name="Fjeld", email="ola@example.com")
    rex = animal_create(actor=owner, owner_ids=[kari.pk], name="Rex", species="dog")
    animal_owner_add(actor=owner, animal_id=rex.pk, person_id=ola.pk)
    mons = animal_create(actor=owner, owner_ids=[kari.pk], name="Mons", species="cat")
    service, (practitioner,) = make_bookable(clinic)
    rex_visit = appointment_book(
        actor=owner, service_id=service.pk, person_id=kari.pk, animal_id=rex.pk,
        start=next_local(clinic, days=3, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    mons_visit = appointment_book(
        actor=owner, service_id=service.pk, person_id=kari.pk, animal_id=mons.pk,
        start=next_local(clinic, days=4, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    recall_set(actor=owner, animal=rex, interval_months=12, reason="Vaksine")
    client = Client()
    _sign_in(client, clinic, ola.email)
    home = client.get(f"/{clinic.slug}/account/?lang=en").content.decode()
    # Ola co-owns Rex: Rex's visit (booked by Kari) and its reminder; not Kari's cat.
    assert f'data-animal="{rex.pk}"' in home and f'data-appointment="{rex_visit.pk}"' in home
    assert "Next reminder" in home and "Vaksine" in home
    assert f'data-animal="{mons.pk}"' not in home
    assert f'data-appointment="{mons_visit.pk}"' not in home
