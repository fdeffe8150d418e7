"""The other retention rules: therapy clients inactive 2 years (PRODUCT.md, through the
erasure service), marketing-consent proof after the buffer (REQ-08), applicants
(REQ-09); and the sweep itself: evidence without content, dry run, resumable (REQ-11)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Appointment
from praksis.people.models import Person
from praksis.privacy.models import Applicant, Consent
from praksis.privacy.retention import (
    hold_place,
    preview,
    rule_named,
    rules,
    setting_save,
    sweep,
)
from praksis.privacy.services import consent_give, consent_withdraw
from praksis.sales import services as sales
from praksis.sales.models import Invoice, InvoiceLine
from tests.privacy.retention_helpers import at, entry


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def therapy(make_clinic, make_actor):
    return make_actor(make_clinic("therapy"))


def _visit(clinic, person, service, practitioner, start):
    return Appointment.objects.create(
        clinic=clinic, service=service, practitioner=practitioner, person=person,
        start=start, end=start + timedelta(hours=1), busy_until=start + timedelta(hours=1),
        channel="desk", reference=uuid.uuid4().hex[:10], manage_token_hash=uuid.uuid4().hex,
        uid=f"{uuid.uuid4()}@test",
    )  # fmt: skip


def _count(outcomes):
    return sum(o.count for o in outcomes)


def test_therapy_clients_are_erased_two_years_after_the_last_visit(
    therapy, make_person, make_bookable
):
    """PRODUCT.md (therapy): inactive clients are purged after 2 years, through the one
    erasure path — receipts stay exactly as issued while the bookkeeping period runs
    (REQ-06, GDPR art. 17(3)(b))."""
    clinic = therapy.clinic
    service, (practitioner,) = make_bookable(clinic)
    now = timezone.now()
    gone = make_person(therapy, first_name="Gammal", birth_date="1960-01-01")
    regular = make_person(therapy, first_name="Trogen", birth_date="1970-01-01")
    buyer = make_person(therapy, first_name="Kund", birth_date="1980-01-01")
    entry(therapy, person=gone, when=now)  # a treatment note
    _visit(clinic, regular, service, practitioner, now + timedelta(days=365))
    order = sales.order_create(
        actor=therapy,
        person_id=buyer.pk,
        lines=[{"description": "Olja", "quantity": 1, "unit_price": "100", "vat_rate": "25"}],
    )
    invoice = sales.invoice_issue(actor=therapy, order_id=order.pk)
    issued = [
        list(model.objects.filter(clinic=clinic).order_by("pk").values())
        for model in (Invoice, InvoiceLine)
    ]
    rule = [rule_named("inactive-clients")]
    assert _count(preview(now=now + timedelta(days=700), rules=rule)) == 0
    later = now + timedelta(days=732)
    assert _count(preview(now=later, rules=rule)) == 2
    assert _count(sweep(now=later, rules=rule)) == 2
    assert not Person.objects.filter(pk=gone.pk, first_name="Gammal").exists()
    assert Person.objects.filter(pk=regular.pk, first_name="Trogen").exists()
    invoice.refresh_from_db()
    assert issued == [
        list(model.objects.filter(clinic=clinic).order_by("pk").values())
        for model in (Invoice, InvoiceLine)
    ]  # byte-identical: the books are not rewritten
    assert invoice.person_id == buyer.pk and invoice.buyer_name.startswith("Kund")
    kept = Person.objects.get(pk=buyer.pk)
    assert kept.first_name == "" and kept.restricted_at is not None
    assert _count(sweep(now=later, rules=rule)) == 0  # idempotent
    assert _count(sweep(now=now + timedelta(days=365 * 3 + 2), rules=rule)) == 1
    evidence = AccessLogEntry.objects.filter(clinic=clinic, purpose="retention").order_by("seq")
    assert [e.detail for e in evidence] == [
        "rule=inactive-clients; erase: 2",
        "rule=inactive-clients; erase: 1",
    ]


def test_a_hold_keeps_an_inactive_client(therapy, make_person):
    """REQ-11: a legal hold stops erasure by the sweep."""
    person = make_person(therapy, birth_date="1960-01-01")
    hold_place(actor=therapy, person=person, reason="Insurance claim")
    later = timezone.now() + timedelta(days=800)
    assert _count(sweep(now=later, rules=[rule_named("inactive-clients")])) == 0
    assert Person.objects.filter(pk=person.pk, first_name="Test").exists()


def test_req08_marketing_consent_proof_kept_for_the_buffer_after_withdrawal(
    clinic, owner, make_person
):
    """REQ-08: proof kept while relied on, then a configurable buffer after withdrawal."""
    person = make_person(owner)
    kept, withdrawn, held = (
        consent_give(
            actor=owner,
            person_id=person.pk,
            purpose=purpose,
            text_version="v1",
            text_shown="Nyhetsbrev",
        )
        for purpose in ("marketing_email", "marketing_sms", "marketing_email")
    )
    consent_withdraw(actor=owner, consent_id=withdrawn.pk)
    consent_withdraw(actor=owner, consent_id=held.pk)
    hold_place(actor=owner, record_type="marketing_consent", record_id=held.pk, reason="Claim")
    rule = [rule_named("marketing-consents")]
    now = timezone.now()
    assert _count(sweep(now=now + timedelta(days=365), rules=rule)) == 0
    setting_save(actor=owner, record_type="marketing_consent", months=6)
    assert _count(sweep(now=now + timedelta(days=190), rules=rule)) == 1
    assert set(Consent.objects.values_list("pk", flat=True)) >= {kept.pk, held.pk}
    assert not Consent.objects.filter(pk=withdrawn.pk).exists()


def test_req09_applicants_after_the_claims_window_unless_they_consented(clinic, owner):
    """REQ-09: recruitment closed + 2 years (SE); longer only with consent."""
    closed = at(2022, 3, 1)
    plain = Applicant.objects.create(
        clinic=clinic, name="A", position="Optiker", recruitment_closed_at=closed
    )
    consented = Applicant.objects.create(
        clinic=clinic, name="B", position="Optiker", recruitment_closed_at=closed,
        keep_consent_at=at(2023, 1, 1),
    )  # fmt: skip
    Applicant.objects.create(clinic=clinic, name="C", position="Optiker")  # still open
    rule = [rule_named("applicants")]
    assert _count(sweep(now=at(2024, 2, 28), rules=rule)) == 0
    assert _count(sweep(now=at(2024, 3, 1, 13), rules=rule)) == 1
    assert not Applicant.objects.filter(pk=plain.pk).exists()
    assert _count(sweep(now=at(2025, 1, 2), rules=rule)) == 1
    assert not Applicant.objects.filter(pk=consented.pk).exists()
    assert Applicant.objects.count() == 1


def test_req11_dry_run_counts_per_rule_and_clinic_and_changes_nothing(
    clinic, owner, make_person, other_clinic, make_actor
):
    """REQ-11: the preview counts what each rule would do, per clinic; nothing changes
    and nothing is logged."""
    other = make_actor(other_clinic)
    for actor in (owner, owner, other):
        entry(actor, person=make_person(actor), when=at(2000, 1, 1))
    before = AccessLogEntry.objects.count()
    planned = {(o.rule, o.clinic): o.count for o in preview(rules=rules())}
    assert planned == {("journals", clinic.slug): 2, ("journals", other_clinic.slug): 1}
    out = io.StringIO()
    call_command("retention-sweep", dry_run=True, stdout=out)
    assert "journals" in out.getvalue() and "dry run: 3 row(s) due" in out.getvalue()
    assert AccessLogEntry.objects.count() == before


def test_req11_the_sweep_resumes_after_a_crash(clinic, owner, make_person):
    """REQ-11: each batch commits; a crash after one batch loses nothing, and the next
    run handles exactly the rest."""
    people = [make_person(owner) for _ in range(5)]
    for person in people:
        entry(owner, person=person, when=at(2000, 1, 1))
    rule = [rule_named("journals")]

    class Crash(Exception):
        pass

    def crash(_n):
        raise Crash

    with pytest.raises(Crash):
        sweep(rules=rule, batch_size=2, progress=crash)
    from praksis.journal.models import JournalEntry

    assert JournalEntry.objects.count() == 3
    assert _count(sweep(rules=rule, batch_size=2)) == 3
    assert JournalEntry.objects.count() == 0
    details = list(
        AccessLogEntry.objects.filter(purpose="retention")
        .order_by("seq")
        .values_list("detail", flat=True)
    )
    assert details == ["rule=journals; delete: 2"] * 2 + ["rule=journals; delete: 1"]


def test_req11_evidence_names_rule_type_count_and_time_never_content(clinic, owner, make_person):
    """REQ-11 / GDPR art. 5(2): the evidence says what category went when — no names, no
    ids of people, no journal text."""
    person = make_person(owner, first_name="Unikanamnet")
    entry(owner, person=person, when=at(2000, 1, 1))
    invoice_order = sales.order_create(
        actor=owner,
        person_id=person.pk,
        lines=[{"description": "Glasögon", "quantity": 1, "unit_price": "100", "vat_rate": "25"}],
    )
    sales.invoice_issue(actor=owner, order_id=invoice_order.pk)
    sweep(now=timezone.now() + timedelta(days=3650 * 2), rules=rules())
    rows = list(AccessLogEntry.objects.filter(purpose="retention"))
    assert {(r.object_type, r.detail) for r in rows} == {
        ("journal", "rule=journals; delete: 1"),
        ("accounting", "rule=accounting; delete: 1"),
        ("client", "rule=former-clients; erase: 1"),  # nothing kept needs the record
    }
    for row in rows:
        assert row.person_id is None and row.object_id == "" and row.actor == "system:system"
        assert "Unikanamnet" not in row.detail and "SECRET" not in row.detail
    assert not Invoice.objects.exists()
    assert not Person.objects.filter(first_name="Unikanamnet").exists()


def test_req11_sent_messages_leave_the_outbox_after_their_period(make_clinic):
    """REQ-11 (Art. 5(1)(e)): a sent message's body is personal data; it is deleted three
    months after it was written (the clinic may choose another period), pending ones wait,
    and a legal hold on the person keeps theirs."""
    from datetime import timedelta

    from django.utils import timezone

    from praksis.messaging.models import OutboxMessage
    from praksis.messaging.services import message_enqueue
    from praksis.privacy.models import LegalHold
    from praksis.privacy.retention import policy_for, sweep_rule

    clinic = make_clinic("optician")
    assert policy_for(clinic, "message").months == 3

    def message(status: str, days_ago: int, person=None):
        m = message_enqueue(
            clinic=clinic, channel="email", to="a@example.com", subject="s", body="Hej Greta",
            kind="other", person=person,
        )  # fmt: skip
        OutboxMessage.objects.filter(pk=m.pk).update(
            status=status, created_at=timezone.now() - timedelta(days=days_ago)
        )
        return m.pk

    from praksis.people.models import Person

    held = Person.objects.create(clinic=clinic, first_name="Hold", last_name="Fast")
    LegalHold.objects.create(clinic=clinic, person=held, reason="Tvist", placed_by_user_id=None)
    old_sent = message("sent", 100)
    old_failed = message("failed", 100)
    old_pending = message("pending", 100)
    recent_sent = message("sent", 10)
    held_sent = message("sent", 100, person=held)
    assert sweep_rule("sent-messages") == 2
    left = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert left == {old_pending, recent_sent, held_sent}
    assert old_sent not in left and old_failed not in left


def test_req11_answered_privacy_requests_go_after_three_years(make_clinic, make_actor, make_person):
    """REQ-11 (Art. 5(2), 5(1)(e)): an answered request is proof of the answer for three
    years (configurable), then deleted; open ones and held persons' stay."""
    from datetime import timedelta

    from django.utils import timezone

    from praksis.privacy.models import DataSubjectRequest, LegalHold
    from praksis.privacy.requests import request_complete, request_create
    from praksis.privacy.retention import policy_for, sweep_rule

    clinic = make_clinic("optician")
    owner = make_actor(clinic, "owner")
    assert policy_for(clinic, "privacy_request").months == 36
    greta, held = (make_person(owner, first_name=n, last_name="Ek") for n in ("Greta", "Hold"))
    LegalHold.objects.create(clinic=clinic, person=held, reason="Tvist")
    old = request_complete(
        actor=owner, request_id=request_create(actor=owner, person_id=greta.pk, kind="access").pk
    )
    kept = request_complete(
        actor=owner, request_id=request_create(actor=owner, person_id=held.pk, kind="access").pk
    )
    open_one = request_create(actor=owner, person_id=greta.pk, kind="erasure")
    long_ago = timezone.now() - timedelta(days=3 * 366)
    DataSubjectRequest.objects.filter(pk__in=[old.pk, kept.pk]).update(completed_at=long_ago)
    DataSubjectRequest.objects.filter(pk=open_one.pk).update(received_at=long_ago)
    assert sweep_rule("answered-privacy-requests") == 1
    assert set(DataSubjectRequest.objects.values_list("pk", flat=True)) == {kept.pk, open_one.pk}
