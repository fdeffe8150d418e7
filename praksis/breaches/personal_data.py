"""What the breaches app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from praksis.breaches.models import AffectedPerson
from praksis.core.personal_data import (
    KEEP,
    Contract,
    Decision,
    Holding,
    Section,
    Subject,
    register,
)


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

    def sections(self, subject: Subject) -> list[Section]:
        """Entries of the breach register that name the person: what happened, and
        whether and how we told them (Art. 33(5), 34)."""
        rows = (
            AffectedPerson.objects.filter(clinic=subject.clinic, person=subject.person)
            .select_related("breach")
            .order_by("-breach__discovered_at", "-pk")
        )
        channels = {"email": gettext_lazy("E-mail"), "sms": gettext_lazy("SMS")}
        items = [
            {
                "discovered_at": a.breach.discovered_at,
                "description": a.breach.description,
                "data_categories": a.breach.data_categories,
                "consequences": a.breach.consequences,
                "measures": a.breach.measures,
                "risk": a.breach.get_risk_display(),
                "added_at": a.added_at,
                "notified": a.notified_at is not None,
                "notified_at": a.notified_at,
                "channel": str(channels[a.channel]) if a.channel in channels else None,
                "exemption": a.get_exemption_ground_display() if a.exemption_ground else None,
                "exemption_note": a.exemption_note,
            }
            for a in rows
        ]
        return [
            Section(
                key="breaches",
                title=gettext("Personal data breaches that concerned you"),
                columns={
                    "discovered_at": gettext("Discovered"),
                    "description": gettext("What happened"),
                    "data_categories": gettext("Data concerned"),
                    "consequences": gettext("Likely consequences"),
                    "measures": gettext("What we did"),
                    "risk": gettext("Risk"),
                    "added_at": gettext("You were added to the register"),
                    "notified": gettext("We told you"),
                    "notified_at": gettext("Told"),
                    "channel": gettext("Told by"),
                    "exemption": gettext("Why we did not tell you"),
                    "exemption_note": gettext("Note"),
                },
                items=items,
                order=75,
            )
        ]


register(BreachesData())
