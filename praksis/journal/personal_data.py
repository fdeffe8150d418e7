"""What the journal app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils.translation import gettext_lazy

from praksis.clinics.models import Regime
from praksis.core.db import purge_allowed
from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Rule,
    Section,
    Subject,
    engine,
    register,
    unlink,
)
from praksis.journal.health_notes import HEALTH_NOTES_RULE
from praksis.journal.models import Attachment, ClientCard, JournalEntry, JournalRequest
from praksis.journal.report import journal_sections
from praksis.people.models import Animal, AnimalOwner, DataKey, Person


class JournalData(Contract):
    label = "journal"
    stage = 10
    apply_stage = 60
    holdings = (
        Holding(
            "journal.JournalEntry", "journal", "person|animal", KEEP, clock="last_entry",
            kept_by="patientdatalagen 3 kap. 17 §, pasientjournalloven, djurhälsopersonal",
            section="journal",
        ),
        Holding(
            "journal.Attachment", "journal", "entry__person|entry__animal", KEEP,
            clock="last_entry", kept_by="with its journal entry", section="journal",
        ),
        Holding(
            "journal.ClientCard", "journal", "person", KEEP, clock="last_entry",
            kept_by="with the journal", section="client_card",
        ),
        # REQ-16/REQ-18: requests about a journal and their decisions, kept with it. Not
        # yet a section of the access report (the report is being reworked, issue 18).
        Holding(
            "journal.JournalRequest", "journal", "person|animal", KEEP, clock="last_entry",
            kept_by="with the journal: helsepersonelloven § 43, FOR-2006-02-20-229 § 4",
        ),
    )  # fmt: skip
    holdable = {"journal": "journal.JournalEntry"}
    # REQ-16: single entries of a NO-human journal, deleted by the responsible
    # professional's decision (helsepersonelloven § 43) through the engine's erase_records.
    erasable = {"journal": "journal.write"}
    labels = {
        "journal": gettext_lazy("Journal entries, amendments and attachments"),
        "client_card": gettext_lazy("Client card (allergies and injuries)"),
        "animal_journal": gettext_lazy("Your animal's journal"),
        "journal_requests": gettext_lazy("Requests about the journal and their decisions"),
    }
    reasons = {
        "journal_requests": gettext_lazy("They go with the journal they are about."),
        "journal_requests_kept": gettext_lazy(
            "They are kept with the journal they are about (helsepersonelloven § 43, "
            "forskrift om journal for dyrehelsepersonell § 4)."
        ),
    }

    def hold_subject(self, clinic, record_type, record_id):
        if record_type != "journal":
            return None
        return (
            JournalEntry.objects.filter(clinic=clinic, pk=record_id)
            .values_list("person_id", "animal_id")
            .first()
        )

    def plan(self, ctx) -> None:
        """The person's own journal and client card (REQ-01/02, REQ-33), and the journals
        of the animals only they own (the owner's erasure concerns the owner, REQ-04/05)."""
        clinic, person = ctx.clinic, ctx.person
        person_hold = ctx.person_hold
        own_hold, animal_holds = None, {}
        for hold in ctx.record_holds("journal"):
            subject = self.hold_subject(clinic, "journal", hold.record_id)
            if subject and subject[0] == person.pk:
                own_hold = own_hold or hold
            elif subject and subject[1]:
                animal_holds.setdefault(subject[1], hold)
        policy = ctx.policy("journal")
        entries = JournalEntry.objects.filter(clinic=clinic, person=person)
        entry_ids = list(entries.order_by("pk").values_list("pk", flat=True))
        card = ClientCard.objects.filter(clinic=clinic, person=person).first()
        targets = ctx.targets.setdefault(self.label, {})
        if entry_ids or card is not None:
            last = entries.aggregate(last=Max("created_at"))["last"]
            if card is not None:
                last = max(filter(None, [last, card.updated_at]))
            own = ctx.journal_decision(
                "journal", len(entry_ids), ctx.local_date(last), person_hold or own_hold, policy
            )
            human = ("name", "identity_number", "birth_date")
            if entry_ids:
                ctx.decide(own, human)
            if card is not None:
                ctx.decide(
                    Decision(
                        "client_card", own.action, 1, own.why, law=own.law, until=own.until,
                        hold=own.hold,
                    ),
                    human,
                )  # fmt: skip
            if own.action == DELETE:
                targets["entries"] = entry_ids
                targets["card"] = card.pk if card is not None else None
            else:
                ctx.shred_person_key = False
        animal_entries: list[int] = []
        with_journal: set[int] = set()
        for animal in ctx.sole_animals:
            rows = JournalEntry.objects.filter(clinic=clinic, animal=animal)
            ids = list(rows.values_list("pk", flat=True))
            held = person_hold or animal_holds.get(animal.pk)
            if not ids:
                if held is not None:
                    ctx.keep_animal(animal.pk)
                    ctx.decide(
                        Decision(
                            "animal_journal", KEEP, 0, "hold", law=policy.law,
                            hold=held.reason, subject=animal.name,
                        ),
                        ("name", "address"),
                    )  # fmt: skip
                continue
            with_journal.add(animal.pk)
            span = rows.aggregate(first=Min("created_at"), last=Max("created_at"))
            decision = ctx.journal_decision(
                "animal_journal", len(ids), ctx.local_date(span["last"]), held, policy,
                subject=animal.name,
            )  # fmt: skip
            lifespan = ctx.animal_lifespan_until(animal, ctx.local_date(span["first"]))
            if (
                decision.action == KEEP
                and lifespan
                and decision.until
                and lifespan > decision.until
            ):
                decision.until = lifespan
            elif decision.action == DELETE and lifespan and lifespan >= ctx.today and held is None:
                decision = Decision(
                    "animal_journal", KEEP, len(ids), "animal_journal", law=policy.law,
                    until=lifespan, subject=animal.name,
                )  # fmt: skip
            if decision.action == KEEP:
                ctx.keep_animal(animal.pk)
                ctx.decide(decision, ("name", "address"))
            else:
                animal_entries += ids
        targets["animal_entries"] = animal_entries
        ctx.facts["animals_with_journal"] = with_journal
        self._plan_requests(ctx, own_deleted=not entry_ids or "entries" in targets)
        ctx.facts["journal_entries_deleted"] = list(targets.get("entries", [])) + animal_entries

    def _plan_requests(self, ctx, *, own_deleted: bool) -> None:
        """The requests about a journal (REQ-16, REQ-18) go with the journal they are about:
        deleted with it, kept (with the requester's name) while it is kept."""
        found = list(
            JournalRequest.objects.filter(clinic=ctx.clinic, person=ctx.person).values_list(
                "pk", "animal_id"
            )
        )
        if not found:
            return
        sole = set(ctx.sole_animal_ids)
        gone, kept = [], []
        for pk, animal_id in found:
            if animal_id is None:
                (gone if own_deleted else kept).append(pk)
            elif animal_id in sole and animal_id not in ctx.kept_animals:
                gone.append(pk)
            else:
                kept.append(pk)
        ctx.targets.setdefault(self.label, {})["requests"] = gone
        if gone:
            ctx.decide(Decision("journal_requests", DELETE, len(gone), "journal_requests"))
        if kept:
            policy = ctx.policy("journal")
            ctx.decide(
                Decision("journal_requests", KEEP, len(kept), "journal_requests_kept",
                         law=policy.law),
                ("name",),
            )  # fmt: skip

    def erase_records(self, clinic, record_type, ids):
        """REQ-16: delete these entries with their follow-ups (amendments, objections) and
        attachments; the trace of each keeps its id, dates, author and kind — no text."""
        if record_type != "journal":
            return []
        chosen = set(
            JournalEntry.objects.filter(clinic=clinic, pk__in=ids).values_list("pk", flat=True)
        )
        frontier = set(chosen)
        while frontier:  # a follow-up goes with the entry it is about
            frontier = set(
                JournalEntry.objects.filter(clinic=clinic, concerns_id__in=frontier)
                .exclude(pk__in=chosen)
                .values_list("pk", flat=True)
            )
            chosen |= frontier
        rows = list(JournalEntry.objects.filter(pk__in=chosen).order_by("pk"))
        traces = [
            {
                "id": e.pk,
                "object_type": "journal_entry",
                "person_id": e.person_id,
                "kind": e.kind,
                "concerns": e.concerns_id,
                "created_at": e.created_at.isoformat(),
                "signed_at": e.signed_at.isoformat() if e.signed_at else None,
                "author": e.author_name,
                "author_title": e.author_title,
                "hpr": e.author_hpr,
            }
            for e in rows
        ]
        unlink("journal.JournalEntry", sorted(chosen))
        with purge_allowed(), transaction.atomic():
            Attachment.objects.filter(clinic=clinic, entry_id__in=chosen).delete()
            for pk in sorted(chosen, reverse=True):  # follow-ups before what they are about
                JournalEntry.objects.filter(pk=pk).delete()
        return traces

    def apply(self, plan) -> None:
        targets = plan.targets.get(self.label, {})
        if targets.get("requests"):
            with purge_allowed():
                JournalRequest.objects.filter(
                    clinic=plan.clinic, pk__in=targets["requests"]
                )._raw_delete(JournalRequest.objects.db)
        entries = list(targets.get("entries", [])) + list(targets.get("animal_entries", []))
        if entries:
            # Others' links to the entries go first (orders, recalls, disclosures).
            unlink("journal.JournalEntry", entries)
            with purge_allowed(), transaction.atomic():
                Attachment.objects.filter(clinic=plan.clinic, entry_id__in=entries).delete()
                for pk in sorted(entries, reverse=True):  # amendments before what they amend
                    JournalEntry.objects.filter(pk=pk).delete()
        if targets.get("card"):
            ClientCard.objects.filter(clinic=plan.clinic, pk=targets["card"]).delete()

    def activity(self, cutoff):
        return (
            JournalEntry.objects.filter(created_at__gt=cutoff),
            ClientCard.objects.filter(updated_at__gt=cutoff),
            JournalRequest.objects.filter(received_at__gt=cutoff),
        )

    def needs_client(self):
        with_journal = Exists(JournalEntry.objects.filter(animal=OuterRef("animal_id")))
        return (
            JournalEntry.objects.all(),
            ClientCard.objects.all(),
            JournalRequest.objects.all(),
            AnimalOwner.objects.filter(with_journal),
        )

    def sections(self, subject: Subject) -> list[Section]:
        """The person's journal (template fields, amendments beside their originals,
        attachments listed and delivered), the client card, and the journal of each animal
        they own. Each journal is read once and logged once, as an export (REQ-19).
        Not portable: the journal is written by staff under a legal duty (REQ-26)."""
        return journal_sections(subject)


# --- The retention sweep (REQ-01, REQ-04, REQ-05) ----------------------------------------
# A journal document is a person's (or an animal's) journal in one clinic; it is due when
# its LAST entry (or amendment, or signature) is older than the period — an entry added
# later pushes the whole document.


def _entries_after(subject: str, cutoff) -> Exists:
    return Exists(
        JournalEntry.objects.filter(**{subject: OuterRef("pk")}).filter(
            Q(created_at__gt=cutoff) | Q(updated_at__gt=cutoff) | Q(signed_at__gt=cutoff)
        )
    )


def _journal_held(subject: str) -> Exists:
    held = engine().active_holds().filter(record_type="journal").values("record_id")
    return Exists(JournalEntry.objects.filter(**{subject: OuterRef("pk")}, pk__in=held))


def _person_journals_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids) & ~_entries_after("person", cutoff)

    regimes = [Regime.SE_HUMAN, Regime.SE_VET, Regime.NO_VET]  # NO-human: never (REQ-02)
    return (
        Person.objects.filter(engine().by_clinic_cutoff("journal", now, q, regimes))
        .filter(Exists(JournalEntry.objects.filter(person=OuterRef("pk"))))
        .exclude(engine().person_held("pk"))
        .exclude(_journal_held("person"))
    )


