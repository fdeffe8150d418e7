"""The public privacy notice is generated from the record of processing and the processor
register (REQ-30), names the authorities (REQ-45, REQ-46, REQ-47), is versioned, and a
material change reaches the clients by e-mail (seed 004)."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext as _

from praksis.clinics.access import system_actor
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.people.models import Person
from praksis.privacy.models import Consent, PrivacyNotice, Purpose
from praksis.privacy.retention import policy_for
from praksis.privacy.services import notice_current
from praksis.processing.models import NoticeText, ProcessingActivity, Processor, localized
from praksis.processing.services import (
    activity_save,
    notice_announce,
    notice_publish,
    processor_save,
)


def _page(clinic, **query) -> str:
    response = Client().get(f"/{clinic.slug}/privacy", query)
    assert response.status_code == 200
    return response.content.decode()


def _purposes(page: str) -> list[str]:
    return [
        html.unescape(m)
        for m in re.findall(r'<section class="purpose"[^>]*>\s*<h3>(.*?)</h3>', page)
    ]


def _processors(page: str) -> list[str]:
    return [
        html.unescape(m) for m in re.findall(r'<li class="processor"><strong>(.*?)</strong>', page)
    ]


def _retention(page: str) -> list[str]:
    return [
        html.unescape(m)
        for m in re.findall(r'<span class="retention" data-record-type="[^"]*">(.*?)</span>', page)
    ]


def _expected(clinic, language: str):
    activities = list(
        ProcessingActivity.objects.filter(clinic=clinic, is_active=True).order_by("order", "pk")
    )
    with translation.override(language):
        retention = [
            policy_for(clinic, key).describe(public=True)
            for a in activities
            for key in a.retention_keys
        ]
    names = [localized(a.name, language) for a in activities]
    processors = list(
        Processor.objects.filter(clinic=clinic, is_active=True)
        .order_by("name", "pk")
        .values_list("name", flat=True)
    )
    return names, processors, retention


def _acknowledge(clinic, person, version: int = 1) -> None:
    Consent.objects.create(
        clinic=clinic,
        person=person,
        purpose=Purpose.PRIVACY_NOTICE,
        channel="online",
        text_version=f"notice-v{version}",
        text_shown="I have read the privacy notice.",
    )


def test_req30_each_demo_clinic_notice_says_exactly_what_its_record_says(demo):
    """REQ-30: purposes, processors and retention texts of the notice are those of the record
    (retention as the retention engine describes it), in the clinic's own language."""
    assert set(demo) == {"lund-optik", "alva-terapi", "fjord-dyreklinikk", "nordby-tannhelse"}
    for clinic in demo.values():
        page = _page(clinic)
        names, processors, retention = _expected(clinic, clinic.language)
        assert names and processors and retention
        assert _purposes(page) == names, clinic.slug
        assert _processors(page) == processors, clinic.slug
        assert _retention(page) == retention, clinic.slug
        # The version shown is the version consents refer to.
        assert f"{notice_current(clinic=clinic).version}" in re.search(
            r'id="notice-version">(.*?)</p>', page
        ).group(1)

    # Each profile has the purposes its seed needs, and only those.
    keys = {
        slug: set(ProcessingActivity.objects.filter(clinic=clinic).values_list("key", flat=True))
        for slug, clinic in demo.items()
    }
    assert {"booking", "journal", "orders", "recall", "marketing", "statistics"} == keys[
        "lund-optik"
    ]
    assert {"leads", "photos"} <= keys["alva-terapi"] and "recall" not in keys["alva-terapi"]
    assert (
        "inquiries" in keys["fjord-dyreklinikk"] and "applicants" not in keys["fjord-dyreklinikk"]
    )
    assert {"booking_requests", "applicants", "inquiries"} <= keys["nordby-tannhelse"]
    journal = ProcessingActivity.objects.get(clinic=demo["nordby-tannhelse"], key="journal")
    assert journal.special_basis == "h" and journal.legal_bases == ["c"]  # REQ-33
    vet = ProcessingActivity.objects.get(clinic=demo["fjord-dyreklinikk"], key="journal")
    assert vet.special_basis == ""  # owner data is normal personal data (REQ-33)
    # The seeds' real company names never appear in the demo register.
    names = " ".join(Processor.objects.values_list("name", flat=True)).lower()
    for real in ("vetserve", "opus", "pro isp", "medic-it", "benify", "saga", "alloptik"):
        assert real not in names


def test_req45_req46_req47_authorities_languages_and_cookies(demo):
    """REQ-45: IMY (SE) / Datatilsynet (NO); REQ-46: IVO / Statsforvalteren for human health
    care; REQ-47: Mattilsynet for a Norwegian vet. ``?lang=nb`` renders Norwegian labels;
    the cookie categories (REQ-44) and the request form are on the page."""
    expected = {
        "lund-optik": [
            "Integritetsskyddsmyndigheten (IMY)",
            "Inspektionen för vård och omsorg (IVO)",
        ],
        "alva-terapi": ["Integritetsskyddsmyndigheten (IMY)"],
        "fjord-dyreklinikk": ["Datatilsynet", "Mattilsynet"],
        "nordby-tannhelse": ["Datatilsynet", "Statsforvalteren"],
    }
    for slug, names in expected.items():
        page = _page(demo[slug])
        found = re.findall(r'<li class="authority"><strong>(.*?)</strong>', page)
        assert found == names, slug
    assert "Personvernnemnda" in _page(demo["nordby-tannhelse"], lang="en")
    _lang_nb_renders_norwegian_labels(demo)
    _cookie_categories_and_request_form_are_on_the_page(demo)


