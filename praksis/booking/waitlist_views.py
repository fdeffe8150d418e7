"""Pages of the waiting list: join, leave and claim on the public pages; the staff list.

Public: ``/{clinic}/waitlist/`` (join; rate-limited like a booking),
``/{clinic}/waitlist/leave/{token}/`` (the link in the confirmation) and
``/{clinic}/waitlist/offer/{token}/`` (the claim link of an offer: GET shows the time,
only POST books). Staff: ``/staff/waitlist/`` (person.read), adding a registered client
and removing an entry (person.write).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking import selectors, waitlist
from praksis.booking.availability import policy_for
from praksis.booking.models import Channel, Service
from praksis.booking.services import manage_token
from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.clinics.models import IdentityPolicy
from praksis.core import ratelimit
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.middleware import client_ip
from praksis.people.models import Species
from praksis.people.picker import picked_person
from praksis.privacy.public_pages import _ctx, public_page
from praksis.privacy.services import notice_current

# Monday 1 January 2024: its week names the weekdays in the active language.
WEEKDAYS = [(i, date(2024, 1, 1 + i)) for i in range(7)]
WISH_FIELDS = ("service", "practitioner", "earliest", "latest", "until")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


def _practitioners(clinic, service_list):
    """Each practitioner who gives at least one of the services, with the services' ids."""
    given: dict[int, set[int]] = {}
    for service in service_list:
        for pid in service.practitioners.values_list("pk", flat=True):
            given.setdefault(pid, set()).add(service.pk)
    return [p for p in selectors.practitioners(clinic=clinic) if p.pk in given]


def _wish_values(source) -> dict:
    values = {k: source.get(k, "") for k in WISH_FIELDS}
    values["weekdays"] = source.getlist("weekdays")
    return values


def _wish_context(clinic, service_list, values) -> dict:
    return {
        "services": service_list,
        "practitioners": _practitioners(clinic, service_list),
        "weekdays": WEEKDAYS,
        "values": values,
        "default_until": waitlist.default_until(clinic).isoformat(),
        "max_until": waitlist.last_day(clinic).isoformat(),
    }


# --- Public: join -------------------------------------------------------------------------


def _join_form(request, clinic, *, values, errors, status=200, **extra):
    service_list = list(selectors.services_public(clinic=clinic))
    context = _ctx(
        request,
        errors=errors,
        notice=notice_current(clinic=clinic),
        **_wish_context(clinic, service_list, values),
        **extra,
    )
    return render(request, "booking/public_waitlist.html", context, status=status)


