"""Staff pages for recurring bookings: book a series from the new-booking page, see a
series with the report of what was just done to it, move or cancel it (as a whole or
from one occurrence on). Writing needs ``person.write``."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking import series
from praksis.booking.models import Appointment
from praksis.clinics.auth import staff_view
from praksis.core.errors import Conflict, ValidationFailed

_REPORT = "booking-series-report"


def _remember(request, report: series.SeriesReport) -> None:
    request.session[_REPORT] = report.as_dict()


def _recall(request, series_id: int) -> series.SeriesReport | None:
    data = request.session.get(_REPORT)
    if not data or data.get("series_id") != series_id:
        return None
    del request.session[_REPORT]
    return series.SeriesReport.from_dict(data)


def repeat_values(source) -> dict:
    """The "repeat" part of the new-booking form, as typed."""
    return {
        "repeat": source.get("repeat") == "1",
        "repeat_weeks": source.get("repeat_weeks", "1"),
        "repeat_count": source.get("repeat_count", "4"),
    }


def book_series(request, *, service_id, person_id, start, practitioner_id):
    """The new-booking form with "repeat" ticked: book the series and show its report.

    Raises ValidationFailed for the form to show (keeping what was typed); when none of
    the times could be booked, the report goes with the form (``request.series_report``).
    """
    report = series.series_book(
        actor=request.actor,
        service_id=service_id,
        person_id=person_id,
        start=start,
        practitioner_id=practitioner_id,
        interval_weeks=request.POST.get("repeat_weeks"),
        count=request.POST.get("repeat_count"),
        channel=request.POST.get("channel", "phone"),
        note=request.POST.get("note", ""),
    )
    if report.series_id is None:
        request.series_report = report
        raise ValidationFailed({"slot": [gettext("None of the times could be booked.")]})
    _remember(request, report)
    first = next(o.appointment_id for o in report.occurrences if o.ok)
    return redirect("staff:appointment-series", appointment_id=first)


def series_context(actor, appointment: Appointment) -> dict | None:
    """What the booking page shows of the appointment's series (None outside one)."""
    if appointment.series_id is None:
        return None
    zone = actor.clinic.zone
    upcoming = Appointment.objects.filter(
        clinic=actor.clinic,
        series_id=appointment.series_id,
        status=Appointment.Status.BOOKED,
        start__gt=timezone.now(),
    ).order_by("start")
    first = upcoming.first()
    this_open = appointment.status == Appointment.Status.BOOKED and (
        appointment.start > timezone.now()
    )
    return {
        "series": appointment.series,
        "index": appointment.series_index,
        "first": first.start.astimezone(zone) if first else None,
        "this": appointment.start.astimezone(zone),
        "this_open": this_open,
    }


def _page(request, appointment_id: int, *, status: int = 200, **context):
    actor = request.actor
    appointment, members = series.series_members(actor=actor, appointment_id=appointment_id)
    zone = actor.clinic.zone
    return render(
        request,
        "booking/series.html",
        {
            "appointment": appointment,
            "series_info": series_context(actor, appointment),
            "members": [{"appointment": m, "local": m.start.astimezone(zone)} for m in members],
            "report": _recall(request, appointment.series_id),
            "errors": {},
            "values": {},
            **context,
        },
        status=status,
    )


@staff_view("person.read")
@require_http_methods(["GET"])
def series_page(request, appointment_id: int):
    """The series an appointment belongs to, and the report of what was just done."""
    return _page(request, appointment_id)


def _scope(request) -> bool:
    """True: this occurrence and the later ones; False: the whole series."""
    return request.POST.get("scope") != "all"


@require_POST
@staff_view("person.write")
def series_cancel(request, appointment_id: int):
    try:
        report = series.series_cancel(
            actor=request.actor,
            appointment_id=appointment_id,
            from_here=_scope(request),
            reason=request.POST.get("reason", ""),
        )
    except (ValidationFailed, Conflict) as exc:
        return _page(request, appointment_id, status=409, errors={"cancel": [exc.message]})
    _remember(request, report)
    return redirect("staff:appointment-series", appointment_id=appointment_id)


@require_POST
@staff_view("person.write")
def series_move(request, appointment_id: int):
    from_here = _scope(request)
    prefix = "later" if from_here else "all"
    day = request.POST.get(f"{prefix}_date", "").strip()
    at = request.POST.get(f"{prefix}_time", "").strip()
    values = {f"{prefix}_date": day, f"{prefix}_time": at}
    try:
        if not day or not at:
            raise ValidationFailed({"start": [_missing()]})
        report = series.series_move(
            actor=request.actor,
            appointment_id=appointment_id,
            start=f"{day}T{at}",
            from_here=from_here,
        )
    except ValidationFailed as exc:
        errors = {"move": [m for msgs in exc.errors.values() for m in msgs]}
        return _detail(request, appointment_id, errors=errors, values=values)
    except Conflict as exc:
        return _detail(request, appointment_id, errors={"move": [exc.message]}, values=values)
    _remember(request, report)
    return redirect("staff:appointment-series", appointment_id=appointment_id)


def _missing() -> str:
    return gettext("Enter the new date and time.")


def _detail(request, appointment_id: int, *, errors: dict, values: dict):
    """The series page again, with the move form's error and what was typed."""
    return _page(request, appointment_id, status=422, errors=errors, values=values)
