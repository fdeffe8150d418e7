"""Free slots: practitioners' weekly hours, minus closed days, absences and bookings.

Everything needed is read in four queries whatever the range (hours, closed days,
absences, appointments); the rest is arithmetic. Candidate starts are generated on the
clinic's wall clock (so a 09:00 opening stays 09:00 across a DST change) and turned into
UTC instants; a wall time that does not exist (the spring-forward hour) is skipped.
Busy time is merged into disjoint intervals per practitioner and searched by bisection,
so the cost grows with the number of candidate slots, not with the bookings.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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


# A free slot in the cheapest form, a plain tuple whose order is the sort order:
# (start epoch seconds, practitioner id, end epoch seconds, local ISO start, local ISO end).
SlotRow = tuple[int, int, int, str, str]
# "HH:MM:00" for every minute of a day and of the next (a visit may end after midnight).
_HHMM = [f"{m // 60 % 24:02d}:{m % 60:02d}:00" for m in range(2 * 24 * 60)]


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def free_slot_rows(
    *,
    clinic: Clinic,
    service: Service,
    date_from: date,
    date_to: date,
    practitioner_id: int | None = None,
    respect_bookings: bool = True,
    respect_notice: bool = True,
    now: datetime | None = None,
    at: datetime | None = None,
) -> list[SlotRow]:
    """Bookable starts for ``service`` between two local dates (inclusive), in order;
    with ``at``, only the slots starting then (checking one booking reads only the
    bookings and absences around it).

    Works in integer seconds and formats local times arithmetically: a stretch of
    working hours has one UTC offset (DST changes happen at night), so each slot costs a
    few integer operations and a bisection, not time-zone conversions.
    """
    policy = policy_for(clinic)
    zone = clinic.zone
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    if respect_notice:
        date_from = max(date_from, today)
        date_to = min(date_to, today + timedelta(days=policy.horizon_days))
    if date_from > date_to:
        return []
    earliest = (
        int((now + timedelta(minutes=policy.min_notice_minutes)).timestamp())
        if respect_notice
        else None
    )

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

    window_start = datetime.combine(date_from, time(0), tzinfo=zone)
    window_end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone)
    only = None if at is None else int(at.timestamp())
    if at is not None:
        need_td = timedelta(minutes=service.duration_minutes + service.buffer_minutes)
        window_start, window_end = max(window_start, at), min(window_end, at + need_td)
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
    busy_ts = {
        pid: [(int(s.timestamp()), int(e.timestamp())) for s, e in _merged(intervals)]
        for pid, intervals in busy.items()
    }

    duration = service.duration_minutes * 60
    need = (service.duration_minutes + service.buffer_minutes) * 60
    step = policy.slot_minutes * 60
    duration_min = service.duration_minutes
    rows: list[SlotRow] = []
    instants: dict[tuple[date, time], tuple[int, timedelta] | None] = {}

    def instant(day: date, at: time) -> tuple[int, timedelta] | None:
        """Epoch seconds and UTC offset of a wall time (shared by all practitioners)."""
        key = (day, at)
        if key not in instants:
            utc = _local_to_utc(day, at, zone)
            instants[key] = (
                None if utc is None else (int(utc.timestamp()), utc.astimezone(zone).utcoffset())
            )
        return instants[key]

    days = []
    day = date_from
    while day <= date_to:
        if day not in closed:
            days.append(day)
        day += timedelta(days=1)
    for pid in pids:
        intervals = busy_ts.get(pid, [])
        starts = [start for start, _end in intervals]
        ends = [end for _start, end in intervals]
        for day in days:
            stretches = hours.get((pid, day.weekday()))
            if not stretches:
                continue
            prefix = day.isoformat() + "T"
            for open_at, close_at in sorted(stretches):
                opening = instant(day, open_at)
                closing = instant(day, close_at)
                if opening is None or closing is None:
                    continue
                (first, offset), (last, closing_offset) = opening, closing
                skip = (
                    0 if earliest is None or earliest <= first else -(-(earliest - first) // step)
                )
                candidates = range(first + skip * step, last - duration + 1, step)
                if only is not None:
                    candidates = range(only, only + 1) if only in candidates else range(0)
                if not candidates:
                    continue
                # Only the busy intervals that touch this stretch matter.
                busy_here = intervals[bisect_right(ends, first) : bisect_left(starts, last + need)]
                if closing_offset != offset:
                    # A stretch across a DST change (a night shift): convert each slot.
                    for t in candidates:
                        if not any(b0 < t + need and b1 > t for b0, b1 in busy_here):
                            rows.append(
                                (
                                    t,
                                    pid,
                                    t + duration,
                                    datetime.fromtimestamp(t, zone).isoformat(),
                                    datetime.fromtimestamp(t + duration, zone).isoformat(),
                                )
                            )
                    continue
                tail = _offset_text(offset)
                wall = open_at.hour * 60 + open_at.minute - first // 60
                if not busy_here:  # the common case: one comprehension, no tests per slot
                    rows += [
                        (
                            t,
                            pid,
                            t + duration,
                            prefix + _HHMM[wall + t // 60] + tail,
                            prefix + _HHMM[wall + t // 60 + duration_min] + tail,
                        )
                        for t in candidates
                    ]
                    continue
                for t in candidates:
                    if any(b0 < t + need and b1 > t for b0, b1 in busy_here):
                        continue
                    m = wall + t // 60
                    rows.append(
                        (
                            t,
                            pid,
                            t + duration,
                            prefix + _HHMM[m] + tail,
                            prefix + _HHMM[m + duration_min] + tail,
                        )
                    )
    rows.sort()
    return rows


def free_slots(**kwargs) -> list[Slot]:
    """:func:`free_slot_rows` as aware UTC datetimes (for the booking rules and pages)."""
    return [
        Slot(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), pid)
        for start, pid, end, _start_iso, _end_iso in free_slot_rows(**kwargs)
    ]
