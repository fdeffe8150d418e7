"""The client's own account at a clinic, ``/{clinic}/account/`` (issue 15, basic level).

Signed in with a one-time code (``praksis.accounts.signin``), the client sees and acts
on what is theirs: upcoming and past bookings (move or cancel through the booking's own
page, book a new time), their places on the waiting list, their consents (the consents
page of their own), and their privacy requests (filed from here already verified). Every
read is access-logged as the client's (channel "account").

The session cookie is the account's own (``praksis_account``, for this clinic's path
only), never the staff session. Another clinic's pages do not see it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from praksis.accounts import signin
from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking import waitlist
from praksis.booking.selectors import person_appointments
from praksis.booking.services import manage_url
from praksis.clinics.access import system_actor
from praksis.core import ratelimit
from praksis.core.errors import Conflict, ValidationFailed
from praksis.privacy.consent_links import consent_link_token
from praksis.privacy.models import DataSubjectRequest, RequestKind
from praksis.privacy.public_pages import _ctx, public_page
from praksis.privacy.requests import request_create

# What a client may ask from the account (the others need the desk or the public form).
ACCOUNT_KINDS = (
    RequestKind.ACCESS,
    RequestKind.RECTIFICATION,
    RequestKind.ERASURE,
    RequestKind.RESTRICTION,
    RequestKind.OBJECTION,
    RequestKind.PORTABILITY,
)


def _base(clinic) -> str:
    return f"/{clinic.slug}/account/"


def _set_cookie(response, clinic, name: str, value: str, *, minutes: int, path: str) -> None:
    response.set_cookie(
        name, value, max_age=minutes * 60, path=path, httponly=True, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )  # fmt: skip


def _session(request, clinic):
    return signin.session_get(clinic=clinic, token=request.COOKIES.get(signin.SESSION_COOKIE))


def _go(request, clinic, where: str = ""):
    return redirect(f"{_base(clinic)}{where}?lang={request.lang}")


@public_page
@require_http_methods(["GET", "POST"])
def account_home(request, clinic):
    session = _session(request, clinic)
    if session is None:
        return _sign_in_page(request, clinic)
    return _home(request, clinic, session)


def _sign_in_page(request, clinic):
    values = {"contact": request.POST.get("contact", "")[:254]}
    errors: dict = {}
    if request.method == "POST":
        wait = ratelimit.check(request, scope="signin", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
        if wait:
            page = render(
                request,
                "accounts/sign_in.html",
                _ctx(request, values=values, errors={}, rate_limited=True),
            )
            return ratelimit.refuse(page, wait)
        try:
            token = signin.sign_in_start(
                clinic=clinic, contact=values["contact"], language=request.lang
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            response = _go(request, clinic, "code/")
            _set_cookie(
                response, clinic, signin.SIGNIN_COOKIE, token,
                minutes=2 * signin.CODE_MINUTES, path=_base(clinic),
            )  # fmt: skip
            return response
    return render(
        request,
        "accounts/sign_in.html",
        _ctx(request, values=values, errors=errors),
        status=422 if errors else 200,
    )


@public_page
@require_http_methods(["GET", "POST"])
def account_code(request, clinic):
    token = request.COOKIES.get(signin.SIGNIN_COOKIE)
    pending = signin.pending(clinic=clinic, token=token)
    if pending is None:
        return _go(request, clinic)
    if pending.needs_birth_date:
        return _go(request, clinic, "who/")
    errors: dict = {}
    ended = ""
    status = 200
    if request.method == "POST":
        try:
            session_token = signin.sign_in_check(
                clinic=clinic, token=token, code=request.POST.get("code", "")
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        except Conflict as exc:
            ended, status = str(exc.message), 409
        else:
            if session_token is None:
                return _go(request, clinic, "who/")
            return _signed_in(request, clinic, session_token)
    context = _ctx(request, errors=errors, ended=ended, channel=pending.sign_in.channel)
    return render(request, "accounts/code.html", context, status=status)


@public_page
@require_http_methods(["GET", "POST"])
def account_who(request, clinic):
    token = request.COOKIES.get(signin.SIGNIN_COOKIE)
    pending = signin.pending(clinic=clinic, token=token)
    if pending is None or not pending.needs_birth_date:
        return _go(request, clinic)
    values = {"birth_date": request.POST.get("birth_date", "")[:10]}
    errors: dict = {}
    ended = ""
    status = 200
    if request.method == "POST":
        try:
            session_token = signin.sign_in_who(
                clinic=clinic, token=token, birth_date=values["birth_date"]
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        except Conflict as exc:
            ended, status = str(exc.message), 409
        else:
            return _signed_in(request, clinic, session_token)
    context = _ctx(request, values=values, errors=errors, ended=ended)
    return render(request, "accounts/who.html", context, status=status)


def _signed_in(request, clinic, session_token: str):
    response = _go(request, clinic)
    _set_cookie(
        response, clinic, signin.SESSION_COOKIE, session_token,
        minutes=signin.MAX_HOURS * 60, path=f"/{clinic.slug}/",
    )  # fmt: skip
    response.delete_cookie(signin.SIGNIN_COOKIE, path=_base(clinic))
    return response


def _home(request, clinic, session, *, status: int = 200, **extra):
    person = session.person
    actor = system_actor(clinic, channel="account")
    now = timezone.now()
    appointments = person_appointments(actor=actor, person_id=person.pk)
    entries = [e for e in waitlist.waitlist_list(actor=actor, person_id=person.pk) if e.is_waiting]
    requests = list(
        DataSubjectRequest.objects.filter(clinic=clinic, person=person).order_by(
            "-received_at", "-pk"
        )[:50]
    )
    log_access(
        actor,
        Access(Action.READ, "client_account", session.pk, person_id=person.pk,
               purpose="client account", detail=f"bookings={len(appointments)}"),
    )  # fmt: skip
    upcoming = sorted(
        (a for a in appointments if a.start >= now and a.status == "booked"),
        key=lambda a: a.start,
    )
    past = [a for a in appointments if a not in upcoming]
    zone = clinic.zone
    context = _ctx(
        request,
        person=person,
        upcoming=[
            {"appointment": a, "local": a.start.astimezone(zone), "manage": manage_url(a)}
            for a in upcoming
        ],
        past=[{"appointment": a, "local": a.start.astimezone(zone)} for a in past[:20]],
        entries=entries,
        requests=requests,
        kinds=[(k, RequestKind(k).label) for k in ACCOUNT_KINDS],
        consents_url=f"/{clinic.slug}/consents/{consent_link_token(person)}/",
        values=extra.pop("values", {}),
        errors=extra.pop("errors", {}),
        **extra,
    )
    return render(request, "accounts/home.html", context, status=status)


def _signed_in_session(request, clinic):
    session = _session(request, clinic)
    if session is None:
        raise Http404
    return session


@public_page
@require_POST
def account_sign_out(request, clinic):
    signin.sign_out(clinic=clinic, token=request.COOKIES.get(signin.SESSION_COOKIE))
    response = _go(request, clinic)
    response.delete_cookie(signin.SESSION_COOKIE, path=f"/{clinic.slug}/")
    return response


@public_page
@require_POST
def account_waitlist_leave(request, clinic, entry_id: int):
    session = _signed_in_session(request, clinic)
    waitlist.waitlist_leave_own(clinic=clinic, person_id=session.person_id, entry_id=entry_id)
    return _go(request, clinic)


@public_page
@require_POST
def account_request(request, clinic):
    """A privacy request from the account: the client is signed in, so it is verified."""
    session = _signed_in_session(request, clinic)
    values = {k: request.POST.get(k, "")[:5000] for k in ("kind", "details")}
    if values["kind"] not in ACCOUNT_KINDS:
        errors = {"kind": [_("Choose the kind of request.")]}
        return _home(request, clinic, session, status=422, values=values, errors=errors)
    request_create(
        actor=system_actor(clinic, channel="account"),
        person_id=session.person_id,
        kind=values["kind"],
        channel="account",
        details=values["details"],
    )
    return _go(request, clinic)
