"""Staff pages of the clinic set-up for bookings (owner only): services, a member's
weekly hours and absences, closing days with the country's public holidays.

Thin: each form is read into the shape the API takes and handed to ``setup``; a refused
form is shown again as typed with a message per field (status 422). Works without
JavaScript: rows of the week are added by a submit button.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking import intake, resources, setup
from praksis.clinics.auth import staff_view
from praksis.core.errors import Conflict, ValidationFailed

EMPTY_ROWS = 3  # blank rows offered under the week, more on request
MAX_ROWS = 7 * setup.STRETCHES_PER_DAY


# --- Services ---------------------------------------------------------------------------


@staff_view(setup.SETUP)
def services_page(request):
    actor = request.actor
    rows = setup.services_list(actor=actor)
    staff = setup.staff_members(actor=actor)
    names = {m.pk: m.user.full_name or m.user.email for m in staff}
    rooms = {r.pk: r.name for r in resources.resources_list(actor=actor)}
    return render(
        request,
        "booking/setup_services.html",
        {
            "rows": [
                {
                    "row": r,
                    "staff": [names[i] for i in r.practitioners if i in names],
                    "needs": [rooms[i] for i in r.resources if i in rooms],
                }
                for r in rows
            ],
            "staff": staff,
        },
    )


def _service_data(post) -> dict:
    return {
        "name": post.get("name", ""),
        "names": {lang: post.get(f"names_{lang}", "") for lang in setup.LANGUAGES},
        "duration_minutes": post.get("duration_minutes", ""),
        "buffer_minutes": post.get("buffer_minutes", "") or "0",
        "price": post.get("price", ""),
        "vat_rate": post.get("vat_rate", ""),
        "online_bookable": post.get("online_bookable") == "1",
        "active": post.get("active") == "1",
        "practitioners": post.getlist("practitioners"),
        "resources": post.getlist("resources"),
    }


def _service_values(row: setup.ServiceRow | None, clinic) -> dict:
    """What the form shows for a service (or a new one)."""
    if row is None:
        return {
            "names": {},
            "buffer_minutes": 0,
            "vat_rate": f"{setup.PROFILE_VAT.get(clinic.profile, 0):f}",
            "online_bookable": True,
            "active": True,
            "practitioners": [],
            "resources": [],
        }
    s = row.service
    return {
        "name": s.name,
        "names": s.names,
        "duration_minutes": s.duration_minutes,
        "buffer_minutes": s.buffer_minutes,
        "price": s.price,
        "vat_rate": f"{s.vat_rate:f}",
        "online_bookable": s.online_bookable,
        "active": s.active,
        "practitioners": row.practitioners,
        "resources": list(row.resources),
    }


def _service_form(request, *, row, values, errors, status=200):
    actor = request.actor
    return render(
        request,
        "booking/setup_service_form.html",
        {
            "row": row,
            "values": values,
            "errors": errors,
            "staff": setup.staff_members(actor=actor),
            "resources": [r for r in resources.resources_list(actor=actor) if r.active],
            "rates": [f"{r:f}" for r in setup.VAT_RATES[actor.clinic.country]],
            "name_fields": [
                (lang, (values.get("names") or {}).get(lang, "")) for lang in setup.LANGUAGES
            ],
        },
        status=status,
    )


def _typed(data: dict) -> dict:
    """The form's values as typed, with the chosen staff and resources as ids."""
    return data | {
        "practitioners": [setup.as_id(i) for i in data["practitioners"]],
        "resources": [setup.as_id(i) for i in data["resources"]],
    }


@staff_view(setup.SETUP)
@require_http_methods(["GET", "POST"])
def service_new(request):
    if request.method == "POST":
        data = _service_data(request.POST)
        try:
            setup.service_create(actor=request.actor, data=data)
        except ValidationFailed as exc:
            values = _typed(data)
            return _service_form(request, row=None, values=values, errors=exc.errors, status=422)
        return redirect("staff:services")
    values = _service_values(None, request.actor.clinic)
    return _service_form(request, row=None, values=values, errors={})


@staff_view(setup.SETUP)
@require_http_methods(["GET", "POST"])
def service_edit(request, service_id: int):
    actor = request.actor
    row = setup.service_get(actor=actor, service_id=service_id)
    if request.method == "POST":
        data = _service_data(request.POST)
        try:
            setup.service_update(actor=actor, service_id=service_id, data=data)
        except ValidationFailed as exc:
            values = _typed(data)
            return _service_form(request, row=row, values=values, errors=exc.errors, status=422)
        return redirect("staff:services")
    return _service_form(request, row=row, values=_service_values(row, actor.clinic), errors={})


