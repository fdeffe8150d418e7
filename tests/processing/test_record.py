"""The record of processing (REQ-30) and the processor register: defaults per profile, the
API (JSON and PDF), the owner's staff pages, permissions and tenancy."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from praksis.clinics.access import system_actor
from praksis.core.errors import ValidationFailed
from praksis.privacy.models import PrivacyNotice
from praksis.privacy.retention import policy_for
from praksis.processing.models import (
    ActivityProcessor,
    NoticeText,
    ProcessingActivity,
    Processor,
)
from praksis.processing.services import activity_save, processor_save, record_setup

ACTIVITY_FIELDS = {
    "id", "key", "name", "purpose", "legal_bases", "special_category_basis", "basis_detail",
    "legitimate_interest",
    "data_subjects", "data_categories", "recipients", "processors", "transfers", "retention",
    "retention_keys", "retention_note", "security", "active", "order",
}  # fmt: skip


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("kind", ["optician", "therapy", "vet", "dental"])
def test_req30_a_new_clinic_gets_its_profile_record_and_notice_text(make_clinic, kind):
    """REQ-30 (Art. 30(5)): every clinic, however small, has a record from the start."""
    clinic = make_clinic(kind)
    activities = ProcessingActivity.objects.filter(clinic=clinic)
    assert {"booking", "journal", "orders", "marketing"} <= set(
        activities.values_list("key", flat=True)
    )
    for activity in activities:
        assert activity.name.get(clinic.language) and activity.purpose.get(clinic.language)
        assert activity.legal_bases
        assert activity.retention_keys or activity.retention_note.get(clinic.language)
        for key in activity.retention_keys:
            policy_for(clinic, key)  # every record type is one the retention engine knows
    notice = PrivacyNotice.objects.get(clinic=clinic)
    text = NoticeText.objects.get(notice=notice)
    assert [a["key"] for a in text.content[clinic.language]["activities"]] == list(
        activities.order_by("order", "pk").values_list("key", flat=True)
    )
    # Setting up again changes nothing.
    assert record_setup(clinic) == 0
    assert NoticeText.objects.filter(clinic=clinic).count() == 1


def _processor(actor, **fields):
    data = {"name": "Moln AB", "service": "hosting", "country": "SE", **fields}
    return processor_save(actor=actor, data=data)


def test_req30_api_returns_the_record_with_processors_and_retention(clinic, owner, make_api):
    processor = _processor(
        owner,
        name="Långt Borta Inc.",
        country="US",
        transfer_basis="scc",
        dpa_signed_on="2025-01-31",
        sub_processors="Ett\nTvå",
    )
    journal = ProcessingActivity.objects.get(clinic=clinic, key="journal")
    ActivityProcessor.objects.create(clinic=clinic, activity=journal, processor=processor)
    ProcessingActivity.objects.filter(clinic=clinic, key="statistics").update(is_active=False)

    response = make_api(clinic, "owner").get("processing-record")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"activities"}
    keys = [a["key"] for a in body["activities"]]
    assert "statistics" not in keys and keys[0] == "booking"
    for activity in body["activities"]:
        assert set(activity) == ACTIVITY_FIELDS
    entry = next(a for a in body["activities"] if a["key"] == "journal")
    assert entry["name"] == "Patient records"  # Accept-Language: en
    assert entry["special_category_basis"]["code"] == "h"
    assert [b["code"] for b in entry["legal_bases"]] == ["c"]
    with translation.override("en"):
        assert [r["text"] for r in entry["retention"]] == [
            policy_for(clinic, "journal").describe(),
            policy_for(clinic, "access_log").describe(),
        ]
    assert entry["retention_keys"] == ["journal", "access_log"]
    # The operator of the installation (in every new clinic's register) and the one added.
    assert [p["name"] for p in entry["processors"]] == ["Långt Borta Inc.", "Praksis"]
    nested = entry["processors"][0]
    assert nested["transfers_outside_eea"] is True
    assert nested["transfer_basis"] == "scc" and nested["sub_processors"] == ["Ett", "Två"]
    assert nested["dpa_signed_on"] == "2025-01-31"
    assert entry["transfers"] == [
        {"processor": "Långt Borta Inc.", "countries": "US", "safeguard": "scc"}
    ]
    swedish = make_api(clinic, "owner", language="sv").get("processing-record").json()
    assert next(a for a in swedish["activities"] if a["key"] == "journal")["name"] == (
        "Journalföring"
    )


def test_req30_the_record_as_pdf(clinic, owner, make_api):
    _processor(owner, name="Skärgårdsmoln AB")
    api = make_api(clinic, "owner")
    for response in (
        api.get("processing-record.pdf"),
        api.client.get(
            "/api/v1/processing-record", headers={**api.headers, "Accept": "application/pdf"}
        ),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        text = _pdf_text(response.content)
        assert "Test Optik" in text and "Booking" in text and "Skärgårdsmoln AB" in text


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_only_owners_see_the_record(clinic, make_api, make_staff, role):
    api = make_api(clinic, role)
    for path in ("processing-record", "processing-record.pdf"):
        assert api.get(path).status_code == 403
    ui = Client()
    ui.force_login(make_staff(clinic, role))
    before = list(ProcessingActivity.objects.values_list("pk", "name", "is_active"))
    processors = list(Processor.objects.values_list("pk", flat=True))  # the operator
    activity = ProcessingActivity.objects.filter(clinic=clinic).first()
    assert ui.get("/staff/processing/").status_code == 403
    assert ui.post(f"/staff/processing/activities/{activity.pk}/", {}).status_code == 403
    assert ui.post("/staff/processing/processors/new/", {"name": "X"}).status_code == 403
    assert ui.post("/staff/processing/publish/", {}).status_code == 403
    assert list(ProcessingActivity.objects.values_list("pk", "name", "is_active")) == before
    assert list(Processor.objects.values_list("pk", flat=True)) == processors
    assert PrivacyNotice.objects.filter(clinic=clinic).count() == 1
    assert Client().get("/api/v1/processing-record").status_code == 401


def test_another_clinics_record_is_out_of_reach(clinic, owner, other_clinic, make_actor):
    """Tenancy: ids of another clinic's activities and processors are unknown here."""
    outsider = make_actor(other_clinic, "owner")
    processor = _processor(owner)
    activity = ProcessingActivity.objects.get(clinic=clinic, key="booking")
    ui = Client()
    ui.force_login(outsider.user)
    assert ui.get(f"/staff/processing/activities/{activity.pk}/").status_code == 404
    assert ui.post(f"/staff/processing/processors/{processor.pk}/", {}).status_code == 404
    own = ProcessingActivity.objects.get(clinic=other_clinic, key="booking")
    with pytest.raises(ValidationFailed) as exc:
        activity_save(
            actor=outsider,
            activity_id=own.pk,
            data={
                "name": own.name,
                "purpose": own.purpose,
                "legal_bases": ["b"],
                "retention_keys": ["client"],
                "processors": [str(processor.pk)],
            },
        )
    assert "processors" in exc.value.errors
    assert not ActivityProcessor.objects.filter(activity=own, processor=processor).exists()
    page = ui.get("/staff/processing/").content.decode()
    assert "Moln AB" not in page


