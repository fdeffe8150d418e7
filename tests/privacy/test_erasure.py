"""The erasure matrix (REQ-27, REQ-01..07, REQ-16, REQ-28, REQ-33): per record type and
regime, with and without a legal hold, what erasing a person decides and what it does.

One code path decides (``plan_erasure``) and applies (``erase_person``); a therapy client
(GDPR-only) leaves no personal data behind in any table, the outbox or the search index;
health journals and accounting records stay where the law says, restricted, and the
reasoned answer says until when and why, and where to complain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone, translation

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Appointment, BookingRequest
from praksis.booking.services import appointment_book, booking_request_create, reminders_enqueue
from praksis.clinics.access import system_actor
from praksis.core.errors import Conflict
from praksis.disclosures.models import Disclosure
from praksis.disclosures.services import disclosure_record
from praksis.journal.models import Attachment, ClientCard, JournalEntry
from praksis.journal.selectors import decrypt_content
from praksis.journal.services import (
    attachment_add,
    client_card_save,
    entry_create,
    entry_sign,
    followup_add,
)
from praksis.messaging.models import OutboxMessage
from praksis.people.models import AnimalOwner, DataKey, Person
from praksis.people.selectors import person_search
from praksis.people.services import animal_create
from praksis.people.vault import KeyDestroyed, decrypt
from praksis.privacy import retention
from praksis.privacy.erasure import DELETE, KEEP, PSEUDONYMISE, erase_person, plan_erasure
from praksis.privacy.models import Consent, DataSubjectRequest, RequestStatus
from praksis.privacy.requests import request_create
from praksis.privacy.services import consent_give, consent_give_at_desk
from praksis.recall.models import Recall
from praksis.recall.services import recall_set
from praksis.sales import services as sales
from praksis.sales.models import Invoice, InvoiceLine, Payment
from tests.conftest import next_local

pytestmark = pytest.mark.django_db

FIRST, LAST = "Ingrid", "Solbakken"
EMAIL = "ingrid.solbakken@example.org"
ADDRESS = "Ekvägen 7, 123 45 Småort"
BIRTH = "1985-03-14"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32
PHONES = {"SE": ("070-123 45 67", "+46701234567"), "NO": ("412 34 567", "+4741234567")}

SE_VET = dict(
    slug="test-djur", name="Test Djurklinik", profile="veterinary", regime="SE-vet",
    country="SE", language="sv", time_zone="Europe/Stockholm",
)  # fmt: skip


@dataclass
class World:
    """A person with a record of every kind at one clinic, and an erasure request."""

    clinic: object
    owner: object
    doctor: object
    person: Person
    request: DataSubjectRequest
    entry: JournalEntry
    invoice: Invoice
    appointment: Appointment
    animals: dict = field(default_factory=dict)
    other_owner: Person | None = None

    @property
    def needles(self) -> list[str]:
        """Strings that identify the person (names, e-mail, phone, identity, birth)."""
        phone = PHONES[self.clinic.country][1]
        found = [FIRST, LAST, EMAIL, phone, phone[3:], "Ekvägen"]
        if self.person.identity_number:
            found.append(self.person.identity_number)
        if self.person.birth_date:
            found += [self.person.birth_date.isoformat(), self.person.birth_date.strftime("%Y%m%d")]
        return found


@pytest.fixture
def build(make_clinic, make_actor, make_person, make_bookable):
    def make(kind: str) -> World:
        clinic = make_clinic("vet", **SE_VET) if kind == "se_vet" else make_clinic(kind)
        owner = make_actor(clinic, "owner")
        doctor = make_actor(clinic, "practitioner")
        data = dict(
            first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONES[clinic.country][0],
            address=ADDRESS,
        )  # fmt: skip
        if clinic.identity_policy == "birth_date_only":
            data["birth_date"] = BIRTH
        person = make_person(owner, **data)
        animals, other_owner, subject = {}, None, {"person_id": person.pk}
        if clinic.has_animals:
            other_owner = make_person(owner, first_name="Per", last_name="Annen")
            animals["cat"] = animal_create(
                actor=owner, owner_ids=[person.pk], name="Tassen", species="cat",
                birth_date=date(2020, 1, 1),
            )  # fmt: skip
            animals["shared"] = animal_create(
                actor=owner, owner_ids=[person.pk, other_owner.pk], name="Bamse", species="dog"
            )
            animals["bird"] = animal_create(
                actor=owner, owner_ids=[person.pk], name="Pip", species="bird"
            )
            entry_create(actor=doctor, animal_id=animals["shared"].pk, text="Bamse ok", sign=True)
            subject = {"animal_id": animals["cat"].pk}
        if clinic.profile == "therapy":  # the explicit consent to health data (REQ-33)
            consent_give_at_desk(
                actor=owner, person_id=person.pk, purpose="health_data", channel="desk"
            )
        entry = entry_create(actor=doctor, **subject, text="SECRET-NOTE")
        attachment_add(
            actor=doctor, entry_id=entry.pk, filename="x.png", content_type="image/png", data=PNG
        )
        entry_sign(actor=doctor, entry_id=entry.pk)
        followup_add(
            actor=doctor, entry_id=entry.pk, kind="amendment", text="SECRET-FIX", reason="Typo"
        )
        if clinic.profile == "therapy":
            client_card_save(
                actor=doctor, person_id=person.pk, allergies="Nötter", injuries="Vänster knä"
            )
        service, _staff = make_bookable(clinic)
        appointment = appointment_book(
            actor=owner, service_id=service.pk, person_id=person.pk, start=next_local(clinic)
        )
        booking_request_create(
            clinic=clinic,
            data={
                "first_name": FIRST, "last_name": LAST, "email": EMAIL,
                "phone": PHONES[clinic.country][0], "accept_privacy_notice": True,
            },
        )  # fmt: skip
        consent_give(
            actor=owner, person_id=person.pk, purpose="marketing_email", text_version="v1",
            text_shown="Send me offers by e-mail.",
        )  # fmt: skip
        if clinic.has_animals:
            recall_set(actor=owner, animal=animals["cat"], interval_months=12)
        else:
            recall_set(actor=owner, person=person, interval_months=12)
        order = sales.order_create(
            actor=owner, person_id=person.pk,
            lines=[{"description": "Behandling", "unit_price": "650", "vat_rate": "25"}],
        )  # fmt: skip
        invoice = sales.invoice_issue(actor=owner, order_id=order.pk)
        sales.payment_register(actor=owner, invoice_id=invoice.pk, amount="100", method="card")
        disclosure_record(
            actor=owner, person_id=person.pk, kind="other", recipient_name="Försäkringskassan",
            description="Intyg om behandling", channel="post", basis="legal_obligation",
            basis_text="SFB 110 kap. 31 §", animal_id=subject.get("animal_id"),
        )  # fmt: skip
        request = request_create(actor=owner, person_id=person.pk, kind="erasure")
        person.refresh_from_db()
        return World(
            clinic=clinic, owner=owner, doctor=doctor, person=person, request=request,
            entry=entry, invoice=invoice, appointment=appointment, animals=animals,
            other_owner=other_owner,
        )  # fmt: skip

    return make


def _dump() -> list[tuple[str, tuple]]:
    """Every row of every table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                rows.append((table, tuple(_text(v) for v in row)))
    return rows


