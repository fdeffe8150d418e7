"""Requests about a journal and their decisions (issue 14).

- NO-human, REQ-16 (helsepersonelloven § 43): a patient asks that journal entries be
  deleted. Staff record the request (linked to the privacy request when there is one);
  the responsible professional answers the law's two questions and decides. A granted
  deletion removes the chosen entries through the one erasure path
  (``praksis.privacy.erasure.erase_records``: retention policy and legal holds checked,
  evidence logged) and leaves in the journal a trace of each — id, date, author and the
  decision, no text. A refusal's answer names Statsforvalteren, the appeal body. This is
  the only lawful deletion of a Norwegian patient journal (REQ-02).
- NO-vet, REQ-18 (forskrift om journal for dyrehelsepersonell § 4): the owner's requests
  for access to or correction of the animal's journal are recorded in it, with whether
  they were granted.

Every write is atomic and access-logged with the journal's subject; what the requester
said and the decision's reasons are encrypted under the journal's data key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.models import Action
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Regime
from praksis.core.errors import Conflict, ValidationFailed
from praksis.journal.models import (
    JournalEntry,
    JournalRequest,
    RequestKind,
    RequestOutcome,
)
from praksis.journal.services import log_subject, subject_of
from praksis.people.models import AnimalOwner, DataKey, Person
from praksis.people.vault import KeyDestroyed, VaultError, decrypt, encrypt
from praksis.privacy.erasure import erase_records
from praksis.privacy.models import DataSubjectRequest

PURPOSE = "journal-request"
TEXT_MAX = 4000

# Which requests each regime's journal records (none elsewhere: the page explains why).
REGIME_KINDS = {
    Regime.NO_HUMAN: (RequestKind.DELETION,),
    Regime.NO_VET: (RequestKind.ACCESS, RequestKind.CORRECTION),
}
# What a decision may say, per kind: a deletion is granted or refused as a whole.
OUTCOMES = {
    RequestKind.DELETION: (RequestOutcome.GRANTED, RequestOutcome.REFUSED),
    RequestKind.ACCESS: tuple(RequestOutcome),
    RequestKind.CORRECTION: tuple(RequestOutcome),
}

# What the journal's page says where the clinic's regime records no such requests.
REGIME_RULES = {
    Regime.SE_HUMAN: gettext_lazy(
        "A Swedish patient journal is kept at least ten years after its last entry "
        "(patientdatalagen 3 kap. 17 §). Only the Health and Social Care Inspectorate (IVO) "
        "may decide that it is destroyed earlier, on the patient's application "
        "(patientdatalagen 8 kap. 4 §). A patient who says an entry is wrong gets a note "
        "saying so in the journal: add it to the entry as “The patient's objection”."
    ),
    Regime.SE_VET: gettext_lazy(
        "A Swedish veterinary journal is kept at least five years after its last entry "
        "(Jordbruksverket's rules). Nothing is deleted from it: a correction strikes the old "
        "text through, so that it stays readable, beside the new text, signed and dated — "
        "add it to the entry as an amendment."
    ),
    Regime.GDPR_ONLY: gettext_lazy(
        "This clinic keeps no health-law journal: a client's request to erase their notes "
        "is a privacy request (GDPR art. 17), handled under Privacy requests."
    ),
}


def request_kinds(clinic) -> tuple[str, ...]:
    return REGIME_KINDS.get(clinic.regime, ())


def regime_rule(clinic) -> str:
    return str(REGIME_RULES.get(clinic.regime, ""))


def _seal(subject, content: dict) -> bytes:
    return encrypt(subject, json.dumps(content, ensure_ascii=False).encode(), purpose=PURPOSE)


def _clean(value, field: str, *, required: bool, message: str) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed({field: [message]})
    if len(text) > TEXT_MAX:
        raise ValidationFailed({field: [_("Use at most 4,000 characters.")]})
    return text


def _ids(values) -> list[int]:
    out = []
    for value in values or ():
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise ValidationFailed({"entries": [_("Choose entries of this journal.")]}) from None
    return sorted(set(out))


def _requester(actor: Actor, subject, requester_id) -> Person:
    if isinstance(subject, Person):
        return subject
    owners = AnimalOwner.objects.filter(clinic=actor.clinic, animal=subject).select_related(
        "person"
    )
    if requester_id in (None, ""):
        primary = owners.order_by("-is_primary", "pk").first()
        if primary is None:
            raise ValidationFailed({"requester": [_("The animal has no owner on record.")]})
        return primary.person
    try:
        found = owners.filter(person_id=int(requester_id)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise ValidationFailed({"requester": [_("Choose one of the animal's owners.")]})
    return found.person


def journal_request_record(
    *,
    actor: Actor,
    kind: str,
    person_id: int | None = None,
    animal_id: int | None = None,
    requester_id=None,
    grounds: str = "",
    entry_ids=(),
    privacy_request_id=None,
    received_at: datetime | None = None,
) -> JournalRequest:
    """Record a patient's (or an animal owner's) request about the journal."""
    require(actor, "journal.write")
    subject = subject_of(actor, person_id=person_id, animal_id=animal_id)
    clinic = actor.clinic
    errors: dict[str, list] = {}
    if kind not in request_kinds(clinic):
        errors["kind"] = [_("This clinic's journals do not record that kind of request.")]
    try:
        requester = _requester(actor, subject, requester_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        requester = None
    try:
        ids = _ids(entry_ids)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        ids = []
    lookup = {"person": subject} if isinstance(subject, Person) else {"animal": subject}
    if ids and JournalEntry.objects.filter(clinic=clinic, pk__in=ids, **lookup).count() != len(ids):
        errors["entries"] = [_("Choose entries of this journal.")]
    if kind == RequestKind.DELETION and not ids and "entries" not in errors:
        errors["entries"] = [_("Choose the entries the patient asks to have deleted.")]
    try:
        grounds = _clean(
            grounds,
            "grounds",
            required=kind in (RequestKind.DELETION, RequestKind.CORRECTION),
            message=_("Write what the requester says is wrong or not needed, and why."),
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    dsr_id = None
    if privacy_request_id not in (None, ""):
        try:
            dsr_id = int(privacy_request_id)
        except (TypeError, ValueError):
            dsr_id = -1
        if (
            requester is not None
            and not DataSubjectRequest.objects.filter(
                clinic=clinic, pk=dsr_id, person=requester
            ).exists()
        ):
            errors["privacy_request"] = [_("Choose one of the requester's privacy requests.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        request = JournalRequest.objects.create(
            clinic=clinic,
            person=requester,
            animal=None if isinstance(subject, Person) else subject,
            kind=kind,
            privacy_request_id=dsr_id,
            entry_ids=ids,
            received_at=received_at or timezone.now(),
            recorded_by_user_id=actor.user_id or 0,
            recorded_by_name=(actor.user.full_name or actor.user.email) if actor.user else "",
            ciphertext=_seal(subject, {"grounds": grounds, "reasons": ""}),
        )
        log_subject(
            actor, subject, Action.CREATE, "journal_request", request.pk,
            detail=f"{kind}; entries={len(ids)}"
            + (f"; privacy_request={dsr_id}" if dsr_id else ""),
        )  # fmt: skip
    return request


def _yes_no(value, field: str, errors: dict):
    if value in (True, "yes", "true", "1"):
        return True
    if value in (False, "no", "false", "0"):
        return False
    errors[field] = [_("Answer this question.")]
    return None


def journal_request_decide(
    *,
    actor: Actor,
    request_id: int,
    outcome: str,
    reasons: str = "",
    incorrect_or_unnecessary=None,
    no_weighty_reasons=None,
) -> JournalRequest:
    """The responsible professional's decision on a request (REQ-16, REQ-18).

    A deletion (helsepersonelloven § 43) needs both questions answered, and is granted
    only when both are yes: then the chosen entries (with their follow-ups) are deleted
    through the erasure engine in the same transaction, and their trace is stored here."""
    require(actor, "journal.write")
    errors: dict[str, list] = {}
    with transaction.atomic():
        request = (
            JournalRequest.objects.select_for_update(of=("self",))
            .filter(clinic=actor.clinic, pk=request_id)
            .select_related("person", "animal")
            .first()
        )
        if request is None:
            raise Http404
        if request.decided_at is not None:
            raise Conflict(_("This request has already been decided."), code="decided")
        kind = request.kind
        if outcome not in OUTCOMES[RequestKind(kind)]:
            errors["outcome"] = [_("Choose the decision.")]
        ground = weighty = None
        if kind == RequestKind.DELETION:
            ground = _yes_no(incorrect_or_unnecessary, "incorrect_or_unnecessary", errors)
            weighty = _yes_no(no_weighty_reasons, "no_weighty_reasons", errors)
            if outcome == RequestOutcome.GRANTED and (ground is False or weighty is False):
                errors["outcome"] = [
                    _(
                        "Deletion may be granted only when the information is incorrect, "
                        "misleading or not necessary for the care, and deleting it does not "
                        "conflict with weighty reasons (helsepersonelloven § 43)."
                    )
                ]
        try:
            reasons = _clean(
                reasons,
                "reasons",
                required=kind == RequestKind.DELETION or outcome != RequestOutcome.GRANTED,
                message=_("Give the reasons for the decision."),
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        subject = request.subject
        content = _content(request)
        traces: list[dict] = []
        if kind == RequestKind.DELETION and outcome == RequestOutcome.GRANTED:
            present = list(
                JournalEntry.objects.filter(
                    clinic=actor.clinic, pk__in=request.entry_ids
                ).values_list("pk", flat=True)
            )
            if not present:
                raise Conflict(_("The entries asked about are no longer in the journal."))
            traces = erase_records(
                actor=actor, record_type="journal", ids=present,
                reference=f"journal_request={request.pk}",
            )  # fmt: skip
        user = actor.user
        now = timezone.now()
        JournalRequest.objects.filter(pk=request.pk).update(
            outcome=outcome,
            incorrect_or_unnecessary=ground,
            no_weighty_reasons=weighty,
            decided_at=now,
            decided_by_user_id=actor.user_id or 0,
            decided_by_name=(user.full_name or user.email) if user else "",
            decided_by_title=user.title if user else "",
            decided_by_hpr=user.hpr_number if user else "",
            deleted_entries=[
                {
                    k: t[k]
                    for k in (
                        "id",
                        "kind",
                        "concerns",
                        "created_at",
                        "signed_at",
                        "author",
                        "author_title",
                        "hpr",
                    )
                }
                for t in traces
            ],
            ciphertext=_seal(subject, {"grounds": content.get("grounds", ""), "reasons": reasons}),
        )
        log_subject(
            actor, subject, Action.UPDATE, "journal_request", request.pk,
            detail=f"decided: {outcome}; deleted={len(traces)}",
        )  # fmt: skip
        request.refresh_from_db()
    return request


def _content(request: JournalRequest) -> dict:
    subject = request.subject
    lookup = {"person": subject} if isinstance(subject, Person) else {"animal": subject}
    key = DataKey.objects.filter(**lookup).first()
    if key is None:
        return {}
    try:
        return json.loads(decrypt(key, bytes(request.ciphertext), purpose=PURPOSE))
    except (KeyDestroyed, VaultError):
        return {}


# --- Reading them ----------------------------------------------------------------------


@dataclass
class DeletedEntry:
    id: int
    kind: str
    created_at: datetime | None
    signed_at: datetime | None
    author: str
    author_title: str
    hpr: str


@dataclass
class RequestView:
    id: int
    kind: str
    kind_label: str
    requester: str
    privacy_request_id: int | None
    entry_ids: list[int]
    received_at: datetime
    recorded_by_name: str
    grounds: str
    reasons: str
    outcome: str
    outcome_label: str
    incorrect_or_unnecessary: bool | None
    no_weighty_reasons: bool | None
    decided_at: datetime | None
    decided_by: str
    decided_by_hpr: str
    deleted: list[DeletedEntry]
    answer: str
    about: str = ""  # the animal, for a request about an animal's journal

    @property
    def open(self) -> bool:
        return self.decided_at is None


def _moment(value):
    return datetime.fromisoformat(value) if value else None


def _view(request: JournalRequest, clinic) -> RequestView:
    content = _content(request)
    decided_by = request.decided_by_name
    if request.decided_by_title:
        decided_by = f"{decided_by}, {request.decided_by_title}"
    view = RequestView(
        id=request.pk,
        kind=request.kind,
        kind_label=str(RequestKind(request.kind).label),
        requester=f"{request.person.first_name} {request.person.last_name}".strip(),
        privacy_request_id=request.privacy_request_id,
        entry_ids=list(request.entry_ids or []),
        received_at=request.received_at,
        recorded_by_name=request.recorded_by_name,
        grounds=content.get("grounds", ""),
        reasons=content.get("reasons", ""),
        outcome=request.outcome,
        outcome_label=str(RequestOutcome(request.outcome).label) if request.outcome else "",
        incorrect_or_unnecessary=request.incorrect_or_unnecessary,
        no_weighty_reasons=request.no_weighty_reasons,
        decided_at=request.decided_at,
        decided_by=decided_by,
        decided_by_hpr=request.decided_by_hpr,
        deleted=[
            DeletedEntry(
                id=t["id"],
                kind=t.get("kind", ""),
                created_at=_moment(t.get("created_at")),
                signed_at=_moment(t.get("signed_at")),
                author=t.get("author", ""),
                author_title=t.get("author_title", ""),
                hpr=t.get("hpr", ""),
            )
            for t in request.deleted_entries or []
        ],
        answer="",
    )
    view.answer = answer_text(view, clinic) if not view.open else ""
    return view


@dataclass
class Choice:
    id: int
    label: str


def requester_choices(*, actor: Actor, subject) -> tuple[list[Choice], list[Choice]]:
    """Who may ask (the patient; the animal's owners, the primary owner first) and their
    privacy requests a journal request may be linked to (the listing is logged)."""
    require(actor, "journal.read")
    if isinstance(subject, Person):
        people = [subject]
    else:
        people = [
            o.person
            for o in AnimalOwner.objects.filter(clinic=actor.clinic, animal=subject)
            .select_related("person")
            .order_by("-is_primary", "pk")
        ]
    names = {p.pk: f"{p.first_name} {p.last_name}".strip() for p in people}
    found = list(
        DataSubjectRequest.objects.filter(clinic=actor.clinic, person_id__in=names)
        .order_by("-received_at", "-pk")
        .values_list("pk", "person_id", "kind", "received_at")
    )
    if found:
        log_subject(
            actor, subject, Action.LIST, "privacy_request", "", purpose="journal request",
            detail=f"requests={len(found)}",
        )  # fmt: skip
    zone = actor.clinic.zone
    privacy = [
        Choice(
            pk,
            f"#{pk} · {timezone.localtime(at, zone).date().isoformat()} · "
            f"{DataSubjectRequest(kind=kind).get_kind_display()} · {names[person_id]}",
        )
        for pk, person_id, kind, at in found
    ]
    return [Choice(pk, name) for pk, name in names.items()], privacy


def journal_requests_read(
    *, actor: Actor, person_id: int | None = None, animal_id: int | None = None
) -> list[RequestView]:
    """The requests about the subject's journal, newest first (journal roles; logged)."""
    require(actor, "journal.read")
    subject = subject_of(actor, person_id=person_id, animal_id=animal_id)
    lookup = (
        {"person": subject, "animal": None} if isinstance(subject, Person) else {"animal": subject}
    )
    rows = list(
        JournalRequest.objects.filter(clinic=actor.clinic, **lookup)
        .select_related("person", "animal")
        .order_by("-received_at", "-pk")
    )
    if rows:
        log_subject(
            actor, subject, Action.READ, "journal_request", "", detail=f"requests={len(rows)}"
        )
    return [_view(r, actor.clinic) for r in rows]


def journal_request_views(clinic, person: Person) -> list[RequestView]:
    """Every request ``person`` made about a journal of ``clinic`` (their own or their
    animals'), oldest first, for the person's own access report (logged with it)."""
    rows = (
        JournalRequest.objects.filter(clinic=clinic, person=person)
        .select_related("person", "animal")
        .order_by("received_at", "pk")
    )
    views = []
    for row in rows:
        view = _view(row, clinic)
        if row.animal_id is not None:
            view.about = f"{row.animal.name} ({row.animal.get_species_display()})"
        views.append(view)
    return views


def answer_text(view: RequestView, clinic) -> str:
    """The decision as the requester reads it, in the clinic's language (REQ-16: a refusal
    names Statsforvalteren, the appeal body; REQ-47: a vet's refusal, Mattilsynet)."""
    with translation.override(clinic.language), timezone.override(clinic.zone):
        received = timezone.localtime(view.received_at).date().isoformat()
        decided = timezone.localtime(view.decided_at).date().isoformat()
        lines = [
            _("Answer to your request of %(date)s: %(kind)s.")
            % {"date": received, "kind": str(RequestKind(view.kind).label).lower()},
            "",
        ]
        refused = view.outcome == RequestOutcome.REFUSED
        if view.kind == RequestKind.DELETION:
            if refused:
                lines.append(
                    _(
                        "The request is refused (helsepersonelloven § 43), decided %(date)s "
                        "by %(who)s."
                    )
                    % {"date": decided, "who": view.decided_by}
                )
            else:
                lines.append(
                    _(
                        "The request is granted (helsepersonelloven § 43), decided %(date)s by "
                        "%(who)s: %(count)d journal entries were deleted. The journal keeps only "
                        "a note that they existed (date and author), not their content."
                    )
                    % {"date": decided, "who": view.decided_by, "count": len(view.deleted)}
                )
        else:
            lines.append(
                _("Decision of %(date)s by %(who)s: %(outcome)s.")
                % {"date": decided, "who": view.decided_by, "outcome": view.outcome_label.lower()}
            )
        if view.reasons:
            lines += ["", _("Reasons: %(reasons)s") % {"reasons": view.reasons}]
        if refused and view.kind == RequestKind.DELETION:
            lines += [
                "",
                _(
                    "You may appeal this refusal to Statsforvalteren (the County Governor) "
                    "in your county (helsepersonelloven § 43). Send the appeal to us; we "
                    "forward it to Statsforvalteren."
                ),
            ]
        elif view.outcome != RequestOutcome.GRANTED and clinic.regime == Regime.NO_VET:
            lines += [
                "",
                _(
                    "You may complain to the Norwegian Food Safety Authority (Mattilsynet), "
                    "which supervises veterinary journals, www.mattilsynet.no."
                ),
            ]
        lines += ["", clinic.name]
        return "\n".join(lines)
