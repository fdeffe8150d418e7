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

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max, Min, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.models import AccessLogEntry, Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic
from praksis.core.db import purge_allowed
from praksis.core.errors import Conflict
from praksis.people.models import Animal, AnimalOwner, Person
from praksis.people.validation import name_key
from praksis.people.vault import destroy_key
from praksis.privacy import retention
from praksis.privacy.models import (
    Consent,
    DataSubjectRequest,
    Purpose,
    RequestKind,
    RequestStatus,
    TakedownTask,
)

DELETE = "delete"
PSEUDONYMISE = "pseudonymise"
KEEP = "keep"  # kept and restricted (Art. 18): only stored
ACTIONS = (DELETE, PSEUDONYMISE, KEEP)

ACTION_LABELS = {
    DELETE: gettext_lazy("Delete"),
    PSEUDONYMISE: gettext_lazy("Pseudonymise"),
    KEEP: gettext_lazy("Keep and restrict"),
}

ERASURE_LAW = "GDPR art. 17.1"
PURPOSE = "erasure"

LABELS = {
    "journal": gettext_lazy("Journal entries, amendments and attachments"),
    "client_card": gettext_lazy("Client card (allergies and injuries)"),
    "animal_journal": gettext_lazy("Your animal's journal"),
    "animals": gettext_lazy("Your animals and their records"),
    "ownership": gettext_lazy("Your link to animals that have other owners"),
    "person": gettext_lazy("Your name, contact details and identity number"),
    "appointments": gettext_lazy("Bookings"),
    "booking_requests": gettext_lazy("Booking requests"),
    "portal_leads": gettext_lazy("Notes from a benefits portal"),
    "accounting": gettext_lazy("Orders, invoices and payments"),
    "consents": gettext_lazy("Consents (marketing, reminders, photos, privacy notice)"),
    "messages": gettext_lazy("E-mails and text messages to you"),
    "recalls": gettext_lazy("Recall reminders"),
    "disclosures": gettext_lazy("Record of disclosures of your data to others"),
    "breach_register": gettext_lazy("Breach register entries about you"),
    "access_log": gettext_lazy("Log of who accessed your data"),
    "requests": gettext_lazy("Your privacy requests and our answers"),
}

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

AUTHORITIES = {
    "SE": "Integritetsskyddsmyndigheten (IMY), www.imy.se",
    "NO": "Datatilsynet, www.datatilsynet.no",
}


# --- The plan -----------------------------------------------------------------------------


@dataclass
class Decision:
    """What happens to one record type of the person, why, on which law, until when."""

    key: str
    action: str
    count: int
    why: str  # a reason code, worded by :meth:`reason` in the active language
    law: str = ""
    until: date | None = None
    hold: str = ""  # the legal hold's reason, when a hold keeps it
    subject: str = ""  # e.g. the animal's name for an animal's journal
    fields: tuple[str, ...] = ()  # for the person row: what is kept

    @property
    def label(self) -> str:
        label = str(LABELS[self.key])
        return f"{label}: {self.subject}" if self.subject else label

    @property
    def restricted(self) -> bool:
        return self.action == KEEP

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS[self.action])

    def reason(self) -> str:
        return _reason(self)

    def as_dict(self) -> dict:
        return {
            "record_type": self.key,
            "label": self.label,
            "action": self.action,
            "count": self.count,
            "reason": self.reason(),
            "law": self.law,
            "kept_until": self.until.isoformat() if self.until else None,
            "hold": self.hold,
            "restricted": self.restricted,
        }


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
    # What to act on (ids), filled by the planner.
    targets: dict = field(default_factory=dict, repr=False)

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
    if clinic.regime != "NO-vet" or animal.deceased_on is not None:
        return None
    years = getattr(retention, "LIFESPAN_YEARS", {}).get(animal.species)
    if not years:
        return None
    born = animal.birth_date or first
    return retention.add_months(born, 12 * years)


