"""What the disclosures app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from praksis.core.db import purge_allowed
from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Section,
    Subject,
    register,
)
from praksis.disclosures.models import Disclosure


class DisclosuresData(Contract):
    label = "disclosures"
    stage = 20
    apply_stage = 50
    holdings = (
        Holding("disclosures.Disclosure", "journal", "person|animal", KEEP, clock="last_entry",
                kept_by="with the journal it documents", section="disclosures"),
    )  # fmt: skip
    labels = {"disclosures": gettext_lazy("Record of disclosures of your data to others")}
    reasons = {
        "with_journal": gettext_lazy(
            "The record of disclosures is kept with the journal it documents."
        ),
        "disclosures": gettext_lazy(
            "Deleted with the journal; the recipients are told (GDPR art. 19)."
        ),
    }

    def plan(self, ctx) -> None:
        """The record of disclosures goes with the journal it documents; its recipients are
        told of an erasure (Art. 19)."""
        disclosures = Disclosure.objects.filter(clinic=ctx.clinic, person=ctx.person)
        # A sole animal without a journal but named in a disclosure keeps its row.
        with_journal = ctx.facts.get("animals_with_journal", set())
        named = set(
            disclosures.filter(animal_id__in=ctx.deleted_animal_ids).values_list(
                "animal_id", flat=True
            )
        )
        policy = ctx.policy("journal")
        for animal in ctx.sole_animals:
            if animal.pk in named and animal.pk not in with_journal:
                ctx.keep_animal(animal.pk)
                ctx.decide(
                    Decision("animal_journal", KEEP, 0, "animal_journal", law=policy.law,
                             subject=animal.name),
                    ("name", "address"),
                )  # fmt: skip
        ids = list(disclosures.values_list("pk", flat=True))
        if not ids:
            return
        journal_kept = ctx.kept("journal", "animal_journal")
        person_hold = ctx.person_hold
        if person_hold is not None or journal_kept:
            ctx.decide(
                Decision(
                    "disclosures", KEEP, len(ids),
                    "hold" if not journal_kept else "with_journal",
                    law=journal_kept[0].law if journal_kept else "",
                    until=ctx.latest(d.until for d in journal_kept) if journal_kept else None,
                    hold=person_hold.reason if person_hold and not journal_kept else "",
                ),
            )  # fmt: skip
            ctx.keep_row = True
            ctx.facts["kept_consent_ids"] = set(
                disclosures.exclude(consent__isnull=True).values_list("consent_id", flat=True)
            )
            # An animal named in a kept disclosure keeps its row (its journal may go).
            for animal_id in named:
                ctx.keep_animal(animal_id)
        else:
            ctx.decide(
                Decision("disclosures", DELETE, len(ids), "disclosures", law="GDPR art. 17.1")
            )
            ctx.targets.setdefault(self.label, {})["disclosures"] = ids
            recipients = disclosures.order_by("recipient_name").values_list(
                "recipient_name", flat=True
            )
            ctx.recipients.extend(dict.fromkeys(recipients))

    def apply(self, plan) -> None:
        ids = plan.targets.get(self.label, {}).get("disclosures")
        if not ids:
            return
        # Append-only rows go only through the sanctioned purge path.
        with purge_allowed(), transaction.atomic():
            Disclosure.journal_entries.through.objects.filter(disclosure_id__in=ids).delete()
            for pk in sorted(ids, reverse=True):  # a correction before what it corrects
                Disclosure.objects.filter(pk=pk).delete()

    def unlink(self, model, ids) -> None:
        if model == "journal.JournalEntry":
            with purge_allowed():
                through = Disclosure.journal_entries.through
                through.objects.filter(journalentry_id__in=ids).delete()

    def in_use(self, model):
        if model == "privacy.Consent":
            return (Disclosure.objects.filter(consent__isnull=False).values("consent_id"),)
        return ()

    def sections(self, subject: Subject) -> list[Section]:
        """Every disclosure of the person's (or their animals') data: to whom, when, what,
        on which legal basis (Art. 15(1)(c))."""
        disclosures = (
            Disclosure.objects.filter(clinic=subject.clinic, person=subject.person)
            .select_related("animal", "corrects")
            .order_by("-disclosed_at", "-pk")
        )
        items = []
        for d in disclosures:
            basis = d.get_basis_display()
            items.append(
                {
                    "disclosed_at": d.disclosed_at,
                    "recipient": d.recipient_name,
                    "recipient_address": d.recipient_address,
                    "kind": d.get_kind_display(),
                    "animal": d.animal.name if d.animal_id else None,
                    "description": d.description,
                    "reason": d.reason,
                    "basis": f"{basis}: {d.basis_text}" if d.basis_text else basis,
                    "channel": d.get_channel_display(),
                    "recorded_by": ", ".join(
                        v for v in (d.recorded_by_name, d.recorded_by_title) if v
                    ),
                    "corrects": d.corrects.disclosed_at if d.corrects_id else None,
                }
            )
        return [
            Section(
                key="disclosures",
                title=gettext("Record of disclosures of your data to others"),
                columns={
                    "disclosed_at": gettext("Disclosed"),
                    "recipient": gettext("Recipient"),
                    "recipient_address": gettext("Recipient's address"),
                    "kind": gettext("What kind"),
                    "animal": gettext("Animal"),
                    "description": gettext("What was sent"),
                    "reason": gettext("Reason or question"),
                    "basis": gettext("Legal basis"),
                    "channel": gettext("Sent by"),
                    "recorded_by": gettext("Recorded by"),
                    "corrects": gettext("Corrects the disclosure of"),
                },
                items=items,
                order=65,
            )
        ]


register(DisclosuresData())
