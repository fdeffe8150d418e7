"""The retention sweep: delete (or strip) what has passed its retention, with evidence.

This is the engine's first part: rules for the short-lived records that exist today —
unconverted booking requests past their expiry, and the IP address of online bookings
past its security retention (both per clinic policy). Each rule selects due rows across
clinics, works in batches (constant memory, safe on several machines at once: rows are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and logs evidence per clinic —
rule, record type, count, time; never the content. ``--dry-run`` only counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import system_actor
from praksis.clinics.models import Clinic


@dataclass(frozen=True)
class Rule:
    name: str
    record_type: str
    action: str  # what happens to a due row: "delete" or "forget ip address"
    due: Callable[[datetime], QuerySet]
    apply: Callable[[QuerySet], int]


def _booking_requests_due(now: datetime) -> QuerySet:
    from praksis.booking.models import BookingRequest

    return BookingRequest.objects.filter(expires_at__lte=now).exclude(
        status=BookingRequest.Status.CONVERTED
    )


def _booking_ips_due(now: datetime) -> QuerySet:
    from praksis.booking.models import Appointment

    return Appointment.objects.filter(ip_expires_at__lte=now, ip_address__isnull=False)


def _delete(qs: QuerySet) -> int:
    return qs.delete()[0]


def _forget_ip(qs: QuerySet) -> int:
    return qs.update(ip_address=None, ip_expires_at=None)


RULES = [
    Rule("booking-requests-expired", "booking_request", "delete", _booking_requests_due, _delete),
    Rule(
        "booking-ip-addresses",
        "appointment.ip_address",
        "forget ip address",
        _booking_ips_due,
        _forget_ip,
    ),
]


@dataclass
class Outcome:
    rule: str
    clinic: str
    count: int


def preview(*, now: datetime | None = None, rules=RULES) -> list[Outcome]:
    """How many rows each rule would touch, per clinic (nothing changes)."""
    now = now or timezone.now()
    slugs = dict(Clinic.objects.values_list("pk", "slug"))
    outcomes = []
    for rule in rules:
        counts = rule.due(now).values("clinic_id").annotate(n=Count("pk")).order_by("clinic_id")
        outcomes += [Outcome(rule.name, slugs[c["clinic_id"]], c["n"]) for c in counts]
    return outcomes


def sweep(
    *, now: datetime | None = None, rules=RULES, batch_size: int = 1000, progress=None
) -> list[Outcome]:
    """Apply every rule in batches; log one evidence row per rule and clinic."""
    now = now or timezone.now()
    done: dict[tuple[str, int], int] = {}
    for rule in rules:
        while True:
            with transaction.atomic():
                batch = rule.due(now).order_by("pk")
                if connection.vendor == "postgresql":
                    batch = batch.select_for_update(skip_locked=True)
                rows = list(batch.values_list("pk", "clinic_id")[:batch_size])
                if not rows:
                    break
                pks = [pk for pk, _clinic in rows]
                rule.apply(rule.due(now).filter(pk__in=pks))
                per_clinic: dict[int, int] = {}
                for _pk, clinic_id in rows:
                    per_clinic[clinic_id] = per_clinic.get(clinic_id, 0) + 1
                for clinic in Clinic.objects.filter(pk__in=per_clinic):
                    log_access(
                        system_actor(clinic, channel="system"),
                        Access(
                            Action.DELETE if rule.action == "delete" else Action.UPDATE,
                            rule.record_type,
                            "",
                            purpose="retention",
                            detail=f"rule={rule.name}; {rule.action}: {per_clinic[clinic.pk]}",
                        ),
                    )
                    key = (rule.name, clinic.pk)
                    done[key] = done.get(key, 0) + per_clinic[clinic.pk]
                if progress:
                    progress(len(rows))
    slugs = dict(Clinic.objects.values_list("pk", "slug"))
    return [Outcome(name, slugs[clinic_id], n) for (name, clinic_id), n in done.items()]


def sweep_rule(name: str, *, now: datetime | None = None) -> int:
    rule = next(r for r in RULES if r.name == name)
    return sum(o.count for o in sweep(now=now, rules=[rule]))
