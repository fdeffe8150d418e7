"""Staff pages for bookings: calendar, book, move, cancel, no-show, booking requests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking import grid, resources, selectors, series_views, services
from praksis.booking.availability import free_slots
from praksis.booking.models import Appointment, Channel, Service
from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.clinics.models import User
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.input import clamp_date
from praksis.messaging.models import OutboxMessage
from praksis.messaging.selectors import mask_recipient
from praksis.people import selectors as people_selectors
from praksis.people import services as people_services
from praksis.people.picker import picked_person


def _day(value: str | None, clinic) -> date:
    try:
        return clamp_date(date.fromisoformat(value or ""))
    except ValueError:
        return timezone.now().astimezone(clinic.zone).date()


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@staff_view("person.read")
def calendar(request):
    """The receptionist's screen: a day with a lane per practitioner and room, or one
    practitioner's week, as a time grid (praksis/booking/grid.py)."""
    actor = request.actor
    clinic = actor.clinic
    day = _day(request.GET.get("date"), clinic)
    view = "week" if request.GET.get("view") == "week" else "day"
    practitioners = list(selectors.practitioners(clinic=clinic))
    practitioner_id = _int(request.GET.get("practitioner"))
    if practitioner_id not in {p.pk for p in practitioners}:
        practitioner_id = None
    if view == "week" and practitioner_id is None and practitioners:
        # A week is one practitioner's: the signed-in one's own, or the first.
        own = next((p.pk for p in practitioners if p.user_id == actor.user_id), None)
        practitioner_id = own or practitioners[0].pk
    start = day if view == "day" else services.week_start(day)
    days = [start + timedelta(days=i) for i in range(1 if view == "day" else 7)]
    built = grid.build(actor=actor, days=days, practitioner_id=practitioner_id)
    step = timedelta(days=1 if view == "day" else 7)
    return render(
        request,
        "booking/calendar.html",
        {
            "grid": built,
            "day": day,
            "days": days,
            "view": view,
            "prev": start - step,
            "next": start + step,
            "today": timezone.now().astimezone(clinic.zone).date(),
            "practitioners": practitioners,
            "practitioner_id": practitioner_id,
            "chosen_name": next((p.name for p in practitioners if p.pk == practitioner_id), ""),
            "can_write": can(actor, "person.write"),
        },
    )


def _slot_choices(clinic, service, day, exclude=None, *, past: bool = False):
    """The free times of ``day``; those that have passed only when recording a past visit."""
    if service is None:
        return []
    now = timezone.now()
    names = dict(selectors.practitioners(clinic=clinic).values_list("pk", "name"))
    zone = clinic.zone
    return [
        {
            "value": f"{s.start.astimezone(zone).isoformat()}|{s.practitioner_id}",
            "local": s.start.astimezone(zone),
            "practitioner": names.get(s.practitioner_id, ""),
        }
        for s in free_slots(
            clinic=clinic, service=service, date_from=day, date_to=day, respect_notice=False
        )
        if past or s.start > now
    ]


def _move_choices(clinic, appointment: Appointment, day: date) -> list[dict]:
    """The compact picker of a move: the free times of ``day`` and the next, a row of
    buttons per practitioner (one press moves; no script needed)."""
    days = []
    for current in (day, day + timedelta(days=1)):
        groups: dict[str, list[dict]] = {}
        for s in _slot_choices(clinic, appointment.service, current):
            groups.setdefault(s["practitioner"], []).append(s)
        days.append(
            {"date": current, "groups": [{"name": k, "slots": v} for k, v in groups.items()]}
        )
    return days


_STAMPS = ("arrived", "completed", "no_show", "cancelled")


def _staff_names(appointment: Appointment) -> dict[str, str]:
    """Who checked the client in, completed the visit, marked the no-show, cancelled."""
    ids = {k: getattr(appointment, f"{k}_by_user_id") for k in _STAMPS}
    names = dict(
        User.objects.filter(pk__in=[i for i in ids.values() if i]).values_list("pk", "full_name")
    )
    return {k: names.get(i, "") for k, i in ids.items() if i}


def _journal_url(actor, appointment: Appointment) -> str:
    if not can(actor, "journal.read"):
        return ""
    if appointment.animal_id:
        return reverse("staff:journal-animals", args=[appointment.animal_id])
    return reverse("staff:journal-persons", args=[appointment.person_id])