@require_POST
@staff_view(setup.SETUP)
def service_deactivate(request, service_id: int):
    setup.service_update(actor=request.actor, service_id=service_id, data={"active": False})
    return redirect("staff:services")


# --- Weekly hours and absences -----------------------------------------------------------


def _typed_rows(post) -> list[dict]:
    """The week's rows as typed (blank rows included, removed ones left out)."""
    try:
        count = min(int(post.get("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for i in range(max(count, 0)):
        row = {key: post.get(f"row-{i}-{key}", "").strip() for key in ("weekday", "start", "end")}
        if post.get(f"row-{i}-remove") != "1":
            rows.append(row)
    return rows


def _week_from(rows: list[dict]) -> tuple[list[dict], list[int]]:
    """The filled rows as the API's week, and the row each stretch came from."""
    week, origin = [], []
    for index, row in enumerate(rows):
        if not any(row.values()):
            continue
        weekday = row["weekday"]
        week.append(
            {
                "weekday": int(weekday) if weekday.isdigit() else weekday,
                "start": row["start"],
                "end": row["end"],
            }
        )
        origin.append(index)
    return week, origin


def _row_errors(errors: dict, origin: list[int], count: int) -> tuple[list[dict], list]:
    """``week.N.field`` errors moved onto the rows of the form; the rest stays general."""
    per_row: list[dict] = [{} for _i in range(count)]
    general = []
    for key, messages in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "week" and parts[1].isdigit():
            per_row[origin[int(parts[1])]].setdefault(parts[2], []).extend(messages)
        else:
            general.extend(messages)
    return per_row, general


def _hours_page(request, membership, *, rows, row_errors=None, errors=None, absence=None):
    actor = request.actor
    rows = rows + [{"weekday": "", "start": "", "end": ""}] * EMPTY_ROWS
    row_errors = (row_errors or []) + [{}] * (len(rows) - len(row_errors or []))
    absence = absence or {}
    return render(
        request,
        "booking/setup_hours.html",
        {
            "member": membership,
            "rows": [
                {"index": i, "values": r, "errors": e}
                for i, (r, e) in enumerate(zip(rows, row_errors, strict=True))
            ],
            "row_count": len(rows),
            "weekdays": list(WEEKDAYS.items()),
            "errors": errors or [],
            "absences": setup.absences_list(actor=actor, membership_id=membership.pk),
            "absence_values": absence.get("values", {}),
            "absence_errors": absence.get("errors", {}),
            "affected": setup.bookings_in_absences(actor=actor, membership_id=membership.pk),
            "members": setup.staff_members(actor=actor),
            "saved": request.GET.get("saved") == "1",
        },
        status=422 if (errors or any(row_errors) or absence.get("errors")) else 200,
    )


@staff_view(setup.SETUP)
@require_http_methods(["GET", "POST"])
def hours_page(request, membership_id: int):
    actor = request.actor
    membership = setup.membership_get(actor=actor, membership_id=membership_id)
    if request.method == "GET":
        rows = [
            {
                "weekday": str(h.weekday),
                "start": setup.format_hhmm(h.start),
                "end": setup.format_hhmm(h.end),
            }
            for h in setup.hours_get(actor=actor, membership_id=membership_id)
        ]
        return _hours_page(request, membership, rows=rows)
    rows = _typed_rows(request.POST)
    if request.POST.get("action") == "more":  # more blank rows, nothing saved
        return _hours_page(request, membership, rows=rows)
    week, origin = _week_from(rows)
    try:
        setup.hours_replace(actor=actor, membership_id=membership_id, week=week)
    except ValidationFailed as exc:
        per_row, general = _row_errors(exc.errors, origin, len(rows))
        return _hours_page(request, membership, rows=rows, row_errors=per_row, errors=general)
    except Conflict as exc:
        return _hours_page(request, membership, rows=rows, errors=[exc.message])
    url = reverse("staff:staff-hours", kwargs={"membership_id": membership_id})
    return redirect(f"{url}?saved=1")


@require_POST
@staff_view(setup.SETUP)
def absence_new(request, membership_id: int):
    actor = request.actor
    membership = setup.membership_get(actor=actor, membership_id=membership_id)
    values = {key: request.POST.get(key, "") for key in ("start", "end", "reason")}
    try:
        setup.absence_add(actor=actor, membership_id=membership_id, **values)
    except ValidationFailed as exc:
        rows = [
            {
                "weekday": str(h.weekday),
                "start": setup.format_hhmm(h.start),
                "end": setup.format_hhmm(h.end),
            }
            for h in setup.hours_get(actor=actor, membership_id=membership_id)
        ]
        absence = {"values": values, "errors": exc.errors}
        return _hours_page(request, membership, rows=rows, absence=absence)
    url = reverse("staff:staff-hours", kwargs={"membership_id": membership_id})
    return redirect(f"{url}#absences")


@require_POST
@staff_view(setup.SETUP)
def absence_delete(request, absence_id: int):
    membership_id = setup.absence_delete(actor=request.actor, absence_id=absence_id)
    if membership_id is None:
        return redirect("staff:services")
    url = reverse("staff:staff-hours", kwargs={"membership_id": membership_id})
    return redirect(f"{url}#absences")


# --- Closing days -----------------------------------------------------------------------


def _closing_page(request, *, values=None, errors=None, holiday_errors=None):
    actor = request.actor
    return render(
        request,
        "booking/setup_closing_days.html",
        {
            "days": setup.closing_days_list(actor=actor),
            "holidays": setup.holidays_offered(actor=actor),
            "affected": setup.bookings_on_closed_days(actor=actor),
            "values": values or {},
            "errors": errors or {},
            "holiday_errors": holiday_errors or {},
            "added": request.GET.get("added", ""),
        },
        status=422 if (errors or holiday_errors) else 200,
    )


@staff_view(setup.SETUP)
@require_http_methods(["GET", "POST"])
def closing_days_page(request):
    if request.method == "GET":
        return _closing_page(request)
    values = {key: request.POST.get(key, "") for key in ("date", "reason")}
    try:
        setup.closing_day_add(actor=request.actor, day=values["date"], reason=values["reason"])
    except ValidationFailed as exc:
        return _closing_page(request, values=values, errors=exc.errors)
    return redirect(reverse("staff:closing-days") + "?added=1")


@require_POST
@staff_view(setup.SETUP)
def closing_days_holidays(request):
    add_all = request.POST.get("all") == "1"
    try:
        created, _affected = setup.closing_days_add_holidays(
            actor=request.actor, days=request.POST.getlist("dates"), add_all=add_all
        )
    except ValidationFailed as exc:
        return _closing_page(request, holiday_errors=exc.errors)
    return redirect(reverse("staff:closing-days") + f"?added={len(created)}")


@require_POST
@staff_view(setup.SETUP)
def closing_day_delete(request, closing_day_id: int):
    setup.closing_day_delete(actor=request.actor, closing_day_id=closing_day_id)
    return redirect("staff:closing-days")


# --- Intake forms (issue 15) ---------------------------------------------------------------

INTAKE_ROWS = 8  # question rows offered; more after saving


@staff_view(setup.SETUP)
@require_http_methods(["GET", "POST"])
def service_intake(request, service_id: int):
    """The owner writes the service's intake form: a title and questions, each with why
    it is asked and its kind; empty rows are left out."""
    actor = request.actor
    service, form = intake.intake_form_get(actor=actor, service_id=service_id)
    errors: dict = {}
    if request.method == "POST":
        title = request.POST.get("title", "")
        questions = [
            {k: request.POST.get(f"q-{i}-{k}", "") for k in ("text", "why", "kind")}
            for i in range(intake.MAX_QUESTIONS)
        ]
        active = request.POST.get("active") == "1"
        try:
            intake.intake_form_save(
                actor=actor, service_id=service_id, title=title, questions=questions,
                active=active,
            )  # fmt: skip
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect(reverse("staff:service-intake", args=[service_id]) + "?saved=1")
        rows = [q for q in questions if q["text"] or q["why"]]
    else:
        title = form.title if form else ""
        active = form.active if form else True
        rows = list(form.questions) if form else []
    shown = rows + [{"text": "", "why": "", "kind": "text"}] * max(
        0, min(INTAKE_ROWS, intake.MAX_QUESTIONS - len(rows))
    )
    return render(
        request,
        "booking/setup_intake.html",
        {
            "service": service,
            "title": title,
            "active": active,
            "rows": [
                {**q, "index": i, "errors": errors.get(f"q-{i}-why", [])}
                for i, q in enumerate(shown[: intake.MAX_QUESTIONS])
            ],
            "errors": errors,
            "saved": request.GET.get("saved") == "1" and not errors,
        },
        status=422 if errors else 200,
    )
