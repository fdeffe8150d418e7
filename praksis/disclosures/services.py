"""Recording disclosures: the rules on which basis each kind may leave the clinic.

Which legal bases each kind of disclosure may rest on (the first one is the default when
none is chosen). Human clinics are the optician, dental and therapy profiles; "vet" is the
veterinary profile, where the owner's data is ordinary personal data handled for the
owner's assignment (seed 002: "henvisninger, forsikringsoppgjør og chip-merking").

============= ========================================= =========================================
kind          human clinics                             veterinary clinics
============= ========================================= =========================================
referral      consent (seeds 003/004: only with the     contract (the owner's assignment),
              patient's consent)                        consent
lab_sample    health_care (within the care              contract, consent
              relationship, art. 9(2)(h)), consent
              (outside it)
prescription  health_care, consent                      contract, legal_obligation
insurer       consent                                   consent
food_safety   legal_obligation (law cited)              legal_obligation (law cited)
police        legal_obligation (the order's             legal_obligation, legal_claims
              reference), legal_claims
chip_registry legal_obligation (where law requires),    legal_obligation, contract, consent
              consent
other         consent, legal_obligation, legal_claims   consent, legal_obligation, legal_claims
============= ========================================= =========================================

* ``consent``: refused unless the person has an *active* disclosure consent whose
  ``third_party`` names this recipient (compared case-insensitively, spaces trimmed and
  collapsed). A withdrawn consent blocks the next disclosure at once; the consent row is
  locked while the disclosure is written, so a withdrawal and a disclosure never cross.
* ``legal_obligation`` and ``legal_claims``: the law, the order's reference or the claim
  is cited in ``basis_text`` (the database refuses the row without it).
* A person whose processing is restricted (Art. 18): refused unless the basis is a legal
  obligation or a legal claim, or a consent the person gave after the restriction
  began (Art. 18(2) allows processing with the person's consent).
* Journal content goes along only from roles that may read the journal (``journal.read``),
  only signed entries (REQ-13), and only of the person (or, at a vet, of the chosen animal).
  A receptionist records the disclosures that carry no journal content (an insurance
  report, a chip registration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, can, require
from praksis.clinics.models import Clinic, Profile
from praksis.core.errors import Conflict, ValidationFailed
from praksis.disclosures import entries as journal_entries
from praksis.disclosures.models import Basis, Channel, Disclosure, Kind
from praksis.people.models import Animal, AnimalOwner, Person
from praksis.privacy.models import Consent, Purpose, RestrictionScope
from praksis.privacy.restriction import restriction_started

if TYPE_CHECKING:
    from praksis.journal.models import JournalEntry  # the rows come through entries.chosen

B = Basis


@dataclass(frozen=True)
class KindRule:
    human: tuple[str, ...]
    vet: tuple[str, ...]


KIND_RULES: dict[str, KindRule] = {
    Kind.REFERRAL: KindRule(human=(B.CONSENT,), vet=(B.CONTRACT, B.CONSENT)),
    Kind.LAB_SAMPLE: KindRule(human=(B.HEALTH_CARE, B.CONSENT), vet=(B.CONTRACT, B.CONSENT)),
    Kind.PRESCRIPTION: KindRule(
        human=(B.HEALTH_CARE, B.CONSENT), vet=(B.CONTRACT, B.LEGAL_OBLIGATION)
    ),
    Kind.INSURER: KindRule(human=(B.CONSENT,), vet=(B.CONSENT,)),
    Kind.FOOD_SAFETY: KindRule(human=(B.LEGAL_OBLIGATION,), vet=(B.LEGAL_OBLIGATION,)),
    Kind.POLICE: KindRule(
        human=(B.LEGAL_OBLIGATION, B.LEGAL_CLAIMS), vet=(B.LEGAL_OBLIGATION, B.LEGAL_CLAIMS)
    ),
    Kind.CHIP_REGISTRY: KindRule(
        human=(B.LEGAL_OBLIGATION, B.CONSENT), vet=(B.LEGAL_OBLIGATION, B.CONTRACT, B.CONSENT)
    ),
    Kind.OTHER: KindRule(
        human=(B.CONSENT, B.LEGAL_OBLIGATION, B.LEGAL_CLAIMS),
        vet=(B.CONSENT, B.LEGAL_OBLIGATION, B.LEGAL_CLAIMS),
    ),
}
CITED_BASES = (B.LEGAL_OBLIGATION, B.LEGAL_CLAIMS)
# Bases that Art. 18(2) allows for a restricted person (consent: only one given after the
# restriction began).
RESTRICTED_BASES = (B.LEGAL_OBLIGATION, B.LEGAL_CLAIMS)
MAX_NAME = 200
MAX_ADDRESS = 1000
MAX_DESCRIPTION = 5000
MAX_REASON = 10000
MAX_BASIS_TEXT = 300
FUTURE_SKEW = timedelta(minutes=5)


def allowed_bases(clinic: Clinic, kind: str) -> tuple[str, ...]:
    """The bases a disclosure of ``kind`` may rest on at this clinic (default first)."""
    rule = KIND_RULES[Kind(kind)]
    return rule.vet if clinic.profile == Profile.VETERINARY else rule.human


def same_recipient(a: str, b: str) -> bool:
    """Whether two names denote the same recipient: case-insensitive, spaces trimmed."""
    return _norm(a) == _norm(b) and _norm(a) != ""


def _norm(value: str) -> str:
    return " ".join(str(value or "").split()).casefold()


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValueError(text)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass
class _Checked:
    person: Person
    animal: Animal | None
    entries: list[JournalEntry]
    corrects: Disclosure | None
    disclosed_at: datetime


def _check_fields(actor: Actor, data: dict) -> tuple[dict[str, list], _Checked | None]:
    """Field errors (per field) and what the fields point at."""
    clinic = actor.clinic
    errors: dict[str, list] = {}
    person = None
    person_id = _int(data.get("person_id"))
    if person_id is not None:
        person = Person.objects.select_for_update().filter(clinic=clinic, pk=person_id).first()
    if person is None:
        errors["person"] = [_("Choose a person registered at this clinic.")]
    kind = data["kind"]
    if kind not in Kind.values:
        errors["kind"] = [_("Choose what kind of disclosure this is.")]
    if not data["recipient_name"]:
        errors["recipient_name"] = [_("Name the recipient.")]
    if not data["description"]:
        errors["description"] = [_("Describe what is sent.")]
    if kind == Kind.REFERRAL and not data["reason"]:
        errors["reason"] = [_("Write the reason for the referral or the question to answer.")]
    if data["channel"] not in Channel.values:
        errors["channel"] = [_("Choose how it is sent: encrypted e-mail, post or a portal.")]
    basis = data["basis"]
    if kind in Kind.values:
        allowed = allowed_bases(clinic, kind)
        if basis not in allowed:
            errors["basis"] = [
                _("This kind of disclosure may not rest on that basis.")
                if basis
                else _("Choose the legal basis.")
            ]
    if basis in CITED_BASES and not data["basis_text"]:
        errors["basis_text"] = [
            _("Cite the law, the legal order's reference or the legal claim this rests on.")
        ]
    try:
        disclosed_at = _when(data.get("disclosed_at")) or timezone.now()
        if disclosed_at > timezone.now() + FUTURE_SKEW:
            errors["disclosed_at"] = [_("A disclosure cannot be recorded before it happens.")]
    except ValueError:
        errors["disclosed_at"] = [_("Enter the date and time as YYYY-MM-DD HH:MM.")]
        disclosed_at = timezone.now()

    animal = None
    animal_raw = data.get("animal_id")
    if animal_raw not in (None, ""):
        animal_id = _int(animal_raw)
        if animal_id is not None and clinic.has_animals:
            animal = Animal.objects.filter(clinic=clinic, pk=animal_id).first()
        if animal is None or (
            person is not None
            and not AnimalOwner.objects.filter(animal=animal, person=person).exists()
        ):
            errors["animal"] = [_("Choose one of this person's animals.")]
            animal = None

    entries: list[JournalEntry] = []
    entry_ids = [_int(i) for i in data["journal_entry_ids"]]
    if any(i is None for i in entry_ids):
        errors["journal_entries"] = [_("Choose journal entries from the list.")]
    elif entry_ids and person is not None and "animal" not in errors:
        subject = {"animal": animal} if animal else {"person": person}
        entries = journal_entries.chosen(clinic, entry_ids, subject)
        if len(entries) != len(set(entry_ids)):
            errors["journal_entries"] = [
                _("Choose journal entries of this person (at a vet: of the chosen animal).")
            ]
        elif any(e.signed_at is None for e in entries):
            errors["journal_entries"] = [_("Only signed journal entries may be sent.")]

    corrects = None
    corrects_raw = data.get("corrects_id")
    if corrects_raw not in (None, ""):
        corrects_id = _int(corrects_raw)
        if corrects_id is not None and person is not None:
            corrects = Disclosure.objects.filter(
                clinic=clinic, person=person, pk=corrects_id
            ).first()
        if corrects is None:
            errors["corrects"] = [_("Choose a disclosure of this person to correct.")]

    if errors:
        return errors, None
    return {}, _Checked(person, animal, entries, corrects, disclosed_at)


def _consent_for(actor: Actor, person: Person, recipient: str, consent_id) -> Consent:
    """The active disclosure consent of ``person`` naming ``recipient``, locked; else 422."""
    qs = Consent.objects.select_for_update().filter(
        clinic=actor.clinic, person=person, purpose=Purpose.DISCLOSURE
    )
    if consent_id not in (None, ""):
        consent = qs.filter(pk=_int(consent_id) or 0).first()
        if consent is None:
            raise ValidationFailed({"consent": [_("Choose a disclosure consent of this person.")]})
        if consent.withdrawn_at is not None:
            raise ValidationFailed(
                {"consent": [_("This consent has been withdrawn: it no longer allows this.")]}
            )
        if not same_recipient(consent.third_party, recipient):
            raise ValidationFailed(
                {"consent": [_("This consent allows disclosure to another recipient only.")]}
            )
        return consent
    for consent in qs.filter(withdrawn_at__isnull=True).order_by("-given_at", "-pk"):
        if same_recipient(consent.third_party, recipient):
            return consent
    raise ValidationFailed(
        {
            "consent": [
                _(
                    "No active consent of this person names this recipient. Record the "
                    "person's consent to this disclosure, naming the recipient, first."
                )
            ]
        }
    )


def disclosure_record(
    *,
    actor: Actor,
    person_id,
    kind: str,
    recipient_name: str,
    description: str,
    channel: str,
    recipient_address: str = "",
    reason: str = "",
    basis: str = "",
    basis_text: str = "",
    consent_id=None,
    journal_entry_ids=(),
    animal_id=None,
    disclosed_at=None,
    corrects_id=None,
) -> Disclosure:
    """Record a disclosure after checking it may happen (see the table above).

    Atomic; the disclosure is logged as action "disclose" against the person in the same
    transaction. Returns the new row, which is never changed afterwards.
    """
    require(actor, "person.write")
    entry_ids = list(journal_entry_ids or [])
    if entry_ids and not can(actor, "journal.read"):
        raise PermissionDenied("journal.read")
    kind = str(kind or "").strip()
    data = {
        "person_id": person_id,
        "kind": kind,
        "recipient_name": _text(recipient_name, MAX_NAME),
        "recipient_address": _text(recipient_address, MAX_ADDRESS),
        "description": _text(description, MAX_DESCRIPTION),
        "reason": _text(reason, MAX_REASON),
        "channel": str(channel or "").strip(),
        "basis": str(basis or "").strip(),
        "basis_text": _text(basis_text, MAX_BASIS_TEXT),
        "journal_entry_ids": entry_ids,
        "animal_id": animal_id,
        "disclosed_at": disclosed_at,
        "corrects_id": corrects_id,
    }
    if not data["basis"] and kind in Kind.values:
        allowed = allowed_bases(actor.clinic, kind)
        # A consent named without a basis means the disclosure rests on it.
        named = consent_id not in (None, "") and Basis.CONSENT in allowed
        data["basis"] = Basis.CONSENT if named else allowed[0]
    with transaction.atomic():
        errors, checked = _check_fields(actor, data)
        if errors:
            raise ValidationFailed(errors)
        assert checked is not None
        person = checked.person
        consent = None
        if data["basis"] == Basis.CONSENT:
            consent = _consent_for(actor, person, data["recipient_name"], consent_id)
        # Art. 18 (REQ-28): the whole person, or their journal, restricted.
        since = restriction_started(person, RestrictionScope.JOURNAL)
        if since is not None and not (
            data["basis"] in RESTRICTED_BASES or (consent is not None and consent.given_at >= since)
        ):
            raise Conflict(
                _(
                    "Processing of this person's data is restricted (Art. 18): it may be "
                    "disclosed only under a legal obligation, for a legal claim, or with a "
                    "consent given after the restriction began."
                ),
                code="restricted",
            )
        user = actor.user
        disclosure = Disclosure.objects.create(
            clinic=actor.clinic,
            person=person,
            animal=checked.animal,
            kind=kind,
            recipient_name=data["recipient_name"],
            recipient_address=data["recipient_address"],
            description=data["description"],
            reason=data["reason"],
            basis=data["basis"],
            basis_text=data["basis_text"],
            consent=consent,
            channel=data["channel"],
            disclosed_at=checked.disclosed_at,
            recorded_at=timezone.now(),
            recorded_by_user_id=actor.user_id,
            recorded_by_name=(user.full_name or user.email) if user else actor.label,
            recorded_by_title=user.title if user else "",
            corrects=checked.corrects,
        )
        if checked.entries:
            disclosure.journal_entries.set(checked.entries)
        ids = ",".join(str(e.pk) for e in sorted(checked.entries, key=lambda e: e.pk))
        log_access(
            actor,
            Access(
                Action.DISCLOSE,
                "disclosure",
                disclosure.pk,
                person_id=person.pk,
                purpose=kind,
                detail=(
                    f"basis={data['basis']}; channel={data['channel']}; journal_entries={ids}"
                    + (f"; corrects={checked.corrects.pk}" if checked.corrects else "")
                ),
            ),
        )
    return disclosure