def test_req47_swedish_vets_name_jordbruksverket(make_clinic):
    clinic = make_clinic("vet", slug="test-djur", country="SE", regime="SE-vet", language="sv")
    page = _page(clinic)
    assert "Jordbruksverket" in page and "Ansvarsnämnden för djurens hälso- och sjukvård" in page
    assert "Integritetsskyddsmyndigheten (IMY)" in page and "Mattilsynet" not in page


def _lang_nb_renders_norwegian_labels(demo):
    clinic = demo["lund-optik"]  # a Swedish clinic, read in Norwegian
    page = _page(clinic, lang="nb")
    names, _processors_nb, retention = _expected(clinic, "nb")
    assert _purposes(page) == names and "Timebestilling" in names
    assert _retention(page) == retention
    with translation.override("nb"):
        for label in (
            _("How we handle your personal data"),
            _("What we collect and why"),
            _("Processors and where your data is stored"),
            _("Where to complain"),
            _("Send the request"),
        ):
            assert html.escape(label) in page or label in page
    assert 'lang="nb"' in page
    # Unknown languages fall back to the clinic's.
    assert _purposes(_page(clinic, lang="xx")) == _expected(clinic, "sv")[0]


def _cookie_categories_and_request_form_are_on_the_page(demo):
    clinic = demo["nordby-tannhelse"]
    page = _page(clinic, lang="en")
    assert "Strictly necessary" in page and "Statistics" in page and "Marketing" in page
    assert f'href="/{clinic.slug}/cookies?lang=en"' in page
    assert f'action="/{clinic.slug}/privacy/request"' in page
    assert 'name="contact"' in page and 'name="kind"' in page and 'name="details"' in page
    assert "<script" not in page  # no JavaScript, no third-party requests
    assert not re.search(r'<(img|link|iframe)[^>]+src="https?://', page)


def test_req30_change_publish_new_version_old_readable_and_clients_emailed(demo, smtp_server):
    """REQ-30: changing the record and publishing a material change makes a new notice
    version; the old one stays readable; clients who accepted the notice are e-mailed once,
    in the clinic's language, through the outbox and a real SMTP server."""
    clinic = demo["nordby-tannhelse"]
    owner = system_actor(clinic)
    before = notice_current(clinic=clinic)
    old_page = _page(clinic)
    people = list(Person.objects.filter(clinic=clinic).order_by("pk"))
    told, no_ack, restricted = people[0], people[1], people[2]
    for person in (told, restricted):
        _acknowledge(clinic, person)
    Person.objects.filter(pk__in=[told.pk, no_ack.pk, restricted.pk]).update(email="x@example.com")
    Person.objects.filter(pk=told.pk).update(email="told@example.com")
    Person.objects.filter(pk=restricted.pk).update(restricted_at=before.published_at)
    OutboxMessage.objects.filter(clinic=clinic).delete()

    processor_save(
        actor=owner,
        data={
            "name": "Skyarkiv Backup AS",
            "service": "backup",
            "country": "NO",
            "location": "Stavanger",
            "dpa_signed_on": "2025-03-01",
        },
    )
    statistics = ProcessingActivity.objects.get(clinic=clinic, key="statistics")
    activity_save(
        actor=owner,
        activity_id=statistics.pk,
        data={**_data(statistics), "is_active": False},
    )
    result = notice_publish(actor=owner, summary="Ny leverandør av sikkerhetskopi.", material=True)

    assert result.created and result.notice.version == before.version + 1
    assert notice_current(clinic=clinic) == result.notice
    new_page = _page(clinic)
    assert "Skyarkiv Backup AS" in _processors(new_page)
    assert localized(statistics.name, "nb") not in _purposes(new_page)
    assert _purposes(new_page) == _expected(clinic, "nb")[0]
    # The old version is still readable, as it was.
    old_again = _page(clinic, version=before.version)
    assert _purposes(old_again) == _purposes(old_page)
    assert "Skyarkiv Backup AS" not in old_again
    assert "Skyarkiv Backup AS" not in _processors(old_page)
    assert Client().get(f"/{clinic.slug}/privacy", {"version": 99}).status_code == 404
    assert Client().get(f"/{clinic.slug}/privacy", {"version": "x"}).status_code == 404

    messages = OutboxMessage.objects.filter(clinic=clinic, kind="notice")
    assert list(messages.values_list("to_address", flat=True)) == ["told@example.com"]
    assert result.queued == 1
    deliver_due(batch_size=100)  # the demo's own messages (confirmations) go out too
    (mail,) = [m for m in smtp_server.wait_for(1) if m["To"] == "told@example.com"]
    body = mail.get_content()
    assert "Ny leverandør av sikkerhetskopi." in body
    assert f"/{clinic.slug}/privacy?version={result.notice.version}&lang=nb" in body
    with translation.override("nb"):
        assert _("We have updated our privacy notice") in mail["Subject"]

    # Telling the clients again sends nothing twice (idempotent per version).
    assert notice_announce(actor=owner, version=result.notice.version) == 0
    assert messages.count() == 1
    # Publishing an unchanged record makes no new version.
    again = notice_publish(actor=owner, summary="Igjen", material=True)
    assert not again.created and again.notice == result.notice