def _text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return "" if value is None else str(value)


def _hits(needles: list[str]) -> list[tuple[str, tuple]]:
    return [
        (table, row)
        for table, row in _dump()
        if any(needle.casefold() in value.casefold() for needle in needles for value in row)
    ]


def _books(world: World) -> list:
    """Every column of the clinic's invoices, lines and payments (bookkeeping records)."""
    return [
        list(model.objects.filter(clinic=world.clinic).order_by("pk").values())
        for model in (Invoice, InvoiceLine, Payment)
    ]


def _last_entry_date(world: World) -> date:
    latest = JournalEntry.objects.filter(pk__gte=world.entry.pk).latest("created_at").created_at
    return timezone.localtime(latest, world.clinic.zone).date()


# --- Nothing kept: a therapy client (GDPR-only) -----------------------------------------


def test_req27_therapy_client_leaves_no_personal_data_anywhere(build):
    """GDPR-only: notes and client card go, the data key is crypto-shredded; issued invoices
    stay exactly as issued (bookkeeping law, Art. 17(3)(b)); afterwards no other table,
    outbox row or search finds the person — except the one e-mail that carries the answer
    to the requester (Art. 12(1))."""
    world = build("therapy")
    from praksis.sales.models import PortalLead

    PortalLead.objects.create(
        clinic=world.clinic, portal="Förmånsportalen", name=f"{FIRST} {LAST}", contact=EMAIL
    )
    needles = world.needles
    assert _hits(needles)  # the fixture really holds the person's data
    key = DataKey.objects.get(person=world.person)
    ciphertext = bytes(JournalEntry.objects.get(pk=world.entry.pk).ciphertext)
    invoice_before = _books(world)

    plan = erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)

    decided = {d.key: d.action for d in plan.decisions}
    assert decided == {
        "person": DELETE, "journal": DELETE, "client_card": DELETE, "disclosures": DELETE,
        "accounting": KEEP, "appointments": DELETE, "booking_requests": DELETE,
        "recalls": DELETE, "messages": DELETE, "consents": DELETE, "access_log": KEEP,
        "requests": KEEP, "portal_leads": DELETE,
    }  # fmt: skip
    left = _hits(needles)
    assert sorted({table for table, _row in left}) == [
        "messaging_outboxmessage", "sales_invoice",
    ], left  # fmt: skip
    answer_mail = OutboxMessage.objects.get()
    assert (answer_mail.to_address, answer_mail.related_type, answer_mail.related_id) == (
        EMAIL, "privacy_request", world.request.pk,
    )  # fmt: skip
    assert FIRST not in answer_mail.body and LAST not in answer_mail.body
    # The search index (name keys, e-mail, phone, birth date) finds nothing.
    for query in (LAST, FIRST, EMAIL, BIRTH, PHONES["SE"][0]):
        assert person_search(actor=world.owner, query=query).items == []
    # Crypto-shredded: the key is gone, so any copy of the ciphertext is unreadable.
    key.refresh_from_db()
    assert key.destroyed_at is not None and key.wrapped_key is None
    with pytest.raises(KeyDestroyed):
        decrypt(key, ciphertext, purpose="journal-entry")
    assert not JournalEntry.objects.exists() and not Attachment.objects.exists()
    assert not ClientCard.objects.exists() and not Disclosure.objects.exists()
    # Accounting (REQ-06/07): every invoice, line and payment exactly as issued, and the
    # answer says why.
    assert _books(world) == invoice_before
    invoice = Invoice.objects.get(pk=world.invoice.pk)
    assert invoice.buyer_name == f"{FIRST} {LAST}" and invoice.person_id == world.person.pk
    assert "bokföringslagen" in plan.answer
    # The request stays as the evidence of the answer, without contact data.
    request = DataSubjectRequest.objects.get(pk=world.request.pk)
    assert request.status == RequestStatus.COMPLETED and request.completed_at is not None
    assert "IMY" in request.answer and "Försäkringskassan" in request.answer
    tombstone = Person.objects.get(pk=world.person.pk)
    assert tombstone.last_name.startswith("Erased person #") and tombstone.restricted_at
    assert tombstone.email == "" and tombstone.first_name == ""
    assert plan.recipients == ["Försäkringskassan"]


