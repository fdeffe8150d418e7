"""The answer deadline of data-subject requests (REQ-24, Art. 12(3)).

The law gives one calendar month from receipt. A clinic may promise less — a number of
days from 1 to 30 (``Clinic.request_answer_days``; the veterinary seed promises 30 days) —
never more: a request is due on the earlier of the two dates, so a promise of 30 days
still ends on 28 February for a request received on 31 January. The public privacy
notice states the clinic's promise.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic
from praksis.clinics.selectors import forget_clinic
from praksis.core.errors import ValidationFailed
from praksis.privacy.retention import add_months

ANSWER_DAYS_MAX = 30  # a promise of more days could be longer than a calendar month
FIELD = "request_answer_days"


def answer_due(clinic: Clinic, received: date) -> date:
    """When a request received on ``received`` (the clinic's local date) must be answered:
    the law's calendar month, or the clinic's shorter promise."""
    legal = add_months(received, 1)
    days = clinic.request_answer_days
    if days:
        return min(legal, received + timedelta(days=days))
    return legal


def clean_answer_days(value) -> int | None:
    """Empty (or ``None``): the law's one calendar month; else whole days from 1 to 30."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "x"
    text = str(value).strip()
    if text == "":
        return None
    if not text.isdigit() or not 1 <= int(text) <= ANSWER_DAYS_MAX:
        raise ValidationFailed(
            {
                FIELD: [
                    _(
                        "Enter a number of days from 1 to 30, or leave it empty for the "
                        "law's one calendar month. A clinic may promise a shorter answer "
                        "time, never a longer one."
                    )
                ]
            }
        )
    return int(text)


@transaction.atomic
def answer_days_set(*, actor: Actor, days) -> Clinic:
    """The owner sets (or clears) the clinic's promised answer time; requests received
    from now on are due by it. Requests already received keep their due date."""
    require(actor, "privacy.manage")
    value = clean_answer_days(days)
    clinic = Clinic.objects.select_for_update().get(pk=actor.clinic.pk)
    if clinic.request_answer_days != value:
        clinic.request_answer_days = value
        clinic.save(update_fields=[FIELD])
        log_access(
            actor,
            Access(Action.UPDATE, "clinic", clinic.pk, purpose="privacy requests",
                   detail=f"{FIELD}={value if value is not None else 'one month'}"),
        )  # fmt: skip
        forget_clinic(clinic.slug)
    actor.clinic.request_answer_days = value
    return clinic
