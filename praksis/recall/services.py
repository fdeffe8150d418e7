"""Writes to recalls: set or clear a subject's recall, record calls, queue recall messages.

Every write is atomic and access-logged in its transaction, against the person (or each
owner of the animal). ``recall_messages_enqueue`` is an idempotent job: one message per
recall and due date (the outbox's dedupe key), only to people who gave their recall
consent and are not restricted, with the booking link and no health details.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import pgettext, pgettext_lazy

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import Clinic
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.links import base_url
from praksis.messaging.models import Channel, Kind, OutboxMessage
from praksis.messaging.services import message_enqueue
from praksis.people.models import Animal, Person
from praksis.recall import selectors
from praksis.recall.models import (
    MAX_INTERVAL_MONTHS,
    CallAttempt,
    ClosedReason,
    Outcome,
    Recall,
    Status,
)

MAX_REASON = 100
MAX_NOTE = 300
MAX_CALL_BACK_DAYS = 366
# Recalls overdue by more than this get no message (they stay on the call list): a
# recall entered late, or a clinic that starts using Praksis, does not send a backlog.
MESSAGE_GRACE_DAYS = 30

DATE_FORMAT = pgettext_lazy("recall", "Enter a date as YYYY-MM-DD.")


def parse_date(value, field: str) -> date | None:
    """An ISO date from a form or JSON (None when empty); 422 for anything else."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({field: [DATE_FORMAT]}) from None


def _subject(actor: Actor, person: Person | None, animal: Animal | None):
    if (person is None) == (animal is None):
        raise ValueError("give exactly one of person and animal")
    subject = person if person is not None else animal
    if subject.clinic_id != actor.clinic.pk:
        raise Http404
    return subject


def _lookup(subject) -> dict:
    return {"person": subject} if isinstance(subject, Person) else {"animal": subject}


def _person_ids(subject) -> list[int | None]:
    """Whose access log a recall write belongs in: the person, or each owner."""
    if isinstance(subject, Person):
        return [subject.pk]
    return list(subject.ownerships.order_by("pk").values_list("person_id", flat=True)) or [None]


def _log(actor: Actor, subject, action: str, object_type: str, object_id, detail: str = ""):
    log_accesses(
        actor,
        [
            Access(action, object_type, object_id, person_id=pid, purpose="recall", detail=detail)
            for pid in _person_ids(subject)
        ],
    )


def _close(recall: Recall, reason: str, now: datetime) -> None:
    recall.status = Status.CLOSED
    recall.closed_reason = reason
    recall.closed_at = now
    recall.updated_at = now
    recall.save(update_fields=["status", "closed_reason", "closed_at", "updated_at"])


