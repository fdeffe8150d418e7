"""Intake before the visit (issue 15): the owner's questionnaire for a service, and the
client's answers from their account.

* :func:`intake_form_save` — the owner writes the form: a title and up to
  ``MAX_QUESTIONS`` questions, each with why it is asked (data minimisation: a question
  without a reason is refused) and its kind (free text, or yes/no).
* :func:`intake_due` — a booking's form while it can still be answered: the booking is
  to come and not answered yet.
* :func:`intake_answers_clean` — the client's answers checked against the form.
* :func:`intake_record` — the answer recorded (the answers themselves go to the journal
  as a draft; the composition layer writes it, the booking keeps only that it happened).
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking.models import Appointment, IntakeForm, IntakeResponse, Service
from praksis.clinics.access import Actor, require
from praksis.core.errors import Conflict, ValidationFailed

MAX_QUESTIONS = 20
KINDS = ("text", "yesno")
ANSWER_MAX = 2000


def intake_form_get(*, actor: Actor, service_id: int) -> tuple[Service, IntakeForm | None]:
    require(actor, "clinic.manage")
    service = Service.objects.filter(clinic=actor.clinic, pk=service_id).first()
    if service is None:
        raise Http404
    return service, IntakeForm.objects.filter(service=service).first()


def intake_form_save(
    *, actor: Actor, service_id: int, title: str, questions: list[dict], active: bool = True
) -> IntakeForm:
    """Write (or replace) the service's form; questions with no text are left out."""
    service, form = intake_form_get(actor=actor, service_id=service_id)
    errors: dict[str, list] = {}
    title = " ".join(str(title or "").split())[:200]
    if not title:
        errors["title"] = [_("Give the form a title.")]
    kept = []
    for index, q in enumerate(questions[:MAX_QUESTIONS]):
        text = " ".join(str(q.get("text") or "").split())[:500]
        why = " ".join(str(q.get("why") or "").split())[:500]
        kind = q.get("kind") if q.get("kind") in KINDS else "text"
        if not text:
            continue
        if not why:
            errors[f"q-{index}-why"] = [_("Say why you ask this: ask only what the visit needs.")]
        kept.append({"text": text, "why": why, "kind": kind})
    if not kept and not errors:
        errors["questions"] = [_("Write at least one question.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if form is None:
            form = IntakeForm(clinic=actor.clinic, service=service)
        form.title, form.questions, form.active = title, kept, bool(active)
        form.updated_at = timezone.now()
        form.save()
        log_access(
            actor,
            Access(Action.UPDATE, "intake_form", form.pk, purpose="clinic setup",
                   detail=f"questions={len(kept)}"),
        )  # fmt: skip
    return form


def intake_due(appointment: Appointment) -> IntakeForm | None:
    """The form the client can fill in for this booking, or None."""
    if appointment.status != Appointment.Status.BOOKED or appointment.start <= timezone.now():
        return None
    form = IntakeForm.objects.filter(service_id=appointment.service_id, active=True).first()
    if form is None or IntakeResponse.objects.filter(appointment=appointment).exists():
        return None
    return form


def intake_forms_due(appointments: list[Appointment]) -> dict[int, IntakeForm]:
    """:func:`intake_due` for several bookings at once (two queries)."""
    ids = [a.pk for a in appointments]
    answered = set(
        IntakeResponse.objects.filter(appointment_id__in=ids).values_list(
            "appointment_id", flat=True
        )
    )
    forms = {
        f.service_id: f
        for f in IntakeForm.objects.filter(
            service_id__in={a.service_id for a in appointments}, active=True
        )
    }
    now = timezone.now()
    return {
        a.pk: forms[a.service_id]
        for a in appointments
        if a.service_id in forms
        and a.pk not in answered
        and a.status == Appointment.Status.BOOKED
        and a.start > now
    }


def intake_answers_clean(form: IntakeForm, data) -> list[tuple[dict, str]]:
    """Each question with the client's answer (an unanswered question stays empty: the
    client may leave out what they do not want to say)."""
    answers = []
    for index, question in enumerate(form.questions):
        value = str(data.get(f"q-{index}", "") or "").strip()[:ANSWER_MAX]
        if question["kind"] == "yesno" and value not in ("", "yes", "no"):
            raise ValidationFailed({f"q-{index}": [_("Answer yes or no.")]})
        answers.append((question, value))
    if not any(value for _question, value in answers):
        raise ValidationFailed({"form": [_("Answer at least one question.")]})
    return answers


def intake_record(*, appointment: Appointment, journal_entry_id: int | None) -> IntakeResponse:
    """That the client answered (once per booking)."""
    response, created = IntakeResponse.objects.get_or_create(
        appointment=appointment,
        defaults={"clinic_id": appointment.clinic_id, "journal_entry_id": journal_entry_id},
    )
    if not created:
        raise Conflict(_("You have already answered this form."), code="answered")
    return response
