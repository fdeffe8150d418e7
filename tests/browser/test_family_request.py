"""A family of two shares one e-mail address at the demo dental clinic Nordby Tannhelse.
The son asks for a copy of his data on `/nordby-tannhelse/privacy`; the link sent to the
shared address asks who the request is for (his birth date) instead of taking "the first
person with this address"; the owner answers from the dashboard (a link, never an
attachment); the answer opens with a one-time code sent by SMS to the son's own mobile
number; the report he downloads holds his journal and nothing of his mother's — and no
page he sees and no e-mail that reaches the real SMTP server does either (issue 14;
REQ-24, REQ-25, REQ-50)."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from praksis.clinics.access import Actor, system_actor
from praksis.clinics.models import User
from praksis.journal.services import entry_create
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.people.services import person_create
from praksis.privacy.models import DataSubjectRequest
from praksis.site.demo import DEMO_PASSWORD, seed_demo
from tests.browser.test_staff_search import sign_in
from tests.privacy.answer_helpers import last_code_by_sms, sms_sent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = "familien.nilsen@example.com"
MOTHER_JOURNAL = "Tannkjøttbetennelse regio 36, pusseinstruksjon gitt."
SON_JOURNAL = "Karies 26 distalt, fylling lagt uten komplikasjoner."
# Nothing of the mother may reach the son: her first name, her birth date, her number,
# her journal text.
MOTHER_MARKS = ("Ragnhild", "1980-03-04", "04.03.1980", "41234501", "Tannkjøttbetennelse")


@pytest.fixture
def family(settings, live_server, smtp_server, tmp_path):
    settings.PRAKSIS_DEMO = True
    settings.PRAKSIS_BASE_URL = live_server.url
    settings.SMS_FILE_PATH = tmp_path / "sms"
    clinic = next(c for c in seed_demo(persons_per_clinic=3) if c.slug == "nordby-tannhelse")
    OutboxMessage.objects.filter(status="pending").update(status="sent", sent_at=timezone.now())
    desk = system_actor(clinic, channel="desk")
    people = {}
    for first, born, phone in (
        ("Ragnhild", "1980-03-04", "41234501"),
        ("Emil", "2008-06-10", "41234502"),
    ):
        people[first], _duplicates = person_create(
            actor=desk,
            data={
                "first_name": first, "last_name": "Nilsen", "birth_date": born,
                "email": SHARED, "phone": phone,
            },
        )  # fmt: skip
    dentist = Actor(
        clinic=clinic,
        user=User.objects.get(email=f"practitioner@{clinic.slug}.test"),
        role="practitioner",
        request_id="test",
        channel="ui",
    )
    entry_create(actor=dentist, person_id=people["Ragnhild"].pk, text=MOTHER_JOURNAL, sign=True)
    entry_create(actor=dentist, person_id=people["Emil"].pk, text=SON_JOURNAL, sign=True)
    return clinic, people["Ragnhild"], people["Emil"]


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _nothing_of_the_mother(text: str, where: str) -> None:
    for mark in MOTHER_MARKS:
        assert mark not in text, f"{mark!r} in {where}"


def test_family_member_asks_and_gets_only_their_own_data(
    page, live_server, family, smtp_server, settings
):
    clinic, mother, son = family
    seen: list[tuple[str, str]] = []  # every page the requester saw

    def look(where: str) -> None:
        seen.append((where, page.content()))

    # 1. The son asks on the clinic's privacy page with the family's address.
    page.goto(f"/{clinic.slug}/privacy?lang=en")
    page.locator("#id_contact").fill(SHARED)
    page.locator("#id_kind").select_option("access")
    page.locator(f"form[action='/{clinic.slug}/privacy/request'] button[type=submit]").click()
    expect(page.locator("p.success[role=status]")).to_be_visible()
    look("request sent")
    assert not DataSubjectRequest.objects.filter(person__in=[mother, son]).exists()

    # 2. The link reaches the shared address and asks who the request is for.
    deliver_due()
    (confirm,) = smtp_server.wait_for(1)
    assert confirm["To"] == SHARED
    verify = re.search(r"https?://\S+/privacy/verify/\S+", confirm.get_content()).group(0)
    page.goto(_path(verify))
    expect(page.locator("#identify-form")).to_be_visible()
    look("who is it for")
    page.locator("#id_birth_date").fill("1999-01-01")
    page.locator("#identify-form button[type=submit]").click()
    expect(page.locator("#identify-form .field-error")).to_be_visible()
    expect(page.locator("#id_birth_date")).to_have_value("1999-01-01")  # kept, to correct
    look("wrong birth date")
    page.locator("#id_birth_date").fill("2008-06-10")
    page.locator("#identify-form button[type=submit]").click()
    expect(page.locator("p.success[role=status]")).to_be_visible()
    look("confirmed")
    request = DataSubjectRequest.objects.get(person__in=[mother, son])
    assert request.person == son and request.verified_at is not None

    # 3. The owner answers from the dashboard: a link, with no attachment to choose.
    sign_in(page, f"owner@{clinic.slug}.test", DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"/staff/"))
    page.goto("/staff/privacy-requests/")
    row = page.locator("#privacy-requests tbody tr", has_text="Nilsen")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Emil")
    row.locator("details.answer summary").click()
    expect(row.locator("select[name=delivery]")).to_have_count(0)
    expect(row.locator(".answer-delivery")).to_be_visible()
    row.locator("details.answer button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/privacy-requests/$"))
    page.context.clear_cookies()  # the son's own browser from here

    # 4. The answer e-mail holds only the link; the code comes by SMS to the son's number.
    deliver_due()
    answer_mail = smtp_server.wait_for(2)[1]
    assert answer_mail["To"] == SHARED and not list(answer_mail.iter_attachments())
    body = answer_mail.get_content()
    assert SON_JOURNAL not in body and "Karies" not in body
    link = _path(re.search(r"https?://\S+/privacy/answer/\S+/", body).group(0))
    page.goto(link + "?lang=en")
    expect(page.locator("#answer-code")).to_be_visible()
    expect(page.locator("#download-report")).to_have_count(0)
    look("answer, before the code")
    page.locator("#send-code button").click()
    expect(page.locator("#code-sent")).to_be_visible()
    deliver_due()
    assert [m["to"] for m in sms_sent(settings)] == ["+4741234502"]  # the son's, not hers
    code = last_code_by_sms(settings, "+4741234502")
    page.locator("#id_code").fill("000000" if code != "000000" else "111111")
    page.locator("#code-form button[type=submit]").click()
    expect(page.locator("#err_code")).to_be_visible()
    look("wrong code")
    page.locator("#id_code").fill(code)
    page.locator("#code-form button[type=submit]").click()
    expect(page.locator("#download-report")).to_be_visible()
    look("answer opened")

    # 5. What he downloads is his, and only his.
    with page.expect_download() as download:
        page.locator("#download-report").click()
    with open(download.value.path(), "rb") as pdf:
        report = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)
    assert "Emil" in report and "Karies 26" in report
    _nothing_of_the_mother(report, "the access report")
    with page.expect_download() as download:
        page.locator("#download-json").click()
    with open(download.value.path(), encoding="utf-8") as export:
        data = export.read()
    assert SON_JOURNAL in json.dumps(json.loads(data), ensure_ascii=False)
    _nothing_of_the_mother(data, "the export")

    for where, html in seen:
        _nothing_of_the_mother(html, f"the page: {where}")
    for mail in smtp_server.messages:
        _nothing_of_the_mother(mail.as_string(), f"the e-mail {mail['Subject']!r}")
    for sms in sms_sent(settings):
        _nothing_of_the_mother(sms["message"], "the SMS")
