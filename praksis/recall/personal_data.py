"""What the recall app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy

from praksis.core.personal_data import DELETE, KEEP, Contract, Decision, Holding, register
from praksis.recall.models import CallAttempt, Recall  # noqa: F401


class RecallData(Contract):
    label = "recall"
    stage = 60
    apply_stage = 10
    holdings = (
        Holding("recall.Recall", "client", "person|animal", DELETE, clock="last_visit",
                section="recalls"),
        Holding("recall.CallAttempt", "client", "recall__person|recall__animal", DELETE,
                clock="last_visit", section="recalls"),
    )  # fmt: skip
    labels = {"recalls": gettext_lazy("Recall reminders")}
    reasons = {"recalls": gettext_lazy("No more reminders are sent.")}

    def plan(self, ctx) -> None:
        """No more reminders: the person's own, and those of the animals only they own."""
        recalls = Recall.objects.filter(clinic=ctx.clinic).filter(
            Q(person=ctx.person) | Q(animal_id__in=ctx.sole_animal_ids)
        )
        ids = list(recalls.values_list("pk", flat=True))
        if not ids:
            return
        ctx.relate("recall", ids)
        if ctx.person_hold is not None:
            hold = ctx.person_hold.reason
            ctx.decide(Decision("recalls", KEEP, len(ids), "hold", hold=hold))
        else:
            ctx.decide(Decision("recalls", DELETE, len(ids), "recalls", law="GDPR art. 17.1"))
            ctx.targets.setdefault(self.label, {})["recalls"] = ids

    def apply(self, plan) -> None:
        ids = plan.targets.get(self.label, {}).get("recalls")
        if ids:
            Recall.objects.filter(clinic=plan.clinic, pk__in=ids).delete()

    def unlink(self, model, ids) -> None:
        if model == "journal.JournalEntry":
            Recall.objects.filter(source_entry__in=ids).update(source_entry=None)


register(RecallData())
