"""What the accounts app holds about a person: its personal-data contract (see
praksis/core/personal_data.py). Sign-ins (a code sent, its outcome) and the sessions they
opened are security records: kept ``RETENTION_DAYS`` to trace misuse, then deleted; an
erasure deletes them at once (nothing else needs them)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext, gettext_lazy

from praksis.accounts.models import ClientSession, SignIn
from praksis.core.personal_data import (
    DELETE,
    Contract,
    Holding,
    Rule,
    Section,
    Subject,
    engine,
    register,
)

RETENTION_DAYS = 90


class AccountsData(Contract):
    label = "accounts"
    stage = 60
    apply_stage = 25
    holdings = (
        Holding("accounts.SignIn", "sign_in", "person", DELETE, section="sign_ins"),
        Holding("accounts.ClientSession", "sign_in", "person", DELETE, section="sign_ins"),
    )  # fmt: skip
    labels = {"sign_ins": gettext_lazy("Sign-ins to your account")}
    reasons = {
        "sign_ins": gettext_lazy(
            "Kept only to trace misuse of the account, then deleted; nothing else needs them."
        )
    }

    def plan(self, ctx) -> None:
        person = ctx.person
        ids = list(
            ClientSession.objects.filter(clinic=ctx.clinic, person=person).values_list(
                "pk", flat=True
            )
        )
        sign_ins = list(
            SignIn.objects.filter(clinic=ctx.clinic, person=person).values_list("pk", flat=True)
        )
        ctx.delete_unless_held(self.label, "sessions", ids)
        ctx.delete_unless_held(self.label, "sign_ins", sign_ins)

    def apply(self, plan) -> None:
        targets = plan.targets.get(self.label, {})
        ClientSession.objects.filter(
            clinic=plan.clinic, pk__in=targets.get("sessions", [])
        ).delete()
        SignIn.objects.filter(clinic=plan.clinic, pk__in=targets.get("sign_ins", [])).delete()

    def retention_days(self, clinic, record_type):
        return RETENTION_DAYS if record_type == "sign_in" else None

    def sections(self, subject: Subject) -> list[Section]:
        """The sessions the person opened: when, how, and when they ended."""
        sessions = ClientSession.objects.filter(
            clinic=subject.clinic, person=subject.person
        ).order_by("-created_at", "-pk")
        items = [
            {
                "created_at": s.created_at,
                "level": gettext("eID") if s.level == "strong" else gettext("One-time code"),
                "ended_at": s.ended_at or s.expires_at,
            }
            for s in sessions
        ]
        if not items:
            return []
        return [
            Section(
                key="sign_ins",
                title=gettext("Sign-ins to your account"),
                columns={
                    "created_at": gettext("Signed in"),
                    "level": gettext("How"),
                    "ended_at": gettext("Ended"),
                },
                items=items,
                order=80,
            )
        ]


def _due(model):
    def due(now):
        cutoff = now - timedelta(days=RETENTION_DAYS)
        return model.objects.filter(created_at__lt=cutoff).exclude(
            engine().person_held("person_id")
        )

    return due


def _delete(qs) -> int:
    return qs.delete()[0]


AccountsData.rules = (
    Rule("account-sessions", "sign_in", "delete", _due(ClientSession), _delete, order=40),
    Rule("account-sign-ins", "sign_in", "delete", _due(SignIn), _delete, order=41),
)  # fmt: skip

register(AccountsData())
