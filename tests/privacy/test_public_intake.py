"""A public data-subject request belongs to one person, never to "the first person with
this e-mail address" (issue 14; REQ-24, REQ-50; "knowing an e-mail grants nothing beyond
what it was issued for").

A family sharing one address: the link sent to the address asks for the birth date (or
the identity number, where the clinic keeps them) and only a single match becomes that
person's request. A contact that matches nobody is recorded without releasing anything,
the requester is told how to go on in their language, and the owner links it to a person
after identification at the desk or closes it. The public page says the same in every
case.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.privacy.models import DataSubjectRequest, UnmatchedRequest
from praksis.privacy.retention import sweep_rule

pytestmark = pytest.mark.django_db

SHARED = "familjen.berg@example.com"


@pytest.fixture
def family(clinic, owner, make_person):
    anna = make_person(
        owner, first_name="Anna", last_name="Berg", email=SHARED, phone="070-111 11 11",
        identity_number="198501152386",
    )  # fmt: skip
    olle = make_person(
        owner, first_name="Olle", last_name="Berg", email="Familjen.Berg@example.com",
        phone="070-222 22 22", identity_number="201204022394",
    )  # fmt: skip
    return anna, olle


def _page(response) -> str:
    """The page without its per-response CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def _ask(visitor, clinic, contact: str, lang: str = "en", kind: str = "access"):
    return visitor.post(
        f"/{clinic.slug}/privacy/request", {"contact": contact, "kind": kind, "lang": lang}
    )


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _verify_link(message: OutboxMessage) -> str:
    return _path(re.search(r"https?://\S+/privacy/verify/\S+/", message.body).group(0))


def test_req24_the_page_never_says_whether_or_how_many_people_match(
    clinic, owner, family, make_person
):
    make_person(owner, first_name="Siv", last_name="Ek", email="siv@example.com")
    visitor = Client()
    shared = _page(_ask(visitor, clinic, SHARED))
    single = _page(_ask(visitor, clinic, "siv@example.com"))
    unknown = _page(_ask(visitor, clinic, "nobody@example.com"))
    unknown_phone = _page(_ask(visitor, clinic, "070-999 99 99"))
    assert shared == single == unknown == unknown_phone
    for name in ("Anna", "Olle", "Berg", "Siv"):
        assert name not in shared
    assert "desk" in shared  # how to go on when no link arrives
    # The messages to the shared and to the single address read alike: a link to confirm.
    to_shared = OutboxMessage.objects.get(to_address=SHARED)
    to_single = OutboxMessage.objects.get(to_address="siv@example.com")
    assert to_shared.subject == to_single.subject
    assert re.sub(r"/verify/\S+", "", to_shared.body) == re.sub(r"/verify/\S+", "", to_single.body)
    assert "Anna" not in to_shared.body and "Olle" not in to_shared.body


def test_req24_a_family_sharing_an_address_tells_apart_by_birth_date(clinic, owner, family):
    """The request is for Olle only: the link to the shared address asks who it is for;
    a wrong birth date is refused (what was typed kept), Olle's makes it Olle's request."""
    anna, olle = family
    visitor = Client()
    _ask(visitor, clinic, "FAMILJEN.berg@example.com")
    assert not DataSubjectRequest.objects.exists()  # not "the first person" with it
    unmatched = UnmatchedRequest.objects.get()
    assert unmatched.reason == "several" and unmatched.contact == "FAMILJEN.berg@example.com"
    link = _verify_link(OutboxMessage.objects.get(related_type="unmatched_request"))
    page = visitor.get(link + "?lang=en")
    text = page.content.decode()
    assert page.status_code == 200 and 'name="birth_date"' in text
    assert "Anna" not in text and "Olle" not in text and "1985" not in text
    wrong = visitor.post(link, {"birth_date": "1990-01-01", "lang": "en"})
    assert wrong.status_code == 422 and 'value="1990-01-01"' in wrong.content.decode()
    assert not DataSubjectRequest.objects.exists()
    done = visitor.post(link, {"birth_date": "2012-04-02", "lang": "en"})
    assert done.status_code == 200 and 'role="status"' in done.content.decode()
    request = DataSubjectRequest.objects.get()
    assert request.person == olle and request.verified_at is not None
    assert request.received_at == unmatched.received_at and request.due_date == unmatched.due_date
    assert not UnmatchedRequest.objects.exists()
    assert visitor.get(link).status_code == 404  # the link did its work
    assert AccessLogEntry.objects.filter(
        clinic=clinic, person_id=olle.pk, object_type="privacy_request", action="create"
    ).exists()
    assert (
        not AccessLogEntry.objects.filter(clinic=clinic, person_id=anna.pk)
        .exclude(action="create", object_type="person")
        .exists()
    )  # nothing of Anna was read