def _holds(clinic: Clinic, person: Person) -> dict:
    """Active legal holds on the person, sorted by what they cover."""
    from praksis.journal.models import JournalEntry

    found = {"person": None, "journal_person": None, "animals": {}, "accounting": None}
    found["consents"] = {}
    for hold in retention.holds_for(clinic, person.pk):
        if hold.person_id is not None or hold.record_type == "client":
            found["person"] = found["person"] or hold
        elif hold.record_type == "journal":
            entry = (
                JournalEntry.objects.filter(clinic=clinic, pk=hold.record_id)
                .values("person_id", "animal_id")
                .first()
            )
            if entry and entry["person_id"] == person.pk:
                found["journal_person"] = found["journal_person"] or hold
            elif entry and entry["animal_id"]:
                found["animals"].setdefault(entry["animal_id"], hold)
        elif hold.record_type == "accounting":
            found["accounting"] = found["accounting"] or hold
        elif hold.record_type == "marketing_consent":
            found["consents"].setdefault(hold.record_id, hold)
    return found


def plan_erasure(clinic: Clinic, person: Person, *, now: datetime | None = None) -> ErasurePlan:
    """Decide what erasing ``person`` does, per record type. Pure: nothing changes.

    REQ-27: journals and accounting records are kept where the law requires it, and the
    plan says why, on which law and until when; REQ-28: what is kept is restricted.
    """
    from praksis.booking.models import Appointment, BookingRequest
    from praksis.breaches.models import AffectedPerson
    from praksis.disclosures.models import Disclosure
    from praksis.journal.models import ClientCard, JournalEntry
    from praksis.messaging.models import OutboxMessage
    from praksis.recall.models import Recall
    from praksis.sales.models import Invoice, Order, PortalLead

    if person.clinic_id != clinic.pk:
        raise Http404
    now = now or timezone.now()
    today = _today(clinic, now)
    holds = _holds(clinic, person)
    person_hold = holds["person"]
    decisions: list[Decision] = []
    targets: dict = {}
    keep_fields: set[str] = set()
    kept_laws: list[str] = []
    kept_untils: list[date | None] = []
    blockers: list[str] = []
    journal_policy = retention.policy_for(clinic, "journal")

    # Photos must come down before the record of the consent goes (Art. 17(2)).
    if TakedownTask.objects.filter(clinic=clinic, person=person, done_at__isnull=True).exists():
        blockers.append("takedown_open")
    elif Consent.objects.filter(
        clinic=clinic, person=person, purpose=Purpose.PHOTOS, withdrawn_at__isnull=True
    ).exists():
        blockers.append("photo_consent")

    def keep(decision: Decision, fields: tuple[str, ...]) -> Decision:
        decisions.append(decision)
        if decision.action == KEEP:
            keep_fields.update(fields)
            kept_laws.append(decision.law)
            kept_untils.append(decision.until)
        return decision

    # The person's own journal document and the client card (REQ-01/02, REQ-33).
    entries = JournalEntry.objects.filter(clinic=clinic, person=person)
    entry_ids = list(entries.order_by("pk").values_list("pk", flat=True))
    card = ClientCard.objects.filter(clinic=clinic, person=person).first()
    own_journal = None
    if entry_ids or card is not None:
        last = entries.aggregate(last=Max("created_at"))["last"]
        if card is not None:
            last = max(filter(None, [last, card.updated_at]))
        own_journal = _journal_decision(
            clinic,
            "journal",
            len(entry_ids),
            _local_date(clinic, last),
            today,
            person_hold or holds["journal_person"],
            journal_policy,
        )
        human = ("name", "identity_number", "birth_date")
        if entry_ids:
            keep(own_journal, human)
        if card is not None:
            keep(
                Decision(
                    "client_card",
                    own_journal.action,
                    1,
                    own_journal.why,
                    law=own_journal.law,
                    until=own_journal.until,
                    hold=own_journal.hold,
                ),
                human,
            )
        if own_journal.action == DELETE:
            targets["entries"] = entry_ids
            targets["card"] = card.pk if card is not None else None

    # Animals (vet): the journal is per animal; the owner's erasure concerns the owner.
    kept_animal_ids, deleted_animal_ids, unlinked = [], [], []
    deleted_animal_entries: list[int] = []
    for ownership in AnimalOwner.objects.filter(clinic=clinic, person=person).select_related(
        "animal"
    ):
        animal = ownership.animal
        if AnimalOwner.objects.filter(animal=animal).exclude(person=person).exists():
            unlinked.append(ownership.pk)
            continue
        animal_entries = JournalEntry.objects.filter(clinic=clinic, animal=animal)
        ids = list(animal_entries.values_list("pk", flat=True))
        held = person_hold or holds["animals"].get(animal.pk)
        if not ids:
            if held is not None or Disclosure.objects.filter(animal=animal).exists():
                kept_animal_ids.append(animal.pk)
                keep(
                    Decision(
                        "animal_journal", KEEP, 0, "hold" if held else "animal_journal",
                        law=journal_policy.law, hold=held.reason if held else "",
                        subject=animal.name,
                    ),
                    ("name", "address"),
                )  # fmt: skip
            else:
                deleted_animal_ids.append(animal.pk)
            continue
        span = animal_entries.aggregate(first=Min("created_at"), last=Max("created_at"))
        decision = _journal_decision(
            clinic,
            "animal_journal",
            len(ids),
            _local_date(clinic, span["last"]),
            today,
            held,
            journal_policy,
            subject=animal.name,
        )
        lifespan = _animal_lifespan_until(clinic, animal, _local_date(clinic, span["first"]))
        if decision.action == KEEP and lifespan and decision.until and lifespan > decision.until:
            decision.until = lifespan
        elif decision.action == DELETE and lifespan and lifespan >= today and held is None:
            decision = Decision(
                "animal_journal", KEEP, len(ids), "animal_journal", law=journal_policy.law,
                until=lifespan, subject=animal.name,
            )  # fmt: skip
        if decision.action == KEEP:
            kept_animal_ids.append(animal.pk)
            keep(decision, ("name", "address"))
        else:
            deleted_animal_ids.append(animal.pk)
            deleted_animal_entries += ids
    # Disclosures: the record of them goes with the journal it documents.
    disclosures = Disclosure.objects.filter(clinic=clinic, person=person)
    disclosure_ids = list(disclosures.values_list("pk", flat=True))
    journal_kept = [d for d in decisions if d.key in ("journal", "animal_journal") and d.restricted]
    kept_consent_ids: set[int] = set()
    if disclosure_ids:
        if person_hold is not None or journal_kept:
            until = _latest(d.until for d in journal_kept) if journal_kept else None
            keep(
                Decision(
                    "disclosures",
                    KEEP,
                    len(disclosure_ids),
                    "hold" if not journal_kept else "with_journal",
                    law=journal_kept[0].law if journal_kept else "",
                    until=until,
                    hold=person_hold.reason if person_hold and not journal_kept else "",
                ),
                (),
            )
            kept_consent_ids |= set(
                disclosures.exclude(consent__isnull=True).values_list("consent_id", flat=True)
            )
        else:
            decisions.append(
                Decision("disclosures", DELETE, len(disclosure_ids), "disclosures", law=ERASURE_LAW)
            )
            targets["disclosures"] = disclosure_ids
            recipients = disclosures.order_by("recipient_name").values_list(
                "recipient_name", flat=True
            )
            plan_recipients = list(dict.fromkeys(recipients))
            targets["recipients"] = plan_recipients

    # An animal named in a kept disclosure keeps its row (its journal may still go).
    if "disclosures" not in targets and deleted_animal_ids:
        named = set(disclosures.filter(animal_id__in=deleted_animal_ids).values_list(
            "animal_id", flat=True
        ))  # fmt: skip
        deleted_animal_ids = [pk for pk in deleted_animal_ids if pk not in named]
    if deleted_animal_ids:
        decisions.append(
            Decision("animals", DELETE, len(deleted_animal_ids), "animals", law=ERASURE_LAW)
        )
    if unlinked:
        decisions.append(Decision("ownership", DELETE, len(unlinked), "ownership", law=ERASURE_LAW))
    targets.update(
        animals_delete=deleted_animal_ids,
        animal_entries=deleted_animal_entries,
        ownerships_delete=unlinked,
        animals_kept=kept_animal_ids,
    )

    # Accounting (REQ-06/07): kept, but no longer about the person.
    orders = Order.objects.filter(clinic=clinic, person=person)
    invoices = Invoice.objects.filter(clinic=clinic, person=person)
    n_orders, n_invoices = orders.count(), invoices.count()
    if n_orders or n_invoices:
        policy = retention.policy_for(clinic, "accounting")
        last = (
            invoices.aggregate(last=Max("issued_at"))["last"]
            or orders.aggregate(last=Max("created_at"))["last"]
        )
        until = _legal_until(clinic, "accounting", _local_date(clinic, last), policy)
        held = person_hold or holds["accounting"]
        count = n_orders + n_invoices
        if held is not None:
            keep(
                Decision(
                    "accounting", KEEP, count, "hold", law=policy.law, until=until,
                    hold=held.reason,
                ),
                ("name", "address"),
            )  # fmt: skip
        else:
            decisions.append(
                Decision(
                    "accounting", PSEUDONYMISE, count, "accounting", law=policy.law, until=until
                )
            )

    # Bookings and booking requests: deleted (see the module docstring).
    appointments = Appointment.objects.filter(clinic=clinic).filter(
        Q(person=person) | Q(animal_id__in=deleted_animal_ids)
    )
    appointment_ids = list(appointments.values_list("pk", flat=True))
    contact = Q(person=person)
    if person.email:
        contact |= Q(person__isnull=True, email__iexact=person.email)
    if person.phone:
        contact |= Q(person__isnull=True, phone=person.phone)
    booking_request_ids = list(
        BookingRequest.objects.filter(clinic=clinic).filter(contact).values_list("pk", flat=True)
    )
    # A benefits-portal lead (seed 001) names the person by contact, not by link.
    lead_contact = Q(pk__in=[])
    if person.email:
        lead_contact |= Q(contact__iexact=person.email)
    if person.phone:
        lead_contact |= Q(contact=person.phone)
    portal_lead_ids = list(
        PortalLead.objects.filter(clinic=clinic).filter(lead_contact).values_list("pk", flat=True)
    )
    for key, ids in (
        ("appointments", appointment_ids),
        ("booking_requests", booking_request_ids),
        ("portal_leads", portal_lead_ids),
    ):
        if not ids:
            continue
        if person_hold is not None:
            keep(Decision(key, KEEP, len(ids), "hold", hold=person_hold.reason), ())
        else:
            decisions.append(Decision(key, DELETE, len(ids), key, law=ERASURE_LAW))
            targets[key] = ids

    # Recalls: no more reminders (the person's own, and their sole animals').
    recalls = Recall.objects.filter(clinic=clinic).filter(
        Q(person=person) | Q(animal_id__in=kept_animal_ids + deleted_animal_ids)
    )
    recall_ids = list(recalls.values_list("pk", flat=True))
    if recall_ids:
        if person_hold is not None:
            keep(Decision("recalls", KEEP, len(recall_ids), "hold", hold=person_hold.reason), ())
        else:
            decisions.append(
                Decision("recalls", DELETE, len(recall_ids), "recalls", law=ERASURE_LAW)
            )
            targets["recalls"] = recall_ids

    # Messages about the person (their bodies hold personal data).
    addresses = [a for a in (person.email, person.phone) if a]
    about = Q(person=person) | Q(person__isnull=True, to_address__in=addresses)
    about |= Q(related_type="appointment", related_id__in=appointment_ids)
    about |= Q(related_type="booking_request", related_id__in=booking_request_ids)
    about |= Q(related_type="recall", related_id__in=recall_ids)
    message_ids = list(
        OutboxMessage.objects.filter(clinic=clinic).filter(about).values_list("pk", flat=True)
    )
    if message_ids:
        if person_hold is not None:
            keep(Decision("messages", KEEP, len(message_ids), "hold", hold=person_hold.reason), ())
        else:
            decisions.append(
                Decision("messages", DELETE, len(message_ids), "messages", law=ERASURE_LAW)
            )
            targets["messages"] = message_ids

    # Consents (REQ-08, REQ-29): withdrawn; deleted unless a hold or a kept disclosure needs
    # the proof.
    consent_rows = list(Consent.objects.filter(clinic=clinic, person=person).order_by("pk"))
    kept_consents, deleted_consents = [], []
    for consent in consent_rows:
        held = person_hold or holds["consents"].get(consent.pk)
        if held is not None or consent.pk in kept_consent_ids:
            kept_consents.append((consent, held))
        else:
            deleted_consents.append(consent.pk)
    if kept_consents:
        held = next((h for _c, h in kept_consents if h is not None), None)
        keep(
            Decision(
                "consents", KEEP, len(kept_consents), "hold" if held else "consent_proof",
                law="GDPR art. 7.1, art. 17.3 e", hold=held.reason if held else "",
                until=_latest(d.until for d in journal_kept) if not held and journal_kept else None,
            ),
            ("name", "contact") if held else (),
        )  # fmt: skip
    if deleted_consents:
        decisions.append(
            Decision("consents", DELETE, len(deleted_consents), "consents", law=ERASURE_LAW)
        )
    targets["consents_withdraw"] = [c.pk for c, _h in kept_consents if c.withdrawn_at is None]
    targets["consents_delete"] = deleted_consents

    # The breach register (Art. 33(5)) keeps the reference to the person.
    affected = AffectedPerson.objects.filter(clinic=clinic, person=person).count()
    if affected:
        decisions.append(
            Decision("breach_register", KEEP, affected, "breach_register", law="GDPR art. 33.5")
        )

    # The access log: kept (REQ-10); it holds only ids.
    log_policy = retention.policy_for(clinic, "access_log")
    log_months = log_policy.min_months or log_policy.months or 60
    decisions.append(
        Decision(
            "access_log",
            KEEP,
            AccessLogEntry.objects.filter(clinic=clinic, person_id=person.pk).count(),
            "access_log",
            law=log_policy.law,
            until=retention.add_months(today, log_months),
        )
    )

    # The privacy requests: the evidence of our answers (Art. 5(2)), without contact data.
    n_requests = DataSubjectRequest.objects.filter(clinic=clinic, person=person).count()
    if n_requests:
        decisions.append(Decision("requests", KEEP, n_requests, "evidence", law="GDPR art. 5.2"))

    # The person row.
    if person_hold is not None:
        keep_fields = set(ALL_FIELDS)
        person_decision = Decision(
            "person", KEEP, 1, "hold", hold=person_hold.reason, fields=ALL_FIELDS
        )
    elif keep_fields:
        fields = tuple(f for f in ALL_FIELDS if f in keep_fields)
        person_decision = Decision(
            "person",
            KEEP,
            1,
            "minimised",
            law=", ".join(dict.fromkeys(law for law in kept_laws if law)),
            until=None if None in kept_untils else _latest(kept_untils),
            fields=fields,
        )
    else:
        person_decision = Decision("person", DELETE, 1, "erased", law=ERASURE_LAW)
    decisions.insert(0, person_decision)
    # Crypto-shred the person's data key when none of their encrypted data stays.
    targets["shred_person_key"] = person_hold is None and (
        own_journal is None or own_journal.action == DELETE
    )

    plan = ErasurePlan(
        clinic=clinic,
        person_id=person.pk,
        today=today,
        decisions=decisions,
        blockers=blockers,
        recipients=targets.pop("recipients", []),
        keep_fields=tuple(f for f in ALL_FIELDS if f in keep_fields),
        keep_row=bool(keep_fields) or bool(n_requests) or bool(affected),
        targets=targets,
    )
    return plan