def test_evidence_is_logged_without_content(build):
    """REQ-11/REQ-19: the erasure is logged per record type and count (purpose erasure)."""
    world = build("therapy")
    erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)
    rows = AccessLogEntry.objects.filter(clinic=world.clinic, purpose="erasure")
    deleted = {r.object_type: r.detail for r in rows.filter(action="delete")}
    assert {"journal", "client_card", "appointments", "messages", "person", "data_key"} <= set(
        deleted
    )
    assert deleted["journal"] == f"delete: 2; request={world.request.pk}"
    assert all(world.person.pk == r.person_id for r in rows)
    texts = " ".join(f"{r.detail} {r.purpose} {r.object_id}" for r in rows)
    assert LAST not in texts and EMAIL not in texts and "SECRET" not in texts


def test_the_sweep_path_keeps_only_the_books(build):
    """The retention sweep calls the same function without a request: only the invoices,
    kept as issued (REQ-06/07), still name the person; the person row is an anonymous
    placeholder they point at."""
    world = build("therapy")
    DataSubjectRequest.objects.filter(pk=world.request.pk).delete()
    books = _books(world)
    erase_person(actor=system_actor(world.clinic), person_id=world.person.pk)
    person = Person.objects.get(pk=world.person.pk)
    assert person.first_name == "" and person.email == "" and person.phone == ""
    assert person.last_name.startswith("Erased person #")
    assert {table for table, _row in _hits(world.needles)} == {"sales_invoice"}
    assert _books(world) == books


