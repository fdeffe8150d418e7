"""Staff read a message as its recipient got it: subject, text (escaped, links without
their secret), attachment by name, status; the recipient masked as on the list. The owner
reads every message, other staff those about a person (all three roles may read people);
another clinic's message is 404 and nothing is logged. Reading one is logged against the
person it was about (REQ-19)."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.messaging.models import OutboxMessage, Status
from praksis.messaging.selectors import hide_link_secrets
from praksis.messaging.services import deliver_due

TOKEN = "Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm_-12345"
BODY = (
    "Hej Greta,\nvälkommen den 5 januari kl. 10.00 <b>i</b> Lund.\n"
    f"Avboka eller flytta: https://praksis.example.org/test-optik/booking/{TOKEN}/\n"
)


@pytest.fixture
def login(make_staff):
    def login(clinic, role):
        client = Client()
        client.force_login(make_staff(clinic, role))
        return client

    return login


@pytest.fixture
def person(owner, make_person):
    return make_person(owner, first_name="Greta", last_name="Wikander")


@pytest.fixture
def about_greta(enqueue, person):
    return enqueue(person=person, body=BODY)


@pytest.fixture
def about_nobody(enqueue):
    return enqueue(to="anna.holm@example.com", kind="request", subject="Vi har fått din förfrågan")


def _reads(message) -> int:
    return AccessLogEntry.objects.filter(
        object_type="outbox_message", object_id=str(message.pk), action="read"
    ).count()


def test_the_owner_reads_the_message_as_it_was_sent(clinic, about_greta, person, login):
    response = login(clinic, "owner").get(f"/staff/messages/{about_greta.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Din bokning är bekräftad" in page
    assert "välkommen den 5 januari kl. 10.00 &lt;b&gt;i&lt;/b&gt; Lund." in page  # text, escaped
    assert "g***@example.com" in page and "greta.wikander" not in page
    assert TOKEN not in page  # the client's link is the client's
    assert "https://praksis.example.org/test-optik/booking/\u2026/" in page
    log = AccessLogEntry.objects.get(object_type="outbox_message", action="read")
    assert log.person_id == person.pk and log.object_id == str(about_greta.pk)


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_other_staff_read_messages_about_a_person_only(
    clinic, about_greta, about_nobody, login, role
):
    client = login(clinic, role)
    assert client.get(f"/staff/messages/{about_greta.pk}/").status_code == 200
    assert client.get(f"/staff/messages/{about_nobody.pk}/").status_code == 403
    assert _reads(about_nobody) == 0


def test_the_owner_reads_a_message_about_nobody_in_particular(clinic, about_nobody, login):
    page = login(clinic, "owner").get(f"/staff/messages/{about_nobody.pk}/").content.decode()
    assert "Vi har fått din förfrågan" in page and "a***@example.com" in page
    assert _reads(about_nobody) == 1


@pytest.mark.parametrize("role", ["owner", "practitioner", "receptionist"])
def test_another_clinics_message_is_not_found_and_nothing_is_logged(
    other_clinic, about_greta, login, role
):
    before = AccessLogEntry.objects.count()
    response = login(other_clinic, role).get(f"/staff/messages/{about_greta.pk}/")
    assert response.status_code == 404
    assert "välkommen" not in response.content.decode()
    assert AccessLogEntry.objects.count() == before


def test_an_id_no_message_can_have_is_not_found(clinic, login):
    client = login(clinic, "owner")
    assert client.get("/staff/messages/99999999999999999999/").status_code == 404
    assert client.get("/staff/messages/0/").status_code == 404


def test_an_sms_is_shown_with_its_text(clinic, enqueue, person, login):
    sms = enqueue(
        channel="sms", to="+46701234567", subject="", body="Test Optik: påminnelse 5/1 10:00.",
        person=person, kind="reminder",
    )  # fmt: skip
    page = login(clinic, "receptionist").get(f"/staff/messages/{sms.pk}/").content.decode()
    assert "Test Optik: påminnelse 5/1 10:00." in page
    assert "***67" in page and "46701234567" not in page


def test_an_attachment_is_named_and_the_page_says_when_it_was_not_kept(
    clinic, enqueue, person, login, smtp_server
):
    report = enqueue(
        person=person,
        attachment=(
            "access-report-7.pdf",
            "application/pdf",
            base64.b64encode(b"%PDF-1.7").decode(),
        ),
    )
    deliver_due()  # sent: the report itself is not kept in the outbox
    assert OutboxMessage.objects.get(pk=report.pk).status == Status.SENT
    page = login(clinic, "owner").get(f"/staff/messages/{report.pk}/").content.decode()
    assert 'id="message-attachment">access-report-7.pdf <span class="hint">' in page


def test_a_message_whose_text_is_gone_says_so(clinic, about_greta, login):
    OutboxMessage.objects.filter(pk=about_greta.pk).update(body="")
    page = login(clinic, "owner").get(f"/staff/messages/{about_greta.pk}/").content.decode()
    assert 'id="message-body-gone"' in page and 'id="message-body"' not in page


def test_the_list_links_each_message_its_reader_may_open(clinic, about_greta, about_nobody, login):
    owner_page = login(clinic, "owner").get("/staff/messages/").content.decode()
    assert f'href="/staff/messages/{about_greta.pk}/"' in owner_page
    assert f'href="/staff/messages/{about_nobody.pk}/"' in owner_page
    desk_page = login(clinic, "receptionist").get("/staff/messages/").content.decode()
    assert f'href="/staff/messages/{about_greta.pk}/"' in desk_page
    assert f'href="/staff/messages/{about_nobody.pk}/"' not in desk_page
    assert "välkommen" not in owner_page  # the list still shows no text


def test_only_our_links_lose_their_secret():
    text = (
        "https://p.example/nordby-tannhelse/privacy/answer/abc-DEF_123/report.pdf "
        "https://p.example/nordby-tannhelse/optout/12-abcdef/ "
        "https://p.example/nordby-tannhelse/privacy?lang=nb "
        "https://elsewhere.example/some/long-path-segment-0123456789/"
    )
    assert hide_link_secrets(text) == (
        "https://p.example/nordby-tannhelse/privacy/answer/\u2026/report.pdf "
        "https://p.example/nordby-tannhelse/optout/\u2026/ "
        "https://p.example/nordby-tannhelse/privacy?lang=nb "
        "https://elsewhere.example/some/long-path-segment-0123456789/"
    )
