"""`praksis retention-sweep [--dry-run]`: previews per rule and clinic, then applies, with
evidence rows that name the rule and the count, never the content (REQ-11)."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import BookingRequest
from praksis.booking.services import booking_request_create


def _request(clinic, name: str):
    return booking_request_create(
        clinic=clinic,
        data={
            "first_name": name,
            "last_name": "N",
            "phone": "0701234567",
            "accept_privacy_notice": True,
        },
    )


def test_dry_run_counts_and_changes_nothing_then_the_sweep_deletes(clinic, other_clinic):
    old = _request(clinic, "Gammal")
    _request(other_clinic, "Annan")
    fresh = _request(clinic, "Ny")
    BookingRequest.objects.exclude(pk=fresh.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    out = io.StringIO()
    call_command("retention-sweep", dry_run=True, stdout=out)
    text = out.getvalue()
    assert "booking-requests-expired" in text and clinic.slug in text and other_clinic.slug in text
    assert BookingRequest.objects.count() == 3
    out = io.StringIO()
    call_command("retention-sweep", stdout=out)
    assert "retention sweep done: 2 row(s)" in out.getvalue()
    assert list(BookingRequest.objects.values_list("pk", flat=True)) == [fresh.pk]
    evidence = AccessLogEntry.objects.get(clinic=clinic, purpose="retention")
    assert evidence.detail == "rule=booking-requests-expired; delete: 1"
    assert "Gammal" not in evidence.detail and old.pk  # the content is not in the evidence
    out = io.StringIO()
    call_command("retention-sweep", stdout=out)  # idempotent
    assert "retention sweep done: 0 row(s)" in out.getvalue()