def _fixed_slot(clinic, source, day: date) -> dict | None:
    """The time and practitioner of a free time clicked in the calendar (``at``,
    ``practitioner``), as the slot value the booking form posts; None if not given."""
    try:
        at = time.fromisoformat(source.get("at") or "")
    except ValueError:
        return None
    practitioner = (
        selectors.practitioners(clinic=clinic).filter(pk=_int(source.get("practitioner"))).first()
    )
    if practitioner is None:
        return None
    local = datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=clinic.zone)
    return {
        "value": f"{local.isoformat()}|{practitioner.pk}",
        "local": local,
        "at": local.strftime("%H:%M"),
        "practitioner": practitioner,
    }


def _split_slot(value: str) -> tuple[str, int | None]:
    start, _sep, practitioner = (value or "").partition("|")
    return start, _int(practitioner)


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def appointment_new(request):
    actor = request.actor
    clinic = actor.clinic
    source = request.POST if request.method == "POST" else request.GET
    person_id = _int(source.get("person"))
    person = (
        people_selectors.person_get(actor=actor, person_id=person_id, purpose="booking")
        if person_id
        else None
    )
    service_list = list(Service.objects.filter(clinic=clinic, active=True).order_by("name"))
    service = next((s for s in service_list if str(s.pk) == source.get("service")), None)
    day = _day(source.get("date"), clinic)
    # "Record a visit that has already taken place": times that have passed are offered.
    past = source.get("past") == "1"
    # A free time clicked in the calendar: the person and the service are all that is left.
    fixed = _fixed_slot(clinic, source, day)
    errors: dict = {}
    if request.method == "POST":
        start, practitioner_id = _split_slot(request.POST.get("slot", ""))
        request_id = _int(request.POST.get("request"))
        try:
            if request.POST.get("repeat") == "1" and not request_id and not past:
                # "Repeat every N weeks, M times": each booked on its own, then reported.
                return series_views.book_series(
                    request,
                    service_id=service.pk if service else None,
                    person_id=person_id,
                    start=start or None,
                    practitioner_id=practitioner_id,
                )
            if request_id:
                appointment = services.booking_request_convert(
                    actor=actor,
                    request_id=request_id,
                    person_id=person_id,
                    start=start or None,
                    practitioner_id=practitioner_id,
                    service_id=service.pk if service else None,
                )
            else:
                appointment = services.appointment_book(
                    actor=actor,
                    service_id=service.pk if service else None,
                    person_id=person_id,
                    start=start or None,
                    practitioner_id=practitioner_id,
                    channel=request.POST.get("channel", Channel.PHONE),
                    note=request.POST.get("note", ""),
                    allow_past=past,
                )
        except ValidationFailed as exc:
            errors = exc.errors
        except Conflict as exc:
            errors = {"slot": [exc.message]}
        else:
            return redirect("staff:appointment", appointment_id=appointment.pk)
    return render(
        request,
        "booking/appointment_new.html",
        {
            "person": person,
            # No one chosen yet: find them here (search as you type, or on submit).
            "picker": None if person else picked_person(actor, source, purpose="booking"),
            "fixed": fixed,
            "services": service_list,
            "service": service,
            "day": day,
            "slots": _slot_choices(clinic, service, day, past=past),
            "past": past,
            "channels": Channel.choices,
            "errors": errors,
            "values": source,
            "report": getattr(request, "series_report", None),
        },
        status=422 if errors else 200,
    )


@staff_view("person.read")
def appointment_detail(request, appointment_id: int):
    actor = request.actor
    appointment = selectors.appointment_get(actor=actor, appointment_id=appointment_id)
    messages = [
        {"message": m, "recipient": mask_recipient(m.channel, m.to_address)}
        for m in OutboxMessage.objects.filter(
            clinic=actor.clinic, related_type="appointment", related_id=appointment.pk
        ).order_by("-created_at")[:20]
    ]
    clinic = actor.clinic
    today = timezone.now().astimezone(clinic.zone).date()
    own_day = appointment.start.astimezone(clinic.zone).date()
    day = _day(request.GET.get("date") or max(own_day, today).isoformat(), clinic)
    movable = appointment.status == Appointment.Status.BOOKED
    return render(
        request,
        "booking/appointment_detail.html",
        {
            "move_days": _move_choices(clinic, appointment, day) if movable else [],
            "staff_names": _staff_names(appointment),
            "is_today": own_day == today,
            "journal_url": _journal_url(actor, appointment),
            "appointment": appointment,
            "rooms": resources.held_by(appointment),
            "series_info": series_views.series_context(actor, appointment),
            "local_start": appointment.start.astimezone(actor.clinic.zone),
            "messages": messages,
            "day": day,
            "error": request.GET.get("error", ""),
            "is_past": appointment.start <= timezone.now(),
        },
    )