def test_staff_edit_an_activity_keeping_what_was_typed_on_errors(clinic, owner, make_staff):
    ui = Client()
    ui.force_login(owner.user)
    page = ui.get("/staff/processing/")
    assert page.status_code == 200 and "Tidsbokning" in page.content.decode()
    activity = ProcessingActivity.objects.get(clinic=clinic, key="recall")
    form = ui.get(f"/staff/processing/activities/{activity.pk}/").content.decode()
    assert "Återkallelse" in form

    bad = ui.post(
        f"/staff/processing/activities/{activity.pk}/",
        {
            "name_sv": "",
            "name_en": "Recall by phone",
            "purpose_sv": "Ringa kunder",
            "retention_keys": ["client", "no-such-type"],
            "order": "x",
        },
    )
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "Recall by phone" in body and "Ringa kunder" in body
    for field in ('id="err_name_sv"', 'id="err_order"'):
        assert field in body
    activity.refresh_from_db()
    assert activity.name["sv"] == "Återkallelse"

    good = ui.post(
        f"/staff/processing/activities/{activity.pk}/",
        {
            "name_sv": "Återkallelse per telefon",
            "name_nb": "Innkalling per telefon",
            "name_en": "Recall by phone",
            "purpose_sv": "Ringa kunder till ny undersökning.",
            "legitimate_interest_sv": "Att följa upp kundernas syn.",
            "legal_bases": ["f"],
            "retention_keys": ["client"],
            "order": "5",
            "is_active": "1",
        },
    )
    assert good.status_code == 302
    activity.refresh_from_db()
    assert activity.name == {
        "sv": "Återkallelse per telefon",
        "nb": "Innkalling per telefon",
        "en": "Recall by phone",
    }
    assert activity.legal_bases == ["f"] and activity.order == 5 and activity.is_active

    new = ui.post(
        "/staff/processing/activities/new/",
        {"key": "recall", "name_sv": "Dubblett", "purpose_sv": "x", "legal_bases": ["a"]},
    )
    assert new.status_code == 422 and "Dubblett" in new.content.decode()
    created = ui.post(
        "/staff/processing/activities/new/",
        {
            "key": "newsletter",
            "name_sv": "Nyhetsbrev",
            "purpose_sv": "Skicka nyhetsbrev till den som vill.",
            "legal_bases": ["a"],
            "retention_keys": ["marketing_consent"],
            "is_active": "1",
        },
    )
    assert created.status_code == 302
    assert ProcessingActivity.objects.get(clinic=clinic, key="newsletter").name == {
        "sv": "Nyhetsbrev"
    }