def _animal_journals_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids) & ~_entries_after("animal", cutoff)

    owner_held = Exists(
        AnimalOwner.objects.filter(animal=OuterRef("pk")).filter(engine().person_held("person_id"))
    )
    return (
        Animal.objects.filter(
            engine().by_clinic_cutoff("journal", now, q, [Regime.SE_VET, Regime.NO_VET])
        )
        .filter(Exists(JournalEntry.objects.filter(animal=OuterRef("pk"))))
        .exclude(engine().may_be_alive(now))
        .exclude(owner_held)
        .exclude(_journal_held("animal"))
    )


def _purge_journals(subject: str, subject_ids: list[int]) -> None:
    """Delete the journal documents of these subjects: entries, amendments, attachments,
    and the links other records keep to them; then the subjects' data keys, when nothing
    encrypted under them remains (crypto-shredding any copy, backups included)."""
    entries = JournalEntry.objects.filter(**{f"{subject}_id__in": subject_ids})
    entry_ids = entries.values("pk")
    requests = JournalRequest.objects.filter(**{f"{subject}_id__in": subject_ids})
    if subject == "person":
        requests = requests.filter(animal__isnull=True)
    with purge_allowed():
        requests._raw_delete(requests.db)  # the requests about these journals go with them
        unlink("journal.JournalEntry", entry_ids)
        attachments = Attachment.objects.filter(entry__in=entry_ids)
        attachments._raw_delete(attachments.db)
        # One statement: amendments point at the entries they correct (deferred FKs).
        entries._raw_delete(entries.db)
    keys = DataKey.objects.filter(**{f"{subject}_id__in": subject_ids})
    if subject == "person":
        keys = keys.exclude(person__in=ClientCard.objects.values("person_id"))
    # Forgetting the key row is destroying it; a later visit gets a fresh key.
    keys.exclude(**{f"{subject}__in": JournalEntry.objects.values(f"{subject}_id")})._raw_delete(
        keys.db
    )


def _delete_person_journals(qs) -> int:
    ids = list(qs.values_list("pk", flat=True))
    _purge_journals("person", ids)
    return len(ids)


def _delete_animal_journals(qs) -> int:
    ids = list(qs.values_list("pk", flat=True))
    _purge_journals("animal", ids)
    return len(ids)


JournalData.rules = (
    Rule("journals", "journal", "delete", _person_journals_due, _delete_person_journals,
         recheck=True, order=30),
    Rule("animal-journals", "journal", "delete", _animal_journals_due, _delete_animal_journals,
         recheck=True, order=31),
    HEALTH_NOTES_RULE,  # therapy: the explicit consent withdrawn (art. 9(2)(a))
)  # fmt: skip

register(JournalData())
