"""Free slots: practitioners' weekly hours, minus closed days, absences and bookings.

Everything needed is read in one statement whatever the range (practitioners, hours,
closed days, absences, appointments, and the holds on the rooms and equipment the service
needs, which make everyone busy); the rest is arithmetic. Candidate starts are generated
on the clinic's wall clock (so a 09:00 opening stays 09:00 across a DST change) and turned
into UTC instants; a wall time that does not exist (the spring-forward hour) is skipped.
Busy time is merged into disjoint intervals per practitioner and searched by bisection,
so the cost grows with the number of candidate slots, not with the bookings.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from praksis.booking.models import Appointment, BookingPolicy, Service
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


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching intervals (epoch seconds) joined, in order."""
    merged: list[list[int]] = []
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
_CLOCKS: dict[str, list[str]] = {}


def _clock(tail: str) -> list[str]:
    """``_HHMM`` with a UTC offset such as "+01:00" appended (one list per offset)."""
    clock = _CLOCKS.get(tail)
    if clock is None:
        clock = _CLOCKS[tail] = [hhmm + tail for hhmm in _HHMM]
    return clock


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# Bookable: active, and not a member of staff whose role in the clinic has ended
# (deactivating someone stops their online bookings at once).
_PRACTITIONERS = (
    "SELECT pr.id FROM booking_practitioner pr JOIN booking_service_practitioners sp"
    " ON sp.practitioner_id = pr.id WHERE sp.service_id = %s AND pr.clinic_id = %s"
    " AND pr.active AND NOT EXISTS (SELECT 1 FROM clinics_membership m"
    " WHERE m.clinic_id = pr.clinic_id AND m.user_id = pr.user_id AND NOT m.is_active)"
)
_NULLS = {
    "wd": "CAST(NULL AS INTEGER)",
    "t1": "CAST(NULL AS TIME)",
    "t2": "CAST(NULL AS TIME)",
    "d": "CAST(NULL AS DATE)",
    "s": "CAST(NULL AS BIGINT)",
    "e": "CAST(NULL AS BIGINT)",
}


