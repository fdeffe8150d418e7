"""Availability: hours minus closed days, absences, bookings and buffers; DST-correct."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from praksis.booking.availability import free_slots, policy_for
from praksis.booking.models import Absence, Appointment, ClosedDay, WorkingHours
from tests.conftest import next_local


@pytest.fixture
def setup(clinic, make_bookable):
    service, staff = make_bookable(clinic, practitioners=2, duration=30, buffer=15)
    return clinic, service, staff


def _starts(slots, practitioner=None):
    return [s.start for s in slots if practitioner is None or s.practitioner_id == practitioner]


def _local(clinic, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clinic.zone)


_KEYS = itertools.count(1)


def _book(clinic, service, practitioner, person, start: datetime, **extra) -> Appointment:
    """A 30-minute booking busy for 45 (its 15-minute buffer), written directly."""
    key = next(_KEYS)
    return Appointment.objects.create(
        clinic=clinic,
        practitioner=practitioner,
        service=service,
        person=person,
        start=start,
        end=start + timedelta(minutes=30),
        busy_until=start + timedelta(minutes=45),
        channel="phone",
        reference=f"R{key}",
        manage_token_hash=f"h{key}",
        uid=f"u{key}",
        **extra,
    )


def test_slots_follow_the_hours_on_the_clinic_clock(setup):
    clinic, service, (p1, p2) = setup
    day = next_local(clinic, days=3).date()
    slots = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)
    first = _starts(slots, p1.pk)
    assert first[0] == _local(clinic, day, 8)
    assert first[-1] == _local(clinic, day, 16, 30)  # 30 minutes must fit before 17:00
    assert len(first) == 35  # 08:00..16:30 every 15 minutes
    assert _starts(slots, p2.pk) == first
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_bookings_and_their_buffers_block_time(setup, owner, make_person):
    clinic, service, (p1, _p2) = setup
    start = next_local(clinic, days=3, hour=10)
    _book(clinic, service, p1, make_person(owner), start)
    slots = free_slots(clinic=clinic, service=service, date_from=start.date(), date_to=start.date())
    taken = _starts(slots, p1.pk)
    # A new 30+15 minute booking may not overlap 10:00-10:45 (busy until 10:45).
    assert start - timedelta(minutes=15) not in taken  # 09:45 + 45 > 10:00
    assert start - timedelta(minutes=45) in taken  # 09:15 ends with its buffer at 10:00
    assert start not in taken
    assert start + timedelta(minutes=45) in taken
    # The other practitioner is free at 10:00.
    assert start in _starts(slots)


def test_checking_one_start_agrees_with_the_whole_day(setup, owner, make_person):
    """Booking checks a single start (``at``) reading only the bookings around it; for
    every quarter of the day — free, taken, inside a buffer, off the grid — that
    answer is the day's answer at that time."""
    clinic, service, (p1, p2) = setup
    start = next_local(clinic, days=3, hour=10)
    for practitioner, at in ((p1, start), (p1, start + timedelta(hours=3)), (p2, start)):
        _book(clinic, service, practitioner, make_person(owner), at)
    day = start.date()
    whole = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)
    moment = _local(clinic, day, 6)
    while moment < _local(clinic, day, 19):
        one = free_slots(clinic=clinic, service=service, date_from=day, date_to=day, at=moment)
        assert one == [s for s in whole if s.start == moment], moment
        moment += timedelta(minutes=5)


def test_cancelled_bookings_free_the_time(setup, owner, make_person):
    clinic, service, (p1, _p2) = setup
    start = next_local(clinic, days=3, hour=10)
    _book(clinic, service, p1, make_person(owner), start, status="cancelled")
    slots = free_slots(clinic=clinic, service=service, date_from=start.date(), date_to=start.date())
    assert start in _starts(slots, p1.pk)


def test_absences_and_closed_days(setup):
    clinic, service, (p1, p2) = setup
    day = next_local(clinic, days=4).date()
    Absence.objects.create(
        clinic=clinic, practitioner=p1, start=_local(clinic, day, 8), end=_local(clinic, day, 12)
    )
    slots = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)
    assert _starts(slots, p1.pk)[0] == _local(clinic, day, 12)
    assert _starts(slots, p2.pk)[0] == _local(clinic, day, 8)
    ClosedDay.objects.create(clinic=clinic, date=day)
    assert free_slots(clinic=clinic, service=service, date_from=day, date_to=day) == []


