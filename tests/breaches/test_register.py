"""The breach register: the 72-hour clock, late notification, phases, who may keep it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.breaches.models import Breach, BreachUpdate, Risk
from praksis.breaches.services import (
    authority_for,
    breach_add_update,
    breach_edit,
    breach_list,
    breach_mark_notified,
    breach_register,
    clock,
)
from praksis.core.errors import ValidationFailed

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OSLO = ZoneInfo("Europe/Oslo")


def test_deadline_is_72_hours_after_awareness(owner):
    """REQ-31: the authority must be told within 72 hours of the clinic becoming aware."""
    aware = timezone.now() - timedelta(hours=5)
    breach = breach_register(
        actor=owner, description="Mail to the wrong client", discovered_at=aware
    )
    breach.refresh_from_db()
    assert breach.notify_authority_by == aware + timedelta(hours=72)
    left = clock(breach)
    assert not left["overdue"] and left["hours"] == 66


@pytest.mark.parametrize(
    ("local", "deadline_local"),
    [
        # Spring forward (30 March 2025, 02:00 -> 03:00): 72 elapsed hours end at 11:00.
        (datetime(2025, 3, 29, 10, 0), datetime(2025, 4, 1, 11, 0)),
        # Fall back (26 October 2025, 03:00 -> 02:00): 72 elapsed hours end at 09:00.
        (datetime(2025, 10, 25, 10, 0), datetime(2025, 10, 28, 9, 0)),
    ],
)
def test_deadline_counts_elapsed_hours_across_dst(owner, local, deadline_local):
    """REQ-31: 72 hours are 72 elapsed hours, also when the clocks change in between."""
    typed = local.strftime("%Y-%m-%dT%H:%M")  # as the form sends it, on the clinic's clock
    breach = breach_register(actor=owner, description="Lost USB stick", discovered_at=typed)
    breach.refresh_from_db()
    assert breach.discovered_at == local.replace(tzinfo=STOCKHOLM)
    assert breach.notify_authority_by - breach.discovered_at == timedelta(hours=72)
    assert breach.notify_authority_by.astimezone(STOCKHOLM).replace(tzinfo=None) == deadline_local


def test_discovery_is_required_and_not_in_the_future(owner):
    """REQ-31: the clock needs a real moment of awareness; bad input changes nothing."""
    with pytest.raises(ValidationFailed) as missing:
        breach_register(actor=owner, description="", discovered_at="")
    assert set(missing.value.errors) == {"description", "discovered_at"}
    with pytest.raises(ValidationFailed) as future:
        breach_register(
            actor=owner, description="x", discovered_at=timezone.now() + timedelta(days=1)
        )
    assert set(future.value.errors) == {"discovered_at"}
    with pytest.raises(ValidationFailed):
        breach_register(actor=owner, description="x", discovered_at="yesterday")
    assert not Breach.objects.exists()


def test_late_notification_requires_a_reason(owner):
    """REQ-31: notifying after 72 hours needs the reasons for the delay (Art. 33(1))."""
    breach = breach_register(
        actor=owner,
        description="Unlocked archive",
        discovered_at=timezone.now() - timedelta(days=4),
    )
    with pytest.raises(ValidationFailed) as refused:
        breach_mark_notified(actor=owner, breach_id=breach.pk)
    assert set(refused.value.errors) == {"late_reason"}
    breach.refresh_from_db()
    assert breach.authority_notified_at is None and breach.clock_running

    breach_mark_notified(
        actor=owner, breach_id=breach.pk, reference="IMY-2025-1", late_reason="Found over Easter"
    )
    breach.refresh_from_db()
    assert breach.notified_late and breach.late_reason == "Found over Easter"
    assert breach.authority_reference == "IMY-2025-1" and not breach.clock_running
    # And the database refuses a late notification without the reason, whatever the code.
    with pytest.raises(DatabaseError), transaction.atomic():
        Breach.objects.filter(pk=breach.pk).update(late_reason="")


def test_notification_in_time_needs_no_reason(owner, breach):
    """REQ-31: within 72 hours the notification is simply recorded, and the clock stops."""
    breach_mark_notified(actor=owner, breach_id=breach.pk, late_reason="ignored")
    breach.refresh_from_db()
    assert breach.authority_notified_at and not breach.notified_late
    assert breach.late_reason == ""
    assert breach not in [b for b in breach_list(actor=owner) if b.clock_running]


def test_unlikely_risk_needs_a_reason_and_stops_the_clock(owner):
    """REQ-31: a breach that is not reported stays registered, with why not (Art. 33(5))."""
    breach = breach_register(
        actor=owner, description="E-mail to a colleague", discovered_at=timezone.now()
    )
    with pytest.raises(ValidationFailed) as refused:
        breach_edit(actor=owner, breach_id=breach.pk, changes={"risk": Risk.NONE})
    assert set(refused.value.errors) == {"no_notification_reason"}
    breach_edit(
        actor=owner,
        breach_id=breach.pk,
        changes={"risk": Risk.NONE, "no_notification_reason": "Encrypted attachment, deleted"},
    )
    breach.refresh_from_db()
    assert not breach.clock_running
    assert breach in breach_list(actor=owner)  # registered all the same (Art. 33(5))


def test_phased_updates_are_appended_and_never_changed(owner, breach):
    """REQ-31: information may follow in phases (Art. 33(4)); earlier phases stay as written."""
    breach_add_update(actor=owner, breach_id=breach.pk, text="The police have the report.")
    breach_add_update(actor=owner, breach_id=breach.pk, text="About 40 clients affected.")
    texts = list(BreachUpdate.objects.filter(breach=breach).values_list("text", flat=True))
    assert texts == ["The police have the report.", "About 40 clients affected."]
    with pytest.raises(ValidationFailed):
        breach_add_update(actor=owner, breach_id=breach.pk, text="  ")
    first = BreachUpdate.objects.filter(breach=breach).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        BreachUpdate.objects.filter(pk=first.pk).update(text="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        BreachUpdate.objects.filter(pk=first.pk).delete()
    assert BreachUpdate.objects.filter(breach=breach).count() == 2


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_only_the_owner_keeps_the_register(clinic, make_actor, owner, breach, role):
    """REQ-31: the register is the owner's (privacy officer's); others change nothing."""
    actor = make_actor(clinic, role)
    before = AccessLogEntry.objects.count()
    with pytest.raises(PermissionDenied):
        breach_register(actor=actor, description="x", discovered_at=timezone.now())
    with pytest.raises(PermissionDenied):
        breach_add_update(actor=actor, breach_id=breach.pk, text="x")
    with pytest.raises(PermissionDenied):
        breach_mark_notified(actor=actor, breach_id=breach.pk)
    with pytest.raises(PermissionDenied):
        breach_list(actor=actor)
    assert Breach.objects.count() == 1 and not BreachUpdate.objects.exists()
    assert AccessLogEntry.objects.count() == before


def test_authority_is_named_by_country(make_clinic):
    """REQ-45: Swedish clinics report to IMY (e-service), Norwegian to Datatilsynet (Altinn)."""
    se = authority_for(make_clinic("optician"))
    no = authority_for(make_clinic("dental"))
    assert "IMY" in se["name"] and "e-service" in str(se["channel"])
    assert no["name"] == "Datatilsynet" and "Altinn" in str(no["channel"])
    assert "Meld avvik" in str(no["channel"])


def test_norwegian_clinic_reads_times_on_its_own_clock(make_clinic, make_actor):
    """REQ-31: a Norwegian clinic's typed time is Oslo time; the deadline is still 72 h on."""
    clinic = make_clinic("dental")
    owner = make_actor(clinic, "owner")
    breach = breach_register(actor=owner, description="x", discovered_at="2025-06-02T08:30")
    breach.refresh_from_db()
    assert breach.discovered_at == datetime(2025, 6, 2, 6, 30, tzinfo=UTC)
    assert breach.notify_authority_by.astimezone(OSLO) == datetime(2025, 6, 5, 8, 30, tzinfo=OSLO)