# --- The matrix -------------------------------------------------------------------------

KINDS = ["optician", "dental", "vet", "se_vet", "therapy"]
JOURNAL_KEY = {"vet": "animal_journal", "se_vet": "animal_journal"}
LAWS = {
    "optician": "patientdatalagen (2008:355) 3 kap. 17 §",
    "dental": "pasientjournalloven § 25",
    "vet": "FOR-2006-02-20-229",
    "se_vet": "Jordbruksverkets föreskrifter",
}
KEPT_FIELDS = {
    "optician": ("name", "identity_number", "birth_date"),
    "dental": ("name", "identity_number", "birth_date"),
    "vet": ("name", "address"),
    "se_vet": ("name", "address"),
}


def _hold(world: World, hold: str | None):
    if hold == "person":
        return retention.hold_place(
            actor=world.owner, reason="Complaint case 2026-17", person=world.person
        )
    if hold == "journal":
        return retention.hold_place(
            actor=world.owner, reason="Insurance claim", record_type="journal",
            record_id=world.entry.pk,
        )  # fmt: skip
    if hold == "accounting":
        return retention.hold_place(
            actor=world.owner, reason="Tax audit", record_type="accounting",
            record_id=world.invoice.pk,
        )  # fmt: skip
    return None


def _expected_journal(kind: str, world: World, hold: str | None) -> tuple[str, date | None]:
    last = _last_entry_date(world)
    if hold in ("person", "journal"):
        return KEEP, None
    return {
        "optician": (KEEP, retention.add_months(last, 120)),
        "dental": (KEEP, None),
        "vet": (KEEP, date(2050, 1, 1)),  # while a cat born 2020 may live (30 years)
        "se_vet": (KEEP, retention.add_months(last, 60)),
        "therapy": (DELETE, None),
    }[kind]


@pytest.mark.parametrize("hold", [None, "person", "journal", "accounting"])
@pytest.mark.parametrize("kind", KINDS)
def test_req27_erasure_matrix(build, kind, hold):
    """Per regime x record type x legal hold: the decision, and its effect (REQ-01..07,
    REQ-16, REQ-27, REQ-28; holds REQ-11)."""
    world = build(kind)
    placed = _hold(world, hold)
    entries_before = JournalEntry.objects.count()
    journal_key = JOURNAL_KEY.get(kind, "journal")
    action, until = _expected_journal(kind, world, hold)
    books_before = _books(world)

    plan = erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)

    # The journal (per document: the person's own, or the animal's).
    journal = plan.of(journal_key)[0]
    assert journal.action == action
    if hold in ("person", "journal"):
        assert journal.hold == placed.reason and journal.why == "hold"
    else:
        assert journal.until == until
    if journal.action == KEEP:
        assert JournalEntry.objects.count() == entries_before
        assert decrypt_content(JournalEntry.objects.get(pk=world.entry.pk))["text"] == "SECRET-NOTE"
        if kind not in ("therapy",) and hold is None:
            assert LAWS[kind] in journal.law
    else:
        assert not JournalEntry.objects.filter(person=world.person).exists()
        assert DataKey.objects.get(person=world.person).destroyed_at is not None

    # Accounting (REQ-06/07): kept exactly as issued and restricted while the bookkeeping
    # period runs; a hold names its own reason.
    invoice = Invoice.objects.get(pk=world.invoice.pk)
    accounting = plan.of("accounting")[0]
    assert accounting.action == KEEP
    assert _books(world) == books_before
    assert invoice.buyer_name == f"{FIRST} {LAST}" and invoice.person_id == world.person.pk
    if hold in ("person", "accounting"):
        assert accounting.hold == placed.reason
    else:
        assert accounting.why == "accounting" and accounting.law
        years = 7 if world.clinic.country == "SE" else 5
        issued = timezone.localtime(invoice.issued_at, world.clinic.zone).date()
        assert accounting.until == date(issued.year + years, 12, 31)

    # Bookings, booking requests, recalls, messages, consents: deleted unless the person
    # is held.
    held_all = hold == "person"
    for key, rows in (
        ("appointments", Appointment.objects.filter(clinic=world.clinic)),
        ("booking_requests", BookingRequest.objects.filter(clinic=world.clinic)),
        ("recalls", Recall.objects.filter(clinic=world.clinic)),
        ("consents", Consent.objects.filter(clinic=world.clinic)),
    ):
        assert plan.action_for(key) == (KEEP if held_all else DELETE), key
        assert rows.exists() == held_all, key
    messages = OutboxMessage.objects.filter(clinic=world.clinic)
    if held_all:
        assert plan.action_for("messages") == KEEP
    else:
        assert plan.action_for("messages") == DELETE
        assert set(messages.values_list("related_type", flat=True)) == {"privacy_request"}
    if held_all:  # withdrawn, even though the proof is kept
        assert not Consent.objects.filter(withdrawn_at__isnull=True).exists()

    # The access log is kept (REQ-10); the request is kept as evidence.
    assert plan.action_for("access_log") == KEEP and plan.action_for("requests") == KEEP

    # The person row: kept minimal and restricted, or erased.
    person = Person.objects.get(pk=world.person.pk)
    assert person.restricted_at is not None  # REQ-28: whatever is kept is only stored
    decision = plan.of("person")[0]
    if held_all:
        assert decision.action == KEEP and person.email == EMAIL
    elif kind == "therapy" and hold != "journal" and hold != "accounting":
        assert decision.action == DELETE and person.first_name == "" and person.email == ""
        assert person.last_name.startswith("Erased person #")
    else:
        assert decision.action == KEEP and person.email == "" and person.phone == ""
        expected = set(KEPT_FIELDS.get(kind, ()))
        if hold == "journal" and kind == "therapy":
            expected = {"name", "identity_number", "birth_date"}
        if hold == "accounting":
            expected |= {"name", "address"}
        assert set(decision.fields) == expected
        assert person.first_name == FIRST
        assert (person.address == ADDRESS) == ("address" in expected)

    # The answer: what was deleted, pseudonymised and kept, until when, why, where to
    # complain (REQ-24, REQ-45, REQ-46).
    answer = DataSubjectRequest.objects.get(pk=world.request.pk).answer
    assert ("IMY" if world.clinic.country == "SE" else "Datatilsynet") in answer
    assert "art. 77" in answer
    if journal.action == KEEP and journal.until:
        assert journal.until.isoformat() in answer and journal.law in answer
    if hold is not None:
        assert placed.reason in answer
    if kind == "dental" and hold is None:
        with translation.override(world.clinic.language):
            no_end = translation.gettext("kept with no set end date because %(law)s")
        assert "Statsforvalteren" in answer and no_end.split("%")[0].strip() in answer
    if kind == "optician" and hold is None:
        assert "IVO" in answer
    if not held_all and accounting.action == PSEUDONYMISE:
        assert accounting.until.isoformat() in answer


