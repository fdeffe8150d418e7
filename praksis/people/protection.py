"""Protected identities (REQ-48): sekretessmarkering, skyddad folkbokföring and fingerade
personuppgifter in Sweden; strengt fortrolig and fortrolig adresse in Norway.

Such a person is marked for everyone who handles them (a badge wherever they appear);
their address and phone are shown to the owner only — every such view is logged with
``SHOWN`` as its detail — and to other staff as "Protected"; they never leave the clinic
(disclosure letters, calendar feeds, ``.ics`` files, e-mails, SMS, exports to others).
The person's own access report shows them their own data.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, can

SHOWN = "protected identity shown"  # the access-log detail of a view of the contact data
HIDDEN = "protected identity hidden"
API_PROTECTED = "Protected"  # what the API shows instead of a hidden address or phone
PROTECTED = _("Protected")
HIDDEN_FIELDS = ("address", "phone")
_CLEAR_REFUSED = _("Only the owner can remove a protected identity.")


def sees_contact(actor: Actor) -> bool:
    """May this actor see the address and phone of a protected person? The owner only."""
    return can(actor, "person.protected")


def hides_contact(actor: Actor, person) -> bool:
    return bool(getattr(person, "protected_identity", "")) and not sees_contact(actor)


def read_detail(actor: Actor, person) -> str:
    """The access-log detail of a read of ``person`` by ``actor`` ("" if not protected)."""
    if not getattr(person, "protected_identity", ""):
        return ""
    return SHOWN if sees_contact(actor) else HIDDEN


def mark(actor: Actor, person):
    """Note on ``person`` (in memory) whether this actor is shown its contact data;
    templates and the API read ``contact_hidden``."""
    person.contact_hidden = hides_contact(actor, person)
    return person


def shown_after_write(actor: Actor, person, *, purpose: str = ""):
    """A write answers with the person (the API): mark it, and log the owner's view of a
    protected address as a read of its own (the write's row says what changed)."""
    mark(actor, person)
    if person.protected_identity and not person.contact_hidden:
        log_access(
            actor,
            Access(Action.READ, "person", person.pk, person_id=person.pk, purpose=purpose,
                   detail=SHOWN),
        )  # fmt: skip
    return person


def clear_refused():
    return _CLEAR_REFUSED