@public_page
@require_http_methods(["GET", "POST"])
def waitlist_join(request, clinic):
    if policy_for(clinic).mode != "online":
        return redirect(f"/{clinic.slug}/?{urlencode({'lang': request.lang})}")
    if request.method == "GET":
        values = {"service": request.GET.get("service", ""), "weekdays": []}
        return _join_form(request, clinic, values=values, errors={})
    post = request.POST
    values = _wish_values(post)
    values.update({k: post.get(k, "") for k in CONTACT_FIELDS})
    values["accept_privacy_notice"] = post.get("accept_privacy_notice") == "1"
    wait = ratelimit.check(request, scope="book", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    if wait:  # the form again, as typed, with the reason and Retry-After
        form = _join_form(request, clinic, values=values, errors={}, rate_limited=True)
        return ratelimit.refuse(form, wait)
    try:
        entry, _token = waitlist.waitlist_join_public(
            clinic=clinic, data=values, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        return _join_form(request, clinic, values=values, errors=exc.errors, status=422)
    context = _ctx(
        request,
        entry=entry,
        service_name=entry.service.localized_name(request.lang),
        until=waitlist._entry_context(entry, request.lang)["until"],
    )
    return render(request, "booking/public_waitlist_done.html", context)


# --- Public: leave ------------------------------------------------------------------------


@public_page
@require_http_methods(["GET", "POST"])
def waitlist_leave(request, clinic, token: str):
    if request.method == "POST":
        entry = waitlist.waitlist_leave(clinic=clinic, token=token)
        left = True
    else:
        entry = waitlist.entry_by_token(clinic=clinic, token=token)
        left = False
    context = _ctx(
        request,
        entry=entry,
        left=left,
        waiting=entry.status == "waiting" and entry.expires_at > timezone.now(),
        service_name=entry.service.localized_name(request.lang),
        until=waitlist._entry_context(entry, request.lang)["until"],
    )
    return render(request, "booking/public_waitlist_leave.html", context)


# --- Public: claim an offer ---------------------------------------------------------------


def _offer_page(request, offer, token, *, values=None, errors=None, status=200, **extra):
    clinic = offer.clinic
    entry = offer.entry
    public_entry = entry.person_id is None
    context = _ctx(
        request,
        offer=offer,
        token=token,
        state=extra.pop("state", None) or waitlist.offer_state(offer),
        service_name=entry.service.localized_name(request.lang),
        start_local=offer.start.astimezone(clinic.zone),
        answer_by=offer.expires_at.astimezone(clinic.zone),
        ask_details=public_entry,
        ask_notice=public_entry and entry.notice_version != notice_current(clinic=clinic).version,
        birth_date_only=clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY,
        identity_required=clinic.identity_policy == IdentityPolicy.REQUIRED,
        species=Species.choices,
        values=values or {"email": entry.email, "phone": entry.phone},
        errors=errors or {},
        **extra,
    )
    return render(request, "booking/public_waitlist_offer.html", context, status=status)


@public_page
@require_http_methods(["GET", "POST"])
def waitlist_offer(request, clinic, token: str):
    offer = waitlist.offer_by_token(clinic=clinic, token=token)
    if request.method == "GET":
        return _offer_page(request, offer, token)
    values = {k: request.POST.get(k, "") for k in waitlist.CLAIM_FIELDS}
    values["accept_privacy_notice"] = request.POST.get("accept_privacy_notice") == "1"
    wait = ratelimit.check(request, scope="book", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    if wait:
        page = _offer_page(request, offer, token, values=values, rate_limited=True)
        return ratelimit.refuse(page, wait)
    data = {**values}
    if not values["accept_privacy_notice"]:
        data.pop("accept_privacy_notice")
    try:
        appointment = waitlist.offer_claim(
            clinic=clinic,
            token=token,
            data=data,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValidationFailed as exc:
        return _offer_page(request, offer, token, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        offer.refresh_from_db()
        return _offer_page(request, offer, token, values=values, status=409, refused=exc.message)
    return redirect(
        f"/{clinic.slug}/booking/{manage_token(appointment)}/?"
        f"{urlencode({'lang': request.lang, 'new': 1})}"
    )


# --- Staff --------------------------------------------------------------------------------


def waitlist_rows(actor, person_id: int | None = None) -> list:
    """The waiting list's entries (one person's with ``person_id``) with what the pages
    show: the last day, the weekdays by name, the times offered."""
    items = waitlist.waitlist_list(actor=actor, person_id=person_id)
    zone = actor.clinic.zone
    for entry in items:
        entry.local_until = waitlist._entry_context(entry, actor.clinic.language)["until"]
        entry.day_dates = [dict(WEEKDAYS)[d] for d in entry.weekdays or [] if 0 <= d <= 6]
        entry.offers_made = [
            {"local": o.start.astimezone(zone), "status": o.get_status_display()}
            for o in entry.offers.all()
        ]
    return items


@staff_view("person.read")
def waitlist_page(request):
    actor = request.actor
    items = waitlist_rows(actor)
    return render(
        request,
        "booking/waitlist.html",
        {"items": items, "can_write": can(actor, "person.write")},
    )


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def waitlist_new(request):
    actor = request.actor
    clinic = actor.clinic
    source = request.POST if request.method == "POST" else request.GET
    picker = picked_person(actor, source, purpose="waitlist")
    service_list = list(Service.objects.filter(clinic=clinic, active=True).order_by("name", "pk"))
    values = _wish_values(source)
    values["channel"] = source.get("channel", Channel.PHONE)
    errors: dict = {}
    if request.method == "POST" and not picker.must_choose:
        try:
            waitlist.waitlist_add(
                actor=actor,
                person_id=picker.person_id,
                data={**values, "until": values["until"] or None},
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return _back(request, "staff:waitlist")
    return render(
        request,
        "booking/waitlist_new.html",
        {
            "picker": picker,
            "next": _safe_next(source.get("next", "")),
            "channels": [c for c in Channel.choices if c[0] != Channel.ONLINE],
            "errors": errors,
            **_wish_context(clinic, service_list, values),
        },
        status=422 if errors else 200,
    )


@require_POST
@staff_view("person.write")
def waitlist_remove(request, waitlist_entry_id: int):
    waitlist.waitlist_remove(actor=request.actor, entry_id=waitlist_entry_id)
    return _back(request, "staff:waitlist")


def _safe_next(value: str) -> str:
    """A staff page to return to (the person's page the form was opened from), or ""."""
    if value.startswith("/staff/") and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value
    return ""


def _back(request, default: str):
    return redirect(_safe_next(request.POST.get("next", "")) or default)