def test_req04_vet_owner_erasure_concerns_the_owner_and_not_other_owners(build):
    """NO-vet: the sole-owned animal's journal stays (with the owner's name and address),
    an animal shared with another owner stays with them, an animal without a journal goes."""
    world = build("vet")
    cat, shared, bird = world.animals["cat"], world.animals["shared"], world.animals["bird"]
    plan = erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)
    assert plan.of("animal_journal")[0].subject == "Tassen"
    assert plan.action_for("ownership") == DELETE and plan.action_for("animals") == DELETE
    assert AnimalOwner.objects.filter(animal=cat, person=world.person).exists()
    owners = AnimalOwner.objects.filter(animal=shared).values_list("person_id", "is_primary")
    assert list(owners) == [(world.other_owner.pk, True)]  # the other owner is now primary
    assert not AnimalOwner.objects.filter(animal=shared, person=world.person).exists()
    assert JournalEntry.objects.filter(animal=shared).count() == 1
    assert not type(bird).objects.filter(pk=bird.pk).exists()
    assert JournalEntry.objects.filter(animal=cat).count() == 2
    assert Disclosure.objects.filter(person=world.person).exists()  # kept with the journal


def test_req01_journal_past_its_period_may_go(build):
    """SE-human: 10 years after the last entry the journal is no longer protected."""
    world = build("optician")
    later = timezone.now() + timedelta(days=365 * 10 + 10)
    plan = plan_erasure(world.clinic, world.person, now=later)
    journal = plan.of("journal")[0]
    assert (journal.action, journal.why) == (DELETE, "period_over")
    assert plan.of("person")[0].action == DELETE
    erase_person(actor=world.owner, person_id=world.person.pk, now=later)
    assert not JournalEntry.objects.filter(person=world.person).exists()
    assert DataKey.objects.get(person=world.person).destroyed_at is not None