def _clean_interval(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    number = int(value)
    if not 1 <= number <= MAX_INTERVAL_MONTHS:
        raise ValueError
    return number


def recall_set(
    *,
    actor: Actor,
    person: Person | None = None,
    animal: Animal | None = None,
    interval_months: int | None = None,
    due_date: date | None = None,
    reason: str = "",
    source_entry=None,
) -> Recall:
    """Set (or replace) the subject's active recall.

    The due date is ``due_date`` when given, else the last visit (or today) plus
    ``interval_months``. ``reason`` names the kind of visit ("eye examination",
    "rabies vaccination"), nothing more: receptionists see it on the call list.
    """
    require(actor, "person.write")
    subject = _subject(actor, person, animal)
    errors: dict[str, list] = {}
    try:
        interval = _clean_interval(interval_months)
    except (TypeError, ValueError):
        interval = None
        errors["interval_months"] = [
            pgettext_lazy("recall", "Enter a number of months between 1 and 120.")
        ]
    try:
        due_date = parse_date(due_date, "due_date")
    except ValidationFailed as exc:
        errors.update(exc.errors)
        due_date = None
    if interval is None and due_date is None and not errors:
        errors["interval_months"] = [
            pgettext_lazy("recall", "Give an interval in months or a due date.")
        ]
    today = selectors.local_today(actor.clinic)
    if due_date is not None and due_date > selectors.add_months(today, MAX_INTERVAL_MONTHS):
        errors["due_date"] = [pgettext_lazy("recall", "Choose a date within ten years.")]
    reason = " ".join(str(reason or "").split())
    if len(reason) > MAX_REASON:
        errors["reason"] = [pgettext_lazy("recall", "Use at most 100 characters.")]
    if source_entry is not None and (
        source_entry.clinic_id != actor.clinic.pk
        or source_entry.person_id != getattr(person, "pk", None)
        or source_entry.animal_id != getattr(animal, "pk", None)
    ):
        raise ValueError("the journal entry is about another subject")
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    with transaction.atomic():
        # One writer per subject at a time: the partial unique constraints allow one
        # active recall, and this lock turns a race into a replacement, not an error.
        type(subject).objects.select_for_update().filter(pk=subject.pk).first()
        if due_date is None:
            key = ("person" if isinstance(subject, Person) else "animal", subject.pk)
            last_visit = selectors.visits(actor.clinic, [key], now).last.get(key)
            due_date = selectors.add_months(last_visit or today, interval)
        previous = (
            Recall.objects.select_for_update()
            .filter(clinic=actor.clinic, status=Status.ACTIVE, **_lookup(subject))
            .first()
        )
        if previous is not None:
            _close(previous, ClosedReason.REPLACED, now)
        recall = Recall.objects.create(
            clinic=actor.clinic,
            **_lookup(subject),
            interval_months=interval,
            due_date=due_date,
            call_on=due_date,
            reason=reason,
            source_entry=source_entry,
            created_by_user_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        detail = f"journal entry {source_entry.pk}" if source_entry is not None else ""
        if previous is not None:
            _log(actor, subject, Action.UPDATE, "recall", previous.pk, "replaced")
        _log(actor, subject, Action.CREATE, "recall", recall.pk, detail)
    return recall


def recall_clear(
    *, actor: Actor, person: Person | None = None, animal: Animal | None = None
) -> None:
    """Close the subject's active recall, if it has one (nobody will be called)."""
    require(actor, "person.write")
    subject = _subject(actor, person, animal)
    with transaction.atomic():
        recall = (
            Recall.objects.select_for_update()
            .filter(clinic=actor.clinic, status=Status.ACTIVE, **_lookup(subject))
            .first()
        )
        if recall is None:
            return
        _close(recall, ClosedReason.CLEARED, timezone.now())
        _log(actor, subject, Action.UPDATE, "recall", recall.pk, "cleared")


def call_attempt_record(
    *,
    actor: Actor,
    recall_id: int,
    outcome: str,
    note: str = "",
    call_back_on: date | None = None,
) -> CallAttempt:
    """Record one call about a recall.

    ``booked`` and ``declined`` close the recall; ``call_later`` moves its call date to
    ``call_back_on`` (the due date, which recall messages follow, stays).
    """
    require(actor, "person.write")
    with transaction.atomic():
        recall = (
            Recall.objects.select_for_update().filter(clinic=actor.clinic, pk=recall_id).first()
        )
        if recall is None:
            raise Http404
        today = selectors.local_today(actor.clinic)
        errors: dict[str, list] = {}
        if outcome not in Outcome.values:
            errors["outcome"] = [pgettext_lazy("recall", "Choose how the call went.")]
        note = " ".join(str(note or "").split())
        if len(note) > MAX_NOTE:
            errors["note"] = [pgettext_lazy("recall", "Use at most 300 characters.")]
        try:
            call_back_on = parse_date(call_back_on, "call_back_on")
        except ValidationFailed as exc:
            errors.update(exc.errors)
            call_back_on = None
        if outcome == Outcome.CALL_LATER and "call_back_on" not in errors:
            if call_back_on is None:
                errors["call_back_on"] = [pgettext_lazy("recall", "Say when to call back.")]
            elif not today <= call_back_on <= today + timedelta(days=MAX_CALL_BACK_DAYS):
                errors["call_back_on"] = [
                    pgettext_lazy("recall", "Choose a date from today and within a year.")
                ]
        if errors:
            raise ValidationFailed(errors)
        if outcome != Outcome.CALL_LATER:
            call_back_on = None
        if recall.status != Status.ACTIVE:
            raise Conflict(pgettext("recall", "This recall is already closed."), code="closed")
        contact = selectors.contacts_for(actor.clinic, [recall])[recall.pk]
        consents = selectors.recall_consents(actor.clinic, [contact.pk] if contact else [])
        if not selectors.may_recall(contact, consents, recall.animal):
            raise Conflict(
                pgettext("recall", "This person may not be recalled (restricted or opted out)."),
                code="not_recallable",
            )
        now = timezone.now()
        attempt = CallAttempt.objects.create(
            clinic=actor.clinic,
            recall=recall,
            user_id=actor.user_id,
            at=now,
            outcome=outcome,
            note=note,
            call_back_on=call_back_on,
        )
        if outcome in (Outcome.BOOKED, Outcome.DECLINED):
            _close(recall, ClosedReason(outcome), now)
        elif outcome == Outcome.CALL_LATER:
            recall.call_on = call_back_on
            recall.updated_at = now
            recall.save(update_fields=["call_on", "updated_at"])
        log_accesses(
            actor,
            [
                Access(
                    Action.CREATE,
                    "recall_call",
                    attempt.pk,
                    person_id=contact.pk,
                    purpose="recall",
                    detail=f"recall {recall.pk}: {outcome}",
                )
            ],
        )
    return attempt


# --- Recall messages --------------------------------------------------------------------


def _message(recall: Recall, contact: Person, clinic: Clinic) -> tuple[str, str, str, str]:
    """(channel, address, subject, body) in the clinic's language; no health details."""
    context = {
        "clinic": clinic,
        "first_name": contact.first_name,
        "animal_name": recall.animal.name if recall.animal_id else "",
        "booking_url": f"{base_url()}/{clinic.slug}/",
    }
    with translation.override(clinic.language):
        if contact.email:
            subject = pgettext("recall", "Time to book your next visit")
            body = render_to_string("recall/email/recall.txt", context)
            return Channel.EMAIL, contact.email, f"{subject} – {clinic.name}", body
        body = render_to_string("recall/sms/recall.txt", context).strip()
        return Channel.SMS, contact.phone, "", body


def _clinic_messages(clinic: Clinic, now: datetime) -> int:
    today = selectors.local_today(clinic, now)
    recalls = list(
        Recall.objects.filter(
            clinic=clinic,
            status=Status.ACTIVE,
            due_date__lte=today + timedelta(days=selectors.lead_days(clinic)),
            due_date__gte=today - timedelta(days=MESSAGE_GRACE_DAYS),
        )
        .select_related("person", "animal")
        .order_by("due_date", "pk")
    )
    if not recalls:
        return 0
    keys = {r.pk: f"recall:{r.pk}:{r.due_date.isoformat()}" for r in recalls}
    sent = set(
        OutboxMessage.objects.filter(clinic=clinic, dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    recalls = [r for r in recalls if keys[r.pk] not in sent]
    contacts = selectors.contacts_for(clinic, recalls)
    consents = selectors.recall_consents(clinic, [c.pk for c in contacts.values() if c])
    booked = selectors.visits(clinic, [selectors.subject_key(r) for r in recalls], now).next
    actor = system_actor(clinic, channel="system")
    queued = 0
    for recall in recalls:
        contact = contacts[recall.pk]
        if not selectors.may_recall(contact, consents, recall.animal):
            continue
        consent_id = consents.active.get(contact.pk)
        if consent_id is None:  # recall messages only to those who asked for them
            continue
        if selectors.subject_key(recall) in booked:  # already has a time booked
            continue
        if not contact.email and not contact.phone:
            continue
        channel, address, subject, body = _message(recall, contact, clinic)
        with transaction.atomic():
            try:
                message = message_enqueue(
                    clinic=clinic,
                    channel=channel,
                    to=address,
                    subject=subject,
                    body=body,
                    kind=Kind.REMINDER,
                    person=contact,
                    dedupe_key=keys[recall.pk],
                    related=("recall", recall.pk),
                    consent_id=consent_id,
                )
            except ValueError:  # an address the outbox cannot use: nothing to send
                continue
            if message is None:
                continue
            log_accesses(
                actor,
                [
                    Access(
                        Action.CREATE,
                        "outbox_message",
                        message.pk,
                        person_id=contact.pk,
                        purpose="recall",
                        detail=f"recall {recall.pk}",
                    )
                ],
            )
            queued += 1
    return queued


def recall_messages_enqueue(*, now: datetime | None = None) -> int:
    """Queue a recall message for each recall due within its clinic's lead time.

    Idempotent: one message per recall and due date (dedupe key), so running this twice
    or on two machines queues each once. Only to people (for an animal: its primary
    owner) with an active recall consent who are not restricted and have no time booked.
    """
    now = now or timezone.now()
    clinic_ids = Recall.objects.filter(status=Status.ACTIVE).values("clinic_id")
    return sum(_clinic_messages(clinic, now) for clinic in Clinic.objects.filter(pk__in=clinic_ids))
