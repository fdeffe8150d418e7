"""The staff calendar as a time grid: a lane per practitioner (and per room) for a day, or a
lane per day for one practitioner's week.

Everything a lane shows is computed here, once, into plain dicts the template only
prints: the opening hours (unshaded), absences and closed days, free times (links that
book, and drop targets for a dragged booking) and the bookings as blocks sized by their
duration. Positions are grid rows of five minutes, carried as classes (``gr-N`` the
first row, ``gs-N`` the span, ``gc-N`` the column; static/praksis/calendar.css): the
content security policy allows no inline styles, and the grid needs no script to show.

Cost: a fixed number of queries whatever the number of lanes and bookings (the
practitioners, their hours, absences, closed days, the bookings with their people and
services, the rooms and their holds), and one pass over each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from praksis.booking import selectors
from praksis.booking.availability import policy_for
from praksis.booking.models import (
    Absence,
    Appointment,
    ClosedDay,
    Resource,
    ResourceHold,
    Service,
    WorkingHours,
)
from praksis.clinics.access import Actor, can

ROW_MINUTES = 5
MAX_ROWS = 24 * 60 // ROW_MINUTES  # a whole day
MAX_LANES = 40  # calendar.css has column classes up to gc-41 (column 1 is the clock)
DEFAULT_HOURS = (8, 17)


@dataclass
class Lane:
    col: int
    day: date
    title: str
    practitioner_id: int | None = None
    resource_id: int | None = None
    closed: str = ""  # why the lane is closed all day ("" if it is not)
    html: str = ""  # its items (opening hours, absences, bookings, free times)


@dataclass
class Grid:
    lanes: list[Lane]
    origin: int  # minutes after local midnight of the first row
    rows: int
    hours: list[dict]
    step: int  # the clinic's slot length in minutes


def _minutes(value: datetime, zone, day: date) -> int:
    """Minutes after ``day``'s local midnight (negative before, over 1440 after)."""
    local = value.astimezone(zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _place(col: int, first: int, last: int, origin: int, rows: int) -> str | None:
    """The classes of an item from minute ``first`` to ``last`` of the lane's day, clipped
    to the grid (None when it falls outside)."""
    top = max(first, origin)
    bottom = min(last, origin + rows * ROW_MINUTES)
    if bottom <= top:
        return None
    row = (top - origin) // ROW_MINUTES + 2  # row 1 holds the lane titles
    span = max(1, -(-(bottom - top) // ROW_MINUTES))
    return f"gc-{col} gr-{row} gs-{span}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _subtract(
    stretches: list[tuple[int, int]], busy: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The parts of ``stretches`` not covered by ``busy`` (all in minutes)."""
    free = []
    for start, end in stretches:
        cursor = start
        for b0, b1 in sorted(busy):
            if b1 <= cursor or b0 >= end:
                continue
            if b0 > cursor:
                free.append((cursor, b0))
            cursor = max(cursor, b1)
        if cursor < end:
            free.append((cursor, end))
    return free


def build(
    *,
    actor: Actor,
    days: list[date],
    practitioner_id: int | None = None,
    with_rooms: bool = True,
) -> Grid:
    """The grid of ``days`` (one day: a lane per practitioner, or the chosen one, and per
    room; several days: a lane per day of the chosen practitioner)."""
    clinic = actor.clinic
    zone = clinic.zone
    step = policy_for(clinic).slot_minutes
    practitioners = list(selectors.practitioners(clinic=clinic))
    if practitioner_id is not None:
        practitioners = [p for p in practitioners if p.pk == practitioner_id]
    pids = [p.pk for p in practitioners]
    first_day, last_day = days[0], days[-1]
    window_start, window_end = selectors.local_range(clinic, first_day, last_day)

    hours: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    for pid, weekday, opens_at, closes_at in WorkingHours.objects.filter(
        clinic=clinic, practitioner_id__in=pids
    ).values_list("practitioner_id", "weekday", "start", "end"):
        hours[(pid, weekday)].append((opens_at, closes_at))
    absences: dict[int, list[Absence]] = defaultdict(list)
    for a in Absence.objects.filter(
        clinic=clinic, practitioner_id__in=pids, start__lt=window_end, end__gt=window_start
    ):
        absences[a.practitioner_id].append(a)
    closed = dict(
        ClosedDay.objects.filter(clinic=clinic, date__range=(first_day, last_day)).values_list(
            "date", "reason"
        )
    )
    appointments = selectors.appointments_between(
        actor=actor,
        date_from=first_day,
        date_to=last_day,
        practitioner_id=practitioner_id,
        fields=_FIELDS,
    )
    services = {s.pk: s for s in Service.objects.filter(clinic=clinic)}
    rooms: list[Resource] = []
    holds: dict[int, list[ResourceHold]] = defaultdict(list)
    if with_rooms and len(days) == 1:
        rooms = list(Resource.objects.filter(clinic=clinic, active=True).order_by("name", "pk"))
        if rooms:
            for hold in ResourceHold.objects.filter(
                clinic=clinic, start__lt=window_end, busy_until__gt=window_start
            ).select_related("appointment"):
                holds[hold.resource_id].append(hold)

    # The lanes, in order.
    lanes: list[Lane] = []
    if len(days) == 1:
        for p in practitioners:
            lanes.append(Lane(0, days[0], p.name, practitioner_id=p.pk))
        for r in rooms:
            lanes.append(Lane(0, days[0], r.name, resource_id=r.pk))
    else:
        chosen = practitioners[0] if practitioners else None
        for d in days:
            lanes.append(Lane(0, d, "", practitioner_id=chosen.pk if chosen else None))
    lanes = lanes[:MAX_LANES]
    for i, lane in enumerate(lanes):
        lane.col = i + 2
        if lane.day in closed:
            lane.closed = closed[lane.day] or "—"

    # The rows: from the earliest opening to the latest closing, whole hours, widened to
    # show any booking outside them.
    opens: dict[int, list[tuple[int, int]]] = {}
    span_first, span_last = 24 * 60, 0
    for lane in lanes:
        if lane.practitioner_id is None:
            continue
        stretches = sorted(
            (t1.hour * 60 + t1.minute, 1440 if t2 == time.max else t2.hour * 60 + t2.minute)
            for t1, t2 in hours.get((lane.practitioner_id, lane.day.weekday()), [])
        )
        opens[lane.col] = [] if lane.closed else stretches
        for s, e in opens[lane.col]:
            span_first, span_last = min(span_first, s), max(span_last, e)
    by_lane: dict[int, list[tuple[int, int, int, dict]]] = defaultdict(list)
    lane_of = {(lane.day, lane.practitioner_id): lane for lane in lanes if lane.resource_id is None}
    for a in appointments:
        local = a["start"].astimezone(zone)
        day = local.date()
        lane = lane_of.get((day, a["practitioner_id"]))
        if lane is None:
            continue
        first = local.hour * 60 + local.minute
        last = _minutes(a["end"], zone, day)
        busy = _minutes(a["busy_until"], zone, day)
        by_lane[lane.col].append((first, last, busy, a))
        span_first, span_last = min(span_first, first), max(span_last, last)
    if span_first >= span_last:
        span_first, span_last = DEFAULT_HOURS[0] * 60, DEFAULT_HOURS[1] * 60
    origin = max(0, span_first // 60 * 60)
    end = min(24 * 60, -(-span_last // 60) * 60)
    rows = (end - origin) // ROW_MINUTES

    now = timezone.now().astimezone(zone)
    now_minutes = {d: 0 if d > now.date() else 24 * 60 for d in days}
    if now.date() in now_minutes:
        now_minutes[now.date()] = now.hour * 60 + now.minute
    paint = _Painter(
        journal=can(actor, "journal.read"), write=can(actor, "person.write"), services=services
    )
    for lane in lanes:
        col = lane.col
        out: list[str] = []
        if lane.closed:
            out.append(paint.closed(_place(col, origin, end, origin, rows), lane.closed))
        elif lane.resource_id is not None:
            for hold in holds.get(lane.resource_id, []):
                first = _minutes(hold.start, zone, lane.day)
                cls = _place(col, first, _minutes(hold.busy_until, zone, lane.day), origin, rows)
                if cls:
                    out.append(paint.hold(cls, first, hold.appointment))
        else:
            stretches = opens.get(col, [])
            for s, e in stretches:
                cls = _place(col, s, e, origin, rows)
                if cls:
                    out.append(f'<div class="cal-open {cls}"></div>')
            busy: list[tuple[int, int]] = []
            for absence in absences.get(lane.practitioner_id, []):
                first = _minutes(absence.start, zone, lane.day)
                last = _minutes(absence.end, zone, lane.day)
                busy.append((first, last))
                cls = _place(col, first, last, origin, rows)
                if cls:
                    out.append(paint.absence(cls, absence.reason))
            for first, last, busy_until, a in by_lane.get(col, []):
                if a["status"] in Appointment.HOLDING:
                    busy.append((first, busy_until))
                cls = _place(col, first, last, origin, rows)
                if cls:
                    out.append(paint.block(a, cls, first, last))
            if paint.write:
                # Free times: the open stretches less the busy ones, cut into the clinic's
                # slots (counted from each stretch's opening, as online booking counts).
                earliest = now_minutes.get(lane.day, -1)  # a time that has passed is not free
                for s, e in stretches:
                    for f0, f1 in _subtract([(s, e)], busy):
                        begin = max(f0, earliest)
                        t = s + max(0, -(-(begin - s) // step)) * step
                        while t + step <= f1:
                            cls = _place(col, t, t + step, origin, rows)
                            if cls:
                                out.append(paint.free(cls, t, lane))
                            t += step
        lane.html = mark_safe("".join(out))  # noqa: S308 - every value escaped in _Painter
    hour_marks = [
        {
            "cls": f"gc-1 gr-{(m - origin) // ROW_MINUTES + 2} gs-{60 // ROW_MINUTES}",
            "text": _hhmm(m),
        }
        for m in range(origin, end, 60)
    ]
    return Grid(lanes=lanes, origin=origin, rows=rows, hours=hour_marks, step=step)


_FIELDS = (
    "id", "practitioner_id", "service_id", "person_id", "animal_id", "start", "end",
    "busy_until", "status", "confirmed_at", "identity_match", "person__first_name",
    "person__last_name", "animal__name", "person__protected_identity",
)  # fmt: skip


class _Painter:
    """The HTML of a lane's items, built as strings: hundreds of blocks through the
    template language would cost ten times the rest of the page. Every value that is
    not a number or a fixed class is escaped here."""

    def __init__(self, *, journal: bool, write: bool, services: dict):
        self.journal, self.write, self.services = journal, write, services
        self.urls = _Urls()
        self.label = {
            key: escape(str(text))
            for key, text in {
                "book": _("Book"),
                "absent": _("Absent"),
                "closed": _("Closed"),
                "person": _("Person"),
                "journal": _("Journal"),
                "order": _("Order"),
                "confirmed": _("Confirmed by SMS"),
                "to_confirm": _("Identity to confirm"),
                "protected": _("Protected identity"),
                **{f"status-{k}": v for k, v in Appointment.Status.choices},
            }.items()
        }
        self.service_names = {pk: escape(s.localized_name()) for pk, s in services.items()}
        self.new = reverse("staff:appointment-new")

    def closed(self, cls: str | None, reason: str) -> str:
        return f'<div class="cal-closed {cls}">{self.label["closed"]}: {escape(reason)}</div>'

    def absence(self, cls: str, reason: str) -> str:
        why = f": {escape(reason)}" if reason else ""
        return f'<div class="cal-absence {cls}">{self.label["absent"]}{why}</div>'

    def hold(self, cls: str, first: int, appointment) -> str:
        url = self.urls("appointment", appointment.pk)
        service = self.service_names.get(appointment.service_id, "")
        return f'<a class="cal-hold {cls}" href="{url}"><time>{_hhmm(first)}</time> {service}</a>'

    def free(self, cls: str, minute: int, lane: Lane) -> str:
        at = _hhmm(minute)
        day = lane.day.isoformat()
        query = escape(urlencode({"date": day, "at": at, "practitioner": lane.practitioner_id}))
        return (
            f'<a class="cal-free {cls}" href="{self.new}?{query}" data-start="{day}T{at}">'
            f'<span class="visually-hidden">{self.label["book"]} </span>{at}</a>'
        )

    def block(self, a: dict, cls: str, first: int, last: int) -> str:
        label, urls = self.label, self.urls
        status = a["status"]
        pk, person_id, animal_id = a["id"], a["person_id"], a["animal_id"]
        badges = ""
        if status != Appointment.Status.BOOKED:
            badges += f' · <span class="cal-badge">{label["status-" + status]}</span>'
        if a["confirmed_at"] is not None and status == Appointment.Status.BOOKED:
            badges += f' · <span class="cal-badge">{label["confirmed"]}</span>'
        if a["identity_match"] == Appointment.IdentityMatch.TO_CONFIRM:
            badges += f' · <span class="cal-badge">{label["to_confirm"]}</span>'
        if a.get("person__protected_identity"):  # REQ-48: marked for everyone
            badges += f' · <span class="cal-badge protected">{label["protected"]}</span>'
        drag = ""
        if self.write and status == Appointment.Status.BOOKED:
            drag = f' draggable="true" data-move="{urls("appointment-move", pk)}"'
        name = escape(f"{a['person__first_name']} {a['person__last_name']}")
        animal = f" · {escape(a['animal__name'])}" if animal_id else ""
        journal = ""
        if self.journal:
            subject = (
                ("journal-animals", animal_id) if animal_id else ("journal-persons", person_id)
            )
            journal = f'<a href="{urls(*subject)}">{label["journal"]}</a>'
        return (
            f'<article class="cal-appt {cls} status-{status}" id="appt-{pk}"{drag}>'
            f'<a class="cal-main" href="{urls("appointment", pk)}">'
            f"<time>{_hhmm(first)}–{_hhmm(last)}</time><strong>{name}</strong>{animal}"
            f"<small>{self.service_names.get(a['service_id'], '')}{badges}</small></a>"
            f'<span class="cal-links"><a href="{urls("person", person_id)}">{label["person"]}</a>'
            f'{journal}<a href="{urls.order}?person={person_id}">{label["order"]}</a></span>'
            "</article>"
        )


_HOLE = 987654321


class _Urls:
    """URL patterns reversed once per grid, then filled per block (reversing hundreds
    of URLs would cost more than the rest of the page)."""

    def __init__(self):
        self.parts = {
            name: reverse(f"staff:{name}", args=[_HOLE]).split(str(_HOLE))
            for name in (
                "appointment",
                "appointment-move",
                "person",
                "journal-persons",
                "journal-animals",
            )
        }
        self.order = reverse("staff:sales-order-new")

    def __call__(self, name: str, pk: int) -> str:
        head, tail = self.parts[name]
        return f"{head}{pk}{tail}"
