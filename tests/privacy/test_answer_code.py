"""REQ-50: a journal copy never travels as plain e-mail, and an open link is not enough.

The answer link (e-mailed to the address on record) opens a copy of the person's data
only with a one-time code sent to the *other* contact on record (SMS when the link went
by e-mail, e-mail when it went by SMS); a person with one contact only is asked to collect
it at the desk. Codes are short-lived, stored hashed, and five wrong ones lock the link;
the link dies 14 days after its first download. E-mail goes to a real SMTP server
(tests/smtp.py), SMS through the file backend.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from praksis.audit.models import AccessLogEntry
from praksis.journal.services import entry_create
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.privacy.answer_links import CODE_RELATED
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import request_answer, request_create
from tests.privacy.answer_helpers import (
    answer_link,
    code_in,
    last_code_by_sms,
    open_answer,
    sms_sent,
)

pytestmark = pytest.mark.django_db

PHONE = "+46701740611"
JOURNAL = "Synfel höger öga, misstänkt grå starr."


@pytest.fixture
def sms_dir(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return settings


@pytest.fixture
def greta(clinic, make_actor, make_person):
    doctor = make_actor(clinic, "practitioner")
    person = make_person(
        doctor, first_name="Greta", last_name="Wikander", email="greta@example.com",
        phone="070-174 06 11",
    )  # fmt: skip
    entry_create(actor=doctor, person_id=person.pk, text=JOURNAL, sign=True)
    return person


def _answered(owner, person, kind="access") -> DataSubjectRequest:
    request = request_create(actor=owner, person_id=person.pk, kind=kind)
    return request_answer(actor=owner, request_id=request.pk, answer="Här är dina uppgifter.")


def _logged(clinic, person, detail: str) -> bool:
    return AccessLogEntry.objects.filter(
        clinic=clinic, person_id=person.pk, object_type="privacy_request", detail=detail
    ).exists()


def test_req50_the_e_mail_holds_only_the_link_and_the_code_comes_by_sms(
    clinic, greta, owner, smtp_server, sms_dir
):
    """REQ-50: the e-mail carries the link and nothing of the data (no attachment, no
    journal text); the page asks for a code; the code arrives by SMS to the mobile number
    on record; a wrong code fails; the right one opens the answer and the download."""
    request = _answered(owner, greta)
    deliver_due()
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "greta@example.com"
    assert not list(mail.iter_attachments()) and not mail.is_multipart()
    body = mail.get_content()
    assert "Synfel" not in body and "Här är dina uppgifter" not in body
    assert "SMS" in body  # it says where the code will come from
    link = answer_link(body)

    visitor = Client()
    page = visitor.get(link + "?lang=en")
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert 'id="send-code"' in text and "one-time code" in text
    assert "Här är dina uppgifter" not in text and "download-report" not in text
    # The downloads are not released to a browser that has not given the code.
    for what in ("report.pdf", "export.json", "export.csv"):
        refused = visitor.get(link + what)
        assert refused.status_code == 302 and refused["Location"].startswith(link)
    assert _logged(clinic, greta, "answer download refused: not opened (export.json)")

    assert visitor.post(link, {"action": "send", "lang": "en"}).status_code == 302
    assert sms_sent(sms_dir) == []  # through the outbox, on commit, by the worker
    deliver_due()
    (sms,) = sms_sent(sms_dir)
    assert sms["to"] == PHONE and "Synfel" not in sms["message"]
    code = code_in(sms["message"])
    assert len(smtp_server.messages) == 1  # nothing more by e-mail
    stored = DataSubjectRequest.objects.get(pk=request.pk)
    assert code not in stored.answer_code_hash and len(stored.answer_code_hash) == 64
    assert _logged(clinic, greta, "answer code sent by sms")

    wrong = "000000" if code != "000000" else "111111"
    bad = visitor.post(link, {"action": "check", "code": wrong, "lang": "en"})
    assert bad.status_code == 422 and "The code is not right" in bad.content.decode()
    assert visitor.get(link + "export.json").status_code == 302
    assert _logged(clinic, greta, "answer code wrong; 4 tries left")

    opened = visitor.post(link, {"action": "check", "code": code, "lang": "en"})
    assert opened.status_code == 302
    assert _logged(clinic, greta, "answer code right; answer opened")
    text = visitor.get(link + "?lang=en").content.decode()
    assert "Här är dina uppgifter" in text and "download-report" in text
    data = json.loads(visitor.get(link + "export.json").content)
    assert JOURNAL in json.dumps(data, ensure_ascii=False)
    assert AccessLogEntry.objects.filter(
        clinic=clinic, person_id=greta.pk, action="export",
        purpose="access request: downloaded by the person",
    ).exists()  # fmt: skip
    # The code is used: it opens nothing again, and the outbox no longer keeps it.
    assert code not in OutboxMessage.objects.get(related_type=CODE_RELATED).body
    stranger = Client()
    assert stranger.post(link, {"action": "check", "code": code}).status_code == 422
    assert stranger.get(link + "export.json").status_code == 302


def test_req50_five_wrong_codes_lock_the_link_until_the_owner_sends_a_new_one(
    clinic, greta, owner, sms_dir, make_staff
):
    """REQ-50: few attempts: the fifth wrong code locks the link, even for the right code;
    the owner sees it and sends a new link (the old one is dead)."""
    request = _answered(owner, greta)
    link = answer_link(OutboxMessage.objects.get(related_type="privacy_request").body)
    visitor = Client()
    visitor.post(link, {"action": "send"})
    deliver_due()
    code = last_code_by_sms(sms_dir, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(4):
        assert visitor.post(link, {"action": "check", "code": wrong}).status_code == 422
    locked = visitor.post(link, {"action": "check", "code": wrong, "lang": "en"})
    assert locked.status_code == 409 and "locked" in locked.content.decode()
    assert visitor.post(link, {"action": "check", "code": code}).status_code == 409
    assert visitor.post(link, {"action": "send"}).status_code == 409
    assert visitor.get(link + "export.json").status_code == 302
    assert _logged(clinic, greta, "answer code wrong; link locked")
    assert "answer-locked" in visitor.get(link).content.decode()

    ui = Client()
    ui.force_login(make_staff(clinic, "owner", email="boss@example.com"))
    dashboard = ui.get("/staff/privacy-requests/").content.decode()
    assert f"/staff/privacy-requests/{request.pk}/answer/" in dashboard
    assert ui.post(f"/staff/privacy-requests/{request.pk}/answer/", {}).status_code == 302
    assert visitor.get(link).status_code == 404
    fresh = answer_link(
        OutboxMessage.objects.filter(related_type="privacy_request").latest("pk").body
    )
    open_answer(Client(), fresh, sms_dir, phone=PHONE)


def test_req50_a_code_is_short_lived_and_a_new_one_replaces_it(clinic, greta, owner, sms_dir):
    request = _answered(owner, greta)
    link = answer_link(OutboxMessage.objects.get(related_type="privacy_request").body)
    visitor = Client()
    visitor.post(link, {"action": "send"})
    deliver_due()
    first = last_code_by_sms(sms_dir, PHONE)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        answer_code_expires_at=timezone.now() - timedelta(seconds=1)  # ten minutes later
    )
    expired = visitor.post(link, {"action": "check", "code": first, "lang": "en"})
    assert expired.status_code == 422 and "expired" in expired.content.decode()
    visitor.post(link, {"action": "send"})
    deliver_due()
    second = last_code_by_sms(sms_dir, PHONE)
    if second != first:
        assert visitor.post(link, {"action": "check", "code": first}).status_code == 422
    assert visitor.post(link, {"action": "check", "code": second}).status_code == 302
    row = DataSubjectRequest.objects.get(pk=request.pk)
    assert row.answer_code_expires_at is None and row.answer_codes_sent == 2


def test_req50_the_link_dies_14_days_after_the_first_download(clinic, greta, owner, sms_dir):
    request = _answered(owner, greta, kind="portability")
    row = DataSubjectRequest.objects.get(pk=request.pk)
    assert row.download_expires_at - timezone.now() > timedelta(days=29)  # at most 30 days
    link = answer_link(OutboxMessage.objects.get(related_type="privacy_request").body)
    visitor = Client()
    open_answer(visitor, link, sms_dir, phone=PHONE)
    assert visitor.get(link + "export.csv").status_code == 200
    row.refresh_from_db()
    first = row.downloaded_at
    assert row.download_expires_at == first + timedelta(days=14)
    assert visitor.get(link + "export.json").status_code == 200  # again, within the days
    row.refresh_from_db()
    assert row.downloaded_at == first and row.download_expires_at == first + timedelta(days=14)
    # Fourteen days after the first download (the clock moved by moving the dates back).
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        downloaded_at=first - timedelta(days=14, minutes=1),
        download_expires_at=first - timedelta(minutes=1),
    )
    for path in ("", "export.json", "export.csv"):
        assert visitor.get(link + path).status_code == 404
    assert visitor.post(link, {"action": "send"}).status_code == 404


def test_req50_with_one_contact_on_record_nothing_is_released_online(
    clinic, owner, make_person, sms_dir, smtp_server
):
    """REQ-50: only an e-mail address on record: no second channel for a code, so the
    page tells the person to collect the copy at the desk (or with identification) and
    releases nothing."""
    person = make_person(owner, first_name="Ebba", last_name="Ek", email="ebba@example.com")
    entry_create(actor=owner, person_id=person.pk, text=JOURNAL, sign=True)
    _answered(owner, person)
    deliver_due()
    (mail,) = smtp_server.wait_for(1)
    link = answer_link(mail.get_content())
    visitor = Client()
    page = visitor.get(link + "?lang=en").content.decode()
    assert 'id="answer-desk"' in page and "identification" in page
    assert "send-code" not in page and "Här är dina uppgifter" not in page
    assert visitor.post(link, {"action": "send", "lang": "en"}).status_code == 409
    assert visitor.get(link + "report.pdf").status_code == 302
    deliver_due()
    assert sms_sent(sms_dir) == [] and len(smtp_server.messages) == 1
    assert _logged(
        clinic, person, "answer link opened; one contact on record: to be collected at the desk"
    )


def test_req50_a_link_sent_by_sms_takes_its_code_by_e_mail(
    clinic, owner, make_person, sms_dir, smtp_server
):
    """REQ-50: the request came by SMS, so the link goes by SMS and the code by e-mail."""
    person = make_person(
        owner, first_name="Nils", last_name="Ode", phone="070-174 06 42", email="nils@example.com"
    )
    entry_create(actor=owner, person_id=person.pk, text=JOURNAL, sign=True)
    request = request_create(actor=owner, person_id=person.pk, kind="access")
    DataSubjectRequest.objects.filter(pk=request.pk).update(delivery="sms")
    request_answer(actor=owner, request_id=request.pk)
    deliver_due()
    (sms,) = sms_sent(sms_dir)
    assert sms["to"] == "+46701740642" and "Synfel" not in sms["message"]
    link = answer_link(sms["message"])
    visitor = Client()
    assert visitor.post(link, {"action": "send"}).status_code == 302
    deliver_due()
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "nils@example.com" and not list(mail.iter_attachments())
    assert "Synfel" not in mail.get_content()
    code = code_in(mail.get_content())
    assert visitor.post(link, {"action": "check", "code": code}).status_code == 302
    assert visitor.get(link + "export.json").status_code == 200


def test_req50_the_staff_page_and_the_api_offer_no_attachment(
    clinic, greta, owner, make_staff, make_api
):
    request = request_create(actor=owner, person_id=greta.pk, kind="access")
    ui = Client()
    ui.force_login(make_staff(clinic, "owner", email="boss@example.com"))
    page = ui.get("/staff/privacy-requests/").content.decode()
    assert 'value="email"' not in page
    with translation.override(clinic.language):  # the staff page speaks the clinic's language
        told = gettext(
            "The requester gets a link. A copy of their data opens only with a one-time code "
            "sent to their other contact on record (SMS when the link goes by e-mail); health "
            "data is never attached to an e-mail."
        )
    assert escape(told) in page
    bad = ui.post(f"/staff/privacy-requests/{request.pk}/answer/", {"delivery": "email"})
    assert bad.status_code == 302 and "error=" in bad["Location"]
    assert not OutboxMessage.objects.filter(related_type="privacy_request").exists()
    api = make_api(clinic, "owner", scopes="sensitive")
    refused = api.post(f"privacy-requests/{request.pk}/answer", {"delivery": "email"})
    assert refused.status_code == 422 and "delivery" in refused.json()["errors"]


def test_req50_a_text_answer_without_data_opens_without_a_code(clinic, greta, owner, sms_dir):
    """An answer that releases no copy of data (here an objection) is read from the link;
    its first reading starts the link's last 14 days."""
    request = request_create(actor=owner, person_id=greta.pk, kind="objection")
    request_answer(actor=owner, request_id=request.pk, answer="Vi har slutat med utskicken.")
    link = answer_link(OutboxMessage.objects.get(related_type="privacy_request").body)
    page = Client().get(link).content.decode()
    assert "Vi har slutat med utskicken." in page and "send-code" not in page
    row = DataSubjectRequest.objects.get(pk=request.pk)
    assert row.download_expires_at == row.downloaded_at + timedelta(days=14)
    assert Client().get(link + "export.json").status_code == 404
