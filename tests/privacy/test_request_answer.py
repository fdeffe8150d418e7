"""Answering a data-subject request (REQ-24..26): the requester reads the answer and
downloads the report or the export from a link e-mailed to the address on record, opened
with a one-time code sent to their mobile number (REQ-50, tests/privacy/test_answer_code.py);
nothing is released before they confirmed."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.journal.services import entry_create
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import request_answer, request_create
from tests.privacy.answer_helpers import open_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def greta(clinic, make_actor, make_person):
    doctor = make_actor(clinic, "practitioner")
    person = make_person(
        doctor,
        first_name="Greta",
        last_name="Wikander",
        email="greta@example.com",
        phone="070-174 06 99",
    )
    entry_create(actor=doctor, person_id=person.pk, text="Synfel höger öga.", sign=True)
    return person


def _link(body: str) -> str:
    url = re.search(r"https?://\S+/privacy/answer/\S+/", body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_req25_answer_by_secure_link_reaches_the_requester(
    clinic, greta, owner, smtp_server, settings, tmp_path
):
    """REQ-25: the report is delivered by a link only the address on record receives; the
    page (opened with the code sent to the mobile number, REQ-50) shows the answer and the
    PDF downloads, each download logged."""
    settings.SMS_FILE_PATH = tmp_path / "sms"
    request = request_create(actor=owner, person_id=greta.pk, kind="access")
    request_answer(actor=owner, request_id=request.pk, answer="Here is your data.")
    assert deliver_due().sent == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "greta@example.com"
    assert not list(mail.iter_attachments())  # a link, not the data itself
    link = _link(mail.get_content())
    visitor = Client()
    open_answer(visitor, link, settings, phone="+46701740699")
    page = visitor.get(link + "?lang=en")
    assert page.status_code == 200
    assert "Here is your data." in page.content.decode()
    pdf = visitor.get(link + "report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "no-store"
    text = _pdf_text(pdf.content)
    assert "Wikander" in text and "Synfel" in text
    # Art. 15(3): the same copy machine-readable, from the same link.
    data = json.loads(visitor.get(link + "export.json").content)
    assert any(s["key"] == "journal" for s in data["sections"])
    assert visitor.get(link + "export.csv").status_code == 200
    request.refresh_from_db()
    assert request.status == "completed" and request.downloaded_at is not None
    assert AccessLogEntry.objects.filter(
        clinic=clinic, person_id=greta.pk, purpose="access request: downloaded by the person"
    ).exists()


def test_req24_the_link_expires_and_a_wrong_token_finds_nothing(clinic, greta, owner):
    request = request_create(actor=owner, person_id=greta.pk, kind="access")
    request_answer(actor=owner, request_id=request.pk)
    link = _link(OutboxMessage.objects.get(related_type="privacy_request").body)
    visitor = Client()
    assert visitor.get(link).status_code == 200
    assert (
        visitor.get(re.sub(r"answer/[^/]+/", "answer/" + "x" * 43 + "/", link)).status_code == 404
    )
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        download_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert visitor.get(link).status_code == 404
    assert visitor.get(link + "report.pdf").status_code == 404


def test_req50_the_report_is_never_attached_to_an_e_mail(clinic, greta, owner):
    """REQ-50: a journal copy never travels as an e-mail attachment, even when asked."""
    from praksis.core.errors import ValidationFailed

    request = request_create(actor=owner, person_id=greta.pk, kind="access")
    with pytest.raises(ValidationFailed) as exc:
        request_answer(actor=owner, request_id=request.pk, delivery="email")
    assert "delivery" in exc.value.errors
    assert not OutboxMessage.objects.filter(related_type="privacy_request").exists()
    assert not DataSubjectRequest.objects.get(pk=request.pk).download_token_hash


def test_req26_portability_export_as_json_and_csv_from_the_link(
    clinic, greta, owner, settings, tmp_path
):
    """REQ-26: structured, commonly used, machine-readable (JSON and CSV)."""
    settings.SMS_FILE_PATH = tmp_path / "sms"
    request = request_create(actor=owner, person_id=greta.pk, kind="portability")
    request_answer(actor=owner, request_id=request.pk)
    link = _link(OutboxMessage.objects.get(related_type="privacy_request").body)
    visitor = Client()
    open_answer(visitor, link, settings, phone="+46701740699")
    data = json.loads(visitor.get(link + "export.json").content)
    person = next(s for s in data["sections"] if s["key"] == "person")
    assert person["items"][0]["email"] == "greta@example.com" and person["portable"] is True
    rows = list(csv.DictReader(io.StringIO(visitor.get(link + "export.csv").content.decode())))
    assert {"section": "person", "item": "1", "field": "last_name", "value": "Wikander"} in rows
    assert visitor.get(link + "report.pdf").status_code == 404


def test_req24_nothing_is_answered_before_the_requester_confirmed(clinic, greta, owner):
    """REQ-24: an online request is answered only after the e-mailed link was opened."""
    from praksis.core.errors import Conflict
    from praksis.privacy.intake import request_public_create

    request = request_public_create(clinic=clinic, contact="greta@example.com", kind="access")
    with pytest.raises(Conflict):
        request_answer(actor=owner, request_id=request.pk)
    assert not DataSubjectRequest.objects.get(pk=request.pk).download_token_hash
    assert not OutboxMessage.objects.filter(body__contains="/privacy/answer/").exists()


def test_other_kinds_need_a_written_answer_and_a_receptionist_cannot_answer(
    clinic, greta, owner, receptionist
):
    from django.core.exceptions import PermissionDenied

    from praksis.core.errors import ValidationFailed

    request = request_create(actor=owner, person_id=greta.pk, kind="objection")
    with pytest.raises(ValidationFailed) as exc:
        request_answer(actor=owner, request_id=request.pk)
    assert "answer" in exc.value.errors
    with pytest.raises(PermissionDenied):
        request_answer(actor=receptionist, request_id=request.pk, answer="ok")
    request_answer(actor=owner, request_id=request.pk, answer="We stopped the newsletter.")
    assert DataSubjectRequest.objects.get(pk=request.pk).answer.startswith(
        "We stopped the newsletter."
    )


def test_staff_dashboard_sends_the_answer(clinic, greta, owner, make_staff):
    request = request_create(actor=owner, person_id=greta.pk, kind="access")
    ui = Client()
    ui.force_login(make_staff(clinic, "owner", email="boss@example.com"))
    page = ui.get("/staff/privacy-requests/")
    assert f"/staff/privacy-requests/{request.pk}/answer/" in page.content.decode()
    response = ui.post(f"/staff/privacy-requests/{request.pk}/answer/", {"delivery": "link"})
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(related_type="privacy_request").count() == 1
    bad = ui.post(f"/staff/privacy-requests/{request.pk}/answer/", {"delivery": "pigeon"})
    assert bad.status_code == 302 and "error=" in bad["Location"]


def test_req26_api_answers_and_exports_csv(clinic, greta, make_api):
    """REQ-26 over the API: CSV beside JSON; the answer endpoint reports delivery (with a
    token issued for sensitive actions)."""
    owner = make_api(clinic, "owner", scopes="sensitive")
    created = owner.post("privacy-requests", {"person": greta.pk, "kind": "portability"}).json()
    csv_response = owner.get(f"privacy-requests/{created['id']}/export.csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "Wikander" in csv_response.content.decode()
    bad = owner.post(f"privacy-requests/{created['id']}/answer", {"delivery": "fax"})
    assert bad.status_code == 422 and "delivery" in bad.json()["errors"]
    answered = owner.post(f"privacy-requests/{created['id']}/answer", {"delivery": "link"})
    assert answered.status_code == 200
    assert answered.json()["answered"] is True and answered.json()["status"] == "completed"
    desk = make_api(clinic, "receptionist", scopes="sensitive")
    assert desk.post(f"privacy-requests/{created['id']}/answer", {}).status_code == 403


def test_req24_a_requester_known_by_mobile_number_confirms_and_is_answered_by_sms(
    clinic, owner, make_person
):
    """REQ-24: proof of control of the mobile number on record, by a one-time SMS link;
    the answer link follows by SMS too. The page answers the same for unknown numbers."""
    person = make_person(owner, first_name="Nils", last_name="Ode", phone="070-174 06 42")
    assert not person.email
    visitor = Client()
    unknown = visitor.post(
        f"/{clinic.slug}/privacy/request", {"contact": "070-174 06 43", "kind": "access"}
    )
    known = visitor.post(
        f"/{clinic.slug}/privacy/request", {"contact": "+46 70 174 06 42", "kind": "access"}
    )
    assert unknown.status_code == known.status_code == 200
    request = DataSubjectRequest.objects.get(person=person)
    sms = OutboxMessage.objects.get(related_type="privacy_request")
    assert sms.channel == "sms" and sms.to_address == "+46701740642"
    verify = re.search(r"https?://\S+/privacy/verify/\S+", sms.body).group(0)
    assert visitor.get("/" + verify.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    request_answer(actor=owner, request_id=request.pk)
    answer = OutboxMessage.objects.filter(related_type="privacy_request").latest("pk")
    assert answer.channel == "sms" and "/privacy/answer/" in answer.body
    bad = visitor.post(f"/{clinic.slug}/privacy/request", {"contact": "hello", "kind": "access"})
    assert bad.status_code == 422 and b"hello" in bad.content  # kept, with the error


def test_req24_the_extension_and_its_reason_are_sent_to_the_requester(clinic, greta, owner):
    """REQ-24 (Art. 12(3)): an extension is told to the requester with its reason."""
    from praksis.privacy.requests import request_extend

    request = request_create(actor=owner, person_id=greta.pk, kind="access")
    request_extend(actor=owner, request_id=request.pk, months=2, reason="Journal i arkiv hos IVO.")
    request.refresh_from_db()
    message = OutboxMessage.objects.get(related_type="privacy_request")
    assert message.to_address == "greta@example.com"
    assert "Journal i arkiv hos IVO." in message.body
    assert request.extended_to.isoformat() in message.body
