"""The retention staff page (REQ-11): owner only; the clinic's policies with their law;
the clinic's own period within the legal limits (errors keep what was typed); a dry-run
preview per rule; legal holds placed and released from the page and the person page."""

from __future__ import annotations

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.privacy.models import LegalHold, RetentionSetting
from tests.conftest import speaks
from tests.privacy.retention_helpers import at, entry


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(clinic, make_staff, role):
    client = Client()
    client.force_login(speaks(make_staff(clinic, role), "en"))
    return client


@pytest.fixture
def owner_ui(clinic, make_staff):
    return _client(clinic, make_staff, "owner")


def test_the_page_lists_policies_with_law_and_the_dry_run(clinic, owner, owner_ui, make_person):
    """REQ-01/REQ-06/REQ-10/REQ-11: each record type with its period and law; the due
    counts for this clinic only; nothing is changed by looking."""
    entry(owner, person=make_person(owner), when=at(2000, 1, 1))
    response = owner_ui.get("/staff/retention/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "10 years after the last journal entry (patientdatalagen (2008:355) 3 kap. 17 §)" in body
    assert "bokföringslagen" in body and "HSLF-FS 2016:40" in body
    assert "1 record is due" in body
    assert 'href="/staff/retention/"' in body  # the nav link for the owner


@pytest.mark.parametrize("kind", ["vet", "dental", "therapy"])
def test_the_page_for_each_profile(make_clinic, make_staff, kind):
    """REQ-02/04/11: every regime's page renders; NO-human journals are not editable."""
    clinic = make_clinic(kind)
    body = _client(clinic, make_staff, "owner").get("/staff/retention/").content.decode()
    assert "Retention" in body and 'id="policy-journal"' in body
    editable = 'id="months-journal"' in body
    assert editable == (kind == "vet")


def test_staff_other_than_the_owner_are_refused(clinic, make_staff):
    """REQ-11: retention and holds are the privacy officer's (privacy.manage)."""
    for role in ("practitioner", "receptionist"):
        ui = _client(clinic, make_staff, role)
        assert ui.get("/staff/retention/").status_code == 403
        response = ui.post("/staff/retention/settings/", {"record_type": "journal", "months": 200})
        assert response.status_code == 403
    assert not RetentionSetting.objects.exists()


def test_a_period_below_the_law_is_refused_and_what_was_typed_is_kept(clinic, owner_ui):
    """REQ-01: 9 years for an SE-human journal is refused with the law's minimum."""
    response = owner_ui.post(
        "/staff/retention/settings/", {"record_type": "journal", "months": "108"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="108"' in body and 'aria-invalid="true"' in body
    assert "The law requires at least 10 years" in body
    assert not RetentionSetting.objects.exists()
    response = owner_ui.post(
        "/staff/retention/settings/", {"record_type": "journal", "months": "144"}
    )
    assert response.status_code == 302
    assert RetentionSetting.objects.get(clinic=clinic).months == 144
    assert (
        "12 years after the last journal entry"
        in owner_ui.get("/staff/retention/").content.decode()
    )
    owner_ui.post("/staff/retention/settings/", {"record_type": "journal", "action": "reset"})
    assert not RetentionSetting.objects.exists()


def test_a_hold_is_placed_on_the_person_page_and_released(clinic, owner, owner_ui, make_person):
    """REQ-11: the owner places and releases a hold from the person page; both logged."""
    person = make_person(owner, first_name="Greta")
    page = owner_ui.get(f"/staff/persons/{person.pk}/").content.decode()
    assert "Place a legal hold" in page
    response = owner_ui.post(
        "/staff/retention/holds/",
        {"person": person.pk, "reason": "Claim 2025-3", "next": f"/staff/persons/{person.pk}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/staff/persons/{person.pk}/"
    hold = LegalHold.objects.get(clinic=clinic, person=person)
    page = owner_ui.get(f"/staff/persons/{person.pk}/").content.decode()
    assert "Claim 2025-3" in page
    assert "Greta" in owner_ui.get("/staff/retention/").content.decode()
    owner_ui.post(f"/staff/retention/holds/{hold.pk}/release/")
    hold.refresh_from_db()
    assert hold.released_at is not None
    logged = AccessLogEntry.objects.filter(clinic=clinic, object_type="legal_hold")
    assert set(logged.values_list("action", flat=True)) >= {"create", "update", "list"}


def test_a_hold_without_reason_or_on_a_missing_record_is_refused(clinic, owner_ui):
    """REQ-11: 422 with the fields named; what was typed stays."""
    response = owner_ui.post(
        "/staff/retention/holds/",
        {"record_type": "accounting", "record_id": "424242", "reason": ""},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="424242"' in body and "No such record in this clinic." in body
    assert "Say why the data must be kept" in body
    response = owner_ui.post(
        "/staff/retention/holds/",
        {"record_type": "accounting", "record_id": "424242", "reason": "Audit"},
    )
    assert response.status_code == 422
    assert "No such record in this clinic." in response.content.decode()
    assert not LegalHold.objects.exists()


def test_the_receptionist_sees_no_hold_box(clinic, owner, make_staff, make_person):
    """REQ-11: the person page shows the hold box to the owner only."""
    person = make_person(owner)
    ui = _client(clinic, make_staff, "receptionist")
    page = ui.get(f"/staff/persons/{person.pk}/").content.decode()
    assert "Place a legal hold" not in page


@pytest.mark.parametrize(
    ("kind", "years", "phrase"),
    [("optician", 10, "Kept at least until"), ("dental", 10, "may be handed to an archive from")],
)
def test_req01_req03_the_person_page_says_how_long_the_journal_is_kept(
    kind, years, phrase, make_clinic, make_actor, make_person
):
    """REQ-01: SE-human journals are kept 10 years after the last entry; REQ-02/03: a
    Norwegian journal is never deleted automatically, and may be archived after 10 years.
    Staff see the date on the person's page."""
    from django.test import Client
    from django.utils import timezone, translation

    from praksis.clinics.models import User
    from praksis.journal.services import entry_create
    from praksis.privacy.requests import add_months

    clinic = make_clinic(kind)
    practitioner = make_actor(clinic, "practitioner")
    person = make_person(practitioner, first_name="Tove", last_name="Lind")
    entry_create(actor=practitioner, person_id=person.pk, text="Kontroll.", sign=True)
    ui = Client()
    ui.force_login(speaks(User.objects.get(pk=practitioner.user_id), "en"))
    with translation.override("en"):
        page = ui.get(f"/staff/persons/{person.pk}/").content.decode()
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    assert phrase in page
    assert add_months(today, 12 * years).isoformat() in page