def test_a_non_material_change_emails_nobody(clinic, owner, make_person, smtp_server):
    for i in range(3):
        _acknowledge(clinic, make_person(owner, email=f"kund{i}@example.com"))
    processor = processor_save(
        actor=owner, data={"name": "Sms-Budet AB", "service": "sms", "country": "SE"}
    )
    first = notice_publish(actor=owner, summary="Sms-leverantör.")
    processor_save(
        actor=owner,
        processor_id=processor.pk,
        data={**_processor_data(processor), "location": "Lund"},
    )
    result = notice_publish(actor=owner, summary="Ny ort för sms-leverantören.")
    assert first.created and result.created and result.queued == 0
    assert result.notice.version == first.notice.version + 1 == 3
    assert "(Lund)" in _page(clinic)
    assert "(Lund)" not in _page(clinic, version=2)
    assert not OutboxMessage.objects.filter(clinic=clinic, kind="notice").exists()
    deliver_due()
    assert smtp_server.messages == []
    text = NoticeText.objects.get(notice=result.notice)
    assert not text.material and text.announced_at is None


def test_a_material_change_needs_a_summary(clinic):
    from praksis.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        notice_publish(actor=system_actor(clinic), material=True)
    assert "summary" in exc.value.errors
    assert PrivacyNotice.objects.filter(clinic=clinic).count() == 1


def test_announcing_works_in_batches_without_a_query_per_lookup(clinic, owner, make_person):
    """Large clinics: the recipients are read in batches; per new recipient only the outbox
    row itself is written (no per-person lookups of consents or messages)."""
    people = [make_person(owner, email=f"p{i}@example.com") for i in range(12)]
    for person in people:
        _acknowledge(clinic, person)
    processor_save(actor=owner, data={"name": "Moln AB", "service": "hosting", "country": "SE"})
    result = notice_publish(actor=owner, summary="Ny driftsleverantör.", material=True)
    assert OutboxMessage.objects.filter(clinic=clinic, kind="notice").count() == 12
    OutboxMessage.objects.filter(clinic=clinic, kind="notice").delete()

    with CaptureQueriesContext(connection) as five:
        assert notice_announce(actor=owner, version=result.notice.version, batch_size=5) == 12
    OutboxMessage.objects.filter(clinic=clinic, kind="notice").delete()
    with CaptureQueriesContext(connection) as twelve:
        assert notice_announce(actor=owner, version=result.notice.version, batch_size=12) == 12
    # Same messages, fewer batches: the difference is only the per-batch fixed cost.
    per_batch = (len(five) - len(twelve)) / 2
    assert 0 < per_batch <= 12
    assert OutboxMessage.objects.filter(clinic=clinic, kind="notice").count() == 12


def _data(activity) -> dict:
    return {
        **{f: getattr(activity, f) for f in ("name", "purpose", "data_subjects")},
        **{f: getattr(activity, f) for f in ("data_categories", "recipients", "basis_detail")},
        **{f: getattr(activity, f) for f in ("retention_note", "security")},
        "legal_bases": activity.legal_bases,
        "special_basis": activity.special_basis,
        "retention_keys": activity.retention_keys,
        "processors": [str(pk) for pk in activity.processors.values_list("pk", flat=True)],
        "order": activity.order,
        "is_active": activity.is_active,
    }


def _processor_data(processor) -> dict:
    fields = ("name", "service", "country", "location", "sub_processors", "third_countries")
    data = {f: getattr(processor, f) for f in (*fields, "transfer_basis", "contact")}
    data["dpa_signed_on"] = processor.dpa_signed_on
    return data


def test_req30_a_published_version_cannot_be_rewritten_or_deleted(clinic):
    """REQ-30: every published version is kept as it was — the database refuses changing
    its text or deleting it (raw SQL, as someone bypassing the application would), while
    the note that clients were told may still be written."""
    from django.db import IntegrityError, InternalError, transaction
    from django.db.utils import DatabaseError

    text = NoticeText.objects.filter(clinic=clinic).order_by("-pk").first()
    assert text is not None
    table = NoticeText._meta.db_table
    refused = (IntegrityError, InternalError, DatabaseError)
    for sql in (
        f"UPDATE {table} SET digest = 'forged' WHERE id = %s",
        f"UPDATE {table} SET content = '{{}}' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(refused), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [text.pk])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET announced_count = 7 WHERE id = %s", [text.pk])
    text.refresh_from_db()
    assert text.announced_count == 7 and text.digest != "forged"
