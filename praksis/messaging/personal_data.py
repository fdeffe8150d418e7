"""What the messaging app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

import re

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

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
from praksis.messaging.models import OutboxMessage, Status

# A message's links (manage a booking, read an answer) are keys of their own: the copy in
# a report shows where one was, not the key, so the report grants nothing more than itself.
_LINK = re.compile(r"https?://\S+")


def _without_links(body: str) -> str:
    return _LINK.sub(gettext("[link]"), body or "")


class MessagingData(Contract):
    label = "messaging"
    stage = 65
    apply_stage = 20
    holdings = (
        Holding("messaging.OutboxMessage", "message", "person|to_address", DELETE,
                section="messages"),
    )  # fmt: skip
    labels = {"messages": gettext_lazy("E-mails and text messages to you")}
    reasons = {
        "messages": gettext_lazy("Sent and unsent messages hold personal data in their text.")
    }

    def plan(self, ctx) -> None:
        """Messages to or about the person: their bodies hold personal data."""
        person = ctx.person
        addresses = [a for a in (person.email, person.phone) if a]
        about = Q(person=person) | Q(person__isnull=True, to_address__in=addresses)
        for related_type, ids in ctx.facts.get("related", {}).items():
            if ids:
                about |= Q(related_type=related_type, related_id__in=ids)
        ids = list(
            OutboxMessage.objects.filter(clinic=ctx.clinic)
            .filter(about)
            .values_list("pk", flat=True)
        )
        if not ids:
            return
        ctx.delete_unless_held(self.label, "messages", ids)

    def apply(self, plan) -> None:
        ids = plan.targets.get(self.label, {}).get("messages")
        if ids:
            OutboxMessage.objects.filter(clinic=plan.clinic, pk__in=ids).delete()

    def sections(self, subject: Subject) -> list[Section]:
        """E-mails and text messages to the person (or to their address or number)."""
        person = subject.person
        addresses = [a for a in (person.email, person.phone) if a]
        about = Q(person=person) | Q(person__isnull=True, to_address__in=addresses)
        messages = (
            OutboxMessage.objects.filter(clinic=subject.clinic)
            .filter(about)
            .defer("attachment_body")
            .order_by("-created_at", "-pk")
        )
        items = [
            {
                "created_at": m.created_at,
                "sent_at": m.sent_at,
                "channel": m.get_channel_display(),
                "kind": m.get_kind_display(),
                "to": m.to_address,
                "subject": m.subject,
                "status": m.get_status_display(),
                "reason": m.get_reason_display() if m.reason else None,
                "attachment": m.attachment_name,
                "body": _without_links(m.body),
            }
            for m in messages
        ]
        return [
            Section(
                key="messages",
                title=gettext("E-mails and text messages to you"),
                columns={
                    "created_at": gettext("Written"),
                    "sent_at": gettext("Sent"),
                    "channel": gettext("Channel"),
                    "kind": gettext("Kind"),
                    "to": gettext("To"),
                    "subject": gettext("Subject"),
                    "status": gettext("Status"),
                    "reason": gettext("Why it was not sent"),
                    "attachment": gettext("Attachment"),
                    "body": gettext("Text"),
                },
                items=items,
                order=60,
            )
        ]


# Sent (or given-up) messages: their bodies hold personal data; pending ones still wait.


def _messages_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, created_at__lte=cutoff)

    return (
        OutboxMessage.objects.filter(status__in=[Status.SENT, Status.FAILED])
        .filter(engine().by_clinic_cutoff("message", now, q))
        .exclude(Q(person__isnull=False) & engine().person_held("person_id"))
    )


def _delete(qs) -> int:
    return qs.delete()[0]


MessagingData.rules = (
    Rule("sent-messages", "message", "delete", _messages_due, _delete, order=70),
)

register(MessagingData())