def _latest(dates) -> date | None:
    found = [d for d in dates if d is not None]
    return max(found) if found else None


# --- Wording -----------------------------------------------------------------------------


def _fields_text(fields: tuple[str, ...]) -> str:
    return ", ".join(str(FIELD_LABELS[f]) for f in fields)


def _reason(d: Decision) -> str:
    """The reason for a decision, in the active language."""
    why = d.why
    if why == "hold":
        return _("A legal hold keeps it: %(hold)s (GDPR art. 17(3)(e)).") % {"hold": d.hold}
    if why == "journal_duty":
        return _(
            "Health records must be kept by law (GDPR art. 17(3)(b) and (c)); until then we "
            "only store them."
        )
    if why == "journal_no_end":
        return _(
            "The law sets no end date: the journal is kept as long as it may be needed for "
            "your care and is deleted only on an approved request (GDPR art. 17(3)(b) and (c))."
        )
    if why == "animal_journal":
        return _(
            "The animal's journal must be kept by law, with its owner's name and address "
            "(GDPR art. 17(3)(b))."
        )
    if why == "no_duty":
        return _("No law requires us to keep it.")
    if why == "period_over":
        return _("The period the law required it to be kept has ended.")
    if why == "accounting":
        return _(
            "Accounting records must be kept by law (GDPR art. 17(3)(b)); your name and "
            "address on them are replaced by a pseudonym, amounts and numbers stay."
        )
    if why == "access_log":
        return _(
            "The log of who accessed your data must be kept (GDPR art. 17(3)(b)); it holds "
            "only reference numbers, not your name or contact details."
        )
    if why == "evidence":
        return _(
            "Kept as evidence that we answered your requests (GDPR art. 5(2)), without your "
            "contact details."
        )
    if why == "breach_register":
        return _(
            "The register of personal-data breaches must be kept (GDPR art. 33(5)); it holds "
            "only a reference number."
        )
    if why == "minimised":
        return _(
            "Only what the kept records need is kept (%(fields)s), and only stored "
            "(GDPR art. 18); your other details are deleted."
        ) % {"fields": _fields_text(d.fields)}
    if why == "erased":
        return _("Your name, contact details, identity number and birth date are deleted.")
    if why == "with_journal":
        return _("The record of disclosures is kept with the journal it documents.")
    if why == "consent_proof":
        return _("Proof of the consent that a kept disclosure relied on (withdrawn).")
    if why == "consents":
        return _("Withdrawn and deleted: an erasure ends every consent.")
    if why == "disclosures":
        return _("Deleted with the journal; the recipients are told (GDPR art. 19).")
    if why == "appointments":
        return _(
            "Not needed by any record we keep: journal entries and invoices carry their own dates."
        )
    if why == "booking_requests":
        return _("A booking request is needed only until it is answered.")
    if why == "portal_leads":
        return _("Needed only to check the portal's invoice.")
    if why == "recalls":
        return _("No more reminders are sent.")
    if why == "messages":
        return _("Sent and unsent messages hold personal data in their text.")
    if why == "animals":
        return _("Animals without a journal the law requires us to keep.")
    if why == "ownership":
        return _("The animals stay with their other owners; only your link to them is removed.")
    return ""


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
        if journal and clinic.regime == "SE-human":
            lines += [
                "",
                _(
                    "Only the Health and Social Care Inspectorate (IVO) may decide that a "
                    "journal is destroyed earlier (patientdatalagen 8 kap. 4 §); you may apply "
                    "to IVO, www.ivo.se."
                ),
            ]
        if journal and clinic.regime == "NO-human":
            lines += [
                "",
                _(
                    "You may ask the responsible health professional to delete journal "
                    "information that is wrong, misleading or clearly unnecessary "
                    "(helsepersonelloven § 43). A refusal can be appealed to Statsforvalteren."
                ),
            ]
        lines += [
            "",
            _(
                "If you disagree with our answer, you may complain to %(authority)s and go to "
                "court (GDPR art. 77 and 79)."
            )
            % {"authority": AUTHORITIES[clinic.country]},
            "",
            clinic.name,
        ]
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


