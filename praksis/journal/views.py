"""Staff pages for the journal: read, write, sign, amend, attach, print."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import Conflict, ValidationFailed
from praksis.journal import care, requests, selectors, services
from praksis.journal.fields import fields_for
from praksis.journal.models import EntryKind, JournalEntry
from praksis.journal.pdf import journal_pdf
from praksis.people.selectors import animal_summary


def _subject_kwargs(kind: str, subject_id: int) -> dict:
    if kind == "persons":
        return {"person_id": subject_id}
    if kind == "animals":
        return {"animal_id": subject_id}
    raise Http404


def _journal_url(kind: str, subject_id: int, **query) -> str:
    url = reverse(f"staff:journal-{kind}", kwargs={"subject_id": subject_id})
    return f"{url}?{urlencode(query)}" if query else url


def _entry_subject(request, entry_id: int) -> tuple[str, int]:
    entry = JournalEntry.objects.filter(clinic=request.actor.clinic, pk=entry_id).first()
    if entry is None:
        raise Http404
    return ("persons", entry.person_id) if entry.person_id else ("animals", entry.animal_id)


FOLLOWUP_KINDS = (
    EntryKind.AMENDMENT,
    EntryKind.OBJECTION,
    EntryKind.REFUSED_CORRECTION,
    EntryKind.ACCESS_REQUEST,
)


def _reason_page(request, kind, subject_id, subject, *, errors=None, values=None, status=200):
    """REQ-20: outside a care relation a Norwegian patient journal opens only after the
    user says why (a reason from the list and their own words); nothing of it is shown."""
    return render(
        request,
        "journal/reason.html",
        {
            "kind": kind,
            "subject": subject,
            "subject_id": subject_id,
            "reasons": care.reason_choices(),
            "care_days": care.CARE_DAYS,
            "errors": errors or {},
            "values": values or {},
        },
        status=status,
    )


def _render_journal(request, kind, subject_id, *, errors=None, values=None, status=200):
    actor = request.actor
    ids = _subject_kwargs(kind, subject_id)
    subject = services.subject_of(actor, **ids)
    try:
        purpose, relation = care.opening_purpose(
            actor, subject, given=care.granted(request.session, subject)
        )
    except care.ReasonNeeded:
        return _reason_page(request, kind, subject_id, subject)
    entries = selectors.journal_read(actor=actor, purpose=purpose, relation=relation, **ids)
    # REQ-16/REQ-18: the requests about the journal and their outcome, recorded in it.
    journal_requests = (
        requests.journal_requests_read(actor=actor, **ids)
        if requests.request_kinds(actor.clinic)
        else []
    )
    template_fields = fields_for(actor.clinic.profile)
    return render(
        request,
        "journal/journal.html",
        {
            "kind": kind,
            "subject": subject,
            "subject_id": subject_id,
            "entries": entries,
            "template_fields": template_fields,
            "labels": {f.name: f.label for f in template_fields},
            "errors": errors or {},
            "values": values or {},
            "error": request.GET.get("error", ""),
            "followup_kinds": [(k.value, k.label) for k in FOLLOWUP_KINDS],
            "journal_requests": journal_requests,
            "requests_recorded": bool(requests.request_kinds(actor.clinic)),
            "card": selectors.client_card_read(actor=actor, person_id=subject_id)
            if kind == "persons" and actor.clinic.profile == "therapy"
            else None,
            # An animal's journal opens with who it is and whose it is.
            "summary": animal_summary(actor=actor, animal_id=subject_id, purpose="journal")
            if kind == "animals"
            else None,
        },
        status=status,
    )


@require_POST
@staff_view("journal.write")
def client_card_save(request, subject_id: int):
    try:
        services.client_card_save(
            actor=request.actor,
            person_id=subject_id,
            allergies=request.POST.get("allergies", ""),
            injuries=request.POST.get("injuries", ""),
        )
    except ValidationFailed as exc:
        return redirect(_journal_url("persons", subject_id, error=_message(exc)))
    return redirect(_journal_url("persons", subject_id))


@staff_view("journal.read")
def journal_page(request, kind: str, subject_id: int):
    return _render_journal(request, kind, subject_id)


def _posted_fields(request) -> dict:
    prefix = "field_"
    return {k[len(prefix) :]: v for k, v in request.POST.items() if k.startswith(prefix) and v}


def _message(exc: Conflict | ValidationFailed) -> str:
    return exc.message


@require_POST
@staff_view("journal.write")
def entry_new(request, kind: str, subject_id: int):
    actor = request.actor
    ids = _subject_kwargs(kind, subject_id)
    try:
        services.entry_create(
            actor=actor,
            text=request.POST.get("text", ""),
            fields=_posted_fields(request),
            sign=request.POST.get("action") == "sign",
            **ids,
        )
    except ValidationFailed as exc:
        return _render_journal(
            request, kind, subject_id, errors=exc.errors, values=request.POST, status=422
        )
    return redirect(_journal_url(kind, subject_id))


def _entry_action(request, entry_id: int, run):
    kind, subject_id = _entry_subject(request, entry_id)
    try:
        run()
    except (ValidationFailed, Conflict) as exc:
        return redirect(_journal_url(kind, subject_id, error=_message(exc)) + f"#entry-{entry_id}")
    return redirect(_journal_url(kind, subject_id) + f"#entry-{entry_id}")


@require_POST
@staff_view("journal.write")
def entry_edit(request, entry_id: int):
    return _entry_action(
        request,
        entry_id,
        lambda: services.entry_update_draft(
            actor=request.actor,
            entry_id=entry_id,
            text=request.POST.get("text", ""),
            fields=_posted_fields(request),
        ),
    )


@require_POST
@staff_view("journal.write")
def entry_sign(request, entry_id: int):
    return _entry_action(
        request, entry_id, lambda: services.entry_sign(actor=request.actor, entry_id=entry_id)
    )


@require_POST
@staff_view("journal.write")
def entry_discard(request, entry_id: int):
    return _entry_action(
        request,
        entry_id,
        lambda: services.entry_discard_draft(actor=request.actor, entry_id=entry_id),
    )


@require_POST
@staff_view("journal.write")
def followup_new(request, entry_id: int):
    return _entry_action(
        request,
        entry_id,
        lambda: services.followup_add(
            actor=request.actor,
            entry_id=entry_id,
            kind=request.POST.get("kind", EntryKind.AMENDMENT),
            text=request.POST.get("text", ""),
            reason=request.POST.get("reason", ""),
        ),
    )


@require_POST
@staff_view("journal.write")
def attachment_upload(request, entry_id: int):
    upload = request.FILES.get("file")

    def run():
        if upload is None:
            raise ValidationFailed({"file": [_("Choose a file.")]})
        services.attachment_add(
            actor=request.actor,
            entry_id=entry_id,
            filename=upload.name,
            content_type=upload.content_type or "",
            data=upload.read(settings.PRAKSIS_ATTACHMENT_MAX_BYTES + 1),
        )

    return _entry_action(request, entry_id, run)


@staff_view("journal.read")
def attachment_download(request, attachment_id: int):
    attachment, data = selectors.attachment_read(actor=request.actor, attachment_id=attachment_id)
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = f'inline; filename="{attachment.filename}"'
    return response


@require_POST
@staff_view("journal.read")
@recent_auth
def journal_reason(request, kind: str, subject_id: int):
    """The reason for opening a journal outside a care relation (REQ-20), asked after a
    fresh sign-in; kept for this journal in the session for a while (``care``)."""
    subject = services.subject_of(request.actor, **_subject_kwargs(kind, subject_id))
    try:
        purpose = care.clean_reason(request.POST.get("reason"), request.POST.get("reason_text"))
    except ValidationFailed as exc:
        return _reason_page(
            request, kind, subject_id, subject, errors=exc.errors, values=request.POST, status=422
        )
    care.grant(request.session, subject, purpose)
    return redirect(_journal_url(kind, subject_id))


@staff_view("journal.read")
def journal_print(request, kind: str, subject_id: int):
    actor = request.actor
    ids = _subject_kwargs(kind, subject_id)
    subject = services.subject_of(actor, **ids)
    try:
        purpose, _relation = care.opening_purpose(
            actor, subject, given=care.granted(request.session, subject), stated="print"
        )
    except care.ReasonNeeded:
        return redirect(_journal_url(kind, subject_id))  # the page asks for the reason
    pdf = journal_pdf(actor=actor, purpose=purpose, **ids)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="journal.pdf"'
    return response


# --- Requests about the journal (REQ-16, REQ-18) -------------------------------------------


def _render_requests(
    request, kind, subject_id, *, errors=None, values=None, status=200, decision_failed=None
):
    actor = request.actor
    ids = _subject_kwargs(kind, subject_id)
    subject = services.subject_of(actor, **ids)
    kinds = requests.request_kinds(actor.clinic)
    entries, journal_requests, owners, privacy_requests = [], [], [], []
    if kinds:
        try:
            purpose, relation = care.opening_purpose(
                actor, subject, given=care.granted(request.session, subject)
            )
        except care.ReasonNeeded:
            return _reason_page(request, kind, subject_id, subject)
        entries = selectors.journal_read(actor=actor, purpose=purpose, relation=relation, **ids)
        journal_requests = requests.journal_requests_read(actor=actor, **ids)
        owners, privacy_requests = requests.requester_choices(actor=actor, subject=subject)
    return render(
        request,
        "journal/requests.html",
        {
            "kind": kind,
            "subject": subject,
            "subject_id": subject_id,
            "kinds": [(k, requests.RequestKind(k).label) for k in kinds],
            "rule": requests.regime_rule(actor.clinic),
            "regime": actor.clinic.regime,
            "entries": entries,
            "journal_requests": journal_requests,
            "owners": owners,
            "privacy_requests": privacy_requests,
            "outcomes": {
                k: [(o.value, o.label) for o in requests.OUTCOMES[k]] for k in requests.OUTCOMES
            },
            "errors": errors or {},
            "values": values or {},
            "error": request.GET.get("error", ""),
            "decision_failed": decision_failed,
        },
        status=status,
    )


@staff_view("journal.read")
def journal_requests_page(request, kind: str, subject_id: int):
    if request.method == "POST":
        return _journal_request_new(request, kind, subject_id)
    return _render_requests(request, kind, subject_id)


def _journal_request_new(request, kind: str, subject_id: int):
    if not can(request.actor, "journal.write"):
        raise PermissionDenied("journal.write")
    try:
        requests.journal_request_record(
            actor=request.actor,
            kind=request.POST.get("kind", ""),
            requester_id=request.POST.get("requester") or None,
            grounds=request.POST.get("grounds", ""),
            entry_ids=request.POST.getlist("entries"),
            privacy_request_id=request.POST.get("privacy_request") or None,
            **_subject_kwargs(kind, subject_id),
        )
    except ValidationFailed as exc:
        return _render_requests(
            request, kind, subject_id, errors=exc.errors, values=request.POST, status=422
        )
    return redirect(reverse(f"staff:journal-requests-{kind}", kwargs={"subject_id": subject_id}))


@require_POST
@staff_view("journal.write")
def journal_request_decide(request, journal_request_id: int):
    found = requests.JournalRequest.objects.filter(
        clinic=request.actor.clinic, pk=journal_request_id
    ).first()
    if found is None:
        raise Http404
    kind, subject_id = (
        ("animals", found.animal_id) if found.animal_id else ("persons", found.person_id)
    )
    try:
        requests.journal_request_decide(
            actor=request.actor,
            request_id=journal_request_id,
            outcome=request.POST.get("outcome", ""),
            reasons=request.POST.get("reasons", ""),
            incorrect_or_unnecessary=request.POST.get("incorrect_or_unnecessary"),
            no_weighty_reasons=request.POST.get("no_weighty_reasons"),
        )
    except ValidationFailed as exc:
        values = {f"{k}_{journal_request_id}": v for k, v in request.POST.items()}
        errors = {f"{k}_{journal_request_id}": v for k, v in exc.errors.items()}
        return _render_requests(
            request,
            kind,
            subject_id,
            errors=errors,
            values=values,
            status=422,
            decision_failed=journal_request_id,
        )
    except Conflict as exc:
        url = reverse(f"staff:journal-requests-{kind}", kwargs={"subject_id": subject_id})
        return redirect(f"{url}?{urlencode({'error': exc.message})}#request-{journal_request_id}")
    url = reverse(f"staff:journal-requests-{kind}", kwargs={"subject_id": subject_id})
    return redirect(f"{url}#request-{journal_request_id}")
