"""Staff pages for people: search, register, edit, the access log. Thin: all rules live in
services. (The person page, with the sections of other apps, is praksis.site.person_page.)"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from praksis.audit.selectors import person_access_log
from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.clinics.models import IdentityPolicy
from praksis.core.errors import ValidationFailed
from praksis.core.input import parse_id
from praksis.people import protection, selectors, services
from praksis.people.guardians import (
    age_on,
    child_say_set,
    guardian_add,
    guardian_end,
    guardian_may_see,
    guardians_of,
    own_say_age,
    own_say_age_set,
)
from praksis.people.identity import format_identity, mask_identity
from praksis.people.models import PROTECTED_GRADES, AnimalSex, ChildPrivacy, ChildSay, Species
from praksis.people.picker import Picked, picked_person
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
    grades = PROTECTED_GRADES.get(clinic.country, ())
    return {
        # REQ-48: the grades of the clinic's country; only the owner clears one and sees
        # (and changes here) a protected person's address and phone.
        "protected_grades": [(g.value, g.label) for g in grades],
        "may_clear_protection": protection.sees_contact(request.actor),
        "contact_hidden": bool(person is not None and getattr(person, "contact_hidden", False)),
        "values": values,
        "errors": errors,
        "person": person,
        "duplicates": duplicates or [],
        "birth_date_only": clinic.identity_policy == IdentityPolicy.BIRTH_DATE_ONLY,
        "identity_required": clinic.identity_policy == IdentityPolicy.REQUIRED,
        "country": clinic.country,
    }


def _posted(request, *, edit: bool = False) -> dict:
    """What the form sent. Editing changes only the fields the form showed (a protected
    person's address and phone are not on a non-owner's form, and stay as they are)."""
    if edit:
        return {name: request.POST[name] for name in PERSON_FIELDS if name in request.POST}
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
        values = _posted(request, edit=True)
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
    if person.contact_hidden:  # REQ-48: never in a non-owner's form
        values.update(address="", phone="")
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


# --- Animals (veterinary clinics): register, edit, weigh, owners -------------------------

ANIMAL_FORM_FIELDS = (
    "name", "species", "breed", "sex", "birth_date", "colour", "chip_id", "weight_kg",
)  # fmt: skip


def _animal_form_context(request, values, errors, *, person=None, animal=None) -> dict:
    return {
        "values": values,
        "errors": errors,
        "person": person,
        "animal": animal,
        "species_choices": Species.choices,
        "sex_choices": AnimalSex.choices,
    }


def _posted_animal(request, *, editing: bool) -> dict:
    """What the form sent, as typed (shown again on an error); ``neutered`` as a bool."""
    names = [n for n in ANIMAL_FORM_FIELDS if not (editing and n == "weight_kg")]
    if editing:
        names.append("deceased_on")
    values: dict = {name: request.POST.get(name, "").strip()[:200] for name in names}
    values["neutered"] = request.POST.get("neutered") == "1"
    return values


def _changes(values: dict) -> dict:
    """The form's values for the services: an empty chip number is none."""
    data = dict(values)
    if "chip_id" in data:
        data["chip_id"] = data["chip_id"] or None
    return data


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def animal_create(request, person_id: int):
    """Register an animal of the person (its primary owner): veterinary clinics only."""
    actor = request.actor
    if not actor.clinic.has_animals:
        raise Http404
    person = selectors.person_get(actor=actor, person_id=person_id, purpose="register an animal")
    values: dict = {name: "" for name in ANIMAL_FORM_FIELDS}
    values.update(sex=AnimalSex.UNKNOWN, neutered=False)
    if request.method == "POST":
        values = _posted_animal(request, editing=False)
        try:
            animal = services.person_animal_create(
                actor=actor, person_id=person.pk, data=_changes(values)
            )
        except ValidationFailed as exc:
            context = _animal_form_context(request, values, exc.errors, person=person)
            return render(request, "people/animal_form.html", context, status=422)
        return redirect("staff:animal", animal_id=animal.pk)
    context = _animal_form_context(request, values, {}, person=person)
    return render(request, "people/animal_form.html", context)


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def animal_edit(request, animal_id: int):
    """Correct an animal's details, or record that it died."""
    actor = request.actor
    if request.method == "POST":
        if not selectors.animal_exists(clinic=actor.clinic, animal_id=animal_id):
            raise Http404
        values = _posted_animal(request, editing=True)
        try:
            services.animal_update(actor=actor, animal_id=animal_id, changes=_changes(values))
        except ValidationFailed as exc:
            animal = selectors.animal_get(actor=actor, animal_id=animal_id, purpose="edit")
            context = _animal_form_context(request, values, exc.errors, animal=animal)
            return render(request, "people/animal_form.html", context, status=422)
        return redirect("staff:animal", animal_id=animal_id)
    animal = selectors.animal_get(actor=actor, animal_id=animal_id, purpose="edit")
    values = {
        "name": animal.name,
        "species": animal.species,
        "breed": animal.breed,
        "sex": animal.sex,
        "neutered": animal.neutered,
        "colour": animal.colour,
        "birth_date": animal.birth_date.isoformat() if animal.birth_date else "",
        "chip_id": animal.chip_id or "",
        "deceased_on": animal.deceased_on.isoformat() if animal.deceased_on else "",
    }
    context = _animal_form_context(request, values, {}, animal=animal)
    return render(request, "people/animal_form.html", context)