def _delete_descending(model, ids) -> int:
    """Delete rows newest first, so that a row pointing at an older one goes before it."""
    done = 0
    for pk in sorted(ids, reverse=True):
        done += model.objects.filter(pk=pk).delete()[0]
    return done


def _apply(actor: Actor, plan: ErasurePlan, person: Person, now: datetime) -> None:
    from praksis.booking.models import Appointment, BookingRequest
    from praksis.disclosures.models import Disclosure
    from praksis.journal.models import Attachment, ClientCard, JournalEntry
    from praksis.messaging.models import OutboxMessage, Status
    from praksis.recall.models import Recall
    from praksis.sales.models import Order, PortalLead
    from praksis.sales.services import pseudonymise_person_sales

    t = plan.targets
    clinic = plan.clinic
    if t.get("consents_withdraw"):
        # Withdrawn at once (REQ-29): marketing not yet sent under them is dropped.
        Consent.objects.filter(pk__in=t["consents_withdraw"]).update(withdrawn_at=now)
        OutboxMessage.objects.filter(
            clinic=clinic, consent_id__in=t["consents_withdraw"], status=Status.PENDING
        ).delete()
    Recall.objects.filter(clinic=clinic, pk__in=t.get("recalls", [])).delete()
    OutboxMessage.objects.filter(clinic=clinic, pk__in=t.get("messages", [])).delete()
    BookingRequest.objects.filter(clinic=clinic, pk__in=t.get("booking_requests", [])).delete()
    PortalLead.objects.filter(clinic=clinic, pk__in=t.get("portal_leads", [])).delete()
    Appointment.objects.filter(clinic=clinic, pk__in=t.get("appointments", [])).delete()
    if plan.action_for("accounting") == PSEUDONYMISE:
        pseudonymise_person_sales(person=person, actor=actor)
    entries = list(t.get("entries", [])) + list(t.get("animal_entries", []))
    if entries:
        # Orders kept under a hold still point at entries that go: cut those links.
        Order.objects.filter(clinic=clinic, journal_entry_id__in=entries).update(
            journal_entry=None, updated_at=now
        )
        Recall.objects.filter(clinic=clinic, source_entry_id__in=entries).update(source_entry=None)
    # Append-only rows (journal, disclosures) go only through the sanctioned purge path; a
    # savepoint keeps a failure from leaving the transaction aborted inside it.
    with purge_allowed(), transaction.atomic():
        if t.get("disclosures"):
            through = Disclosure.journal_entries.through
            through.objects.filter(disclosure_id__in=t["disclosures"]).delete()
            _delete_descending(Disclosure, t["disclosures"])
        if entries:
            Disclosure.journal_entries.through.objects.filter(journalentry_id__in=entries).delete()
            Attachment.objects.filter(clinic=clinic, entry_id__in=entries).delete()
            _delete_descending(JournalEntry, entries)
    if t.get("card"):
        ClientCard.objects.filter(clinic=clinic, pk=t["card"]).delete()
    t["shredded"] = bool(t.get("shred_person_key")) and destroy_key(person)
    for animal in Animal.objects.filter(clinic=clinic, pk__in=t.get("animals_delete", [])):
        destroy_key(animal)
        animal.delete()
    if t.get("ownerships_delete"):
        animal_ids = list(
            AnimalOwner.objects.filter(pk__in=t["ownerships_delete"]).values_list(
                "animal_id", flat=True
            )
        )
        AnimalOwner.objects.filter(pk__in=t["ownerships_delete"]).delete()
        for animal_id in animal_ids:  # someone stays the primary owner
            owners = AnimalOwner.objects.filter(animal_id=animal_id)
            if not owners.filter(is_primary=True).exists():
                owners.filter(pk=owners.order_by("pk").values("pk")[:1]).update(is_primary=True)
    Consent.objects.filter(clinic=clinic, pk__in=t.get("consents_delete", [])).delete()


