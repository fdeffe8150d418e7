"""Data-subject requests (REQ-24, REQ-25, REQ-26): the deadline clock, the access report
with every Art. 15 item, and the machine-readable export."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.journal.services import entry_create, followup_add
from praksis.privacy.requests import add_months


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 3, 31), date(2026, 4, 30)),
    ],
)
def test_req24_due_is_one_calendar_month_later(received, due):
    assert add_months(received, 1) == due


@pytest.fixture
def patient(clinic, make_actor, make_person):
    doctor = make_actor(clinic, "practitioner")
    person = make_person(
        doctor, first_name="Greta", last_name="Wikander", email="greta@example.com"
    )
    entry = entry_create(actor=doctor, person_id=person.pk, text="Synfel höger öga.", sign=True)
    followup_add(
        actor=doctor,
        entry_id=entry.pk,
        kind="amendment",
        text="Rättelse: vänster öga.",
        reason="Fel sida",
    )
    return person


def test_req24_intake_extension_and_listing(clinic, patient, make_api):
    desk = make_api(clinic, "receptionist")
    created = desk.post("privacy-requests", {"person": patient.pk, "kind": "access"})
    assert created.status_code == 201
    body = created.json()
    received = date.fromisoformat(body["received_at"][:10])
    assert body["due_date"] == add_months(received, 1).isoformat()
    assert body["status"] == "received"
    bad = desk.post("privacy-requests", {"person": 999999, "kind": "everything"})
    assert bad.status_code == 422 and {"person", "kind"} <= set(bad.json()["errors"])
    owner = make_api(clinic, "owner")
    no_reason = owner.post(f"privacy-requests/{body['id']}/extend", {"months": 2})
    assert no_reason.status_code == 422
    extended = owner.post(
        f"privacy-requests/{body['id']}/extend", {"months": 2, "reason": "Many records to collect"}
    )
    assert (
        extended.json()["extended_to"]
        == add_months(date.fromisoformat(body["due_date"]), 2).isoformat()
    )
    again = owner.post(f"privacy-requests/{body['id']}/extend", {"months": 1, "reason": "x"})
    assert again.status_code == 409  # only once
    assert [r["id"] for r in owner.get("privacy-requests").json()["items"]] == [body["id"]]


def test_req25_access_report_has_every_item_and_a_copy_of_the_data(clinic, patient, make_api):
    """REQ-25: purposes, bases, categories, recipients and storage periods come from the
    clinic's record of processing (the same source as its notice), beside the data."""
    from praksis.processing.models import ProcessingActivity

    journal = ProcessingActivity.objects.get(clinic=clinic, key="journal")
    journal.purpose = {"sv": "Journalföring enligt patientdatalagen (testtext)"}
    journal.save()
    owner = make_api(clinic, "owner")
    request_id = owner.post("privacy-requests", {"person": patient.pk, "kind": "access"}).json()[
        "id"
    ]
    response = owner.get(f"privacy-requests/{request_id}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    for expected in (
        "Integritetsskyddsmyndigheten",
        "Greta Wikander",
        "greta@example.com",
        "Synfel höger öga.",
        "Rättelse: vänster öga.",
        "Fel sida",
        "patientdatalagen",
        "Journalföring enligt patientdatalagen (testtext)",
    ):
        assert expected in text, expected
    exports = AccessLogEntry.objects.filter(clinic=clinic, person_id=patient.pk, action="export")
    assert exports.exists()
    receptionist = make_api(clinic, "receptionist")
    assert receptionist.get(f"privacy-requests/{request_id}/report.pdf").status_code == 403


def test_req26_portability_export_is_structured(clinic, patient, make_api):
    owner = make_api(clinic, "owner")
    request_id = owner.post(
        "privacy-requests", {"person": patient.pk, "kind": "portability"}
    ).json()["id"]
    response = owner.get(f"privacy-requests/{request_id}/export.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    sections = {s["key"]: s for s in data["sections"]}
    assert sections["person"]["items"][0]["email"] == "greta@example.com"
    assert {"person", "bookings", "consents"} <= set(sections) and data["controller"]
    assert sections["person"]["portable"] and sections["consents"]["portable"]
    # The export is the complete copy (Art. 15(3), issue 12): the journal is in it, but
    # marked as not portable: journals are kept under a legal duty (REQ-26).
    assert "Synfel" in json.dumps(sections["journal"]["items"], ensure_ascii=False)
    assert sections["journal"]["portable"] is False


def test_the_dashboard_orders_by_due_date_and_flags_close_ones(clinic, patient, make_staff):
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from praksis.privacy.models import DataSubjectRequest

    client = Client()
    client.force_login(make_staff(clinic, "owner"))
    response = client.post(
        "/staff/privacy-requests/new/", {"person": patient.pk, "kind": "erasure"}
    )
    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        due_date=timezone.now().date() + timedelta(days=3)
    )
    page = client.get("/staff/privacy-requests/").content.decode()
    assert 'class="near-due"' in page and "Wikander" in page
    assert client.get(f"/staff/privacy-requests/{request.pk}/export.json").status_code == 200


def test_public_request_is_released_only_after_the_e_mail_link(clinic, patient, make_api):
    import re

    from django.test import Client

    from praksis.messaging.models import OutboxMessage
    from praksis.privacy.models import DataSubjectRequest

    visitor = Client()
    unknown = visitor.post(
        f"/{clinic.slug}/privacy/request",
        {"contact": "nobody@example.com", "kind": "access", "lang": "en"},
    )
    known = visitor.post(
        f"/{clinic.slug}/privacy/request",
        {"contact": "GRETA@example.com", "kind": "access", "lang": "en"},
    )
    assert unknown.status_code == known.status_code == 200

    def page(response) -> str:  # without the (per-response) CSRF token
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())

    assert page(unknown) == page(known)  # the page never tells whom we know
    request = DataSubjectRequest.objects.get()
    assert request.person == patient and request.verified_at is None
    owner = make_api(clinic, "owner")
    assert owner.get(f"privacy-requests/{request.pk}/report.pdf").status_code == 409
    message = OutboxMessage.objects.get(related_type="privacy_request")
    assert message.to_address == "greta@example.com"
    link = re.search(r"https?://\S+/privacy/verify/\S+", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert visitor.get("/" + path).status_code == 200
    assert visitor.get("/" + path).status_code == 404  # one time only
    request.refresh_from_db()
    assert request.verified_at is not None
    assert owner.get(f"privacy-requests/{request.pk}/report.pdf").status_code == 200
    bad = visitor.post(f"/{clinic.slug}/privacy/request", {"contact": "x", "kind": "nonsense"})
    assert bad.status_code == 422