def test_staff_register_a_processor_and_publish(clinic, owner):
    ui = Client()
    ui.force_login(owner.user)
    assert ui.get("/staff/processing/processors/new/").status_code == 200
    typed = {
        "name": "Långt Borta Inc.",
        "service": "email",
        "country": "US",
        "location": "Virginia",
        "dpa_signed_on": "2025-13-01",
        "is_active": "1",
    }
    bad = ui.post("/staff/processing/processors/new/", typed)
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "Långt Borta Inc." in body and "Virginia" in body
    assert 'id="err_transfer_basis"' in body and 'id="err_dpa_signed_on"' in body
    assert not Processor.objects.filter(name="Långt Borta Inc.").exists()

    good = ui.post(
        "/staff/processing/processors/new/",
        {**typed, "dpa_signed_on": "2025-01-01", "transfer_basis": "adequacy"},
    )
    assert good.status_code == 302
    processor = Processor.objects.get(clinic=clinic, name="Långt Borta Inc.")
    assert processor.transfers_outside_eea and processor.transfer_basis == "adequacy"
    edit = ui.get(f"/staff/processing/processors/{processor.pk}/").content.decode()
    assert "Virginia" in edit

    published = ui.post("/staff/processing/publish/", {"summary": "Ny e-postleverantör."})
    assert published.status_code == 302 and "published=2" in published["Location"]
    assert PrivacyNotice.objects.filter(clinic=clinic).count() == 2
    again = ui.post("/staff/processing/publish/", {"summary": "Ingen ändring."})
    assert "unchanged=2" in again["Location"]
    material = ui.post("/staff/processing/publish/", {"summary": "", "material": "1"})
    assert material.status_code == 422 and 'id="err_summary"' in material.content.decode()
    page = Client().get(f"/{clinic.slug}/privacy").content.decode()
    assert "Långt Borta Inc." in page and "USA" in page
    assert ui.get("/staff/processing/record.pdf")["Content-Type"] == "application/pdf"


def test_record_changes_are_audited_and_hold_no_personal_data(clinic, owner):
    from praksis.audit.models import AccessLogEntry

    processor = _processor(owner)
    entry = AccessLogEntry.objects.filter(clinic=clinic, object_type="processor").get()
    assert entry.object_id == str(processor.pk) and entry.person_id is None
    with pytest.raises(ValidationFailed) as exc:
        _processor(system_actor(clinic), service="fax", country="XX", name="")
    assert set(exc.value.errors) == {"service", "country", "name"}


def test_the_record_page_and_the_notice_take_a_fixed_number_of_queries(clinic, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from praksis.processing.services import notice_publish

    ui = Client()
    ui.force_login(owner.user)

    def count(url: str, client: Client) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count(f"/{clinic.slug}/privacy", Client())  # the clinic is cached after the first
    page, notice = count("/staff/processing/", ui), count(f"/{clinic.slug}/privacy", Client())
    for i in range(3):
        processor = _processor(owner, name=f"Leverantör {i}")
        activity = ProcessingActivity.objects.filter(clinic=clinic)[i]
        ActivityProcessor.objects.create(clinic=clinic, activity=activity, processor=processor)
        notice_publish(actor=owner, summary=f"Ändring {i}")
    assert PrivacyNotice.objects.filter(clinic=clinic).count() == 4
    assert count("/staff/processing/", ui) == page
    assert count(f"/{clinic.slug}/privacy", Client()) == notice


def test_req30_a_new_clinic_starts_with_the_operator_as_its_processor(make_clinic, settings):
    """The installation's operator hosts the data and runs the journal and booking system:
    every new clinic's register has it from the start, linked to what it processes, and
    the first notice names it. An installation a clinic runs itself sets no operator."""
    clinic = make_clinic("optician")
    (operator,) = Processor.objects.filter(clinic=clinic)
    assert operator.name == "Praksis" and operator.service == "journal_system"
    assert operator.dpa_signed_on == timezone.localdate() and operator.country == "SE"
    linked = set(
        ProcessingActivity.objects.filter(clinic=clinic, processors=operator).values_list(
            "key", flat=True
        )
    )
    assert {"booking", "journal"} <= linked
    text = NoticeText.objects.get(notice__clinic=clinic)
    assert "Praksis" in json.dumps(text.content, ensure_ascii=False)

    settings.PRAKSIS_OPERATOR_NAME = ""
    own = make_clinic("therapy")
    assert not Processor.objects.filter(clinic=own).exists()
