"""A patient of the demo dental clinic Nordby Tannhelse asks for a copy of their data on
`/nordby-tannhelse/privacy`, confirms through the link e-mailed to the address on record
(a real SMTP server), the owner answers from the privacy-requests dashboard, and the
patient downloads the PDF report from the answer link, opened with the one-time code sent
by SMS to the mobile number on record (REQ-24, REQ-25, REQ-50)."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from praksis.clinics.access import system_actor
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.people.services import person_create
from praksis.privacy.models import DataSubjectRequest
from praksis.site.demo import DEMO_PASSWORD, seed_demo
from tests.browser.test_staff_search import sign_in
from tests.privacy.answer_helpers import last_code_by_sms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "solveig.aasen@example.com"


@pytest.fixture
def nordby(settings, live_server, smtp_server, tmp_path):
    settings.PRAKSIS_DEMO = True
    settings.PRAKSIS_BASE_URL = live_server.url
    settings.SMS_FILE_PATH = tmp_path / "sms"
    clinic = next(c for c in seed_demo(persons_per_clinic=3) if c.slug == "nordby-tannhelse")
    # The demo's own messages (its confirmations) went out before this client came.
    OutboxMessage.objects.filter(status="pending").update(status="sent", sent_at=timezone.now())
    patient, _duplicates = person_create(
        actor=system_actor(clinic, channel="desk"),
        data={
            "first_name": "Solveig",
            "last_name": "Aasen",
            "birth_date": "1979-05-17",
            "email": EMAIL,
            "phone": "41234567",
        },
    )
    return clinic, patient


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_patient_asks_for_access_and_downloads_the_report(
    page, live_server, nordby, smtp_server, settings
):
    clinic, patient = nordby

    # 1. The patient asks on the clinic's privacy page.
    page.goto(f"/{clinic.slug}/privacy")
    page.locator("#id_contact").fill(EMAIL)
    page.locator("#id_kind").select_option("access")
    page.locator(f"form[action='/{clinic.slug}/privacy/request'] button[type=submit]").click()
    expect(page.locator("p.success[role=status]")).to_be_visible()
    request = DataSubjectRequest.objects.get(person=patient)
    assert request.kind == "access" and request.verified_at is None

    # 2. The confirmation link arrives at the address on record; the patient opens it.
    deliver_due()
    (confirm,) = smtp_server.wait_for(1)
    assert confirm["To"] == EMAIL
    verify = re.search(r"https?://\S+/privacy/verify/\S+", confirm.get_content()).group(0)
    page.goto(_path(verify))
    expect(page.locator("p.success[role=status]")).to_contain_text(
        request.due_date.strftime("%Y-%m-%d")
    )

    # 3. The owner answers from the dashboard with a secure download link.
    sign_in(page, f"owner@{clinic.slug}.test", DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"/staff/"))
    page.goto("/staff/privacy-requests/")
    row = page.locator("#privacy-requests tbody tr", has_text="Aasen")
    expect(row).to_have_count(1)
    row.locator("details.answer summary").click()
    row.locator("details.answer button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/privacy-requests/$"))
    request.refresh_from_db()
    assert request.status == "completed" and request.download_token_hash

    # 4. The answer reaches the patient, who downloads the report.
    deliver_due()
    messages = smtp_server.wait_for(2)
    answer = messages[1]
    assert answer["To"] == EMAIL
    link = re.search(r"https?://\S+/privacy/answer/\S+/", answer.get_content()).group(0)
    page.goto(_path(link))
    page.locator("#send-code button").click()
    expect(page.locator("#code-sent")).to_be_visible()
    deliver_due()
    page.locator("#id_code").fill(last_code_by_sms(settings, "+4741234567"))
    page.locator("#code-form button[type=submit]").click()
    with page.expect_download() as download:
        page.locator("#download-report").click()
    assert download.value.suggested_filename == f"access-report-{request.pk}.pdf"
    with open(download.value.path(), "rb") as pdf:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)
    assert "Aasen" in text and "Datatilsynet" in text
    request.refresh_from_db()
    assert request.downloaded_at is not None
