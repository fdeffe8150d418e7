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

from datetime import datetime
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from praksis.accounts import eid, signin
from praksis.accounts.models import Level
from praksis.audit.models import Action
from praksis.audit.personal_data import log_extract
from praksis.audit.services import Access, log_access
from praksis.booking import intake, waitlist
from praksis.booking.models import Appointment
from praksis.booking.selectors import person_appointments
from praksis.booking.services import manage_url
from praksis.clinics.access import system_actor
from praksis.clinics.models import Membership
from praksis.core import ratelimit
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.personal_data import Subject
from praksis.journal.pdf import journal_pdf
from praksis.journal.services import intake_draft_create
from praksis.people.guardians import guardian_may_see
from praksis.people.models import AnimalOwner, Guardianship
from praksis.privacy.consent_links import consent_link_token
from praksis.privacy.models import DataSubjectRequest, RequestKind, RequestStatus
from praksis.privacy.public_pages import _ctx, public_page
from praksis.privacy.requests import report_pdf, request_create
from praksis.recall.selectors import recall_for

LOG_ROWS = 500  # on the page; the access report has them all

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
        _ctx(request, values=values, errors=errors, eid_available=eid.provider() is not None),
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
    due = intake.intake_forms_due(upcoming)
    children = _children(clinic, person, actor, now)
    animals = _animals(clinic, person, actor, now, exclude={a.pk for a in appointments})
    zone = clinic.zone
    context = _ctx(
        request,
        person=person,
        upcoming=[
            {
                "appointment": a,
                "local": a.start.astimezone(zone),
                "manage": manage_url(a),
                "intake": due.get(a.pk),
            }
            for a in upcoming
        ],
        intake_sent=request.GET.get("intake") == "1",
        children=children,
        animals=animals,
        past=[{"appointment": a, "local": a.start.astimezone(zone)} for a in past[:20]],
        entries=entries,
        requests=requests,
        kinds=[(k, RequestKind(k).label) for k in ACCOUNT_KINDS],
        consents_url=f"/{clinic.slug}/consents/{consent_link_token(person)}/",
        strong=session.level == Level.STRONG,
        eid_available=eid.provider() is not None,
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


# --- Strong sign-in (eID) and what only it gives ------------------------------------------


@public_page
def account_eid(request, clinic):
    """Send the client to the eID provider (the deployment's, if it has one)."""
    if eid.provider() is None:
        raise Http404
    try:
        url, browser = eid.eid_start(clinic=clinic, language=request.lang)
    except (eid.EidFailed, OSError, ValueError):
        return render(
            request,
            "accounts/eid_failed.html",
            _ctx(request, message=_("The eID service cannot be reached now. Try again later.")),
            status=502,
        )
    response = redirect(url)
    _set_cookie(
        response, clinic, eid.BROWSER_COOKIE, browser,
        minutes=eid.LOGIN_MINUTES, path="/eid/callback/",
    )  # fmt: skip
    return response


def eid_callback(request):
    """Where the provider sends the client back (one address for the deployment)."""
    try:
        clinic, session_token, language = eid.eid_finish(
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            browser=request.COOKIES.get(eid.BROWSER_COOKIE),
        )
    except (eid.EidFailed, OSError) as exc:
        clinic = getattr(exc, "clinic", None)
        if clinic is None:
            raise Http404 from exc  # no login of ours: nothing to say to whom
        language = getattr(exc, "language", "") or clinic.language
        with translation.override(language):
            message = exc.said() if isinstance(exc, eid.EidFailed) else ""
            message = message or _("The sign-in with eID did not go through.")
            request.clinic, request.lang = clinic, language
            response = render(
                request, "accounts/eid_failed.html", _ctx(request, message=message), status=403
            )
        response.delete_cookie(eid.BROWSER_COOKIE, path="/eid/callback/")
        return response
    request.lang = language
    response = _signed_in(request, clinic, session_token)
    response.delete_cookie(eid.BROWSER_COOKIE, path="/eid/callback/")
    return response


def _strong_session(request, clinic):
    """The signed-in client at the strong level (404 otherwise: a code is not enough)."""
    session = _signed_in_session(request, clinic)
    if session.level != Level.STRONG:
        raise Http404
    return session


def _client_actor(clinic):
    return system_actor(clinic, channel="account")


@public_page
def account_log(request, clinic):
    """Who opened my record: every access, newest first — when, who (name, title, role),
    what, why, through which channel (the log extract, REQ-23)."""
    session = _strong_session(request, clinic)
    person = session.person
    subject = Subject(clinic=clinic, person=person, actor=_client_actor(clinic),
                      purpose="log extract (account)")  # fmt: skip
    section = log_extract(subject)
    rows = list(islice(iter(section.items), LOG_ROWS + 1))
    log_access(
        _client_actor(clinic),
        Access(Action.READ, "access_log", person.pk, person_id=person.pk,
               purpose="log extract (account)", detail=f"rows={min(len(rows), LOG_ROWS)}"),
    )  # fmt: skip
    zone = clinic.zone
    context = _ctx(
        request,
        person=person,
        columns=section.columns,
        rows=[[_shown(row.get(key), zone) for key in section.columns] for row in rows[:LOG_ROWS]],
        more=len(rows) > LOG_ROWS,
    )
    return render(request, "accounts/log.html", context)


def _shown(value, zone):
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


@public_page
def account_journal(request, clinic):
    """A copy of the journal as PDF (the strong level only; the print is logged)."""
    session = _strong_session(request, clinic)
    pdf = journal_pdf(
        actor=_client_actor(clinic), person_id=session.person_id, purpose="copy (account)"
    )
    return _pdf(pdf, "journal.pdf")


@public_page
def account_report(request, clinic):
    """The complete access report as PDF: registered as the client's access request,
    answered at once (the strong level only; logged as an export)."""
    session = _strong_session(request, clinic)
    made = request_create(
        actor=_client_actor(clinic), person_id=session.person_id, kind=RequestKind.ACCESS,
        channel="account", details="downloaded from the account",
    )  # fmt: skip
    pdf = report_pdf(_client_actor(clinic), made, purpose="access request (account)")
    DataSubjectRequest.objects.filter(pk=made.pk).update(
        status=RequestStatus.COMPLETED, completed_at=timezone.now(), downloaded_at=timezone.now()
    )
    return _pdf(pdf, "access-report.pdf")


def _pdf(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def signed_in_strongly(http_request, clinic, person_id: int) -> bool:
    """The privacy engine's question: is this visitor signed in with an eID as
    ``person_id`` at ``clinic``? (Then a privacy answer opens without a code.)"""
    session = _session(http_request, clinic)
    return session is not None and session.level == Level.STRONG and session.person_id == person_id


# --- Intake before the visit -----------------------------------------------------------


def _own_appointment(session, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_related("service", "practitioner__user", "clinic")
        .filter(clinic=session.clinic_id, person_id=session.person_id, pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def _reviewer(appointment: Appointment):
    """Who reviews the answers: the booking's practitioner, else the clinic's owner."""
    if appointment.practitioner_id and appointment.practitioner.user_id:
        return appointment.practitioner.user
    owner = (
        Membership.objects.select_related("user")
        .filter(clinic=appointment.clinic, role="owner", is_active=True)
        .order_by("pk")
        .first()
    )
    return owner.user if owner else None


@public_page
@require_http_methods(["GET", "POST"])
def account_intake(request, clinic, appointment_id: int):
    """The client fills in the booking's form; the answers go to the journal as a draft
    for the practitioner (never kept anywhere else)."""
    session = _signed_in_session(request, clinic)
    appointment = _own_appointment(session, appointment_id)
    form = intake.intake_due(appointment)
    if form is None:
        return _go(request, clinic)
    log_access(
        _client_actor(clinic),
        Access(Action.READ, "appointment", appointment.pk, person_id=session.person_id,
               purpose="client account", detail="intake form"),
    )  # fmt: skip
    values = {k: v for k, v in request.POST.items() if k.startswith("q-")}
    errors: dict = {}
    if request.method == "POST":
        try:
            answers = intake.intake_answers_clean(form, request.POST)
            author = _reviewer(appointment)
            if author is None:
                raise Conflict(_("The clinic cannot take answers online now."), code="no_one")
            lines = [form.title, ""]
            with translation.override(clinic.language):  # the journal's language
                words = {"yes": _("Yes"), "no": _("No")}
            for question, value in answers:
                lines += [question["text"], words.get(value, value) if value else "—", ""]
            with transaction.atomic():
                entry = intake_draft_create(
                    clinic=clinic, author=author, text="\n".join(lines).strip(),
                    **({"animal_id": appointment.animal_id} if appointment.animal_id
                       else {"person_id": appointment.person_id}),
                )  # fmt: skip
                intake.intake_record(appointment=appointment, journal_entry_id=entry.pk)
        except ValidationFailed as exc:
            # A question's own error stays with it; any other (the therapy clinic has no
            # consent to health data yet) is said above the form.
            errors = {k: v for k, v in exc.errors.items() if k.startswith("q-")}
            others = [m for k, msgs in exc.errors.items() if not k.startswith("q-") for m in msgs]
            if others:
                errors["form"] = others
        except Conflict as exc:
            errors = {"form": [str(exc.message)]}
        else:
            return redirect(f"{_base(clinic)}?lang={request.lang}&intake=1")
    context = _ctx(
        request,
        appointment=appointment,
        local=appointment.start.astimezone(clinic.zone),
        form=form,
        questions=[
            {
                "index": i,
                "name": f"q-{i}",
                **q,
                "value": values.get(f"q-{i}", ""),
                "errors": errors.get(f"q-{i}", []),
            }
            for i, q in enumerate(form.questions)
        ],
        errors=errors,
    )
    return render(request, "accounts/intake.html", context, status=422 if errors else 200)


# --- Family: a guardian's children, a pet owner's animals ---------------------------------


def _upcoming_rows(appointments, zone) -> list[dict]:
    return [
        {"appointment": a, "local": a.start.astimezone(zone), "manage": manage_url(a)}
        for a in sorted(appointments, key=lambda a: a.start)
    ]


def _children(clinic, person, actor, now) -> list[dict]:
    """The children the client is a guardian of, as far as the age rules let the guardian
    see them (REQ-49): their bookings to come, to move or cancel. A child whose data is
    withheld from this guardian is named with the reason, nothing more."""
    today = timezone.localdate(timezone=clinic.zone)
    links = Guardianship.objects.filter(
        clinic=clinic, guardian=person, ended_at__isnull=True
    ).select_related("child")
    rows = []
    for link in links:
        child = link.child
        view = guardian_may_see(child, person, today)
        row = {"child": child, "allowed": view.allowed, "reason": view.reason, "upcoming": []}
        if view.allowed:
            booked = Appointment.objects.filter(
                clinic=clinic, person=child, status=Appointment.Status.BOOKED, start__gte=now
            ).select_related("service", "practitioner")
            row["upcoming"] = _upcoming_rows(booked, clinic.zone)
            log_access(
                actor,
                Access(Action.LIST, "appointment", person_id=child.pk, purpose="client account",
                       detail=f"guardian {person.pk}; {view.scope}"),
            )  # fmt: skip
        rows.append(row)
    return rows


def _animals(clinic, person, actor, now, *, exclude: set[int]) -> list[dict]:
    """The animals the client owns (alone or with others): each one's bookings to come,
    whoever booked them, and its next reminder. A co-owner sees only the animals they
    are an owner of."""
    if not clinic.has_animals:
        return []
    owned = [
        o.animal
        for o in AnimalOwner.objects.filter(clinic=clinic, person=person)
        .select_related("animal")
        .order_by("animal__name", "animal_id")
    ]
    rows = []
    for animal in owned:
        booked = Appointment.objects.filter(
            clinic=clinic, animal=animal, status=Appointment.Status.BOOKED, start__gte=now
        ).select_related("service", "practitioner")
        recall = None if animal.deceased_on else recall_for(actor=actor, animal=animal)
        rows.append(
            {
                "animal": animal,
                "upcoming": _upcoming_rows([a for a in booked if a.pk not in exclude], clinic.zone),
                "recall": recall,
            }
        )
    return rows
