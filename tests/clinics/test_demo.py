"""The demo shows every part of Praksis with something in it, and its front door lists the
clinics and who signs in.

``seed-demo`` fills each clinic the way its staff would have: signed journal entries with
the profile's template fields and an amendment (REQ-12), recalls due, orders invoiced and
paid, a booking request, disclosures, breaches with the 72-hour clock (REQ-31) — written
through the services, so they are access-logged like real use (REQ-19) and the log's chain
holds. It is fast, and running it twice adds nothing.
"""

from __future__ import annotations

import calendar
import io
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Appointment, BookingRequest
from praksis.breaches.models import AffectedPerson, Breach
from praksis.clinics.models import Clinic, User
from praksis.disclosures.models import Disclosure
from praksis.journal.fields import fields_for
from praksis.journal.models import ClientCard, EntryKind, JournalEntry
from praksis.journal.selectors import decrypt_content
from praksis.messaging.models import OutboxMessage
from praksis.recall.models import Recall
from praksis.sales.models import InstalmentPlan, Invoice, Order, Payment, PortalLead
from praksis.site.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.django_db

SLUGS = ["lund-optik", "alva-terapi", "fjord-dyreklinikk", "nordby-tannhelse"]
SEED_SECONDS = 20  # all four clinics with 300 people each, on SQLite


@pytest.fixture
def demo(settings):
    settings.PRAKSIS_DEMO = True
    return {c.slug: c for c in seed_demo(persons_per_clinic=20)}


def _today(clinic):
    return timezone.now().astimezone(clinic.zone).date()


def test_every_clinic_has_signed_journals_with_its_template_fields_and_an_amendment(demo):
    for clinic in demo.values():
        entries = JournalEntry.objects.filter(clinic=clinic)
        notes = [e for e in entries if e.kind == EntryKind.NOTE and e.signed_at]
        assert len(notes) >= 4, clinic.slug
        template = {f.name for f in fields_for(clinic.profile)}
        filled = [decrypt_content(e)["fields"] for e in notes]
        assert all(set(f) <= template for f in filled)
        assert sum(bool(f) for f in filled) >= 2, clinic.slug
        amendment = entries.get(kind=EntryKind.AMENDMENT)
        assert amendment.signed_at and amendment.concerns.signed_at  # REQ-12
        assert decrypt_content(amendment)["reason"]
        assert entries.filter(signed_at__isnull=True).count() == 1  # a draft, flagged (REQ-13)
        practitioner = User.objects.get(email=f"practitioner@{clinic.slug}.test")
        assert {e.author_user_id for e in entries} == {practitioner.pk}
        logged = AccessLogEntry.objects.filter(
            clinic=clinic, user_id=practitioner.pk, object_type="journal_entry", action="create"
        )
        assert logged.count() == entries.count()  # REQ-19: written like real use
    vet = demo["fjord-dyreklinikk"]
    assert not JournalEntry.objects.filter(clinic=vet, animal__isnull=True).exists()
    assert ClientCard.objects.filter(clinic=demo["alva-terapi"]).exists()


def test_recalls_are_due_some_overdue_some_this_month_except_at_the_therapist(demo):
    for slug in ("lund-optik", "fjord-dyreklinikk", "nordby-tannhelse"):
        clinic = demo[slug]
        today = _today(clinic)
        month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        due = list(
            Recall.objects.filter(clinic=clinic, status="active").values_list("due_date", flat=True)
        )
        assert any(d < today for d in due), slug
        assert any(today <= d <= month_end for d in due), slug
    assert not Recall.objects.filter(clinic=demo["alva-terapi"]).exists()


def test_orders_are_invoiced_and_one_paid_in_every_clinic(demo):
    for clinic in demo.values():
        assert Order.objects.filter(clinic=clinic, journal_entry__isnull=False).exists()
        statuses = set(Invoice.objects.filter(clinic=clinic).values_list("status", flat=True))
        assert statuses == {"paid", "open"}, clinic.slug
        payment = Payment.objects.get(clinic=clinic)
        assert payment.amount == payment.invoice.total
    assert InstalmentPlan.objects.filter(clinic=demo["lund-optik"]).exists()
    assert PortalLead.objects.filter(clinic=demo["alva-terapi"]).exists()


