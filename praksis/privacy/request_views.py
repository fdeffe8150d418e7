"""Pages of a data-subject request outside the staff dashboard: the requester's
confirmation link (and, for a shared contact, who the request is for), the answer page
with its one-time code (REQ-50), and the owner's page for a request that matches no one
person (issue 14)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from praksis.clinics.auth import staff_view
from praksis.core import ratelimit
from praksis.core.errors import Conflict, ValidationFailed
from praksis.people.picker import picked_person
from praksis.privacy import answer_links, intake
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.public_pages import _ctx, public_page

# --- The confirmation link ---------------------------------------------------------------


def _identify(request, clinic, token: str, *, values=None, errors=None, desk="", status=200):
    return render(
        request,
        "privacy/request_identify.html",
        _ctx(
            request,
            token=token,
            values=values or {},
            errors=errors or {},
            desk=desk,
            identity_numbers=intake.uses_identity_numbers(clinic),
        ),
        status=status,
    )


@public_page
@require_http_methods(["GET", "POST"])
def public_verify(request, clinic, token: str):
    """The one-time link: the request is confirmed, or (a contact several people share)
    the requester says who they are."""
    if request.method == "POST":
        values = {k: request.POST.get(k, "")[:40] for k in ("birth_date", "identity_number")}
        wait = ratelimit.check(
            request, scope="privacy-verify", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS
        )
        if wait:
            return ratelimit.refuse(_identify(request, clinic, token, values=values), wait)
        try:
            made = intake.verify_choose(clinic=clinic, token=token, **values)
        except ValidationFailed as exc:
            return _identify(request, clinic, token, values=values, errors=exc.errors, status=422)
        except Conflict as exc:
            return _identify(request, clinic, token, desk=exc.message, status=409)
        return render(request, "privacy/request_verified.html", _ctx(request, verified=made))
    found = intake.verify_link(clinic=clinic, token=token)
    if isinstance(found, DataSubjectRequest):
        return render(request, "privacy/request_verified.html", _ctx(request, verified=found))
    return _identify(request, clinic, token)


# --- The answer ----------------------------------------------------------------------------


def _answer_page(request, clinic, token: str, *, error="", errors=None, status=200):
    page = answer_links.answer_page(
        clinic=clinic,
        token=token,
        secret=request.COOKIES.get(answer_links.COOKIE),
        http_request=request,
    )
    response = render(
        request,
        "privacy/answer.html",
        _ctx(
            request,
            page=page,
            answered=page.request,
            token=token,
            error=error,
            errors=errors or {},
            sent=request.GET.get("sent") == "1",
            code_minutes=answer_links.CODE_MINUTES,
        ),
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _here(request, token: str, **query) -> str:
    return f"/{request.clinic.slug}/privacy/answer/{token}/?" + urlencode(
        {"lang": request.lang, **query}
    )


@public_page
@require_http_methods(["GET", "POST"])
def public_answer(request, clinic, token: str):
    """The requester reads the answer; a copy of their data opens with a one-time code
    sent to their other contact on record (``action=send``, then ``action=check``)."""
    if request.method == "GET":
        return _answer_page(request, clinic, token)
    wait = ratelimit.check(
        request, scope="privacy-answer", limit=settings.PUBLIC_RATE_LIMIT_BOOKINGS
    )
    if wait:
        return ratelimit.refuse(_answer_page(request, clinic, token), wait)
    action = request.POST.get("action")
    try:
        if action == "send":
            answer_links.answer_code_send(clinic=clinic, token=token)
            return redirect(_here(request, token, sent=1))
        secret = answer_links.answer_code_check(
            clinic=clinic, token=token, code=request.POST.get("code", "")
        )
    except ValidationFailed as exc:
        return _answer_page(request, clinic, token, errors=exc.errors, status=422)
    except Conflict as exc:
        return _answer_page(request, clinic, token, error=exc.message, status=409)
    response = redirect(_here(request, token))
    response.set_cookie(
        answer_links.COOKIE,
        secret,
        max_age=answer_links.OPEN_MINUTES * 60,
        path=f"/{clinic.slug}/privacy/answer/{token}/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def _download(what: str):
    @public_page
    def view(request, clinic, token: str):
        found = answer_links.requester_download(
            clinic=clinic,
            token=token,
            what=what,
            secret=request.COOKIES.get(answer_links.COOKIE),
            http_request=request,
        )
        if found is None:  # not opened in this browser: the page asks for the code
            return redirect(_here(request, token))
        filename, content_type, body = found
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    return view


public_answer_report = _download("report.pdf")
public_answer_json = _download("export.json")
public_answer_csv = _download("export.csv")


# --- For the owner: a request that matches no one person --------------------------------


def _unmatched_page(request, unmatched, *, picker=None, values=None, errors=None, status=200):
    if picker is None:
        picker = picked_person(request.actor, {}, purpose="privacy request")
    return render(
        request,
        "privacy/unmatched.html",
        {
            "unmatched": unmatched,
            "picker": picker,
            "values": values or {},
            "errors": errors or {},
        },
        status=status,
    )


@staff_view("privacy.manage")
@require_http_methods(["GET", "POST"])
def unmatched_view(request, unmatched_id: int):
    """Link the request to a person identified at the desk, or close it."""
    actor = request.actor
    if request.method == "GET":
        unmatched = intake.unmatched_get(actor=actor, unmatched_id=unmatched_id)
        return _unmatched_page(request, unmatched)
    unmatched = intake.unmatched_get(actor=actor, unmatched_id=unmatched_id)
    values = {"note": request.POST.get("note", "")[:2000]}
    try:
        if request.POST.get("action") == "close":
            intake.unmatched_close(actor=actor, unmatched_id=unmatched_id, note=values["note"])
            return redirect("staff:privacy-requests")
        picker = picked_person(actor, request.POST, purpose="privacy request")
        if picker.person_id is None or picker.errors:
            if not picker.errors:
                picker.errors.append(_("Choose the person from the list."))
            return _unmatched_page(request, unmatched, picker=picker, values=values, status=422)
        intake.unmatched_link(actor=actor, unmatched_id=unmatched_id, person_id=picker.person_id)
    except ValidationFailed as exc:
        return _unmatched_page(request, unmatched, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        return _unmatched_page(request, unmatched, errors={"form": [exc.message]}, status=409)
    return redirect("staff:privacy-requests")
