"""The client's booking pages: /{clinic}/ (book or request), the manage link, the .ics.

Server-rendered and usable without JavaScript; no third-party requests; only the
strictly necessary CSRF cookie. Language: ``?lang=sv|nb|en``, else the clinic's own.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking import selectors, services
from praksis.booking.availability import free_slots, policy_for
from praksis.booking.calendar import appointment_ics
from praksis.booking.models import BookingRequest
from praksis.clinics.models import Clinic, IdentityPolicy
from praksis.core import ratelimit
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.input import clamp_date
from praksis.core.middleware import client_ip
from praksis.people.models import Species
from praksis.privacy.public_pages import _ctx, public_page
from praksis.privacy.services import notice_current

# The frame of a clinic's public pages (the clinic, its languages, the cookie choice) is
# shared with the privacy pages: praksis.privacy.public_pages.


def _week(value: str | None, today: date) -> date:
    try:
        day = clamp_date(date.fromisoformat(value or ""))
    except ValueError:
        day = today
    return services.week_start(max(day, today))


def _week_days(clinic: Clinic, service, week: date, today: date) -> list[dict]:
    """The week's days from today on, each with its free times (one button per time)."""
    slots = free_slots(
        clinic=clinic, service=service, date_from=week, date_to=week + timedelta(days=6)
    )
    names = dict(selectors.practitioners(clinic=clinic).values_list("pk", "name"))
    zone = clinic.zone
    by_day = {
        d: list(group) for d, group in groupby(slots, key=lambda s: s.start.astimezone(zone).date())
    }
    days = []
    for offset in range(7):
        day = week + timedelta(days=offset)
        if day < today:
            continue
        seen = set()
        times = []
        for slot in by_day.get(day, []):
            local = slot.start.astimezone(zone)
            if local in seen:  # any free practitioner is fine
                continue
            seen.add(local)
            times.append(
                {
                    "local": local,
                    "iso": local.isoformat(),
                    "practitioner": names.get(slot.practitioner_id, ""),
                }
            )
        days.append({"date": day, "times": times})
    return days


@public_page
def booking_home(request, clinic: Clinic):
    policy = policy_for(clinic)
    if policy.mode == "requests":
        return _request_form(request, clinic, values={}, errors={})
    service_list = list(selectors.services_public(clinic=clinic))
    service = None
    days = []
    today = timezone.now().astimezone(clinic.zone).date()
    week = _week(request.GET.get("week"), today)
    service_id = request.GET.get("service")
    if service_id:
        service = next((s for s in service_list if str(s.pk) == service_id), None)
        if service is None:
            raise Http404
        # Without a chosen week, show the first week that has a free time (up to 8 ahead),
        # so a client never lands on a page of "no free times".
        explicit = bool(request.GET.get("week"))
        for _attempt in range(1 if explicit else 9):
            days = _week_days(clinic, service, week, today)
            if explicit or any(day["times"] for day in days):
                break
            week += timedelta(days=7)
    context = _ctx(
        request,
        services=service_list,
        service=service,
        days=days,
        week=week,
        prev_week=week - timedelta(days=7) if week > services.week_start(today) else None,
        next_week=week + timedelta(days=7),
    )
    return render(request, "booking/public_home.html", context)


def _details_context(request, clinic, service, start_iso, values, errors, **extra):
    return _ctx(
        request,
        service=service,
        start_iso=start_iso,
        start_local=services.parse_start(start_iso, clinic).astimezone(clinic.zone),
        values=values,
        errors=errors,
        birth_date_only=clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY,
        identity_required=clinic.identity_policy == IdentityPolicy.REQUIRED,
        species=Species.choices,
        notice=notice_current(clinic=clinic),
        **extra,
    )


FORM_FIELDS = (
    "first_name",
    "last_name",
    "identity_number",
    "birth_date",
    "email",
    "phone",
    "animal_name",
    "animal_species",
)


