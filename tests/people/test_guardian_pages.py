"""Children and guardians at the desk (LAW.md REQ-49): staff add, verify and end a
child's guardians and record the child's own say on the child's guardians page; a
guardian's request is registered at the desk and answered to the guardian; a child's
booking messages go to a guardian only as far as the rule lets that guardian see the
child's data."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.services import appointment_book
from praksis.messaging.models import OutboxMessage
from praksis.people.guardians import (
    booking_contact,
    child_say_set,
    guardian_add,
    guardian_may_see,
)
from praksis.people.models import ChildPrivacy, Guardianship
from praksis.privacy.answer_links import code_channel
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import request_answer
from tests.conftest import next_local, speaks

pytestmark = pytest.mark.django_db


def _born(age: int) -> str:
    today = timezone.localdate()
    return date(today.year - age, 1, 1).isoformat()


@pytest.fixture
def family(make_clinic, make_actor, make_person):
    def make(kind: str, age: int):
        clinic = make_clinic(kind)
        owner = make_actor(clinic, "owner")
        child = make_person(owner, first_name="Liv", last_name="Berg", birth_date=_born(age))
        parent = make_person(
            owner, first_name="Anna", last_name="Berg", birth_date="1985-01-01",
            email="anna@example.com", phone="+4791234567",
        )  # fmt: skip
        return clinic, owner, child, parent

    return make


def _desk(clinic, make_staff):
    ui = Client()
    ui.force_login(speaks(make_staff(clinic, "receptionist", email=f"desk@{clinic.slug}.t"), "en"))
    return ui


def test_req49_staff_add_verify_and_end_a_guardian_and_record_the_childs_say(family, make_staff):
    clinic, _owner, child, parent = family("vet", 13)
    ui = _desk(clinic, make_staff)
    url = f"/staff/persons/{child.pk}/guardians/"
    # The child's page leads to the guardians page.
    assert url in ui.get(f"/staff/persons/{child.pk}/").content.decode()
    page = ui.get(url).content.decode()
    assert "No guardian on record." in page and "12 to 16" in page

    # A search that is not yet a choice shows the matches and saves nothing.
    typed = ui.post(url, {"action": "add", "guardian_q": "Anna"})
    assert typed.status_code == 422 and "Berg, Anna" in typed.content.decode()
    assert not Guardianship.objects.exists()
    added = ui.post(url, {"action": "add", "guardian": parent.pk, "verified": "1"})
    assert added.status_code == 302
    link = Guardianship.objects.get()
    assert (link.child_id, link.guardian_id) == (child.pk, parent.pk)
    assert link.verified_at is not None and link.verified_by_name
    page = ui.get(url).content.decode()
    assert (
        f'data-guardianship="{link.pk}"' in page and "Under 16: the guardians are informed." in page
    )
    # Not one's own guardian: a clear error, nothing saved.
    itself = ui.post(url, {"action": "add", "guardian": child.pk})
    assert itself.status_code == 422
    assert "A person cannot be their own guardian." in itself.content.decode()

    # The child has reasons: withholding needs a reason, and what was typed is kept.
    refused = ui.post(url, {"action": "say", "say": "withhold", "reason": ""})
    assert refused.status_code == 422 and "Say why" in refused.content.decode()
    assert not ChildPrivacy.objects.exists()
    saved = ui.post(url, {"action": "say", "say": "withhold", "reason": "Ønsker ikke"})
    assert saved.status_code == 302
    assert ChildPrivacy.objects.get(child=child).say == "withhold"
    assert "withheld from the guardians" in ui.get(url).content.decode()

    ended = ui.post(url, {"action": "end", "guardianship": link.pk})
    assert ended.status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None  # kept, with when it ended
    assert "No guardian on record." in ui.get(url).content.decode()
    logged = set(
        AccessLogEntry.objects.filter(person_id=child.pk, object_type="guardianship").values_list(
            "detail", flat=True
        )
    )
    assert logged == {"guardian", "ended"}


def test_req49_another_clinics_child_or_guardian_is_not_found(family, make_staff, make_person):
    _clinic, owner, child, parent = family("optician", 9)
    link = guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk)
    other_clinic, _other_owner, mine, _other_parent = family("dental", 9)
    ui = _desk(other_clinic, make_staff)
    assert ui.get(f"/staff/persons/{child.pk}/guardians/").status_code == 404
    assert (
        ui.post(
            f"/staff/persons/{child.pk}/guardians/", {"action": "end", "guardianship": link.pk}
        ).status_code
        == 404
    )
    added = ui.post(
        f"/staff/persons/{mine.pk}/guardians/", {"action": "add", "guardian": parent.pk}
    )
    assert added.status_code == 422  # not a person of this clinic
    assert Guardianship.objects.filter(child=mine).count() == 0
    link.refresh_from_db()
    assert link.ended_at is None


def test_req49_a_childs_booking_messages_go_to_a_guardian_who_may_see(
    family, make_bookable, make_person
):
    clinic, owner, child, parent = family("vet", 13)  # Norway: 12 to 16
    assert booking_contact(child) == ("", "")  # no contact, no guardian
    guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk, verified=True)
    assert booking_contact(child) == ("anna@example.com", "+4791234567")
    service, (practitioner,) = make_bookable(clinic)
    appointment_book(
        actor=owner, service_id=service.pk, person_id=child.pk,
        start=next_local(clinic, days=3, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    confirmation = OutboxMessage.objects.get(kind="confirmation")
    assert confirmation.to_address == "anna@example.com"
    # The child has reasons to keep it from the guardians: no message goes to them.
    child_say_set(actor=owner, child_id=child.pk, say="withhold", reason="Ønsker ikke")
    assert booking_contact(child) == ("", "")
    # A child with their own mobile is told directly.
    child.phone = "+4790000000"
    child.save(update_fields=["phone"])
    assert booking_contact(child) == ("", "+4790000000")
    adult = make_person(owner, first_name="Ola", last_name="Berg", birth_date=_born(30))
    guardian_add(actor=owner, child_id=adult.pk, guardian_id=parent.pk)
    assert booking_contact(adult) == ("", "")  # an adult's guardian gets nothing


def test_req49_a_guardians_request_at_the_desk_is_answered_to_the_guardian(family, make_staff):
    clinic, owner, child, parent = family("optician", 9)
    guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk, verified=True)
    child.email = "liv@example.com"  # the child has an address of their own
    child.save(update_fields=["email"])
    ui = _desk(clinic, make_staff)
    page = ui.get("/staff/privacy-requests/").content.decode()
    assert 'name="guardian_q"' in page
    made = ui.post(
        "/staff/privacy-requests/new/",
        {"person": child.pk, "guardian": parent.pk, "kind": "access", "details": "Mor ber"},
    )
    assert made.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert (request.person_id, request.guardian_id) == (child.pk, parent.pk)
    listed = ui.get("/staff/privacy-requests/").content.decode()
    assert "asked by the guardian" in listed and "Anna Berg" in listed
    OutboxMessage.objects.all().delete()
    request_answer(actor=owner, request_id=request.pk, answer="Här är kopian.")
    # Who asked is answered: the guardian, not the child.
    assert list(OutboxMessage.objects.values_list("to_address", flat=True)) == ["anna@example.com"]
    request.refresh_from_db()
    assert code_channel(request) == "sms"  # the one-time code: the guardian's mobile


def test_req49_a_guardian_the_rule_refuses_is_an_error_on_the_form(family, make_staff):
    clinic, owner, child, parent = family("vet", 14)
    guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk)
    child_say_set(actor=owner, child_id=child.pk, say="withhold", reason="Grunner")
    ui = _desk(clinic, make_staff)
    refused = ui.post(
        "/staff/privacy-requests/new/",
        {"person": child.pk, "guardian": parent.pk, "kind": "access", "details": "Far ber"},
    )
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "This guardian may not see the child" in html and "Far ber" in html
    assert not DataSubjectRequest.objects.exists()


def test_req49_a_swedish_owner_sets_the_age_a_child_decides_from(family, make_staff):
    clinic, owner, child, parent = family("optician", 14)
    guardian_add(actor=owner, child_id=child.pk, guardian_id=parent.pk)
    today = timezone.localdate(timezone=clinic.zone)
    assert guardian_may_see(child, parent, today).scope == "full"  # under 15 by default
    ui = Client()
    ui.force_login(speaks(owner.user, "en"))
    assert "/staff/children/" in ui.get("/staff/privacy-requests/").content.decode()
    bad = ui.post("/staff/children/", {"own_say_from_age": "40"})
    assert bad.status_code == 422 and 'value="40"' in bad.content.decode()
    assert "from 12 to 17" in bad.content.decode()
    assert ui.post("/staff/children/", {"own_say_from_age": "13"}).status_code == 302
    # From 13 the child decides, and has not agreed: the guardian sees nothing.
    assert guardian_may_see(child, parent, today).scope == "none"
    assert AccessLogEntry.objects.filter(detail="own_say_from_age=13").exists()
    # A receptionist may not change it.
    assert (
        _desk(clinic, make_staff).post("/staff/children/", {"own_say_from_age": "16"}).status_code
        == 403
    )


def test_req49_in_norway_the_ages_are_the_laws(family):
    _clinic, owner, _child, _parent = family("dental", 10)
    ui = Client()
    ui.force_login(speaks(owner.user, "en"))
    page = ui.get("/staff/children/").content.decode()
    assert "pasient- og brukerrettighetsloven § 3-4" in page and "own_say_from_age" not in page
    refused = ui.post("/staff/children/", {"own_say_from_age": "13"})
    assert refused.status_code == 422
    assert "set by law" in refused.content.decode()
