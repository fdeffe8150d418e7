"""Staff pages of the breach register (owner only). Thin: the rules live in services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from praksis.audit.models import Action
from praksis.breaches import pdf, services
from praksis.breaches.models import ExemptionGround, Risk
from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import ValidationFailed

CAPABILITY = "privacy.manage"
FORM_FIELDS = (*services.EDITABLE, "discovered_at")


def _local_input(moment) -> str:
    """A datetime as a ``datetime-local`` value on the clinic's clock."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


@staff_view(CAPABILITY)
def breach_list(request):
    items = [
        {"breach": b, "clock": services.clock(b) if b.clock_running else None}
        for b in services.breach_list(actor=request.actor)
    ]
    return render(request, "breaches/list.html", {"items": items})


@staff_view(CAPABILITY)
@require_http_methods(["GET", "POST"])
def breach_new(request):
    values = {name: "" for name in FORM_FIELDS}
    values["discovered_at"] = _local_input(timezone.now())
    errors: dict = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
        try:
            breach = services.breach_register(actor=request.actor, **values)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect("staff:breach", breach_id=breach.pk)
    return render(
        request,
        "breaches/new.html",
        {"values": values, "errors": errors, "risks": Risk.choices},
        status=422 if errors else 200,
    )


def _detail(request, breach_id, *, form: str = "", values=None, errors=None, chosen=()):
    """The detail page; a form that failed is shown again with what was typed."""
    actor = request.actor
    breach = services.breach_get(actor=actor, breach_id=breach_id)
    edit_values = {name: getattr(breach, name) for name in services.EDITABLE}
    for name in services.NUMBER_FIELDS:
        if edit_values[name] is None:
            edit_values[name] = ""
    forms = {
        "edit": edit_values,
        "find": {"user": "", "start": "", "end": "", "action": ""},
        "notified": {
            "notified_at": _local_input(timezone.now()),
            "reference": "",
            "late_reason": "",
        },
        "update": {"text": ""},
        "exempt": {"ground": "", "note": ""},
        "notify": {},
    }
    if form:
        forms[form] = {**forms[form], **(values or {})}
    return render(
        request,
        "breaches/detail.html",
        {
            "breach": breach,
            "clock": services.clock(breach) if breach.clock_running else None,
            "authority": services.authority_for(actor.clinic),
            "updates": services.breach_updates(breach=breach),
            "affected": services.affected_list(actor=actor, breach_id=breach.pk),
            "staff": services.staff_members(clinic=actor.clinic),
            "actions": Action.choices,
            "risks": Risk.choices,
            "grounds": ExemptionGround.choices,
            "forms": forms,
            "form": form,
            "errors": errors or {},
            "form_errors": {form: errors or {}},
            "chosen": {str(c) for c in chosen},
        },
        status=422 if errors else 200,
    )


@staff_view(CAPABILITY)
def breach_detail(request, breach_id: int):
    return _detail(request, breach_id)


def _post(request, breach_id, form: str, fields, action):
    """Run ``action(values)``; on bad input show the page again with the form as typed."""
    values = {name: request.POST.get(name, "") for name in fields}
    services.breach_get(actor=request.actor, breach_id=breach_id)  # 404 before validating
    try:
        message = action(values)
    except ValidationFailed as exc:
        return _detail(
            request,
            breach_id,
            form=form,
            values=values,
            errors=exc.errors,
            chosen=request.POST.getlist("affected"),
        )
    if message:
        messages.success(request, message)
    return redirect("staff:breach", breach_id=breach_id)


@require_POST
@staff_view(CAPABILITY)
def breach_edit(request, breach_id: int):
    def action(values):
        services.breach_edit(actor=request.actor, breach_id=breach_id, changes=values)
        return _("Saved.")

    return _post(request, breach_id, "edit", services.EDITABLE, action)


@require_POST
@staff_view(CAPABILITY)
def breach_update(request, breach_id: int):
    def action(values):
        services.breach_add_update(actor=request.actor, breach_id=breach_id, text=values["text"])
        return _("The update is added to the log.")

    return _post(request, breach_id, "update", ("text",), action)


@require_POST
@staff_view(CAPABILITY)
def breach_notified(request, breach_id: int):
    def action(values):
        services.breach_mark_notified(actor=request.actor, breach_id=breach_id, **values)
        return _("The notification of the authority is recorded.")

    return _post(
        request, breach_id, "notified", ("notified_at", "reference", "late_reason"), action
    )


@require_POST
@staff_view(CAPABILITY)
def affected_find(request, breach_id: int):
    def action(values):
        added = services.affected_from_access_log(
            actor=request.actor,
            breach_id=breach_id,
            user_id=values["user"],
            **{k: values[k] for k in ("start", "end", "action")},
        )
        return _("%(count)d person(s) added from the access log.") % {"count": len(added)}

    return _post(request, breach_id, "find", ("user", "start", "end", "action"), action)


@require_POST
@staff_view(CAPABILITY)
@recent_auth
def affected_notify(request, breach_id: int):
    chosen = request.POST.getlist("affected")

    def action(values):
        result = services.affected_notify(
            actor=request.actor, breach_id=breach_id, affected_ids=chosen
        )
        return (
            _(
                "%(sent)d notice(s) queued; %(no_contact)d without an e-mail address or phone "
                "number; %(skipped)d already told or exempted."
            )
            % result
        )

    return _post(request, breach_id, "notify", (), action)


@require_POST
@staff_view(CAPABILITY)
def affected_exempt(request, breach_id: int):
    chosen = request.POST.getlist("affected")

    def action(values):
        count = services.affected_exempt(
            actor=request.actor, breach_id=breach_id, affected_ids=chosen, **values
        )
        return _("Exemption recorded for %(count)d person(s).") % {"count": count}

    return _post(request, breach_id, "exempt", ("ground", "note"), action)


@staff_view(CAPABILITY)
def breach_draft(request, breach_id: int):
    return render(
        request, "breaches/draft.html", pdf.draft_context(actor=request.actor, breach_id=breach_id)
    )


@staff_view(CAPABILITY)
def breach_draft_pdf(request, breach_id: int):
    body = pdf.draft_pdf(actor=request.actor, breach_id=breach_id)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="breach-{breach_id}-notification.pdf"'
    return response