@public_page
@require_http_methods(["GET", "POST"])
def booking_details(request, clinic: Clinic):
    source = request.POST if request.method == "POST" else request.GET
    service = next(
        (s for s in selectors.services_public(clinic=clinic) if str(s.pk) == source.get("service")),
        None,
    )
    start_iso = source.get("start", "")
    try:
        services.parse_start(start_iso, clinic)
    except ValidationFailed:
        service = None
    if service is None:
        return redirect(f"/{clinic.slug}/?{urlencode({'lang': request.lang})}")
    values = {name: source.get(name, "") for name in FORM_FIELDS}
    values["marketing_opt_in"] = source.get("marketing_opt_in") == "1"
    values["accept_privacy_notice"] = source.get("accept_privacy_notice") == "1"
    if request.method == "GET":
        return render(
            request,
            "booking/public_details.html",
            _details_context(request, clinic, service, start_iso, values, {}),
        )
    wait = ratelimit.check(request, scope="book", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    if wait:  # the form again, as typed, with the reason and Retry-After
        context = _details_context(
            request, clinic, service, start_iso, values, {}, rate_limited=True
        )
        return ratelimit.refuse(render(request, "booking/public_details.html", context), wait)
    data = {**values, "service": service.pk, "start": start_iso}
    try:
        appointment = services.booking_public_create(
            clinic=clinic,
            data=data,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValidationFailed as exc:
        return render(
            request,
            "booking/public_details.html",
            _details_context(request, clinic, service, start_iso, values, exc.errors),
            status=422,
        )
    except Conflict as exc:
        return render(
            request,
            "booking/public_details.html",
            _details_context(request, clinic, service, start_iso, values, {}, taken=exc.message),
            status=409,
        )
    token = services.manage_token(appointment)
    return redirect(
        f"/{clinic.slug}/booking/{token}/?{urlencode({'lang': request.lang, 'new': 1})}"
    )


@public_page
def booking_manage(request, clinic: Clinic, token: str):
    appointment = services.appointment_by_token(clinic=clinic, token=token)
    return render(
        request, "booking/public_manage.html", _manage_context(request, appointment, token)
    )


def _manage_context(request, appointment, token, **extra):
    """Only this booking: the link grants nothing over the record it is linked to."""
    clinic = appointment.clinic
    policy = policy_for(clinic)
    cutoff = appointment.start - timedelta(hours=policy.cancel_cutoff_hours)
    return _ctx(
        request,
        appointment=appointment,
        token=token,
        service_name=appointment.service.localized_name(request.lang),
        start_local=appointment.start.astimezone(clinic.zone),
        changeable=appointment.status == "booked" and timezone.now() < cutoff,
        cutoff_hours=policy.cancel_cutoff_hours,
        new=request.GET.get("new") == "1",
        **extra,
    )


@public_page
@require_POST
def booking_cancel(request, clinic: Clinic, token: str):
    try:
        services.appointment_cancel_by_client(clinic=clinic, token=token)
    except Conflict as exc:
        appointment = services.appointment_by_token(clinic=clinic, token=token)
        return render(
            request,
            "booking/public_manage.html",
            _manage_context(request, appointment, token, error=exc.message),
            status=409,
        )
    return redirect(f"/{clinic.slug}/booking/{token}/?{urlencode({'lang': request.lang})}")


@public_page
@require_http_methods(["GET", "POST"])
def booking_move(request, clinic: Clinic, token: str):
    appointment = services.appointment_by_token(clinic=clinic, token=token)
    error = None
    if request.method == "POST":
        try:
            services.appointment_move_by_client(
                clinic=clinic, token=token, start=request.POST.get("start", "")
            )
        except (ValidationFailed, Conflict) as exc:
            error = exc.message
        else:
            return redirect(f"/{clinic.slug}/booking/{token}/?{urlencode({'lang': request.lang})}")
    today = timezone.now().astimezone(clinic.zone).date()
    week = _week(request.GET.get("week"), today)
    explicit = bool(request.GET.get("week"))
    for _attempt in range(1 if explicit else 9):
        days = [d for d in _week_days(clinic, appointment.service, week, today) if d["times"]]
        if explicit or days:
            break
        week += timedelta(days=7)
    context = _manage_context(
        request,
        appointment,
        token,
        days=days,
        week=week,
        error=error,
        prev_week=week - timedelta(days=7) if week > services.week_start(today) else None,
        next_week=week + timedelta(days=7),
    )
    return render(request, "booking/public_move.html", context, status=409 if error else 200)


@public_page
def booking_ics(request, clinic: Clinic, token: str):
    appointment = services.appointment_by_token(clinic=clinic, token=token)
    response = HttpResponse(
        appointment_ics(appointment, language=request.lang), content_type="text/calendar"
    )
    response["Content-Disposition"] = f'attachment; filename="{appointment.reference}.ics"'
    return response


def _request_form(request, clinic, *, values, errors, status=200, **extra):
    context = _ctx(
        request,
        services=list(selectors.services_public(clinic=clinic)),
        values=values,
        errors=errors,
        weekdays=[(i, date(2024, 1, 1 + i)) for i in range(5)],
        times=BookingRequest.TimeOfDay.choices,
        notice=notice_current(clinic=clinic),
        **extra,
    )
    return render(request, "booking/public_request.html", context, status=status)


@public_page
@require_POST
def booking_request(request, clinic: Clinic):
    post = request.POST
    values = {
        k: post.get(k, "")
        for k in (
            "service",
            "first_name",
            "last_name",
            "email",
            "phone",
            "preferred_time",
            "source",
            "message",
        )
    }
    values["preferred_weekdays"] = post.getlist("preferred_weekdays")
    data = {**values, "accept_privacy_notice": post.get("accept_privacy_notice") == "1"}
    values["accept_privacy_notice"] = data["accept_privacy_notice"]
    wait = ratelimit.check(request, scope="book", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    if wait:
        form = _request_form(request, clinic, values=values, errors={}, rate_limited=True)
        return ratelimit.refuse(form, wait)
    try:
        services.booking_request_create(clinic=clinic, data=data, ip_address=client_ip(request))
    except ValidationFailed as exc:
        return _request_form(request, clinic, values=values, errors=exc.errors, status=422)
    return render(request, "booking/public_request_done.html", _ctx(request))