def test_req24_five_wrong_birth_dates_end_the_link_and_send_to_the_desk(clinic, family):
    visitor = Client()
    _ask(visitor, clinic, SHARED)
    link = _verify_link(OutboxMessage.objects.get(related_type="unmatched_request"))
    for _attempt in range(4):
        assert visitor.post(link, {"birth_date": "1990-01-01"}).status_code == 422
    desk = visitor.post(link, {"birth_date": "1990-01-01", "lang": "en"})
    assert desk.status_code == 409 and "desk" in desk.content.decode()
    assert visitor.post(link, {"birth_date": "2012-04-02"}).status_code == 404
    assert not DataSubjectRequest.objects.exists()
    assert UnmatchedRequest.objects.get().closed_at is None  # still the owner's to resolve


def test_req24_twins_are_told_apart_by_identity_number(clinic, owner, make_person):
    """Same address, same birth date: where the clinic keeps identity numbers, the number
    tells them apart."""
    make_person(
        owner, first_name="Ida", last_name="Holm", email=SHARED, identity_number="201503152389"
    )
    tove = make_person(
        owner, first_name="Tove", last_name="Holm", email=SHARED, identity_number="201503152397"
    )
    visitor = Client()
    _ask(visitor, clinic, SHARED)
    link = _verify_link(OutboxMessage.objects.get(related_type="unmatched_request"))
    ask = visitor.post(link, {"birth_date": "2015-03-15", "lang": "en"})
    assert ask.status_code == 422 and "identity number" in ask.content.decode()
    assert "Ida" not in ask.content.decode() and "Tove" not in ask.content.decode()
    done = visitor.post(link, {"birth_date": "2015-03-15", "identity_number": "20150315-2397"})
    assert done.status_code == 200
    assert DataSubjectRequest.objects.get().person == tove


def test_req24_twins_at_a_birth_date_only_clinic_go_to_the_desk(
    make_clinic, make_actor, make_person
):
    clinic = make_clinic("therapy")
    owner = make_actor(clinic, "owner")
    for first in ("Ida", "Tove"):
        make_person(
            owner, first_name=first, last_name="Holm", email=SHARED, birth_date="2015-03-15"
        )
    visitor = Client()
    _ask(visitor, clinic, SHARED)
    link = _verify_link(OutboxMessage.objects.get(related_type="unmatched_request"))
    page = visitor.get(link).content.decode()
    assert 'name="identity_number"' not in page  # the clinic keeps no identity numbers
    desk = visitor.post(link, {"birth_date": "2015-03-15", "lang": "en"})
    assert desk.status_code == 409 and "desk" in desk.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_unknown_contact_is_recorded_and_told_how_to_go_on_in_its_language(
    clinic, smtp_server, settings, tmp_path
):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    visitor = Client()
    _ask(visitor, clinic, "stranger@example.com", lang="en", kind="erasure")
    _ask(visitor, clinic, "stranger@example.com", lang="en", kind="access")  # same day
    _ask(visitor, clinic, "070-999 99 99", lang="nb")
    rows = list(UnmatchedRequest.objects.order_by("pk"))
    assert [(r.reason, r.kind, r.language) for r in rows] == [
        ("unknown", "erasure", "en"), ("unknown", "access", "en"), ("unknown", "access", "nb"),
    ]  # fmt: skip
    assert rows[2].contact == "+46709999999" and rows[2].contact_channel == "sms"
    assert all(r.due_date for r in rows) and not DataSubjectRequest.objects.exists()
    deliver_due()
    (mail,) = smtp_server.wait_for(1)  # once a day to an address; never an SMS to a stranger
    assert mail["To"] == "stranger@example.com"
    body = mail.get_content()
    assert "identification" in body and "desk" in body and "nothing has been released" in body
    assert not (tmp_path / "sms" / "outbox.jsonl").exists()
    assert (
        AccessLogEntry.objects.filter(
            clinic=clinic, object_type="unmatched_request", action="create"
        ).count()
        == 3
    )


