"""Erasure (GDPR art. 17): one code path for a data-subject request and the retention sweep.

LAW.md REQ-27 (refuse erasure of journals and accounting records with a reasoned reply),
REQ-01..07 (how long they are kept), REQ-16/REQ-46 (NO-human: deletion only by the
approval workflow; appeals to Statsforvalteren), REQ-28 (what is kept is restricted),
REQ-33 (health data), REQ-24/REQ-45 (the answer names the authority and the right to go
to court).

:func:`plan_erasure` decides, per record type, whether the person's records are deleted,
pseudonymised, or kept and restricted — with the reason, the law and until when — from the
clinic's retention policies (``praksis.privacy.retention``) and active legal holds.
Nothing changes. :func:`erase_person` applies that plan in one transaction, logs the
evidence (record type and count, never content), and — for a request — writes the
reasoned answer in the clinic's language and sends the requester the link to it.

Decisions worth knowing:

* A record is kept only under a legal *minimum* (Art. 17(3)(b)): a clinic's own, longer
  retention period does not block an erasure, so the kept-until date is computed from
  the law's minimum period, not the clinic's setting.
* Bookings are deleted even when the journal is kept: a journal entry and an invoice
  carry their own dates, so the calendar entry is needed by no record that stays.
* Consents are withdrawn and deleted. REQ-08 keeps proof of a withdrawn consent for a
  claims buffer in the ordinary case; an erasure request ends all reliance on them, and
  with the person's identity gone the proof could not serve a claim. A claim that is
  actually pending is a legal hold, which keeps the consent. A consent that a kept
  disclosure relied on stays with that disclosure.
* Photos published with consent must be taken down first (Art. 17(2)): an active photo
  consent or an open take-down task blocks the erasure until the take-down is done.
* The person row: when nothing kept needs it, names, contact details, identity number and
  birth date are removed. The row itself is deleted, unless the person's privacy requests
  (the evidence of our answers, Art. 5(2)) or a breach-register entry point at it; then
  it stays as an anonymous placeholder named by the same pseudonym as the invoices.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.checkpoints import checkpoint_after_commit
from praksis.audit.models import Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, Regime
from praksis.core import evidence, personal_data
from praksis.core.errors import Conflict
from praksis.core.personal_data import (
    ACTION_LABELS,  # noqa: F401  (re-exported)
    DELETE,
    ERASURE_ACTIONS,
    KEEP,
    PSEUDONYMISE,
    Decision,
)
from praksis.people.identity import pseudonym
from praksis.people.models import Animal, AnimalOwner, DataKey, Person
from praksis.people.validation import name_key
from praksis.people.vault import destroy_key
from praksis.privacy import retention
from praksis.privacy.models import (
    DataSubjectRequest,
    LegalHold,
    RequestKind,
    RequestStatus,
)
from praksis.privacy.rights import rights_paragraph

logger = logging.getLogger(__name__)

ACTIONS = ERASURE_ACTIONS


ERASURE_LAW = "GDPR art. 17.1"
PURPOSE = "erasure"

FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "identity_number": gettext_lazy("identity number"),
    "birth_date": gettext_lazy("birth date"),
    "address": gettext_lazy("address"),
    "contact": gettext_lazy("e-mail and phone"),
}
# The Person columns behind each kept field.
FIELD_COLUMNS = {
    "name": ("first_name", "last_name"),
    "identity_number": ("identity_hash", "identity_ciphertext", "identity_kind"),
    "birth_date": ("birth_date",),
    "address": ("address",),
    "contact": ("email", "phone"),
}
ALL_FIELDS = tuple(FIELD_COLUMNS)


# --- The plan -----------------------------------------------------------------------------


@dataclass
class ErasurePlan:
    """The decisions for one person. ``applied`` once :func:`erase_person` carried it out."""

    clinic: Clinic
    person_id: int
    today: date
    decisions: list[Decision]
    blockers: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # to tell of the erasure (Art. 19)
    keep_fields: tuple[str, ...] = ()
    keep_row: bool = True  # False: the person row itself is deleted
    answer: str = ""
    applied: bool = False
    request_id: int | None = None
    # What to act on (ids, by app), and what the contracts told each other, by the planner.
    targets: dict = field(default_factory=dict, repr=False)
    facts: dict = field(default_factory=dict, repr=False)
    shred_person_key: bool = False

    @property
    def regime(self) -> str:
        return self.clinic.regime

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)

    def of(self, key: str, action: str | None = None) -> list[Decision]:
        return [d for d in self.decisions if d.key == key and action in (None, d.action)]

    def action_for(self, key: str) -> str | None:
        found = self.of(key)
        return found[0].action if found else None

    @property
    def deleted(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == DELETE]

    @property
    def pseudonymised(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == PSEUDONYMISE]

    @property
    def kept(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == KEEP]

    @property
    def nothing_kept(self) -> bool:
        """Nothing about the person is kept beyond the log and the evidence of the answer."""
        evidence = ("access_log", "requests", "breach_register")
        return not [d for d in self.kept if d.key not in evidence]

    def as_dict(self) -> dict:
        return {
            "person": self.person_id,
            "privacy_request": self.request_id,
            "regime": self.regime,
            "as_of": self.today.isoformat(),
            "blocked": self.blocked,
            "blockers": [blocker_text(code) for code in self.blockers],
            "decisions": [d.as_dict() for d in self.decisions],
            "recipients": list(self.recipients),
            "applied": self.applied,
            "answer": self.answer,
        }


def _today(clinic: Clinic, now: datetime) -> date:
    return timezone.localtime(now, clinic.zone).date()


def _local_date(clinic: Clinic, moment: datetime | None) -> date | None:
    return timezone.localtime(moment, clinic.zone).date() if moment else None


def _legal_duty(policy) -> bool:
    """Whether the law (not only the clinic's choice) obliges the clinic to keep it."""
    return policy.min_months is not None or policy.action in ("keep", "archive_eligible")


def _legal_until(clinic: Clinic, record_type: str, trigger: date, policy) -> date | None:
    """The last day the law's *minimum* period keeps a record (None: no set end)."""
    months = policy.min_months
    if months is None:
        return retention.kept_until(clinic, record_type, trigger)
    if record_type == "accounting":
        return retention.accounting_kept_until(clinic, trigger, months=months)
    return retention.add_months(trigger, months)


def _journal_decision(
    clinic: Clinic, key: str, count: int, last: date, today: date, hold, policy, *, subject=""
) -> Decision:
    """A journal document (REQ-01/02/04/05, computed per document from its last entry)."""
    if hold is not None:
        return Decision(key, KEEP, count, "hold", law=policy.law, hold=hold.reason, subject=subject)
    if not _legal_duty(policy):
        return Decision(key, DELETE, count, "no_duty", law=ERASURE_LAW, subject=subject)
    until = _legal_until(clinic, "journal", last, policy)
    if until is None:
        why = "journal_no_end" if key != "animal_journal" else "animal_journal"
        return Decision(key, KEEP, count, why, law=policy.law, subject=subject)
    if until < today:
        return Decision(key, DELETE, count, "period_over", law=policy.law, until=until)
    why = "animal_journal" if key == "animal_journal" else "journal_duty"
    return Decision(key, KEEP, count, why, law=policy.law, until=until, subject=subject)


def _animal_lifespan_until(clinic: Clinic, animal: Animal, first: date) -> date | None:
    """NO-vet: kept while the animal must be assumed to be alive (seed 002, REQ-04)."""
    if clinic.regime != Regime.NO_VET or animal.deceased_on is not None:
        return None
    years = getattr(retention, "LIFESPAN_YEARS", {}).get(animal.species)
    if not years:
        return None
    born = animal.birth_date or first
    return retention.add_months(born, 12 * years)


def _person_hold(holds: list):
    """The first active hold on the whole person (or their client record)."""
    return next((h for h in holds if h.person_id is not None or h.record_type == "client"), None)


@dataclass
class PlanContext:
    """What the contracts see while planning one person's erasure (nothing changes).

    Each registered contract (``praksis.core.personal_data``), in stage order, adds its
    decisions with :meth:`decide`; later contracts read what earlier ones decided
    (:meth:`kept`, :attr:`facts`)."""

    clinic: Clinic
    person: Person
    now: datetime
    today: date
    holds: list
    decisions: list[Decision] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    targets: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    keep_fields: set = field(default_factory=set)
    kept_laws: list = field(default_factory=list)
    kept_untils: list = field(default_factory=list)
    keep_row: bool = False
    shred_person_key: bool = True
    sole_animals: list = field(default_factory=list)  # animals only this person owns
    shared_ownerships: list = field(default_factory=list)  # links to co-owned animals
    kept_animals: set = field(default_factory=set)

    @property
    def person_hold(self):
        return _person_hold(self.holds)

    def record_holds(self, record_type: str) -> list:
        return [h for h in self.holds if h.person_id is None and h.record_type == record_type]

    def policy(self, record_type: str):
        return retention.policy_for(self.clinic, record_type)

    def decide(self, decision: Decision, fields: tuple[str, ...] = ()) -> Decision:
        """Record a decision; a kept one keeps ``fields`` of the person row with it."""
        self.decisions.append(decision)
        if decision.action == KEEP:
            self.keep_fields.update(fields)
            self.kept_laws.append(decision.law)
            self.kept_untils.append(decision.until)
        return decision

    def delete_unless_held(self, app: str, key: str, ids: list[int]) -> None:
        """The fate of records no law keeps: deleted (``targets[app][key]``, worded by the
        reason code ``key``), or kept while the person is under a legal hold."""
        if not ids:
            return
        if self.person_hold is not None:
            self.decide(Decision(key, KEEP, len(ids), "hold", hold=self.person_hold.reason))
        else:
            self.decide(Decision(key, DELETE, len(ids), key, law=ERASURE_LAW))
            self.targets.setdefault(app, {})[key] = ids

    def block(self, code: str) -> None:
        self.blockers.append(code)

    def kept(self, *keys: str) -> list[Decision]:
        return [d for d in self.decisions if d.key in keys and d.restricted]

    def local_date(self, moment: datetime | None) -> date | None:
        return _local_date(self.clinic, moment)

    def add_months(self, day, months: int):
        return retention.add_months(day, months)

    def legal_until(self, record_type: str, trigger: date, policy) -> date | None:
        return _legal_until(self.clinic, record_type, trigger, policy)

    def journal_decision(self, key, count, last, hold, policy, *, subject="") -> Decision:
        return _journal_decision(
            self.clinic, key, count, last, self.today, hold, policy, subject=subject
        )

    def animal_lifespan_until(self, animal: Animal, first: date) -> date | None:
        return _animal_lifespan_until(self.clinic, animal, first)

    def keep_animal(self, animal_id: int) -> None:
        self.kept_animals.add(animal_id)

    @property
    def deleted_animal_ids(self) -> list[int]:
        """The person's sole animals that nothing planned so far keeps."""
        return [a.pk for a in self.sole_animals if a.pk not in self.kept_animals]

    @property
    def sole_animal_ids(self) -> list[int]:
        return [a.pk for a in self.sole_animals]

    def relate(self, related_type: str, ids) -> None:
        """Records of the person's (by type) that other records (messages) point at."""
        self.facts.setdefault("related", {}).setdefault(related_type, []).extend(ids)

    def latest(self, dates) -> date | None:
        return _latest(dates)


def _ownerships(ctx: PlanContext) -> None:
    for ownership in AnimalOwner.objects.filter(
        clinic=ctx.clinic, person=ctx.person
    ).select_related("animal"):
        if (
            AnimalOwner.objects.filter(animal_id=ownership.animal_id)
            .exclude(person=ctx.person)
            .exists()
        ):
            ctx.shared_ownerships.append(ownership.pk)
        else:
            ctx.sole_animals.append(ownership.animal)


def plan_erasure(clinic: Clinic, person: Person, *, now: datetime | None = None) -> ErasurePlan:
    """Decide what erasing ``person`` does, per record type. Pure: nothing changes.

    REQ-27: journals and accounting records are kept where the law requires it, and the
    plan says why, on which law and until when; REQ-28: what is kept is restricted. Every
    registered contract plans its own records, in stage order.
    """
    if person.clinic_id != clinic.pk:
        raise Http404
    now = now or timezone.now()
    ctx = PlanContext(
        clinic=clinic,
        person=person,
        now=now,
        today=_today(clinic, now),
        holds=retention.holds_for(clinic, person.pk),
    )
    _ownerships(ctx)
    for contract in personal_data.contracts():
        contract.plan(ctx)
    return ErasurePlan(
        clinic=clinic,
        person_id=person.pk,
        today=ctx.today,
        decisions=ctx.decisions,
        blockers=ctx.blockers,
        recipients=ctx.recipients,
        keep_fields=tuple(f for f in ALL_FIELDS if f in ctx.keep_fields),
        keep_row=bool(ctx.keep_fields) or ctx.keep_row,
        targets=ctx.targets,
        facts=ctx.facts,
        shred_person_key=ctx.shred_person_key,
    )


def _latest(dates) -> date | None:
    found = [d for d in dates if d is not None]
    return max(found) if found else None


# --- Wording -----------------------------------------------------------------------------


def _fields_text(fields: tuple[str, ...]) -> str:
    return ", ".join(str(FIELD_LABELS[f]) for f in fields)


def _hold_reason(d: Decision) -> str:
    return _("A legal hold keeps it: %(hold)s (GDPR art. 17(3)(e)).") % {"hold": d.hold}


def _minimised_reason(d: Decision) -> str:
    return _(
        "Only what the kept records need is kept (%(fields)s), and only stored "
        "(GDPR art. 18); your other details are deleted."
    ) % {"fields": _fields_text(d.fields)}


# The reasons the engine itself gives (a contract words its own codes, e.g. "recalls").
ENGINE_REASONS = {
    "hold": _hold_reason,
    "minimised": _minimised_reason,
    "journal_duty": gettext_lazy(
        "Health records must be kept by law (GDPR art. 17(3)(b) and (c)); until then we "
        "only store them."
    ),
    "journal_no_end": gettext_lazy(
        "The law sets no end date: the journal is kept as long as it may be needed for "
        "your care and is deleted only on an approved request (GDPR art. 17(3)(b) and (c))."
    ),
    "animal_journal": gettext_lazy(
        "The animal's journal must be kept by law, with its owner's name and address "
        "(GDPR art. 17(3)(b))."
    ),
    "no_duty": gettext_lazy("No law requires us to keep it."),
    "period_over": gettext_lazy("The period the law required it to be kept has ended."),
    "erased": gettext_lazy(
        "Your name, contact details, identity number and birth date are deleted."
    ),
}


BLOCKERS = {
    "takedown_open": gettext_lazy(
        "Photos of the person are still to be taken down (GDPR art. 17(2)). Mark the "
        "take-down done first; then erase."
    ),
    "photo_consent": gettext_lazy(
        "The person's photo consent is active. Withdraw it on the person's page and take the "
        "photos down (GDPR art. 17(2)); then erase."
    ),
}


def blocker_text(code: str) -> str:
    return str(BLOCKERS.get(code, code))


def _when(d: Decision) -> str:
    if d.until is not None:
        return _("kept until %(until)s because %(law)s") % {
            "until": d.until.isoformat(),
            "law": d.law,
        }
    if d.hold:
        return _("kept while the legal hold lasts")
    if d.law:
        return _("kept with no set end date because %(law)s") % {"law": d.law}
    return _("kept")


def _item(d: Decision) -> str:
    if d.key in ("person", "client_card") or not d.count:
        return d.label
    return f"{d.label} ({d.count})"


def compose_answer(plan: ErasurePlan, request: DataSubjectRequest | None = None) -> str:
    """The reasoned answer the requester reads (REQ-24, REQ-27, REQ-45, REQ-46), in the
    clinic's language."""
    clinic = plan.clinic
    with translation.override(clinic.language):
        lines: list[str] = []
        if request is not None:
            received = _local_date(clinic, request.received_at)
            lines.append(_("Answer to your request for erasure of %(date)s.") % {"date": received})
        if plan.nothing_kept:
            lines.append(_("We have erased your personal data."))
        else:
            lines.append(
                _(
                    "We have erased your personal data, except what the law requires us to "
                    "keep. What we keep is restricted: we only store it and use it for nothing "
                    "else (GDPR art. 18) until it may be deleted."
                )
            )
        deleted = [d for d in plan.deleted if d.count]
        if deleted:
            lines += ["", _("Deleted:")]
            lines += [f"- {_item(d)}" for d in deleted]
        if plan.pseudonymised:
            lines += ["", _("Pseudonymised:")]
            lines += [f"- {_item(d)}: {_when(d)}. {d.reason()}" for d in plan.pseudonymised]
        if plan.kept:
            lines += ["", _("Kept and restricted:")]
            lines += [f"- {_item(d)}: {_when(d)}. {d.reason()}" for d in plan.kept]
        if plan.recipients:
            lines += [
                "",
                _(
                    "We tell those who received your data from us about the erasure "
                    "(GDPR art. 19): %(names)s."
                )
                % {"names": ", ".join(plan.recipients)},
            ]
        journal = [d for d in plan.kept if d.key in ("journal", "client_card")]
        if journal and clinic.regime == Regime.SE_HUMAN:
            lines += [
                "",
                _(
                    "Only the Health and Social Care Inspectorate (IVO) may decide that a "
                    "journal is destroyed earlier (patientdatalagen 8 kap. 4 §); you may apply "
                    "to IVO, www.ivo.se."
                ),
            ]
        if journal and clinic.regime == Regime.NO_HUMAN:
            lines += [
                "",
                _(
                    "You may ask the responsible health professional to delete journal "
                    "information that is wrong, misleading or clearly unnecessary "
                    "(helsepersonelloven § 43). A refusal can be appealed to Statsforvalteren."
                ),
            ]
        # REQ-24, REQ-45: the supervisory authority and the court, as in every answer.
        lines += ["", rights_paragraph(clinic, kind=RequestKind.ERASURE), "", clinic.name]
        return "\n".join(lines).strip()


# --- Applying it -------------------------------------------------------------------------


def _lock_request(actor: Actor, request, person_id: int) -> DataSubjectRequest:
    request_id = request.pk if isinstance(request, DataSubjectRequest) else request
    found = (
        DataSubjectRequest.objects.select_for_update()
        .filter(clinic=actor.clinic, pk=request_id)
        .first()
    )
    if found is None or found.person_id != person_id:
        raise Http404
    _check_request(found)
    return found


def _check_request(request: DataSubjectRequest) -> None:
    if request.kind != RequestKind.ERASURE:
        raise Conflict(_("This is not an erasure request."), code="not_erasure")
    if request.verified_at is None:
        raise Conflict(
            _("The requester has not confirmed the request yet; nothing may be erased before."),
            code="unverified",
        )
    if request.completed_at is not None:
        raise Conflict(_("This request has already been answered."), code="answered")


def _apply(plan: ErasurePlan, person: Person, now: datetime) -> None:
    """Every contract carries out its part of the plan, rows pointing at others first."""
    plan.facts["now"] = now  # the moment the erasure is dated by (consents withdrawn at it)
    for contract in sorted(personal_data.contracts(), key=lambda c: (c.apply_stage, c.label)):
        contract.apply(plan)
    plan.targets["shredded"] = plan.shred_person_key and destroy_key(person)


def _minimise_requests(plan: ErasurePlan, person: Person, keep_link_of: int | None) -> None:
    """Keep the requests only as evidence of the answers, without what the person wrote and
    without live links to their data."""
    others = DataSubjectRequest.objects.filter(clinic=plan.clinic, person=person)
    others.update(details="", verify_token_hash="")
    others.exclude(pk=keep_link_of).update(download_token_hash="", download_expires_at=None)


def _minimise_person(plan: ErasurePlan, person: Person, now: datetime) -> None:
    keep_columns = {c for f in plan.keep_fields for c in FIELD_COLUMNS[f]}
    if not plan.keep_row:
        Person.objects.filter(pk=person.pk).delete()
        return
    changes: dict = {"restricted_at": person.restricted_at or now, "updated_at": now}
    if "first_name" not in keep_columns:
        changes.update(first_name="", last_name=pseudonym(person))
        changes.update(first_name_key="", last_name_key=name_key(changes["last_name"]))
    if "identity_kind" not in keep_columns:
        changes.update(identity_hash=None, identity_ciphertext=None, identity_kind="")
    if "birth_date" not in keep_columns:
        changes["birth_date"] = None
    for column in ("email", "phone", "address"):
        if column not in keep_columns:
            changes[column] = ""
    Person.objects.filter(pk=person.pk).update(**changes)


def _evidence(actor: Actor, plan: ErasurePlan, request_id: int | None) -> None:
    """One access-log row per record type and action: what and how many, never content."""
    suffix = f"; request={request_id}" if request_id else ""
    accesses = []
    for d in plan.decisions:
        if d.key in ("access_log", "requests") or (d.action == KEEP and d.key != "person"):
            continue
        action = Action.DELETE if d.action == DELETE else Action.UPDATE
        detail = f"{d.action}: {d.count}"
        if d.key == "person" and d.action == KEEP:
            detail = "restricted; kept: " + ",".join(d.fields)
        accesses.append(
            Access(action, d.key, "", person_id=plan.person_id, purpose=PURPOSE,
                   detail=detail + suffix)
        )  # fmt: skip
    kept = [d.key for d in plan.kept if d.key != "person"]
    if kept:
        accesses.append(
            Access(
                Action.UPDATE, "person", plan.person_id, person_id=plan.person_id,
                purpose=PURPOSE, detail="kept and restricted: " + ",".join(kept) + suffix,
            )
        )  # fmt: skip
    if plan.targets.get("shredded"):
        accesses.append(
            Access(Action.DELETE, "data_key", "", person_id=plan.person_id, purpose=PURPOSE,
                   detail="crypto-shredded" + suffix)
        )  # fmt: skip
    log_accesses(actor, accesses)


def erase_person(
    *,
    actor: Actor,
    person_id: int,
    request: DataSubjectRequest | int | None = None,
    now: datetime | None = None,
) -> ErasurePlan:
    """Erase a person of the actor's clinic as :func:`plan_erasure` decides (owner only).

    One transaction: deletes, pseudonymises (REQ-06/07), withdraws and restricts
    (REQ-28), crypto-shreds the person's data key when no encrypted data of theirs is
    kept, and logs the evidence (purpose "erasure"). With a ``request``, writes the
    reasoned answer into it (REQ-24, REQ-27), completes it, and e-mails the requester
    the one-time link to the answer while the address is still known.
    """
    require(actor, "privacy.manage")
    clinic = actor.clinic
    now = now or timezone.now()
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(clinic=clinic, pk=person_id).first()
        if person is None:
            raise Http404
        dsr = _lock_request(actor, request, person.pk) if request is not None else None
        plan = plan_erasure(clinic, person, now=now)
        plan.request_id = dsr.pk if dsr else None
        if plan.blocked:
            raise Conflict(blocker_text(plan.blockers[0]), code="blocked")
        animals = list(
            AnimalOwner.objects.filter(clinic=clinic, person=person).values_list(
                "animal_id", flat=True
            )
        )
        keys = list(
            DataKey.objects.filter(
                Q(person=person) | Q(animal_id__in=animals), destroyed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        _apply(plan, person, now)
        _evidence(actor, plan, plan.request_id)
        _ledger_after_commit(plan, person, animals, keys, now)
        if dsr is not None:
            plan.answer = compose_answer(plan, dsr)
            _answer(actor, dsr, plan, person, now)
        _minimise_requests(plan, person, keep_link_of=plan.request_id)
        _minimise_person(plan, person, now)
        plan.applied = True
    return plan


_REPLAYING: ContextVar[bool] = ContextVar("erasure_replaying", default=False)


@contextmanager
def replaying():
    """Erasures replayed from the ledger after a restore (not written to it again)."""
    token = _REPLAYING.set(True)
    try:
        yield
    finally:
        _REPLAYING.reset(token)


def _ledger_after_commit(
    plan: ErasurePlan, person: Person, animals: list[int], keys: list[int], now
) -> None:
    """Once committed: the erasure in the evidence store's ledger (ids and the data keys
    destroyed, never content), so that a restored backup replays it (issue 16), then a
    checkpoint of the access log with the erasure's evidence rows in it."""
    # Destroyed keys: those gone or shredded; erased animals: those whose row went.
    alive = set(
        DataKey.objects.filter(pk__in=keys, destroyed_at__isnull=True).values_list("pk", flat=True)
    )
    remaining = set(Animal.objects.filter(pk__in=animals).values_list("pk", flat=True))
    entry = {
        "clinic_id": plan.clinic.pk,
        "clinic": plan.clinic.slug,
        "person_id": person.pk,
        "person_row_deleted": not plan.keep_row,
        "animal_ids": sorted(set(animals) - remaining),
        "keys_destroyed": sorted(set(keys) - alive),
        "erased_at": now.isoformat(),
    }

    def write():
        if not evidence.configured() or _REPLAYING.get():
            return  # a replay after a restore: the ledger has this erasure already
        try:
            evidence.append("erasure", entry)
        except (evidence.EvidenceError, OSError):
            logger.exception("erasure of person %s not written to the ledger", person.pk)

    transaction.on_commit(write)
    checkpoint_after_commit("erasure")


def _answer(
    actor: Actor, dsr: DataSubjectRequest, plan: ErasurePlan, person: Person, now: datetime
) -> None:
    """Write the answer and complete the request; send the link while the address is known."""
    if person.email:
        from praksis.privacy.requests import request_answer

        request_answer(actor=actor, request_id=dsr.pk, delivery="link", answer=plan.answer)
        return
    # No e-mail address on record: the answer is handed over at the desk.
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(
        answer=plan.answer, status=RequestStatus.COMPLETED, completed_at=now
    )
    log_access(
        actor,
        Access(
            Action.UPDATE, "privacy_request", dsr.pk, person_id=dsr.person_id,
            detail="answered; erasure",
        ),
    )  # fmt: skip


# --- Single records, by a professional's decision (REQ-16) -------------------------------


def _holds_covering(clinic: Clinic, contract, record_type: str, subject: tuple) -> list:
    """The active legal holds that keep this subject's records of ``record_type``: a hold
    on the person (or their client record), or on any record of the same document — as
    :meth:`Contract.plan` reads them for a whole erasure."""
    person_id = subject[0]
    found = []
    for hold in LegalHold.objects.filter(clinic=clinic, released_at__isnull=True):
        if hold.person_id is not None:
            if person_id is not None and hold.person_id == person_id:
                found.append(hold)
        elif hold.record_type == "client":
            if person_id is not None and hold.record_id == person_id:
                found.append(hold)
        elif hold.record_type == record_type:
            if contract.hold_subject(clinic, record_type, hold.record_id) == subject:
                found.append(hold)
    return found


def erase_records(*, actor: Actor, record_type: str, ids: list[int], reference: str) -> list[dict]:
    """Delete single records of one subject where a professional's decision allows it —
    entries of a Norwegian patient journal under helsepersonelloven § 43 (REQ-16, the
    only lawful deletion of such a journal, REQ-02) — through the contract that holds
    them: the narrow form of this module's one erasure path.

    The record type's retention policy must name the law that allows it
    (``Policy.deletion_by_decision``), no legal hold may keep the subject or the document
    (Art. 17(3)(e)), and the actor must have the capability the contract names. The
    evidence (one access-log row per record: its id and ``reference``, the decision, never
    its content) is written in the same transaction, which is the caller's when it has
    one. Returns the contract's traces (id, dates, author — no text).
    """
    contract = next((c for c in personal_data.contracts() if record_type in c.erasable), None)
    if contract is None:
        raise ValueError(f"no contract lets single {record_type} records be deleted")
    require(actor, contract.erasable[record_type])
    clinic = actor.clinic
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        raise Conflict(_("Choose what to delete."), code="nothing")
    policy = retention.policy_for(clinic, record_type)
    if not policy.deletion_by_decision:
        raise Conflict(
            _(
                "The law that applies to this clinic does not let single records of this "
                "kind be deleted."
            ),
            code="no_route",
        )
    subjects = {contract.hold_subject(clinic, record_type, pk) for pk in ids}
    if None in subjects or len(subjects) != 1:
        raise Http404
    subject = subjects.pop()
    with transaction.atomic():
        holds = _holds_covering(clinic, contract, record_type, subject)
        if holds:
            raise Conflict(
                _("A legal hold keeps this record: %(hold)s. Nothing was deleted.")
                % {"hold": holds[0].reason},
                code="held",
            )
        traces = contract.erase_records(clinic, record_type, ids)
        log_accesses(
            actor,
            [
                Access(
                    Action.DELETE, t.get("object_type", record_type), t["id"],
                    person_id=subject[0] if subject[0] is not None else t.get("person_id"),
                    purpose=PURPOSE,
                    detail=f"deleted by decision ({policy.deletion_by_decision}); {reference}",
                )
                for t in traces
            ],
        )  # fmt: skip
    return traces


# --- For the request screens and the API -----------------------------------------------


def _erasure_request(actor: Actor, request_id: int) -> DataSubjectRequest:
    request = (
        DataSubjectRequest.objects.select_related("person")
        .filter(clinic=actor.clinic, pk=request_id)
        .first()
    )
    if request is None:
        raise Http404
    if request.kind != RequestKind.ERASURE:
        raise Conflict(_("This is not an erasure request."), code="not_erasure")
    return request


def erasure_plan_for_request(
    *, actor: Actor, request_id: int
) -> tuple[DataSubjectRequest, ErasurePlan]:
    """The (dry) plan for an erasure request (owner only); the read is logged."""
    require(actor, "privacy.manage")
    with transaction.atomic():
        request = _erasure_request(actor, request_id)
        plan = plan_erasure(actor.clinic, request.person)
        plan.request_id = request.pk
        plan.answer = request.answer
        plan.applied = request.completed_at is not None
        log_access(
            actor,
            Access(
                Action.READ, "person", request.person_id, person_id=request.person_id,
                purpose="erasure plan", detail=f"request={request.pk}",
            ),
        )  # fmt: skip
    return request, plan


def erasure_request_execute(*, actor: Actor, request_id: int) -> ErasurePlan:
    """Carry out an erasure request (owner only): :func:`erase_person` with its request."""
    require(actor, "privacy.manage")
    request = _erasure_request(actor, request_id)
    return erase_person(actor=actor, person_id=request.person_id, request=request.pk)