def test_req01_clinic_longer_period_does_not_block_erasure(build):
    """Art. 17(3)(b) covers the law's minimum only, not the clinic's own longer period."""
    world = build("optician")
    retention.setting_save(actor=world.owner, record_type="journal", months=240)
    journal = plan_erasure(world.clinic, world.person).of("journal")[0]
    assert journal.until == retention.add_months(_last_entry_date(world), 120)


def test_plan_is_dry(build):
    """plan_erasure changes nothing."""
    world = build("therapy")
    before = _dump()
    plan_erasure(world.clinic, world.person)
    assert _dump() == before


def test_req28_restricted_person_gets_no_reminders(build):
    """A person kept under a hold is restricted: no booking reminders, no recall messages."""
    from praksis.recall.services import recall_messages_enqueue

    world = build("optician")
    _hold(world, "person")
    erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)
    start = Appointment.objects.get(pk=world.appointment.pk).start
    OutboxMessage.objects.all().delete()
    assert reminders_enqueue(now=start - timedelta(hours=2)) == 0
    Recall.objects.filter(person=world.person).update(call_on=date.today(), due_date=date.today())
    recall_messages_enqueue(now=timezone.now())
    assert not OutboxMessage.objects.exists()


def test_photos_must_come_down_first(build):
    """Art. 17(2): an active photo consent (or an open take-down) blocks the erasure."""
    world = build("therapy")
    consent_give(
        actor=world.owner, person_id=world.person.pk, purpose="photos", text_version="v1",
        text_shown="Photos of me may be shown on social media.",
    )  # fmt: skip
    before = _dump()
    with pytest.raises(Conflict):
        erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)
    assert _dump() == before


def test_request_must_be_a_confirmed_open_erasure_request(build):
    world = build("therapy")
    access = request_create(actor=world.owner, person_id=world.person.pk, kind="access")
    with pytest.raises(Conflict):
        erase_person(actor=world.owner, person_id=world.person.pk, request=access)
    DataSubjectRequest.objects.filter(pk=world.request.pk).update(verified_at=None)
    with pytest.raises(Conflict):
        erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)
    assert Person.objects.get(pk=world.person.pk).email == EMAIL


def test_only_the_owner_of_the_same_clinic_may_erase(build, make_clinic, make_actor):
    """Receptionist: refused; another clinic's owner: not found; nothing changes."""
    world = build("therapy")
    before = _dump()
    with pytest.raises(PermissionDenied):
        erase_person(actor=make_actor(world.clinic, "receptionist"), person_id=world.person.pk)
    with pytest.raises(Http404):
        erase_person(actor=make_actor(make_clinic("other"), "owner"), person_id=world.person.pk)
    assert len(_dump()) >= len(before)
    assert Person.objects.get(pk=world.person.pk).email == EMAIL
    assert JournalEntry.objects.filter(person=world.person).count() == 2


def test_held_consent_and_breach_register_entry_are_kept(build):
    """A hold on a marketing consent keeps its proof (withdrawn) with the contact it was
    given for (REQ-08, Art. 17(3)(e)); the breach register keeps its reference (Art. 33(5))."""
    from praksis.breaches.models import AffectedPerson, Breach, notify_deadline

    world = build("therapy")
    consent = Consent.objects.exclude(purpose="health_data").get(person=world.person)
    placed = retention.hold_place(
        actor=world.owner, reason="Complaint to the consumer agency",
        record_type="marketing_consent", record_id=consent.pk,
    )  # fmt: skip
    discovered = timezone.now()
    breach = Breach.objects.create(
        clinic=world.clinic, description="Lost laptop", discovered_at=discovered,
        notify_authority_by=notify_deadline(discovered),
    )  # fmt: skip
    AffectedPerson.objects.create(clinic=world.clinic, breach=breach, person=world.person)

    plan = erase_person(actor=world.owner, person_id=world.person.pk, request=world.request)

    kept = plan.of("consents")[0]
    assert (kept.action, kept.hold) == (KEEP, placed.reason)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert plan.action_for("breach_register") == KEEP
    assert AffectedPerson.objects.filter(person=world.person).exists()
    person = Person.objects.get(pk=world.person.pk)
    assert (person.first_name, person.email, person.address) == (FIRST, EMAIL, "")
    assert plan.action_for("journal") == DELETE  # the hold covers the consent only