def _render_animal(request, animal_id: int, *, status=200, **extra):
    actor = request.actor
    summary = selectors.animal_summary(
        actor=actor, animal_id=animal_id, purpose=request.GET.get("purpose", "")[:200]
    )
    context = {
        "summary": summary,
        "animal": summary.animal,
        "weights": summary.animal.weights_newest_first,
        "can_write": can(actor, "person.write"),
        "can_read_journal": can(actor, "journal.read"),
        "picker": Picked(name="owner"),
        "weight_values": {},
        "weight_errors": {},
        "owner_errors": [],
        **extra,
    }
    return render(request, "people/animal_detail.html", context, status=status)


@staff_view("person.read")
def animal_detail(request, animal_id: int):
    """The animal's page: its details, weighings and owners (with the forms to change
    them for those who may)."""
    return _render_animal(request, animal_id)


@staff_view("person.write")
@require_POST
def animal_weight_new(request, animal_id: int):
    actor = request.actor
    if not selectors.animal_exists(clinic=actor.clinic, animal_id=animal_id):
        raise Http404
    values = {
        "weight_kg": request.POST.get("weight_kg", "").strip()[:50],
        "weighed_on": request.POST.get("weighed_on", "").strip()[:50],
    }
    try:
        services.animal_weight_record(
            actor=actor,
            animal_id=animal_id,
            weight_kg=values["weight_kg"],
            weighed_on=values["weighed_on"] or None,
        )
    except ValidationFailed as exc:
        return _render_animal(
            request, animal_id, status=422, weight_values=values, weight_errors=exc.errors
        )
    return redirect(reverse("staff:animal", args=[animal_id]) + "#weights")


@staff_view("person.write")
@require_POST
def animal_owners(request, animal_id: int):
    """Add a co-owner (the person picker), remove an owner, or choose the primary owner."""
    actor = request.actor
    if not selectors.animal_exists(clinic=actor.clinic, animal_id=animal_id):
        raise Http404
    action = request.POST.get("action", "")
    try:
        if action == "add":
            picked = picked_person(actor, request.POST, "owner", purpose="animal owner")
            if picked.errors or picked.person_id is None:
                if not picked.errors:
                    picked.errors.append(_("Choose the person from the list."))
                return _render_animal(request, animal_id, status=422, picker=picked)
            services.animal_owner_add(actor=actor, animal_id=animal_id, person_id=picked.person_id)
        elif action in ("remove", "primary"):
            person_id = parse_id(request.POST.get("person"))
            run = (
                services.animal_owner_remove
                if action == "remove"
                else services.animal_owner_make_primary
            )
            run(actor=actor, animal_id=animal_id, person_id=person_id)
        else:
            raise ValidationFailed({"action": [_("Choose what to do.")]})
    except ValidationFailed as exc:
        messages = [str(m) for msgs in exc.errors.values() for m in msgs]
        return _render_animal(request, animal_id, status=422, owner_errors=messages)
    return redirect(reverse("staff:animal", args=[animal_id]) + "#owners")