def test_owner_links_an_unmatched_request_after_the_desk_or_closes_it(
    clinic, owner, family, make_staff, other_clinic, make_person
):
    anna, _olle = family
    visitor = Client()
    _ask(visitor, clinic, "anna.work@example.com", kind="access")
    _ask(visitor, clinic, "nobody@example.com", kind="erasure")
    first, second = UnmatchedRequest.objects.order_by("pk")
    ui = Client()
    ui.force_login(make_staff(clinic, "owner", email="boss@example.com"))
    dashboard = ui.get("/staff/privacy-requests/").content.decode()
    assert "anna.work@example.com" in dashboard and f"/unmatched/{first.pk}/" in dashboard
    url = f"/staff/privacy-requests/unmatched/{first.pk}/"
    page = ui.get(url).content.decode()
    assert "anna.work@example.com" in page and 'name="person_q"' in page
    # Typing a name offers the matches; choosing one links the request to that person.
    search = ui.post(url, {"action": "link", "person_q": "Anna Berg"})
    assert search.status_code == 422 and f'value="{anna.pk}"' in search.content.decode()
    linked = ui.post(url, {"action": "link", "person": anna.pk})
    assert linked.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert request.person == anna and request.verified_at and request.channel == "online"
    assert request.received_at == first.received_at
    assert not UnmatchedRequest.objects.filter(pk=first.pk).exists()
    # Closing says how; without it the form is shown again.
    url = f"/staff/privacy-requests/unmatched/{second.pk}/"
    assert ui.post(url, {"action": "close", "note": " "}).status_code == 422
    assert (
        ui.post(url, {"action": "close", "note": "Not a client; told by e-mail."}).status_code
        == 302
    )
    second.refresh_from_db()
    assert second.closed_at and second.close_note == "Not a client; told by e-mail."
    assert "nobody@example.com" not in ui.get("/staff/privacy-requests/").content.decode()
    # Others: a receptionist may not, another clinic's owner finds nothing; nothing changes.
    desk = Client()
    desk.force_login(make_staff(clinic, "receptionist", email="desk@example.com"))
    assert "unmatched-requests" not in desk.get("/staff/privacy-requests/").content.decode()
    assert desk.get(url).status_code == 403
    stranger = Client()
    stranger.force_login(make_staff(other_clinic, "owner", email="other@example.com"))
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"action": "close", "note": "x"}).status_code == 404
    assert (
        AccessLogEntry.objects.filter(
            clinic=clinic, object_type="unmatched_request", detail="closed"
        ).count()
        == 1
    )


def test_req11_a_closed_unmatched_request_goes_after_its_retention_period(clinic, owner):
    from praksis.privacy.intake import request_public_create, unmatched_close

    closed = request_public_create(clinic=clinic, contact="old@example.com", kind="access")
    unmatched_close(actor=owner, unmatched_id=closed.pk, note="Not a client.")
    still_open = request_public_create(clinic=clinic, contact="new@example.com", kind="access")
    UnmatchedRequest.objects.filter(pk__in=[closed.pk, still_open.pk]).update(
        received_at=timezone.now() - timedelta(days=800)
    )
    UnmatchedRequest.objects.filter(pk=closed.pk).update(
        closed_at=timezone.now() - timedelta(days=370)
    )
    assert sweep_rule("unmatched-privacy-requests") == 1
    assert list(UnmatchedRequest.objects.values_list("pk", flat=True)) == [still_open.pk]
