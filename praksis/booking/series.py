"""Recurring bookings made by staff: every N weeks, M times (issue 13, part 4).

Each occurrence goes through the normal staff booking path (``services.appointment_book``,
with its checks, access log and confirmation) in its own savepoint, so one that cannot be
booked leaves the others booked. The answer is a report: per occurrence, booked (with
its booking) or the reason it could not be, in the reader's language.

Occurrences keep the wall-clock time of the first one in the clinic's zone: a series
at 09:00 stays at 09:00 across a change to or from summer time. Moving a series (as a
whole or from one occurrence on) shifts every member by the same wall-clock offset, and
cancelling one does the same through the normal cancel path; each member is checked and
reported on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking import services
from praksis.booking.models import Absence, Appointment, AppointmentSeries, Channel, ClosedDay
from praksis.booking.notifications import notify_series
from praksis.clinics.access import Actor, require
from praksis.core.errors import Conflict, ValidationFailed

INTERVAL_LIMITS = (1, 52)
COUNT_LIMITS = (2, 52)


@dataclass(frozen=True)
class Occurrence:
    """One line of a series report."""

    index: int
    start: datetime  # aware, in the clinic's zone
    appointment_id: int | None  # the booking made, moved or cancelled
    ok: bool
    reason: str = ""  # why not, in the reader's language

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "start": self.start.isoformat(),
            "appointment_id": self.appointment_id,
            "ok": self.ok,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Occurrence:
        return cls(
            index=int(data["index"]),
            start=datetime.fromisoformat(data["start"]),
            appointment_id=data.get("appointment_id"),
            ok=bool(data.get("ok")),
            reason=str(data.get("reason") or ""),
        )


@dataclass(frozen=True)
class SeriesReport:
    series_id: int | None
    action: str  # booked | moved | cancelled
    occurrences: list[Occurrence]

    @property
    def done(self) -> int:
        return sum(o.ok for o in self.occurrences)

    def as_dict(self) -> dict:
        return {
            "series_id": self.series_id,
            "action": self.action,
            "occurrences": [o.as_dict() for o in self.occurrences],
        }

    @classmethod
    def from_dict(cls, data: dict) -> SeriesReport:
        return cls(
            series_id=data.get("series_id"),
            action=str(data.get("action") or ""),
            occurrences=[Occurrence.from_dict(o) for o in data.get("occurrences") or []],
        )


def _whole_number(name: str, value, limits: tuple[int, int]) -> int:
    low, high = limits
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        message = _("Enter a whole number from %(low)d to %(high)d.")
        raise ValidationFailed({name: [message % {"low": low, "high": high}]})
    return int(text)


def occurrence_starts(first: datetime, zone, interval_weeks: int, count: int) -> list[datetime]:
    """``count`` starts, ``interval_weeks`` apart, at the wall-clock time of ``first``."""
    wall = first.astimezone(zone).replace(tzinfo=None)
    return [(wall + timedelta(weeks=interval_weeks * i)).replace(tzinfo=zone) for i in range(count)]


def _shifted(start: datetime, zone, offset: timedelta) -> datetime:
    """``start`` moved by a wall-clock ``offset`` (09:00 + 1 week is 09:00, DST or not)."""
    wall = start.astimezone(zone).replace(tzinfo=None)
    return (wall + offset).replace(tzinfo=zone)


def _reason(actor: Actor, exc: Exception, start: datetime, practitioner_id: int | None) -> str:
    """Why an occurrence could not be booked or moved there, in plain words."""
    if isinstance(exc, Conflict):
        if exc.code == "slot_taken":
            return _("The time is already taken.")
        return exc.message
    errors = getattr(exc, "errors", {})
    if "start" not in errors:
        return exc.message
    if start < timezone.now():
        return _("That time has passed.")
    clinic = actor.clinic
    local_day = start.astimezone(clinic.zone).date()
    closed = ClosedDay.objects.filter(clinic=clinic, date=local_day).first()
    if closed is not None:
        if closed.reason:
            return _("The clinic is closed that day (%(reason)s).") % {"reason": closed.reason}
        return _("The clinic is closed that day.")
    if practitioner_id is not None:
        away = Absence.objects.filter(
            clinic=clinic, practitioner_id=practitioner_id, start__lt=start + timedelta(hours=1),
            end__gt=start,
        )  # fmt: skip
        if away.exists():
            return _("The practitioner is away then.")
    return _("Outside the practitioner's working hours.")


def series_book(
    *,
    actor: Actor,
    service_id,
    person_id,
    start,
    interval_weeks,
    count,
    practitioner_id: int | None = None,
    channel: str = Channel.PHONE,
    animal_id: int | None = None,
    note: str = "",
) -> SeriesReport:
    """Book ``count`` times, ``interval_weeks`` apart, each on its own; report each.

    The practitioner of the first booking made keeps the rest of the series (when none
    was chosen). A series of which nothing could be booked is not kept.
    """
    require(actor, "person.write")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    try:
        interval_weeks = _whole_number("repeat_weeks", interval_weeks, INTERVAL_LIMITS)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        count = _whole_number("repeat_count", count, COUNT_LIMITS)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        first = services.parse_start(start, clinic)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    occurrences: list[Occurrence] = []
    with transaction.atomic():
        series = AppointmentSeries.objects.create(
            clinic=clinic,
            interval_weeks=interval_weeks,
            count=count,
            created_by_user_id=actor.user_id,
        )
        for index, at in enumerate(occurrence_starts(first, clinic.zone, interval_weeks, count)):
            try:
                with transaction.atomic():
                    appointment = services.appointment_book(
                        actor=actor,
                        service_id=service_id,
                        person_id=person_id,
                        start=at,
                        channel=channel,
                        practitioner_id=practitioner_id,
                        animal_id=animal_id,
                        note=note,
                        notify=False,
                    )
                    appointment.series = series
                    appointment.series_index = index + 1
                    appointment.save(update_fields=["series", "series_index"])
            except (ValidationFailed, Conflict) as exc:
                if index == 0 and isinstance(exc, ValidationFailed):
                    # Not about the time (the person, the service): no occurrence can be
                    # booked; the form says what to correct.
                    if set(exc.errors) - {"start"}:
                        raise
                occurrences.append(
                    Occurrence(index + 1, at, None, False, _reason(actor, exc, at, practitioner_id))
                )
                continue
            practitioner_id = practitioner_id or appointment.practitioner_id
            occurrences.append(Occurrence(index + 1, at, appointment.pk, True))
        if not any(o.ok for o in occurrences):
            series.delete()
            return SeriesReport(None, "booked", occurrences)
        booked = list(
            Appointment.objects.filter(clinic=clinic, series=series)
            .select_related("clinic", "service", "person")
            .order_by("start")
        )
        # One confirmation for the whole series, every time with its own manage link.
        notify_series(booked, tokens={a.pk: services.manage_token(a) for a in booked})
    return SeriesReport(series.pk, "booked", occurrences)


def _members(actor: Actor, appointment_id: int, *, from_here: bool) -> tuple[Appointment, list]:
    """The appointment and the members of its series to act on: still booked and to
    come, from this one on or all of them."""
    require(actor, "person.write")
    appointment = Appointment.objects.filter(
        clinic=actor.clinic, pk=appointment_id, series__isnull=False
    ).first()
    if appointment is None:
        raise Http404
    members = Appointment.objects.filter(
        clinic=actor.clinic,
        series_id=appointment.series_id,
        status=Appointment.Status.BOOKED,
        start__gt=timezone.now(),
    )
    if from_here:
        members = members.filter(series_index__gte=appointment.series_index)
    return appointment, list(members.order_by("start", "pk"))


def series_cancel(
    *, actor: Actor, appointment_id: int, from_here: bool, reason: str = ""
) -> SeriesReport:
    """Cancel the series' bookings to come (all, or this one and the later ones), each
    through the normal cancel path (access log, the client's message)."""
    appointment, members = _members(actor, appointment_id, from_here=from_here)
    zone = actor.clinic.zone
    occurrences = []
    cancelled = []
    for member in members:
        local = member.start.astimezone(zone)
        try:
            with transaction.atomic():
                cancelled.append(
                    services.appointment_cancel(
                        actor=actor, appointment_id=member.pk, reason=reason, notify=False
                    )
                )
        except (ValidationFailed, Conflict) as exc:
            occurrences.append(
                Occurrence(member.series_index, local, member.pk, False, exc.message)
            )
        else:
            occurrences.append(Occurrence(member.series_index, local, member.pk, True))
    # One message for all the cancelled times, not one per booking.
    notify_series(cancelled, tokens={}, kind="cancellation")
    return SeriesReport(appointment.series_id, "cancelled", occurrences)


def series_move(*, actor: Actor, appointment_id: int, start, from_here: bool) -> SeriesReport:
    """Move the series' bookings to come: the first of them to ``start``, the others by
    the same wall-clock offset, each checked (and reported) on its own, with the same
    practitioner."""
    appointment, members = _members(actor, appointment_id, from_here=from_here)
    clinic = actor.clinic
    zone = clinic.zone
    new_first = services.parse_start(start, clinic)
    if not members:
        raise Conflict(_("No booking of this series is left to move."), code="not_active")
    old_first = members[0].start
    offset = new_first.astimezone(zone).replace(tzinfo=None) - old_first.astimezone(zone).replace(
        tzinfo=None
    )
    # Later first when moving later (and earlier first when moving earlier), so that a
    # member never collides with another member's old time.
    ordered = sorted(members, key=lambda m: m.start, reverse=offset > timedelta(0))
    results = {}
    moved = []
    for member in ordered:
        target = _shifted(member.start, zone, offset)
        try:
            with transaction.atomic():
                moved.append(
                    services.appointment_move(
                        actor=actor,
                        appointment_id=member.pk,
                        start=target,
                        practitioner_id=member.practitioner_id,
                        notify=False,
                    )
                )
        except (ValidationFailed, Conflict) as exc:
            reason = _reason(actor, exc, target, member.practitioner_id)
            results[member.pk] = Occurrence(member.series_index, target, member.pk, False, reason)
        else:
            results[member.pk] = Occurrence(member.series_index, target, member.pk, True)
    # One message with the new times (and their manage links), not one per booking.
    moved.sort(key=lambda a: a.start)
    notify_series(moved, tokens={a.pk: services.manage_token(a) for a in moved}, kind="change")
    return SeriesReport(appointment.series_id, "moved", [results[m.pk] for m in members])


def series_members(*, actor: Actor, appointment_id: int) -> tuple[Appointment, list[Appointment]]:
    """An appointment and every member of its series (one person's bookings), logged as
    one list read."""
    require(actor, "person.read")
    appointment = Appointment.objects.filter(
        clinic=actor.clinic, pk=appointment_id, series__isnull=False
    ).first()
    if appointment is None:
        raise Http404
    members = (
        Appointment.objects.filter(clinic=actor.clinic, series_id=appointment.series_id)
        .select_related("practitioner", "service")
        .order_by("series_index", "start")
    )
    members = list(members)
    log_access(
        actor,
        Access(
            Action.LIST,
            "appointment",
            person_id=appointment.person_id,
            purpose="booking series",
            detail=f"series {appointment.series_id}; results={len(members)}",
        ),
    )
    return appointment, members
