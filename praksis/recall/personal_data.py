"""What the recall app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from praksis.core.personal_data import (
    DELETE,
    Contract,
    Holding,
    Section,
    Subject,
    register,
)
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
        ctx.delete_unless_held(self.label, "recalls", ids)

    def apply(self, plan) -> None:
        ids = plan.targets.get(self.label, {}).get("recalls")
        if ids:
            Recall.objects.filter(clinic=plan.clinic, pk__in=ids).delete()

    def unlink(self, model, ids) -> None:
        if model == "journal.JournalEntry":
            Recall.objects.filter(source_entry__in=ids).update(source_entry=None)

    def sections(self, subject: Subject) -> list[Section]:
        """Recall reminders for the person and their animals, with every call made."""
        recalls = (
            Recall.objects.filter(clinic=subject.clinic)
            .filter(Q(person=subject.person) | Q(animal_id__in=subject.animal_ids))
            .select_related("animal")
            .prefetch_related("attempts")
            .order_by("-due_date", "-pk")
        )
        items = [
            {
                "due_date": r.due_date,
                "reason": r.reason,
                "animal": r.animal.name if r.animal_id else None,
                "interval_months": r.interval_months,
                "call_on": r.call_on,
                "status": r.get_status_display(),
                "closed_reason": r.get_closed_reason_display() if r.closed_reason else None,
                "closed_at": r.closed_at,
                "created_at": r.created_at,
                "attempts": [
                    {
                        "at": a.at,
                        "outcome": a.get_outcome_display(),
                        "note": a.note,
                        "call_back_on": a.call_back_on,
                    }
                    for a in sorted(r.attempts.all(), key=lambda a: (a.at, a.pk))
                ],
            }
            for r in recalls
        ]
        return [
            Section(
                key="recalls",
                title=gettext("Recall reminders and calls"),
                columns={
                    "due_date": gettext("Time for a new visit"),
                    "reason": gettext("Reason"),
                    "animal": gettext("Animal"),
                    "interval_months": gettext("Interval (months)"),
                    "call_on": gettext("We planned to call on"),
                    "status": gettext("Status"),
                    "closed_reason": gettext("Closed because"),
                    "closed_at": gettext("Closed"),
                    "created_at": gettext("Created"),
                    "attempts": gettext("Calls"),
                    "attempts.at": gettext("Time"),
                    "attempts.outcome": gettext("Outcome"),
                    "attempts.note": gettext("Note"),
                    "attempts.call_back_on": gettext("Call back on"),
                },
                items=items,
                order=50,
            )
        ]


register(RecallData())