def test_visits_and_bookings_were_made_by_the_receptionist_with_confirmations(demo):
    for clinic in demo.values():
        reception = User.objects.get(email=f"reception@{clinic.slug}.test")
        booked = Appointment.objects.filter(clinic=clinic, created_by_user_id=reception.pk)
        assert booked.filter(start__lt=timezone.now()).count() >= 4  # recorded past visits
        ahead = booked.filter(start__gt=timezone.now())
        assert ahead.exists()
        confirmations = OutboxMessage.objects.filter(
            clinic=clinic, kind="confirmation", related_type="appointment"
        )
        assert set(confirmations.values_list("related_id", flat=True)) == set(
            ahead.values_list("pk", flat=True)
        )


def test_the_dental_clinic_has_a_booking_request_waiting(demo):
    request = BookingRequest.objects.get()
    assert request.clinic == demo["nordby-tannhelse"] and request.status == "open"
    assert OutboxMessage.objects.filter(related_type="booking_request").exists()


def test_a_lab_sample_at_the_vet_and_a_referral_with_consent_at_the_dentist(demo):
    sample = Disclosure.objects.get(clinic=demo["fjord-dyreklinikk"])
    assert sample.kind == "lab_sample" and sample.animal_id and sample.journal_entries.exists()
    referral = Disclosure.objects.get(clinic=demo["nordby-tannhelse"])
    assert referral.kind == "referral" and referral.basis == "consent"
    assert referral.consent.third_party == referral.recipient_name
    assert referral.journal_entries.filter(signed_at__isnull=False).exists()
    assert Disclosure.objects.count() == 2


def test_one_closed_breach_and_one_with_its_72_hour_clock_running(demo):
    """REQ-31: the open breach was discovered hours ago, so its clock shows time left."""
    for slug in ("lund-optik", "nordby-tannhelse"):
        clinic = demo[slug]
        closed = Breach.objects.get(clinic=clinic, authority_notified_at__isnull=False)
        assert closed.authority_notified_at <= closed.notify_authority_by
        running = Breach.objects.get(clinic=clinic, authority_notified_at__isnull=True)
        assert running.clock_running
        assert timezone.now() - timedelta(days=1) < running.discovered_at < timezone.now()
        assert running.notify_authority_by == running.discovered_at + timedelta(hours=72)
        assert AffectedPerson.objects.filter(breach=running).exists()
    assert Breach.objects.count() == 4


def test_the_access_log_chain_holds_after_seeding(demo):
    call_command("verify-access-log", stdout=io.StringIO())


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("praksis.")
    }


def test_seeding_twice_adds_nothing_the_second_time(settings):
    settings.PRAKSIS_DEMO = True
    seed_demo(persons_per_clinic=20)
    first = _row_counts()
    seed_demo(persons_per_clinic=20)
    assert _row_counts() == first


def test_seeding_all_four_clinics_takes_less_than_20_seconds(settings):
    settings.PRAKSIS_DEMO = True
    started = time.monotonic()
    call_command("seed-demo", stdout=io.StringIO())  # 300 people per clinic
    seconds = time.monotonic() - started
    print(f"seed-demo: {seconds:.1f} s")
    assert sorted(Clinic.objects.values_list("slug", flat=True)) == sorted(SLUGS)
    assert JournalEntry.objects.count() and Breach.objects.count()
    assert seconds < SEED_SECONDS


# --- The demo's front door --------------------------------------------------------------


def test_in_demo_mode_the_front_page_lists_the_clinics_and_the_staff_sign_ins(demo, settings):
    response = Client(headers={"Accept-Language": "en"}).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for slug in SLUGS:
        clinic = demo[slug]
        assert f'href="/{slug}/?lang={clinic.language}"' in page
        assert f'href="/{slug}/privacy?lang={clinic.language}"' in page
        for local in ("owner", "practitioner", "reception"):
            assert f"{local}@{slug}.test" in page
    assert DEMO_PASSWORD in page
    assert 'href="/staff/"' in page


def test_the_front_page_before_seeding_says_how_to_seed(settings, db):
    settings.PRAKSIS_DEMO = True
    page = Client().get("/").content.decode()
    assert "seed-demo" in page and DEMO_PASSWORD not in page


def test_outside_demo_mode_the_front_page_leads_to_the_staff_pages(demo, settings):
    settings.PRAKSIS_DEMO = False
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert DEMO_PASSWORD not in response.content.decode()
