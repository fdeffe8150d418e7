"""Who is acting, in which clinic, with which role — and what that role may do."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied

from praksis.clinics.models import Clinic, Role, User


@dataclass(frozen=True)
class Actor:
    """The member of staff (or the system) behind a read or write.

    Every service and selector that touches personal data takes one, so that the access
    log can say who, in which role, from which request.
    """

    clinic: Clinic
    user: User | None
    role: str
    request_id: str = ""
    ip: str | None = None
    channel: str = "ui"  # ui | api | cli | public | system
    # A bearer token's scopes (channel "api" only); see ``require_scope``.
    scopes: frozenset[str] = frozenset()
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        if self.user is None:
            return f"system:{self.channel}"
        return self.user.email

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user else None


def system_actor(clinic: Clinic, *, channel: str = "system") -> Actor:
    return Actor(clinic=clinic, user=None, role="system", channel=channel)


# What each role may do. Checked by services; views only translate refusals.
CAPABILITIES: dict[str, set[str]] = {
    "person.read": {Role.OWNER, Role.PRACTITIONER, Role.RECEPTIONIST},
    "person.write": {Role.OWNER, Role.PRACTITIONER, Role.RECEPTIONIST},
    # REQ-48: the address and phone of a person with a protected identity.
    "person.protected": {Role.OWNER},
    "journal.read": {Role.OWNER, Role.PRACTITIONER},
    "journal.write": {Role.OWNER, Role.PRACTITIONER},
    "access_log.read": {Role.OWNER},
    "privacy.manage": {Role.OWNER},
    "staff.manage": {Role.OWNER},
    "clinic.manage": {Role.OWNER},
    "system": set(),
}


def can(actor: Actor, capability: str) -> bool:
    if actor.role == "system":
        return True
    return actor.role in CAPABILITIES[capability]


def require(actor: Actor, capability: str) -> None:
    if not can(actor, capability):
        raise PermissionDenied(capability)


# The scope a bearer token needs for what a signed-in user must re-authenticate for
# (praksis/clinics/reauth.py): erasure, answering a privacy request, and the like.
SENSITIVE = "sensitive"


class ScopeMissing(PermissionDenied):
    """A bearer token was not issued with the scope the action needs (403)."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(scope)


def require_scope(actor: Actor, scope: str) -> None:
    """Refuse a token without ``scope``. Signed-in staff are not token actors: their pages
    ask for the password again instead (``recent_auth``)."""
    if actor.channel == "api" and scope not in actor.scopes:
        raise ScopeMissing(scope)