def test_never_in_the_past_or_within_notice_or_beyond_the_horizon(setup):
    clinic, service, _staff = setup
    policy = policy_for(clinic)
    now = datetime.now(UTC)
    today = now.astimezone(clinic.zone).date()
    slots = free_slots(
        clinic=clinic,
        service=service,
        date_from=today - timedelta(days=3),
        date_to=today + timedelta(days=400),
    )
    assert min(s.start for s in slots) >= now + timedelta(minutes=policy.min_notice_minutes)
    assert max(s.start for s in slots).astimezone(clinic.zone).date() <= today + timedelta(
        days=policy.horizon_days
    )


def test_breaks_between_stretches_of_hours(clinic, make_bookable):
    service, (p1,) = make_bookable(clinic, duration=60)
    WorkingHours.objects.filter(practitioner=p1).delete()
    day = next_local(clinic, days=5).date()
    for start, end in ((time(9), time(12)), (time(13), time(15))):
        WorkingHours.objects.create(
            clinic=clinic, practitioner=p1, weekday=day.weekday(), start=start, end=end
        )
    starts = [
        s.astimezone(clinic.zone).strftime("%H:%M")
        for s in _starts(free_slots(clinic=clinic, service=service, date_from=day, date_to=day))
    ]
    assert "11:00" in starts and "11:15" not in starts  # a 60-minute visit must end by 12
    assert "12:00" not in starts and "13:00" in starts and "14:00" in starts
    assert "14:15" not in starts


# --- DST ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "spring", "autumn"),
    [
        ("optician", date(2027, 3, 28), date(2027, 10, 31)),
        ("dental", date(2027, 3, 28), date(2027, 10, 31)),
    ],
)
def test_dst_weeks_keep_wall_clock_hours(make_clinic, make_bookable, kind, spring, autumn):
    clinic = make_clinic(kind, slug=f"dst-{kind}")
    service, (_p1,) = make_bookable(clinic, duration=60)
    now = datetime(2027, 3, 1, tzinfo=UTC)
    policy = policy_for(clinic)
    policy.horizon_days = 365
    policy.save()
    for sunday in (spring, autumn):
        week = [sunday - timedelta(days=1), sunday, sunday + timedelta(days=1)]
        slots = free_slots(
            clinic=clinic, service=service, date_from=week[0], date_to=week[-1], now=now
        )
        for day in week:
            day_slots = [s for s in slots if s.start.astimezone(clinic.zone).date() == day]
            local = [s.start.astimezone(clinic.zone) for s in day_slots]
            assert local[0].strftime("%H:%M") == "08:00"
            assert local[-1].strftime("%H:%M") == "16:00"
            assert len(day_slots) == 33
        saturday = next(s for s in slots if s.start.astimezone(clinic.zone).date() == week[0])
        monday = next(s for s in slots if s.start.astimezone(clinic.zone).date() == week[-1])
        # 08:00 local is a different UTC hour on either side of the change.
        assert saturday.start.hour != monday.start.hour


def test_the_missing_spring_hour_is_never_offered(clinic, make_bookable):
    service, (p1,) = make_bookable(clinic, duration=30)
    WorkingHours.objects.filter(practitioner=p1).delete()
    sunday = date(2027, 3, 28)  # 02:00 -> 03:00 in Stockholm
    WorkingHours.objects.create(
        clinic=clinic, practitioner=p1, weekday=6, start=time(1), end=time(4)
    )
    policy = policy_for(clinic)
    policy.horizon_days = 365
    policy.save()
    slots = free_slots(
        clinic=clinic,
        service=service,
        date_from=sunday,
        date_to=sunday,
        now=datetime(2027, 3, 1, tzinfo=UTC),
    )
    local = [s.start.astimezone(clinic.zone).strftime("%H:%M") for s in slots]
    assert not any(t.startswith("02:") for t in local)
    # Real elapsed time: 01:00-04:00 local that night is two hours long.
    assert len(slots) == len(set(s.start for s in slots))
    assert all((s.end - s.start) == timedelta(minutes=30) for s in slots)