# --- Guardians (REQ-49) -------------------------------------------------------------------


def _guardians_page(request, person, *, status=200, picker=None, errors=None, values=None):
    actor = request.actor
    today = timezone.localdate(timezone=actor.clinic.zone)
    say = ChildPrivacy.objects.filter(clinic=actor.clinic, child=person).first()
    return render(
        request,
        "people/guardians.html",
        {
            "person": person,
            "age": age_on(person.birth_date, today) if person.birth_date else None,
            "guardians": [
                (g, guardian_may_see(person, g.guardian, today)) for g in guardians_of(person)
            ],
            "picker": picker or Picked(name="guardian"),
            "say": say,
            "say_choices": ChildSay.choices,
            "values": values
            or {"say": say.say if say else "", "reason": say.reason if say else ""},
            "errors": errors or {},
            "can_write": can(actor, "person.write"),
            "country": actor.clinic.country,
        },
        status=status,
    )


@staff_view("person.read")
@require_http_methods(["GET", "POST"])
def person_guardians(request, person_id: int):
    """A child's guardians: add one (the person picker; verified or not), end one, and
    record the child's own say towards them. Every change is logged on the child."""
    actor = request.actor
    person = selectors.person_get(actor=actor, person_id=person_id, purpose="guardians")
    if request.method == "GET":
        return _guardians_page(request, person)
    if not can(actor, "person.write"):
        raise PermissionDenied
    action = request.POST.get("action", "")
    try:
        if action == "add":
            picked = picked_person(actor, request.POST, "guardian", purpose="guardian")
            if picked.errors or picked.person_id is None:
                if not picked.errors:
                    picked.errors.append(_("Choose the person from the list."))
                return _guardians_page(request, person, status=422, picker=picked)
            try:
                guardian_add(
                    actor=actor, child_id=person.pk, guardian_id=picked.person_id,
                    verified=request.POST.get("verified") == "1",
                )  # fmt: skip
            except ValidationFailed as exc:
                picked.errors = [str(m) for m in exc.errors.get("guardian", [])]
                return _guardians_page(request, person, status=422, picker=picked)
        elif action == "end":
            guardian_end(
                actor=actor, child_id=person.pk,
                guardianship_id=parse_id(request.POST.get("guardianship")),
            )  # fmt: skip
        elif action == "say":
            values = {k: request.POST.get(k, "") for k in ("say", "reason")}
            try:
                child_say_set(actor=actor, child_id=person.pk, **values)
            except ValidationFailed as exc:
                return _guardians_page(
                    request, person, status=422, errors=exc.errors, values=values
                )
        else:
            raise ValidationFailed({"action": [_("Choose what to do.")]})
    except ValidationFailed as exc:
        errors = {"action": [str(m) for msgs in exc.errors.values() for m in msgs]}
        return _guardians_page(request, person, status=422, errors=errors)
    return redirect(reverse("staff:person-guardians", args=[person.pk]))


@staff_view("privacy.manage")
@require_http_methods(["GET", "POST"])
def children_setting(request):
    """The owner's page of the rule for children and guardians (REQ-49): in Sweden the
    age from which a child decides (maturity; 15 by default), in Norway the law's ages."""
    actor = request.actor
    value = str(own_say_age(actor.clinic))
    errors: list = []
    if request.method == "POST":
        value = request.POST.get("own_say_from_age", "")[:20]
        try:
            own_say_age_set(actor=actor, age=value)
        except ValidationFailed as exc:
            errors = [str(m) for m in exc.errors.get("own_say_from_age", [])]
        else:
            return redirect(reverse("staff:children-setting") + "?saved=1")
    return render(
        request,
        "people/children_setting.html",
        {
            "value": value,
            "errors": errors,
            "country": actor.clinic.country,
            "saved": request.GET.get("saved") == "1" and not errors,
        },
        status=422 if errors else 200,
    )
