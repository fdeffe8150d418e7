"""The clinic's public privacy notice (/{clinic}/privacy?lang=sv|nb|en)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core import ratelimit
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.middleware import client_ip
from praksis.people.picker import picked_person
from praksis.privacy.consent_links import (
    SELF_SERVICE,
    consent_give_by_person,
    consent_link_person,
    consent_link_send,
    consents_for_link,
)
from praksis.privacy.cookies import BANNER_VERSION, read_choice, record_choice
from praksis.privacy.intake import request_public_create, unmatched_list
from praksis.privacy.marketing import consent_for_token
from praksis.privacy.models import Purpose, RequestKind
from praksis.privacy.public_pages import _ctx, public_page
from praksis.privacy.request_views import (  # noqa: F401  (the public pages' URLs)
    public_answer,
    public_answer_csv,
    public_answer_json,
    public_answer_report,
    public_verify,
)
from praksis.privacy.requests import (
    access_report_pdf,
    effective_due,
    export_csv,
    export_json,
    near_due,
    request_answer,
    request_complete,
    request_create,
    request_list,
)
from praksis.privacy.restriction import FORM_SESSION_KEY
from praksis.privacy.services import (
    DESK_TEXTS,
    consent_give_at_desk,
    consent_withdraw,
    consent_withdraw_by_person,
    restriction_lift,
    restriction_set,
    takedown_done,
    takedowns_open,
)
from praksis.privacy.sources import notice_context, recipients_of_many


def _notice_context(request, clinic, *, values=None, errors=None, version=None, **extra) -> dict:
    """The published notice, generated from the record of processing (REQ-30, REQ-45)."""
    return _ctx(
        request,
        **notice_context(clinic, request.lang, version),
        kinds=RequestKind.choices,
        values=values or {},
        errors=errors or {},
        **extra,
    )


@public_page
def notice(request, clinic):
    context = _notice_context(request, clinic, version=request.GET.get("version"))
    return render(request, "privacy/notice.html", context)


@public_page
@require_http_methods(["GET", "POST"])
def cookie_settings(request, clinic):
    """The permanent place to see and change the cookie choice (and the banner's target)."""
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice == "accept":
            statistics = marketing = True
        elif choice == "reject":
            statistics = marketing = False
        else:
            statistics = request.POST.get("statistics") == "1"
            marketing = request.POST.get("marketing") == "1"
        target = request.POST.get("next") or f"/{clinic.slug}/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = f"/{clinic.slug}/"
        response = redirect(target)
        record_choice(
            clinic=clinic,
            request=request,
            response=response,
            statistics=statistics,
            marketing=marketing,
        )
        return response
    return render(
        request,
        "privacy/cookies.html",
        _ctx(request, current=read_choice(request), banner_version=BANNER_VERSION),
    )


@require_POST
@staff_view("person.write")
def consent_new_view(request, person_id: int):
    """Record a consent given at the desk; on an error the person page says why."""
    try:
        consent_give_at_desk(
            actor=request.actor,
            person_id=person_id,
            purpose=request.POST.get("purpose", ""),
            channel=request.POST.get("channel", "desk"),
            third_party=request.POST.get("third_party", ""),
        )
    except ValidationFailed as exc:
        url = reverse("staff:person", kwargs={"person_id": person_id})
        query = {"consent_error": exc.message, **{k: request.POST.get(k, "") for k in FORM_KEYS}}
        return redirect(f"{url}?{urlencode(query)}#consents")
    return redirect(reverse("staff:person", kwargs={"person_id": person_id}) + "#consents")


FORM_KEYS = ("purpose", "channel", "third_party")
ART19_KINDS = (RequestKind.RECTIFICATION, RequestKind.ERASURE, RequestKind.RESTRICTION)


@require_POST
@staff_view("person.write")
def consent_withdraw_view(request, consent_id: int):
    consent = consent_withdraw(actor=request.actor, consent_id=consent_id)
    return redirect("staff:person", person_id=consent.person_id)


@staff_view("person.read")
def requests_dashboard(request):
    """Open data-subject requests by due date; those close to it are flagged."""
    person = picked_person(request.actor, request.GET, purpose="privacy request")
    person.errors = []  # arriving from a person's page with ?person=: nothing to correct yet
    guardian = picked_person(request.actor, request.GET, "guardian", purpose="privacy request")
    guardian.errors = []
    new = {"person": person, "guardian": guardian, "values": {}, "errors": {}}
    return _dashboard(request, new=new)


def _dashboard(request, *, new: dict, status: int = 200):
    actor = request.actor
    today = timezone.now().astimezone(actor.clinic.zone).date()
    requests = request_list(actor=actor)
    # Art. 19: whoever received the data hears of a rectification, erasure or restriction.
    recipients = recipients_of_many(
        actor.clinic,
        {r.person_id for r in requests if r.completed_at is None and r.kind in ART19_KINDS},
    )
    items = [
        {
            "request": r,
            "due": effective_due(r),
            "near": near_due(r, today),
            "recipients": recipients.get(r.person_id, []) if r.kind in ART19_KINDS else [],
        }
        for r in requests
    ]
    return render(
        request,
        "privacy/requests.html",
        {
            "items": items,
            "kinds": RequestKind.choices,
            "can_manage": can(actor, "privacy.manage"),
            # Issue 14: online requests that name no one person, for the owner to resolve.
            "unmatched": unmatched_list(actor=actor) if can(actor, "privacy.manage") else [],
            "takedowns": takedowns_open(actor=actor),
            "now": timezone.now(),
            "new": new,
        },
        status=status,
    )


@require_POST
@staff_view("person.write")
def request_new(request):
    """Register a request made at the desk; what was typed is kept when it is refused."""
    person = picked_person(request.actor, request.POST, purpose="privacy request")
    # A guardian asking on a child's behalf (REQ-49): optional, as far as the rule allows.
    guardian = picked_person(request.actor, request.POST, "guardian", purpose="privacy request")
    values = {key: request.POST.get(key, "") for key in ("kind", "details")}
    errors: dict = {}
    if not person.must_choose and not guardian.must_choose:
        try:
            request_create(
                actor=request.actor,
                person_id=person.person_id,
                kind=values["kind"],
                details=values["details"],
                guardian_id=guardian.person_id,
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect("staff:privacy-requests")
    person.errors = person.errors or errors.get("person", [])
    guardian.errors = guardian.errors or errors.get("guardian", [])
    errors.pop("person", None)
    errors.pop("guardian", None)
    new = {"person": person, "guardian": guardian, "values": values, "errors": errors}
    return _dashboard(request, new=new, status=422)


@staff_view("privacy.manage")
def request_report(request, privacy_request_id: int):
    pdf = access_report_pdf(actor=request.actor, request_id=privacy_request_id)
    return HttpResponse(pdf, content_type="application/pdf")


@staff_view("privacy.manage")
def request_export(request, privacy_request_id: int):
    body = export_json(actor=request.actor, request_id=privacy_request_id)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="export-{privacy_request_id}.json"'
    return response


@staff_view("privacy.manage")
def request_export_csv(request, privacy_request_id: int):
    body = export_csv(actor=request.actor, request_id=privacy_request_id)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="export-{privacy_request_id}.csv"'
    return response


@require_POST
@staff_view("privacy.manage")
@recent_auth
def request_answer_view(request, privacy_request_id: int):
    """Answer the requester: a link to the answer (and their data) by e-mail."""
    try:
        request_answer(
            actor=request.actor,
            request_id=privacy_request_id,
            delivery=request.POST.get("delivery", "link"),
            answer=request.POST.get("answer", ""),
            refused=request.POST.get("outcome") == "refused",
        )
    except (ValidationFailed, Conflict) as exc:
        url = reverse("staff:privacy-requests")
        return redirect(f"{url}?{urlencode({'error': exc.message})}")
    return redirect("staff:privacy-requests")


@require_POST
@staff_view("privacy.manage")
def request_done(request, privacy_request_id: int):
    request_complete(actor=request.actor, request_id=privacy_request_id)
    return redirect("staff:privacy-requests")


@public_page
@require_POST
def public_request(request, clinic):
    """The public request form: the answer is the same whether or not we know the address."""
    values = {k: request.POST.get(k, "") for k in ("contact", "kind", "details")}
    wait = ratelimit.check(request, scope="privacy", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    if wait:
        context = _notice_context(request, clinic, values=values, rate_limited=True)
        return ratelimit.refuse(render(request, "privacy/notice.html", context), wait)
    try:
        request_public_create(clinic=clinic, language=request.lang, **values)
    except ValidationFailed as exc:
        return render(
            request,
            "privacy/notice.html",
            _notice_context(request, clinic, values=values, errors=exc.errors),
            status=422,
        )
    return render(request, "privacy/request_sent.html", _ctx(request))


@public_page
@require_http_methods(["GET", "POST"])
def public_optout(request, clinic, token: str):
    """The link in every marketing message: one button stops them (REQ-29)."""
    consent = consent_for_token(clinic=clinic, token=token)
    if consent is None:
        raise Http404
    done = consent.withdrawn_at is not None
    if request.method == "POST" and not done:
        consent_withdraw_by_person(
            clinic=clinic, person_id=consent.person_id, consent_id=consent.pk
        )
        done = True
    return render(request, "privacy/optout.html", _ctx(request, done=done))


@require_POST
@staff_view("privacy.manage")
@recent_auth
def restriction_view(request, person_id: int):
    """Restrict (ground of art. 18(1), scope) or lift; a refused form goes back to the
    person page with its errors and what was typed (REQ-28)."""
    post = request.POST
    if post.get("action") == "lift":
        restriction_lift(
            actor=request.actor, person_id=person_id, restriction_id=post.get("restriction")
        )
    else:
        values = {name: post.get(name, "") for name in ("ground", "scope", "note")}
        try:
            restriction_set(
                actor=request.actor,
                person_id=person_id,
                ground=values["ground"],
                scope=values["scope"] or "whole",
                note=values["note"],
                reason=post.get("reason", ""),
            )
        except ValidationFailed as failed:
            request.session[FORM_SESSION_KEY] = {
                "person": person_id,
                "values": values,
                "errors": {k: [str(m) for m in v] for k, v in failed.errors.items()},
            }
    return redirect(reverse("staff:person", args=[person_id]) + "#restrictions")


@require_POST
@staff_view("person.write")
def takedown_done_view(request, takedown_id: int):
    takedown_done(actor=request.actor, takedown_id=takedown_id, note=request.POST.get("note", ""))
    return redirect("staff:privacy-requests")


@public_page
@require_http_methods(["GET", "POST"])
def public_consents(request, clinic):
    """Ask for a consents link: it goes only to the contact details on record."""
    values = {"contact": request.POST.get("contact", "")}
    if request.method == "GET":
        return render(request, "privacy/consents_ask.html", _ctx(request, values=values))
    wait = ratelimit.check(request, scope="consents", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS)
    if wait:
        context = _ctx(request, values=values, rate_limited=True)
        return ratelimit.refuse(render(request, "privacy/consents_ask.html", context), wait)
    try:
        consent_link_send(clinic=clinic, contact=values["contact"], language=request.lang)
    except ValidationFailed as exc:
        return render(
            request,
            "privacy/consents_ask.html",
            _ctx(request, values=values, errors=exc.errors),
            status=422,
        )
    return render(request, "privacy/consents_sent.html", _ctx(request))


@public_page
@require_http_methods(["GET", "POST"])
def public_consents_manage(request, clinic, token: str):
    """The person's own consents, from the link sent to their contact on record."""
    person = consent_link_person(clinic=clinic, token=token)
    error = None
    if request.method == "POST":
        consent_id = request.POST.get("withdraw", "")
        try:
            if consent_id:
                if not consent_id.isdigit() or len(consent_id) > 18:
                    raise Http404
                consent_withdraw_by_person(
                    clinic=clinic, person_id=person.pk, consent_id=int(consent_id)
                )
            else:
                consent_give_by_person(
                    clinic=clinic,
                    person=person,
                    purpose=request.POST.get("give", ""),
                    ip_address=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                )
        except ValidationFailed as exc:
            error = exc.message
        else:
            return redirect(f"{request.path}?{urlencode({'lang': request.lang, 'saved': 1})}")
    consents = consents_for_link(clinic=clinic, person=person)
    active = {c.purpose for c in consents}
    offers = [(p, Purpose(p).label, DESK_TEXTS[p]) for p in SELF_SERVICE if p not in active]
    return render(
        request,
        "privacy/consents_manage.html",
        _ctx(
            request,
            person=person,
            consents=consents,
            offers=offers,
            saved=request.GET.get("saved") == "1",
            error=error,
        ),
        status=422 if error else 200,
    )