def _action(request, appointment_id, run):
    """Run a change of a booking; back to its page (or, for the calendar's drag and drop,
    a JSON answer: ``{"ok": true}`` or the reason in the user's language)."""
    from_calendar = request.headers.get("X-Calendar") == "1"
    try:
        run()
    except (Conflict, ValidationFailed) as exc:
        if from_calendar:
            status = 409 if isinstance(exc, Conflict) else 422
            return JsonResponse({"message": str(exc.message)}, status=status)
        url = reverse("staff:appointment", kwargs={"appointment_id": appointment_id})
        return redirect(f"{url}?{urlencode({'error': exc.message})}")
    if from_calendar:
        return JsonResponse({"ok": True})
    back = request.POST.get("next", "")
    if back.startswith("/staff/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return redirect(back)  # the day's page, where the desk checks clients in
    return redirect("staff:appointment", appointment_id=appointment_id)


@require_POST
@staff_view("person.write")
def appointment_cancel(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        lambda: services.appointment_cancel(
            actor=request.actor,
            appointment_id=appointment_id,
            reason=request.POST.get("reason", ""),
        ),
    )


@require_POST
@staff_view("person.write")
def appointment_move(request, appointment_id: int):
    start, practitioner_id = _split_slot(request.POST.get("slot", ""))
    return _action(
        request,
        appointment_id,
        lambda: services.appointment_move(
            actor=request.actor,
            appointment_id=appointment_id,
            start=start or None,
            practitioner_id=practitioner_id,
        ),
    )


@require_POST
@staff_view("person.write")
def appointment_arrive(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        lambda: services.appointment_arrive(actor=request.actor, appointment_id=appointment_id),
    )


@require_POST
@staff_view("person.write")
def appointment_complete(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        lambda: services.appointment_complete(actor=request.actor, appointment_id=appointment_id),
    )


@require_POST
@staff_view("person.write")
def appointment_no_show(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        lambda: services.appointment_mark_no_show(
            actor=request.actor, appointment_id=appointment_id
        ),
    )


@staff_view("person.read")
def requests_list(request):
    items = selectors.open_requests(actor=request.actor)
    matches = selectors.identity_matches_open(actor=request.actor)
    return render(request, "booking/requests.html", {"items": items, "matches": matches})


@require_POST
@staff_view("person.write")
def appointment_identity(request, appointment_id: int):
    """Staff settle an online booking that gave the identity number of a person on file."""
    return _action(
        request,
        appointment_id,
        lambda: services.appointment_identity_confirm(
            actor=request.actor,
            appointment_id=appointment_id,
            same_person=request.POST.get("same_person") == "1",
        ),
    )


@require_POST
@staff_view("person.write")
def request_register(request, request_id: int):
    """Register the requester as a person (from what they sent) and go on to book them."""
    actor = request.actor
    booking_request = next(
        (r for r in selectors.open_requests(actor=actor) if r.pk == request_id), None
    )
    if booking_request is None:
        raise Http404
    data = {
        "first_name": booking_request.first_name,
        "last_name": booking_request.last_name,
        "email": booking_request.email,
        "phone": booking_request.phone,
    }
    # Someone already registered with the same last name and phone or e-mail is the
    # same client: book them rather than register a duplicate.
    known = people_services.possible_duplicates(
        clinic=actor.clinic,
        values={"phone": booking_request.phone, "email": booking_request.email},
    )
    same = [p for p in known if p.last_name.casefold() == booking_request.last_name.casefold()]
    if same:
        people_selectors.log_duplicate_check(actor=actor, duplicates=same[:1])
        person = same[0]
    else:
        try:
            person, _dups = people_services.person_create(actor=actor, data=data)
        except ValidationFailed:
            return redirect("staff:person-create")
    booking_request.person = person
    booking_request.save(update_fields=["person"])
    url = f"/staff/appointments/new/?person={person.pk}&request={request_id}"
    if booking_request.service_id:
        url += f"&service={booking_request.service_id}"
    return redirect(url)


@require_POST
@staff_view("person.write")
def request_decline(request, request_id: int):
    services.booking_request_decline(
        actor=request.actor, request_id=request_id, reason=request.POST.get("reason", "")
    )
    return redirect("staff:requests")