def _epoch(column: str) -> str:
    """SQL for a timestamp column as integer epoch seconds: the database converts, so
    no datetime is built in Python for each busy time (they are compared as integers)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"  # SQLite stores UTC text


# The longest a booking (so a resource hold) can last: the Service check constraints'
# 600 minutes plus a 240-minute buffer.
_LONGEST = timedelta(minutes=600 + 240)


def _branch(kind: int, pid: str, source: str, **columns: str) -> str:
    values = ", ".join(columns.get(name, null) for name, null in _NULLS.items())
    return f"SELECT {kind}, {pid}, {values} FROM {source}"  # noqa: S608 - constants only


def _schedule(
    *,
    clinic: Clinic,
    service: Service,
    practitioner_id: int | None,
    date_from: date,
    date_to: date,
    window: tuple[datetime, datetime],
    respect_bookings: bool,
    exclude_id: int = 0,
):
    """Who can take ``service``, their weekly hours, the closed days and the busy times
    (their bookings and absences, and the holds on the rooms and equipment the service
    needs), read in one statement (tagged rows of the tables, built from constants)."""
    ops = connection.ops
    chosen = _PRACTITIONERS + (" AND pr.id = %s" if practitioner_id is not None else "")
    chosen_params = [service.pk, clinic.pk] + (
        [practitioner_id] if practitioner_id is not None else []
    )
    start, end = (ops.adapt_datetimefield_value(w) for w in window)
    branches = [
        _branch(0, "id", "p"),
        _branch(
            1,
            "w.practitioner_id",
            "booking_workinghours w JOIN p ON p.id = w.practitioner_id",
            wd="w.weekday",
            t1="w.start",
            t2='w."end"',
        ),
        _branch(
            2,
            "NULL",
            "booking_closedday c WHERE c.clinic_id = %s AND c.date BETWEEN %s AND %s",
            d="c.date",
        ),
        _branch(
            3,
            "a.practitioner_id",
            "booking_absence a JOIN p ON p.id = a.practitioner_id"
            ' WHERE a.start < %s AND a."end" > %s',
            s=_epoch("a.start"),
            e=_epoch('a."end"'),
        ),
    ]
    params = [
        *chosen_params,
        clinic.pk,
        ops.adapt_datefield_value(date_from),
        ops.adapt_datefield_value(date_to),
        end,
        start,
    ]
    if respect_bookings:
        branches.append(
            _branch(
                4,
                "b.practitioner_id",
                "booking_appointment b JOIN p ON p.id = b.practitioner_id"
                " WHERE b.clinic_id = %s AND b.status IN (%s, %s) AND b.start < %s"
                " AND b.busy_until > %s AND b.id <> %s",
                s=_epoch("b.start"),
                e=_epoch("b.busy_until"),
            )
        )
        params += [clinic.pk, *Appointment.HOLDING, end, start, exclude_id]
        # Rooms and equipment the service needs: their holds block every practitioner.
        # A hold is at most the longest service long, so its start bounds the index scan.
        branches.append(
            _branch(
                5,
                "NULL",
                "booking_resourcehold h JOIN booking_service_resources sr"
                " ON sr.resource_id = h.resource_id JOIN booking_resource r"
                " ON r.id = h.resource_id WHERE sr.service_id = %s AND r.active"
                " AND h.start < %s AND h.start > %s AND h.busy_until > %s"
                " AND h.appointment_id <> %s",
                s=_epoch("h.start"),
                e=_epoch("h.busy_until"),
            )
        )
        params += [
            service.pk,
            end,
            ops.adapt_datetimefield_value(window[0] - _LONGEST),
            start,
            exclude_id,
        ]
    sql = f"WITH p AS ({chosen}) " + " UNION ALL ".join(branches)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    pids: list[int] = []
    hours: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    closed: set[date] = set()
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    taken: list[tuple[int, int]] = []
    for kind, pid, weekday, t1, t2, day, s_at, e_at in rows:
        if kind == 0:
            pids.append(pid)
        elif kind == 1:
            hours[(pid, weekday)].append((_time(t1), _time(t2)))
        elif kind == 2:
            closed.add(_date(day))
        elif kind == 5:
            taken.append((s_at, e_at))
        else:
            busy[pid].append((s_at, e_at))
    return sorted(pids), hours, closed, busy, taken


def _time(value) -> time:  # SQLite hands back text
    return time.fromisoformat(value) if isinstance(value, str) else value


def _date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


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
    exclude_id: int | None = None,
) -> list[SlotRow]:
    """Bookable starts for ``service`` between two local dates (inclusive), in order;
    with ``at``, only the slots starting then (checking one booking reads only the
    bookings and absences around it); with ``exclude_id``, as if that booking (one being
    moved) and its rooms were free.

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

    window_start = datetime.combine(date_from, time(0), tzinfo=zone)
    window_end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone)
    only = None if at is None else int(at.timestamp())
    if at is not None:
        need_td = timedelta(minutes=service.duration_minutes + service.buffer_minutes)
        window_start, window_end = max(window_start, at), min(window_end, at + need_td)
    pids, hours, closed, busy, taken = _schedule(
        clinic=clinic,
        service=service,
        practitioner_id=practitioner_id,
        date_from=date_from,
        date_to=date_to,
        window=(window_start, window_end),
        respect_bookings=respect_bookings,
        exclude_id=exclude_id or 0,
    )
    if not pids:
        return []
    # Busy times (epoch seconds) merged per practitioner. A room's holds (``taken``)
    # block everyone who would need it: added to every practitioner.
    busy_ts = {pid: _merged(intervals + taken) for pid, intervals in busy.items()}
    if taken:
        merged_taken = _merged(taken)
        for pid in pids:
            busy_ts.setdefault(pid, merged_taken)

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
                closing = (
                    instant(day, close_at)
                    if close_at != time.max
                    else instant(day + timedelta(days=1), time(0))  # "24:00"
                )
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
                if closing_offset != offset or close_at == time.max:
                    # A stretch across a DST change (a night shift), or one to 24:00 whose
                    # last visit ends on the next day: convert each slot.
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
                    clock = _clock(tail)
                    rows += [
                        (
                            t,
                            pid,
                            t + duration,
                            prefix + clock[m],
                            prefix + clock[m + duration_min],
                        )
                        for t in candidates
                        for m in (wall + t // 60,)
                    ]
                    continue
                # The busy intervals are merged (disjoint, in order) and the candidates
                # ascend: one sweep, not a test of every interval for every slot.
                j, n_busy = 0, len(busy_here)
                clock = _clock(tail)
                append = rows.append
                for t in candidates:
                    while j < n_busy and busy_here[j][1] <= t:
                        j += 1
                    if j < n_busy and busy_here[j][0] < t + need:
                        continue
                    m = wall + t // 60
                    end_m = m + duration_min
                    append((t, pid, t + duration, prefix + clock[m], prefix + clock[end_m]))
    rows.sort()
    return rows


def free_slots(**kwargs) -> list[Slot]:
    """:func:`free_slot_rows` as aware UTC datetimes (for the booking rules and pages)."""
    return [
        Slot(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), pid)
        for start, pid, end, _start_iso, _end_iso in free_slot_rows(**kwargs)
    ]