def _minimise_requests(plan: ErasurePlan, person: Person, keep_link_of: int | None) -> None:
    """Keep the requests only as evidence of the answers, without what the person wrote and
    without live links to their data."""
    others = DataSubjectRequest.objects.filter(clinic=plan.clinic, person=person)
    others.update(details="", verify_token_hash="")
    others.exclude(pk=keep_link_of).update(download_token_hash="", download_expires_at=None)


def _minimise_person(plan: ErasurePlan, person: Person, now: datetime) -> None:
    from praksis.sales.services import sales_pseudonym

    keep_columns = {c for f in plan.keep_fields for c in FIELD_COLUMNS[f]}
    if not plan.keep_row:
        Person.objects.filter(pk=person.pk).delete()
        return
    changes: dict = {"restricted_at": person.restricted_at or now, "updated_at": now}
    if "first_name" not in keep_columns:
        changes.update(first_name="", last_name=sales_pseudonym(person))
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
        if d.action == PSEUDONYMISE:
            continue  # pseudonymise_person_sales logs its own row
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
        _apply(actor, plan, person, now)
        _evidence(actor, plan, plan.request_id)
        if dsr is not None:
            plan.answer = compose_answer(plan, dsr)
            _answer(actor, dsr, plan, person, now)
        _minimise_requests(plan, person, keep_link_of=plan.request_id)
        _minimise_person(plan, person, now)
        plan.applied = True
    return plan


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
