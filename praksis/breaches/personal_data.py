"""What the breaches app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from praksis.breaches.models import AffectedPerson
from praksis.core.personal_data import KEEP, Contract, Decision, Holding, register


class BreachesData(Contract):
    label = "breaches"
    stage = 70
    holdings = (
        Holding("breaches.AffectedPerson", "breach", "person", KEEP, kept_by="GDPR art. 33.5",
                section="breaches"),
    )  # fmt: skip
    labels = {"breach_register": gettext_lazy("Breach register entries about you")}
    reasons = {
        "breach_register": gettext_lazy(
            "The register of personal-data breaches must be kept (GDPR art. 33(5)); it holds "
            "only a reference number."
        )
    }

    def plan(self, ctx) -> None:
        """The breach register (Art. 33(5)) keeps its reference to the person."""
        affected = AffectedPerson.objects.filter(clinic=ctx.clinic, person=ctx.person).count()
        if affected:
            ctx.decide(
                Decision("breach_register", KEEP, affected, "breach_register",
                         law="GDPR art. 33.5")
            )  # fmt: skip
            ctx.keep_row = True


register(BreachesData())
