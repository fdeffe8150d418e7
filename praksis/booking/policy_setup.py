"""The clinic's booking policy as its owner sets it (page and API of the clinic set-up).

Each number has limits that keep the booking pages working and the data short-lived:
a slot the calendar can draw, a horizon and notice a clinic can plan, reminders the
five-minute job can still send (it looks 72 hours ahead), and booking requests and
booking IP addresses kept no longer than the policy table allows.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking.models import BookingPolicy
from praksis.clinics.access import Actor, require
from praksis.clinics.selectors import forget_clinic
from praksis.core.errors import ValidationFailed

# field: (smallest, largest)
POLICY_LIMITS = {
    "slot_minutes": (5, 120),
    "horizon_days": (1, 730),
    "min_notice_minutes": (0, 10_080),  # a week
    "cancel_cutoff_hours": (0, 336),  # two weeks
    "reminder_hours": (0, 72),  # 0: no reminder
    "request_expiry_days": (1, 180),
    "ip_retention_days": (1, 90),
}
# Yes/no settings: reminder SMS ask for a JA/NEJ reply (praksis/booking/sms_replies.py).
POLICY_FLAGS = ("sms_reply_requests",)
POLICY_FIELDS = ("mode", *POLICY_LIMITS, *POLICY_FLAGS)
_TRUE = {True, "1", "on", "true", "True", "yes"}
_FALSE = {False, None, "", "0", "off", "false", "False", "no"}


def booking_policy_get(*, actor: Actor) -> BookingPolicy:
    require(actor, "clinic.manage")
    policy, _created = BookingPolicy.objects.get_or_create(clinic=actor.clinic)
    return policy


def _clean_number(field: str, value) -> int:
    low, high = POLICY_LIMITS[field]
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        message = _("Enter a whole number from %(low)d to %(high)d.")
        raise ValidationFailed({field: [message % {"low": low, "high": high}]})
    return int(text)


def _clean(changes: dict) -> dict:
    values, errors = {}, {}
    for field in POLICY_FIELDS:
        if field not in changes:
            continue
        try:
            if field in POLICY_FLAGS:
                value = changes[field]
                if value not in _TRUE and value not in _FALSE:
                    raise ValidationFailed({field: [_("Choose yes or no.")]})
                values[field] = value in _TRUE
            elif field == "mode":
                if changes[field] not in BookingPolicy.Mode.values:
                    raise ValidationFailed({field: [_("Choose one of the offered values.")]})
                values[field] = changes[field]
            else:
                values[field] = _clean_number(field, changes[field])
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return values


@transaction.atomic
def booking_policy_update(*, actor: Actor, changes: dict) -> BookingPolicy:
    """Change how the clinic takes bookings (owner only); fields left out stay."""
    require(actor, "clinic.manage")
    values = _clean(changes)
    BookingPolicy.objects.get_or_create(clinic=actor.clinic)
    policy = BookingPolicy.objects.select_for_update().get(clinic=actor.clinic)
    changed = [f for f, v in values.items() if getattr(policy, f) != v]
    for field in changed:
        setattr(policy, field, values[field])
    if changed:
        policy.save(update_fields=changed)
        log_access(
            actor,
            Access(
                Action.UPDATE,
                "booking_policy",
                actor.clinic.pk,
                purpose="clinic set-up",
                detail="changed=" + ",".join(changed),
            ),
        )
        forget_clinic(actor.clinic.slug)
        actor.clinic.__dict__.pop("_booking_policy_cache", None)
    return policy
