"""Staff pages for people: search, register, edit, the access log. Thin: all rules live in
services. (The person page, with the sections of other apps, is praksis.site.person_page.)"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from praksis.audit.selectors import person_access_log
from praksis.clinics.auth import staff_view
from praksis.clinics.models import IdentityPolicy
from praksis.core.errors import ValidationFailed
from praksis.people import selectors, services
from praksis.people.identity import format_identity, mask_identity
from praksis.people.validation import PERSON_FIELDS, clean_person

PAGE_SIZE = 20


def _display_identity(person, clinic) -> str:
    if not person.identity_number:
        return ""
    return format_identity(person.identity_number, clinic.country)


@staff_view("person.read")
def person_list(request):
    query = request.GET.get("q", "").strip()
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    result = selectors.person_search(
        actor=request.actor, query=query, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    # Lists show the number masked to the birth date: only a person's own page opens it.
    country = request.actor.clinic.country
    rows = [
        (p, mask_identity(p.birth_date, country) if p.identity_hash else "") for p in result.items
    ]
    context = {
        "query": query,
        "rows": rows,
        "result": result,
        "page": page,
        "has_next": page * PAGE_SIZE < result.count,
        "has_prev": page > 1,
    }
    template = (
        "people/_person_results.html"
        if request.headers.get("HX-Request")
        else "people/person_list.html"
    )
    return render(request, template, context)


def _form_context(request, values, errors, *, person=None, duplicates=None):
    clinic = request.actor.clinic
    return {
        "values": values,
        "errors": errors,
        "person": person,
        "duplicates": duplicates or [],
        "birth_date_only": clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY,
        "identity_required": clinic.identity_policy == IdentityPolicy.REQUIRED,
        "country": clinic.country,
    }


def _posted(request) -> dict:
    return {name: request.POST.get(name, "") for name in PERSON_FIELDS}


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def person_create(request):
    actor = request.actor
    values: dict = {name: "" for name in PERSON_FIELDS}
    if request.method == "POST":
        values = _posted(request)
        if actor.clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY:
            values.pop("identity_number", None)  # never echo a typed number back
        try:
            cleaned = clean_person(actor.clinic, values)
            duplicates = services.possible_duplicates(clinic=actor.clinic, values=cleaned)
            if duplicates and not request.POST.get("confirm_duplicate"):
                selectors.log_duplicate_check(actor=actor, duplicates=duplicates)
                return render(
                    request,
                    "people/person_form.html",
                    _form_context(request, values, {}, duplicates=duplicates),
                )
            person, _dups = services.person_create(actor=actor, data=values)
        except ValidationFailed as exc:
            return render(
                request,
                "people/person_form.html",
                _form_context(request, values, exc.errors),
                status=422,
            )
        return redirect("staff:person", person_id=person.pk)
    return render(request, "people/person_form.html", _form_context(request, values, {}))


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def person_edit(request, person_id: int):
    actor = request.actor
    if request.method == "POST":
        values = _posted(request)
        if actor.clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY:
            values.pop("identity_number", None)
        try:
            services.person_update(actor=actor, person_id=person_id, changes=values)
        except ValidationFailed as exc:
            person = selectors.person_get(actor=actor, person_id=person_id, purpose="edit")
            return render(
                request,
                "people/person_form.html",
                _form_context(request, values, exc.errors, person=person),
                status=422,
            )
        return redirect("staff:person", person_id=person_id)
    person = selectors.person_get(actor=actor, person_id=person_id, purpose="edit")
    values = {name: getattr(person, name) or "" for name in PERSON_FIELDS}
    values["identity_number"] = _display_identity(person, actor.clinic)
    values["birth_date"] = person.birth_date.isoformat() if person.birth_date else ""
    return render(
        request, "people/person_form.html", _form_context(request, values, {}, person=person)
    )


@staff_view("access_log.read")
def person_access_log_view(request, person_id: int):
    actor = request.actor
    person = selectors.person_get(actor=actor, person_id=person_id, purpose="access log review")
    rows = person_access_log(actor=actor, person_id=person.pk)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/person_access_log.html",
        {"person": person, "page": page, "title": _("Access log")},
    )
