"""The complete access report and export (issue 12; LAW.md REQ-23, REQ-25, REQ-26).

A person with a record in every model the apps declare (``holdings()``) at three clinics,
one per language: an optician in Swedish (template fields, an image, an amendment), a
veterinary clinic in Norwegian (the animals and their journals) and a therapy clinic in
English (the client card). The report (PDF) and the export (JSON, CSV) must hold every
declared record, show times only as local times (never an ISO "T" time or the UTC hour),
and show codes only as words.

Holdings without a ``section`` are not part of the report by declaration: the data keys
(a wrapped encryption key, no data about the person), legal holds and job applicants.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, timedelta

import pytest
from django.apps import apps
from django.db.models import Q
from django.utils import timezone, translation
from pypdf import PdfReader

from praksis.audit.models import Action
from praksis.booking.models import Resource, SmsReply
from praksis.booking.services import appointment_book, booking_request_create
from praksis.breaches.models import AffectedPerson
from praksis.breaches.services import breach_register
from praksis.clinics.models import Role
from praksis.core.personal_data import holdings
from praksis.disclosures.services import disclosure_record
from praksis.journal.fields import TEMPLATES
from praksis.journal.services import (
    attachment_add,
    client_card_save,
    entry_create,
    entry_sign,
    followup_add,
)
from praksis.people.models import Animal, Person
from praksis.people.services import animal_create, animal_weight_record
from praksis.privacy.requests import access_report_pdf, export_csv, export_json, request_create
from praksis.privacy.services import (
    consent_give,
    consent_give_at_desk,
    consent_withdraw,
    restriction_set,
)
from praksis.recall.services import call_attempt_record, recall_set
from praksis.sales import services as sales
from praksis.sales.models import PortalLead
from tests.conftest import next_local

pytestmark = pytest.mark.django_db

EMAIL = "ingrid.solbakken@example.org"
PHONES = {"SE": "070-123 45 67", "NO": "412 34 567"}
PNG = b"\x89PNG\r\n\x1a\n" + b"report-image" * 4
ISO_T = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LANGUAGES = {"sv": "optician", "nb": "vet", "en": "therapy"}
FIELDS = {
    "optician": {
        "sphere_right": "-1.25",
        "cylinder_right": "-0.50",
        "axis_right": 90,
        "visual_acuity_right": "0.8",
    },
    "veterinary": {"diagnosis": "Otitis externa", "treatment": "Öronrengöring"},
    "therapy": {"products_sold": "Massageolja"},
}


def build(make_clinic, make_actor, make_person, make_bookable, language: str) -> dict:
    """A person with a record in every declared model the clinic's profile has."""
    kind = LANGUAGES[language]
    clinic = make_clinic(kind, language=language)
    owner = make_actor(clinic, "owner")
    doctor = make_actor(clinic, "practitioner")
    data = dict(
        first_name="Ingrid", last_name="Solbakken", email=EMAIL, phone=PHONES[clinic.country],
        address="Ekvägen 7, 123 45 Småort",
    )  # fmt: skip
    if clinic.identity_policy == "birth_date_only":
        data["birth_date"] = "1985-03-14"
    person = make_person(owner, **data)
    subject = {"person_id": person.pk}
    if clinic.has_animals:
        cat = animal_create(
            actor=owner, owner_ids=[person.pk], name="Tassen", species="cat",
            breed="Norsk skogkatt", sex="female", neutered=True, colour="Grå", weight_kg="4.6",
        )  # fmt: skip
        animal_weight_record(actor=owner, animal_id=cat.pk, weight_kg="4.85")
        subject = {"animal_id": cat.pk}
    if clinic.profile == "therapy":  # the explicit consent to health data first (REQ-33)
        consent_give_at_desk(
            actor=owner, person_id=person.pk, purpose="health_data", channel="desk"
        )
    entry = entry_create(
        actor=doctor, **subject, text="ENTRYTEXT undersökning", fields=FIELDS[clinic.profile]
    )
    attachment_add(
        actor=doctor, entry_id=entry.pk, filename="eye.png", content_type="image/png", data=PNG
    )
    entry_sign(actor=doctor, entry_id=entry.pk)
    followup_add(
        actor=doctor, entry_id=entry.pk, kind="amendment", text="AMENDMENTTEXT", reason="Typo"
    )
    if clinic.profile == "therapy":
        client_card_save(
            actor=doctor, person_id=person.pk, allergies="CARDALLERGY nuts", injuries="Knee"
        )
    service, _staff = make_bookable(clinic)
    # The visit needs a room: the booking holds it (a ResourceHold about the person).
    service.resources.add(Resource.objects.create(clinic=clinic, name="ROOMNAME Rum 1"))
    start = next_local(clinic, days=3, hour=9, minute=30)
    booked = appointment_book(actor=owner, service_id=service.pk, person_id=person.pk, start=start)
    # The client's SMS reply to its reminder (kept with the booking).
    SmsReply.objects.create(
        clinic=clinic, appointment=booked, provider_id=f"in-{booked.pk}",
        from_phone="+46701234567", body="SMSREPLYTEXT ja", outcome="confirmed",
    )  # fmt: skip
    booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Ingrid", "last_name": "Solbakken", "email": EMAIL,
            "phone": PHONES[clinic.country], "accept_privacy_notice": True,
        },
    )  # fmt: skip
    # A place on the waiting list, with a time offered to it.
    from praksis.booking.models import WaitlistOffer
    from praksis.booking.waitlist import waitlist_add

    waiting, _token = waitlist_add(
        actor=owner, person_id=person.pk, data={"service": service.pk, "weekdays": [0, 2, 4]}
    )
    WaitlistOffer.objects.create(
        clinic=clinic, entry=waiting, practitioner=_staff[0], start=start + timedelta(days=1),
        token_hash=f"{waiting.pk:064d}", expires_at=start,
    )  # fmt: skip
    # The client's account: a sign-in and its session; an intake form answered.
    from praksis.accounts.models import ClientSession, SignIn
    from praksis.booking.models import IntakeResponse

    SignIn.objects.create(
        clinic=clinic, person=person, token_hash=f"{person.pk:064d}", channel="email",
        expires_at=start,
    )  # fmt: skip
    ClientSession.objects.create(
        clinic=clinic, person=person, token_hash=f"s{person.pk:063d}", expires_at=start
    )
    IntakeResponse.objects.create(clinic=clinic, appointment=booked)
    consent_give(
        actor=owner, person_id=person.pk, purpose="marketing_email", text_version="v1",
        text_shown="CONSENTTEXT send me offers",
    )  # fmt: skip
    photos = consent_give(
        actor=owner, person_id=person.pk, purpose="photos", text_version="v1",
        text_shown="Photos on our page",
    )  # fmt: skip
    consent_withdraw(actor=owner, consent_id=photos.pk)  # opens a take-down task
    recall = recall_set(
        actor=owner,
        **({"animal": Animal.objects.get(pk=subject["animal_id"])} if clinic.has_animals
           else {"person": person}),
        interval_months=12, reason="RECALLREASON",
    )  # fmt: skip
    call_attempt_record(actor=owner, recall_id=recall.pk, outcome="no_answer", note="CALLNOTE")
    order = sales.order_create(
        actor=owner, person_id=person.pk,
        lines=[{"description": "ORDERLINE frames", "unit_price": "650", "vat_rate": "25"}],
    )  # fmt: skip
    invoice = sales.invoice_issue(actor=owner, order_id=order.pk)
    method = "card"
    sales.payment_register(actor=owner, invoice_id=invoice.pk, amount="100", method=method)
    sales.instalment_plan_create(actor=owner, invoice_id=invoice.pk, count=2)
    PortalLead.objects.create(
        clinic=clinic, portal="Förmånsportalen", name="Ingrid Solbakken", contact=EMAIL
    )
    disclosure_record(
        actor=owner, person_id=person.pk, kind="other", recipient_name="DISCLOSEDTO Kassan",
        description="Intyg", channel="post", basis="legal_obligation", basis_text="SFB 110 kap.",
        animal_id=subject.get("animal_id"),
    )  # fmt: skip
    breach = breach_register(
        actor=owner, description="BREACHTEXT lost laptop",
        discovered_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    AffectedPerson.objects.create(clinic=clinic, breach=breach, person=person)
    # Marketing restricted (art. 18(1)(d), REQ-28): the report lists it.
    restriction_set(actor=owner, person_id=person.pk, ground="objection", scope="marketing")
    request = request_create(actor=owner, person_id=person.pk, kind="access")
    person.refresh_from_db()
    return {
        "clinic": clinic, "owner": owner, "doctor": doctor, "person": person,
        "request": request, "start": start, "invoice": invoice, "entry": entry,
    }  # fmt: skip


def _rows(holding, clinic, person: Person, animal_ids: list[int]) -> bool:
    """Whether the model of ``holding`` has a row about the person (or their animals)."""
    model = apps.get_model(holding.model)
    q = Q(pk__in=[])
    for path in holding.subject.split("|"):
        if path == "pk":
            q |= Q(pk=person.pk)
            continue
        field, current = None, model
        for part in path.split("__"):
            field = current._meta.get_field(part)
            current = field.related_model if field.is_relation else current
        if field.is_relation and field.related_model is Person:
            q |= Q(**{path: person})
        elif field.is_relation and field.related_model is Animal:
            q |= Q(**{f"{path}__in": animal_ids})
        elif path.endswith("person_id"):
            q |= Q(**{path: person.pk})
        elif path.endswith(("email", "contact", "to_address", "phone")):
            q |= Q(**{f"{path}__iexact": person.email}) | Q(**{path: person.phone})
    rows = model.objects.filter(q)
    if any(f.name == "clinic" for f in model._meta.fields):
        rows = rows.filter(clinic=clinic)
    return rows.exists()


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _strings(value):
    """Every human-readable string of the export (not the keys)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _cells(value):
    """Every value of the records in the export."""
    for section in value["sections"]:
        yield from _strings(section["items"])


def _codes() -> tuple[set[str], set[str]]:
    """Code names: model names (``JournalEntry``) and snake-case codes (record types, log
    object types) that must never show; and the stored codes of every choice field of
    a declared model, of the log's actions and of the staff roles, which must never be a
    value by themselves."""
    names, values = set(), set(Action.values) | set(Role.values) | {"system"}
    for holding in holdings():
        model = apps.get_model(holding.model)
        if re.search(r"[a-z][A-Z]", model.__name__):  # "Recall" is a word, "CallAttempt" not
            names.add(model.__name__)
        if "_" in holding.record_type:
            names.add(holding.record_type)
        for field in model._meta.fields:
            for code, label in field.choices or ():
                if code and str(code) != str(label):
                    values.add(str(code))
    from praksis.audit.labels import OBJECT_LABELS

    names |= {code for code in OBJECT_LABELS if "_" in code}
    return names, values


# English codes that are no words of a Swedish or Norwegian report.
ENGLISH_CODES = re.compile(
    r"\b(booked|owner|system|create|read|completed|cancelled|practitioner|receptionist|"
    r"pending|no_show|privacy_request)\b"
)


@pytest.fixture
def make_world(make_clinic, make_actor, make_person, make_bookable):
    def make(language: str) -> dict:
        return build(make_clinic, make_actor, make_person, make_bookable, language)

    return make


@pytest.fixture
def worlds(make_world):
    return {language: make_world(language) for language in LANGUAGES}


def test_req25_req26_req23_the_report_and_the_export_are_complete_in_every_language(worlds):
    names, values = _codes()
    covered: set[str] = set()
    for language, world in worlds.items():
        clinic, owner, person = world["clinic"], world["owner"], world["person"]
        pdf = access_report_pdf(actor=owner, request_id=world["request"].pk)
        data = json.loads(export_json(actor=owner, request_id=world["request"].pk))
        rows = list(
            csv.DictReader(io.StringIO(export_csv(actor=owner, request_id=world["request"].pk)))
        )
        text = _pdf_text(pdf)
        flat = " ".join(text.split())
        sections = {s["key"]: s for s in data["sections"]}
        animal_ids = list(person.animals.values_list("pk", flat=True))

        # Every declared record about the person appears, in the report and the export.
        for holding in holdings():
            if not holding.section or not _rows(holding, clinic, person, animal_ids):
                continue
            covered.add(holding.model)
            found = [
                s for key, s in sections.items()
                if key == holding.section or key.startswith(holding.section + ":")
            ]  # fmt: skip
            assert found and any(s["items"] for s in found), (language, holding.model)
            for s in found:
                assert " ".join(s["title"].split()) in flat, (language, s["title"])
                assert any(r["section"] == s["key"] for r in rows), (language, s["key"])

        # What the report says, concretely.
        with translation.override(language):
            labels = {f.name: str(f.label) for f in TEMPLATES[clinic.profile]}
        for needle in (
            "Solbakken", EMAIL, "ENTRYTEXT", "AMENDMENTTEXT", "Typo", "RECALLREASON",
            "CALLNOTE", "ORDERLINE", "CONSENTTEXT", "DISCLOSEDTO", "BREACHTEXT", "SMSREPLYTEXT",
            "Förmånsportalen", world["doctor"].user.full_name,
            *(labels[k] for k in FIELDS[clinic.profile]),
        ):  # fmt: skip
            assert needle in flat, (language, needle)
        assert "-1.25" in flat if clinic.profile == "optician" else True
        if clinic.profile == "therapy":
            assert "CARDALLERGY" in flat
        if clinic.has_animals:
            assert "Tassen" in flat and "Norsk skogkatt" in flat
            assert "Hunn" in flat and "Grå" in flat  # the sex in words, never "female"
            weights = sections["animals:weights"]
            assert weights["portable"] and len(weights["items"]) == 2
            assert {"4,60", "4,85"} <= set(flat.split())  # the weighings, as numbers are read
        # The staff are named, not given by e-mail address (REQ-23).
        assert world["doctor"].user.email not in flat and owner.user.email not in flat
        # The image is listed and delivered inside the PDF and in the export.
        reader = PdfReader(io.BytesIO(pdf))
        (embedded,) = [name for name in reader.attachments if name.endswith("eye.png")]
        assert reader.attachments[embedded] == [PNG]
        assert embedded in flat
        files = [f for s in data["sections"] for f in s["attachments"]]
        assert [f["name"] for f in files] == [embedded] and files[0]["size"] == len(PNG)

        # Times: local, with the zone named once; never "T", never the UTC hour.
        start, zone = world["start"], clinic.zone
        local = timezone.localtime(start, zone)
        utc = start.astimezone(UTC)
        assert local.strftime("%Y-%m-%d %H:%M") in flat
        assert utc.strftime("%Y-%m-%d %H:%M") not in flat
        assert clinic.time_zone in flat
        export_text = json.dumps(data, ensure_ascii=False)
        for where, body in (("pdf", text), ("json", export_text)):
            assert not ISO_T.search(body), (language, where, ISO_T.search(body))
        assert not any(ISO_T.search(r["value"]) for r in rows)
        assert "+00:00" not in export_text
        booking = sections["bookings"]["items"][0]
        assert booking["start"] == local.isoformat(sep=" ", timespec="minutes")
        assert data["time_zone"] == clinic.time_zone

        # Codes only as words: no model or record-type name anywhere, no stored code as
        # a value, and in Swedish and Norwegian no English code word in the data part.
        readable = list(_strings({k: v for k, v in data.items() if k != "sections"}))
        for s in data["sections"]:
            readable += [s["title"], s["note"], *s["columns"].values()]
        readable += list(_cells(data))
        for name in names:
            pattern = re.compile(rf"\b{re.escape(name)}\b")
            assert not pattern.search(flat), (language, name)
            assert not any(pattern.search(v) for v in readable), (language, name)
        assert not [v for v in _cells(data) if v in values], language
        if language != "en":
            with translation.override(language):
                from django.utils.translation import gettext

                data_part = flat.split(gettext("Your data"), 1)[-1]
            hit = ENGLISH_CODES.search(data_part)
            assert hit is None, (language, hit and data_part[hit.start() - 60 : hit.end() + 60])

        # Portability (Art. 20) marked per section: what the person gave, not the journal.
        assert sections["person"]["portable"] and sections["bookings"]["portable"]
        assert sections["consents"]["portable"]
        journals = [s for key, s in sections.items() if key.split(":")[0] == "journal"]
        assert journals and not any(s["portable"] for s in journals)
        assert not sections["access_log"]["portable"]

    declared = {h.model for h in holdings() if h.section}
    assert declared <= covered, f"no test data for {sorted(declared - covered)}"


def test_req23_the_log_extract_is_whole_and_names_the_staff(make_world):
    """REQ-23: every log row about the person, beyond the old 500-row cut (no cap at
    all), in words: staff by name, job title and role — never by e-mail address — in the
    export and in the PDF report alike."""
    from praksis.audit.models import AccessLogEntry

    world = make_world("sv")
    clinic, person, doctor = world["clinic"], world["person"], world["doctor"]
    from praksis.audit.services import Access, log_accesses

    doctor.user.title = "Leg. optiker"
    doctor.user.save(update_fields=["title"])
    log_accesses(
        doctor,
        [Access(Action.READ, "journal", person.pk, person_id=person.pk, purpose="care")] * 2600,
    )
    data = json.loads(export_json(actor=world["owner"], request_id=world["request"].pk))
    log = next(s for s in data["sections"] if s["key"] == "access_log")
    rows = AccessLogEntry.objects.filter(clinic=clinic, person_id=person.pk).count()
    # More rows than one chunk of the streamed read (2000): every one is there.
    assert rows > 2600 and len(log["items"]) == rows
    assert {item["staff"] for item in log["items"]} >= {doctor.user.full_name}
    assert all("@" not in item["staff"] for item in log["items"])
    read = next(i for i in log["items"] if i["staff"] == doctor.user.full_name)
    with translation.override("sv"):
        assert read["title"] == "Leg. optiker"
        assert read["role"] == str(Role.PRACTITIONER.label)

    # The PDF report: one line per access, the staff member named with title and role.
    pdf = access_report_pdf(actor=world["owner"], request_id=world["request"].pk)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert text.count("Leg. optiker") >= 2600
    assert doctor.user.email not in text and world["owner"].user.email not in text


def test_req19_each_journal_is_logged_once_per_report(make_world):
    """The journal is read for the report once per journal, as one export row, however
    many entries it has (not one row per entry or per attachment)."""
    from praksis.audit.models import AccessLogEntry

    world = make_world("sv")
    before = set(AccessLogEntry.objects.values_list("pk", flat=True))
    access_report_pdf(actor=world["owner"], request_id=world["request"].pk)
    new = AccessLogEntry.objects.exclude(pk__in=before).filter(person_id=world["person"].pk)
    journal_rows = new.filter(object_type="journal")
    assert journal_rows.count() == 1 and journal_rows.get().action == "export"
    assert not new.filter(object_type="journal_attachment").exists()


def test_req23_a_copied_message_shows_where_a_link_was_not_the_link(clinic, owner, make_person):
    """A message's link (manage a booking, read an answer) is a key of its own: the report
    and the export copy the message without it, so they grant nothing beyond themselves."""
    from praksis.core.personal_data import Subject, contracts
    from praksis.messaging.services import message_enqueue

    person = make_person(owner)
    secret = "https://clinic.example/lund/booking/s3cr3t-t0ken/"
    message_enqueue(
        clinic=clinic, channel="email", to="a@example.com", subject="Bokning",
        body=f"Se eller avboka: {secret}\nVälkommen!", kind="confirmation", person=person,
    )  # fmt: skip
    subject = Subject(clinic=clinic, person=person, actor=owner)
    (messaging,) = [c for c in contracts() if c.label == "messaging"]
    bodies = [item["body"] for section in messaging.sections(subject) for item in section.items]
    assert bodies and all("s3cr3t" not in body for body in bodies)
    assert "Välkommen!" in bodies[0] and "Se eller avboka:" in bodies[0]
