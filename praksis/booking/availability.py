"""Free slots: practitioners' weekly hours, minus closed days, absences and bookings.

Everything needed is read in four queries whatever the range (hours, closed days,
absences, appointments); the rest is arithmetic. Candidate starts are generated on the
clinic's wall clock (so a 09:00 opening stays 09:00 across a DST change) and turned into
UTC instants; a wall time that does not exist (the spring-forward hour) is skipped.
Busy time is merged into disjoint intervals per practitioner and searched by bisection,
so the cost grows with the number of candidate slots, not with the bookings.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from praksis.booking.models import (
    Absence,
    Appointment,
    BookingPolicy,
    ClosedDay,
    Service,
    WorkingHours,
)
from praksis.clinics.models import Clinic


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime
    practitioner_id: int


def policy_for(clinic: Clinic) -> BookingPolicy:
    policy = getattr(clinic, "_booking_policy_cache", None)
    if policy is None:
        policy, _created = BookingPolicy.objects.get_or_create(clinic=clinic)
        clinic._booking_policy_cache = policy
    return policy


def _local_to_utc(day: date, at: time, zone) -> datetime | None:
    """The instant of a wall-clock time, or None when that wall time does not exist."""
    local = datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # in the gap of a spring-forward change
    return instant


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def free_slots(
    *,
    clinic: Clinic,
    service: Service,
    date_from: date,
    date_to: date,
    practitioner_id: int | None = None,
    respect_bookings: bool = True,
    respect_notice: bool = True,
    now: datetime | None = None,
) -> list[Slot]:
    """Bookable starts for ``service`` between two local dates (inclusive), in order."""
    policy = policy_for(clinic)
    zone = clinic.zone
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    if respect_notice:
        date_from = max(date_from, today)
        date_to = min(date_to, today + timedelta(days=policy.horizon_days))
    if date_from > date_to:
        return []
    earliest = now + timedelta(minutes=policy.min_notice_minutes) if respect_notice else None

    practitioners = service.practitioners.filter(active=True, clinic=clinic)
    if practitioner_id is not None:
        practitioners = practitioners.filter(pk=practitioner_id)
    pids = list(practitioners.values_list("pk", flat=True))
    if not pids:
        return []

    hours: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    for pid, weekday, start, end in WorkingHours.objects.filter(
        practitioner_id__in=pids
    ).values_list("practitioner_id", "weekday", "start", "end"):
        hours[(pid, weekday)].append((start, end))

    window_start = _local_to_utc(date_from, time(0), zone) or datetime.combine(
        date_from, time(0), tzinfo=zone
    )
    window_end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone)
    closed = set(
        ClosedDay.objects.filter(clinic=clinic, date__range=(date_from, date_to)).values_list(
            "date", flat=True
        )
    )
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for pid, start, end in Absence.objects.filter(
        practitioner_id__in=pids, start__lt=window_end, end__gt=window_start
    ).values_list("practitioner_id", "start", "end"):
        busy[pid].append((start, end))
    if respect_bookings:
        for pid, start, end in Appointment.objects.filter(
            practitioner_id__in=pids,
            status=Appointment.Status.BOOKED,
            start__lt=window_end,
            busy_until__gt=window_start,
        ).values_list("practitioner_id", "start", "busy_until"):
            busy[pid].append((start, end))
    busy_merged = {pid: _merged(intervals) for pid, intervals in busy.items()}

    duration = timedelta(minutes=service.duration_minutes)
    need = duration + timedelta(minutes=service.buffer_minutes)
    step = timedelta(minutes=policy.slot_minutes)
    slots: list[Slot] = []
    for pid in pids:
        intervals = busy_merged.get(pid, [])
        ends = [end for _start, end in intervals]
        day = date_from
        while day <= date_to:
            if day not in closed:
                for open_at, close_at in sorted(hours.get((pid, day.weekday()), ())):
                    start = _local_to_utc(day, open_at, zone)
                    close = _local_to_utc(day, close_at, zone)
                    if start is None or close is None:
                        continue
                    while start + duration <= close:
                        if earliest is None or start >= earliest:
                            # The first busy interval ending after this start.
                            i = bisect_right(ends, start)
                            if i == len(intervals) or intervals[i][0] >= start + need:
                                slots.append(Slot(start, start + duration, pid))
                        start += step
            day += timedelta(days=1)
    slots.sort(key=lambda s: (s.start, s.practitioner_id))
    return slots
