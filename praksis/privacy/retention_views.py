"""Staff pages of the retention engine (REQ-11): the clinic's policies with their law,
the owner's own periods within the legal limits, a dry-run preview, and legal holds."""

from __future__ import annotations

import contextlib

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import Conflict, ValidationFailed
from praksis.people.picker import Picked, picked_person
from praksis.privacy import retention
from praksis.privacy.retention import (
    HOLDABLE,
    RECORD_TYPES,
    RULE_ACTIONS,
    hold_place,
    hold_release,
    holds_list,
    policies_for,
    preview,
    setting_reset,
    setting_save,
)


def _page(
    request,
    *,
    values=None,
    errors=None,
    hold_values=None,
    hold_errors=None,
    hold_person=None,
    status=200,
):
    actor = request.actor
    clinic = actor.clinic
    counts = {o.rule: o.count for o in preview(rules=retention.rules(), clinic=clinic)}
    rules = [
        {
            "rule": r,
            "label": RECORD_TYPES.get(r.record_type, _("IP address of online bookings")),
            "action": RULE_ACTIONS.get(r.action, r.action),
            "due": counts.get(r.name, 0),
        }
        for r in retention.rules()
    ]
    return render(
        request,
        "privacy/retention.html",
        {
            "policies": policies_for(clinic),
            "rules": rules,
            "due_total": sum(counts.values()),
            "holds": holds_list(actor=actor),
            "holdable": [(key, RECORD_TYPES[key]) for key in HOLDABLE],
            "values": values or {},
            "errors": errors or {},
            "hold_values": hold_values or {},
            "hold_errors": hold_errors or {},
            "hold_person": hold_person or Picked(name="person"),
        },
        status=status,
    )


@staff_view("privacy.manage")
def retention_page(request):
    return _page(request)


@require_POST
@staff_view("privacy.manage")
@recent_auth
def retention_setting(request):
    """Save (or reset to the law's default) the clinic's period for one record type."""
    record_type = request.POST.get("record_type", "")
    if request.POST.get("action") == "reset":
        setting_reset(actor=request.actor, record_type=record_type)
        return redirect("staff:retention")
    months = request.POST.get("months", "")
    try:
        setting_save(actor=request.actor, record_type=record_type, months=months)
    except ValidationFailed as exc:
        # Keep what was typed beside the rule it belongs to.
        return _page(
            request,
            values={"record_type": record_type, "months": months},
            errors=exc.errors,
            status=422,
        )
    return redirect("staff:retention")


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@require_POST
@staff_view("privacy.manage")
def hold_new(request):
    """Place a legal hold on a person (from their page) or on one record."""
    data = {
        key: request.POST.get(key, "").strip() for key in ("record_type", "record_id", "reason")
    }
    person = picked_person(request.actor, request.POST, purpose="legal hold")
    if person.must_choose:
        return _page(request, hold_values=data, hold_person=person, status=422)
    try:
        hold_place(
            actor=request.actor,
            reason=data["reason"],
            person_id=person.person_id,
            record_type=data["record_type"],
            record_id=data["record_id"] or None,
        )
    except ValidationFailed as exc:
        person.errors = person.errors or exc.errors.pop("person", [])
        return _page(
            request, hold_values=data, hold_errors=exc.errors, hold_person=person, status=422
        )
    return _back(request, "staff:retention")


@require_POST
@staff_view("privacy.manage")
@recent_auth
def hold_release_view(request, hold_id: int):
    with contextlib.suppress(Conflict):  # released already (a second click)
        hold_release(actor=request.actor, hold_id=hold_id)
    return _back(request, "staff:retention")


@staff_view("privacy.manage")
@require_http_methods(["GET", "POST"])
def applicants_view(request):
    """Job applicants (REQ-09): register, close a recruitment, record a keep-consent."""
    from praksis.privacy import applicants

    actor = request.actor
    values = {k: request.POST.get(k, "") for k in ("name", "email", "position")}
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "add")
        if action == "close":
            applicants.recruitment_close(actor=actor, position=request.POST.get("position", ""))
            return redirect("staff:applicants")
        if action in ("keep", "delete"):
            applicant_id = request.POST.get("applicant", "")
            if not applicant_id.isdigit():
                raise Http404
            if action == "keep":
                applicants.applicant_keep_consent(actor=actor, applicant_id=int(applicant_id))
            else:
                applicants.applicant_delete(actor=actor, applicant_id=int(applicant_id))
            return redirect("staff:applicants")
        try:
            applicants.applicant_add(actor=actor, **values)
            return redirect("staff:applicants")
        except ValidationFailed as exc:
            errors = exc.errors
    items = applicants.applicants_list(actor=actor)
    positions = sorted(
        {i["applicant"].position for i in items if not i["applicant"].recruitment_closed_at}
    )
    return render(
        request,
        "privacy/applicants.html",
        {"items": items, "values": values, "errors": errors, "positions": positions},
        status=422 if errors else 200,
    )
