"""Setting a clinic up: the operator opens it (``create-clinic``), its owner chooses a
password through a one-time link, keeps the clinic's details and invites staff.

Writes only, keyword-only, each in one transaction with its access-log rows. The same
functions serve the command line, the staff pages and the API.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.clinics import validation as clean
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import Clinic, Membership, Profile, Role, SetupLink, User
from praksis.clinics.selectors import MAX_ID, forget_clinic
from praksis.clinics.services import SECURITY, clinic_create
from praksis.core.access_log import Access, Action, log_access, log_accesses
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.links import absolute_url

SETUP_LINK_HOURS = 72
SETUP = "clinic set-up"  # the purpose of the log rows of set-up changes
CLINIC_FIELDS = (
    "name",
    "organisation_number",
    "address",
    "phone",
    "email",
    "language",
    "time_zone",
    "financial_year_start",
)
# API and form names of the clinic's fields where the model's differ.
_COLUMNS = {"phone": "contact_phone", "email": "contact_email"}
STAFF_FIELDS = ("name", "role", "title", "licence")
_USER_COLUMNS = {"name": "full_name", "title": "title", "licence": "hpr_number"}


def setup_url(token: str) -> str:
    """The link's address: where the server is reached (or ``PRAKSIS_BASE_URL``)."""
    return absolute_url(f"/staff/setup/{token}/")


# --- Opening a clinic (the operator) -------------------------------------------------


def _clinic_open_values(*, slug, name, profile, country, owner_email, language, time_zone):
    values = clean.collect(
        {
            "slug": lambda: clean.clean_slug(slug),
            "name": lambda: clean.clean_clinic_name(name),
            "profile": lambda: clean.clean_choice("profile", profile, Profile.values),
            "country": lambda: clean.clean_choice("country", country, clean.COUNTRIES),
            "owner": lambda: clean.clean_email(owner_email, "owner"),
            "language": lambda: (
                None
                if language is None
                else clean.clean_choice("language", language, clean.LANGUAGES)
            ),
            "time_zone": lambda: None if time_zone is None else clean.clean_zone(time_zone, "zone"),
        }
    )
    owner = User.objects.filter(email=values["owner"]).first()
    if owner is not None and not owner.is_active:
        raise ValidationFailed({"owner": [gettext_lazy("This account is deactivated.")]})
    country = values["country"]
    values["language"] = values["language"] or clean.DEFAULT_LANGUAGE[country]
    values["time_zone"] = values["time_zone"] or clean.DEFAULT_ZONE[country]
    values["regime"] = clean.REGIMES[(Profile(values["profile"]), country)]
    return values, owner


def clinic_open(
    *,
    slug: str,
    name: str,
    profile: str,
    country: str,
    owner_email: str,
    language: str | None = None,
    time_zone: str | None = None,
) -> tuple[Clinic, str]:
    """A new clinic with its profile's defaults (regime, retention, record of processing,
    a draft notice) and its owner, whose one-time set-up link is returned.

    Bad input or a taken slug raises ValidationFailed and creates nothing.
    """
    values, owner = _clinic_open_values(
        slug=slug,
        name=name,
        profile=profile,
        country=country,
        owner_email=owner_email,
        language=language,
        time_zone=time_zone,
    )
    email = values.pop("owner")
    try:
        with transaction.atomic():
            clinic = clinic_create(**values)
            if owner is None:
                owner = User.objects.create_user(email, None, full_name="")  # no password yet
            membership = Membership.objects.create(clinic=clinic, user=owner, role=Role.OWNER)
            link, token = _link_issue(clinic=clinic, user=owner, purpose=SetupLink.Purpose.OWNER)
            log_accesses(
                system_actor(clinic, channel="cli"),
                [
                    Access(Action.CREATE, "clinic", clinic.pk, purpose=SETUP),
                    Access(Action.CREATE, "membership", membership.pk, purpose=SECURITY,
                           detail="role=owner"),
                    Access(Action.CREATE, "setup_link", link.pk, purpose=SECURITY,
                           detail=f"expires={link.expires_at:%Y-%m-%dT%H:%MZ}"),
                ],
            )  # fmt: skip
    except IntegrityError:  # the same slug, created a moment ago by someone else
        raise ValidationFailed(
            {"slug": [gettext_lazy("A clinic with this address name exists already.")]}
        ) from None
    return clinic, setup_url(token)


# --- One-time set-up links -------------------------------------------------------------


def _link_issue(
    *, clinic: Clinic, user: User, purpose: str, created_by: User | None = None
) -> tuple[SetupLink, str]:
    """A new link for ``user`` in ``clinic``; earlier unused ones stop working."""
    SetupLink.objects.filter(clinic=clinic, user=user, used_at=None).delete()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = SetupLink.objects.create(
        clinic=clinic,
        user=user,
        purpose=purpose,
        token_hash=sha256_hex(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(hours=SETUP_LINK_HOURS),
    )
    return link, token


def setup_link_find(token: str, *, lock: bool = False) -> SetupLink | None:
    """The link behind ``token`` while it works: unused, unexpired, and its user and their
    role in the clinic still active. Otherwise None."""
    token = str(token or "")
    if not 20 <= len(token) <= 100:
        return None
    links = SetupLink.objects.select_related("clinic", "user")
    if lock:
        links = links.select_for_update()
    link = links.filter(
        token_hash=sha256_hex(token), used_at=None, expires_at__gt=timezone.now()
    ).first()
    if link is None or not link.user.is_active:
        return None
    if not Membership.objects.filter(clinic=link.clinic, user=link.user, is_active=True).exists():
        return None
    return link


@dataclass(frozen=True)
class SetupDone:
    user: User
    clinic: Clinic


def _password_errors(user: User, password: str, confirm: str) -> dict[str, list]:
    if not password:
        return {"password": [_("Choose a password.")]}
    if password != confirm:
        return {"password_confirm": [_("The two passwords are not the same.")]}
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {"password": list(exc.messages)}
    return {}


@transaction.atomic
def setup_complete(
    *,
    token: str,
    name: str,
    password: str,
    password_confirm: str,
    request_id: str = "",
    ip: str | None = None,
) -> SetupDone:
    """Use a set-up link: the member of staff's name and password. The link then stops
    working. An unknown, used or expired link is Http404 and changes nothing."""
    link = setup_link_find(token, lock=True)
    if link is None:
        raise Http404("setup link")
    user = link.user
    errors: dict[str, list] = {}
    try:
        user.full_name = clean.clean_staff_name(name)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    errors.update(_password_errors(user, password, password_confirm))
    if errors:
        raise ValidationFailed(errors)
    user.set_password(password)
    user.save(update_fields=["full_name", "password"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    SetupLink.objects.filter(user=user, used_at=None).delete()
    role = Membership.objects.get(clinic=link.clinic, user=user).role
    actor = Actor(
        clinic=link.clinic, user=user, role=role, request_id=request_id, ip=ip, channel="ui"
    )
    log_access(
        actor,
        Access(Action.UPDATE, "setup_link", link.pk, purpose=SECURITY, detail="password chosen"),
    )
    return SetupDone(user=user, clinic=link.clinic)


# --- The clinic's details ------------------------------------------------------------


def _clinic_checks(clinic: Clinic, changes: dict) -> dict:
    country = clinic.country
    checks = {
        "name": lambda: clean.clean_clinic_name(changes["name"]),
        "organisation_number": lambda: clean.clean_organisation_number(
            changes["organisation_number"], country
        ),
        "address": lambda: clean.clean_address(changes["address"]),
        "phone": lambda: clean.clean_phone(changes["phone"], country),
        "email": lambda: clean.clean_email(changes["email"], required=False),
        "language": lambda: clean.clean_choice("language", changes["language"], clean.LANGUAGES),
        "time_zone": lambda: clean.clean_zone(changes["time_zone"]),
        "financial_year_start": lambda: clean.clean_month(changes["financial_year_start"]),
    }
    # A value sent back as it is stored stays, even one stored before these checks (the
    # page sends every field: an old organisation number must not block a new e-mail).
    return {
        field: check
        for field, check in checks.items()
        if field in changes
        and str(changes[field]) != str(getattr(clinic, _COLUMNS.get(field, field)))
    }


@transaction.atomic
def clinic_update(*, actor: Actor, changes: dict) -> Clinic:
    """Change the clinic's details (owner only); fields not in ``changes`` stay."""
    require(actor, "clinic.manage")
    clinic = Clinic.objects.select_for_update().get(pk=actor.clinic.pk)
    values = clean.collect(_clinic_checks(clinic, changes))
    changed = [f for f, v in values.items() if getattr(clinic, _COLUMNS.get(f, f)) != v]
    for field in changed:
        setattr(clinic, _COLUMNS.get(field, field), values[field])
    if changed:
        clinic.save(update_fields=[_COLUMNS.get(f, f) for f in changed])
        log_access(
            actor,
            Access(Action.UPDATE, "clinic", clinic.pk, purpose=SETUP,
                   detail="changed=" + ",".join(changed)),
        )  # fmt: skip
        forget_clinic(clinic.slug)
    return clinic


# --- Staff -------------------------------------------------------------------------


def _membership_locked(actor: Actor, membership_id: int) -> Membership:
    membership = None
    if 0 < membership_id <= MAX_ID:
        membership = (
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(pk=membership_id, clinic=actor.clinic)
            .first()
        )
    if membership is None:
        raise Http404("membership")
    return membership


def _last_owner(membership: Membership) -> bool:
    if membership.role != Role.OWNER or not membership.is_active:
        return False
    owners = Membership.objects.filter(clinic=membership.clinic_id, role=Role.OWNER, is_active=True)
    return not owners.exclude(pk=membership.pk).exists()


def _works_elsewhere(user: User, clinic: Clinic) -> bool:
    return Membership.objects.filter(user=user, is_active=True).exclude(clinic=clinic).exists()


def _staff_values(data: dict, *, partial: bool, country: str = "") -> dict:
    checks = {
        "email": lambda: clean.clean_email(data.get("email")),
        "role": lambda: clean.clean_role(data.get("role")),
        "name": lambda: clean.clean_staff_name(data.get("name")),
        "title": lambda: clean.clean_title(data.get("title")),
        "licence": lambda: clean.clean_licence(data.get("licence"), country=country),
    }
    if partial:
        checks = {f: c for f, c in checks.items() if f in data and f != "email"}
    return clean.collect(checks)


@transaction.atomic
def staff_invite(*, actor: Actor, data: dict) -> Membership:
    """Give someone a role in the clinic (owner only) and tell them by e-mail.

    Someone new gets an account without a password and a one-time link to choose one
    (valid 72 hours). Someone who already signs in to Praksis (another clinic's staff)
    is told of the new role, with no link: nobody here may set their password. Someone
    already active here is a conflict.
    """
    require(actor, "staff.manage")
    values = _staff_values(data, partial=False, country=actor.clinic.country)
    user = User.objects.select_for_update().filter(email=values["email"]).first()
    if user is not None and not user.is_active:
        raise Conflict(_("This account is deactivated in Praksis."))
    membership = None
    if user is not None:
        membership = Membership.objects.filter(clinic=actor.clinic, user=user).first()
        if membership is not None and membership.is_active and user.has_usable_password():
            raise Conflict(_("This person already works in this clinic."))
        if not user.has_usable_password() and _works_elsewhere(user, actor.clinic):
            raise Conflict(
                _("This person has not yet accepted an invitation from another clinic. "
                  "Invite them again once they have.")
            )  # fmt: skip
    if user is None:
        user = User.objects.create_user(values["email"], None, full_name=values["name"])
    if not user.has_usable_password():  # ours alone: the details are the owner's to give
        user.full_name, user.title, user.hpr_number = (
            values["name"], values["title"], values["licence"]
        )  # fmt: skip
        user.save(update_fields=["full_name", "title", "hpr_number"])
    membership, _created = Membership.objects.update_or_create(
        clinic=actor.clinic, user=user, defaults={"role": values["role"], "is_active": True}
    )
    token = None
    link_id = ""
    if not user.has_usable_password():
        link, token = _link_issue(
            clinic=actor.clinic, user=user, purpose=SetupLink.Purpose.INVITATION,
            created_by=actor.user,
        )  # fmt: skip
        link_id = link.pk
    _invitation_send(actor=actor, membership=membership, token=token)
    log_accesses(
        actor,
        [
            Access(Action.CREATE, "membership", membership.pk, purpose=SECURITY,
                   detail=f"invited; role={membership.role}"),
            *([Access(Action.CREATE, "setup_link", link_id, purpose=SECURITY)] if token else []),
        ],
    )  # fmt: skip
    return membership


# The invitation goes out as an e-mail through the outbox (praksis.messaging, which sits
# above this app): the composition layer registers the sender at start-up
# (praksis.site.clinic_setup), ``send(clinic=, to=, subject=, body=, related=)``.
_mailer: list[Callable[..., object]] = []


def register_mailer(send: Callable[..., object]) -> None:
    _mailer[:] = [send]


def _invitation_send(*, actor: Actor, membership: Membership, token: str | None) -> None:
    clinic = actor.clinic
    with translation.override(clinic.language):
        names = {
            "inviter": actor.user.full_name if actor.user else clinic.name,
            "clinic": clinic.name,
            "role": str(Role(membership.role).label),
            "hours": SETUP_LINK_HOURS,
        }
        subject = _("Your role in %(clinic)s on Praksis") % names
        if token:
            body = _(
                "%(inviter)s has invited you to work in %(clinic)s as %(role)s.\n\n"
                "Choose your password with this link. It works once, within %(hours)d hours:\n"
                "%(link)s\n"
            ) % {**names, "link": setup_url(token)}
        else:
            body = _(
                "%(inviter)s has given you the role %(role)s in %(clinic)s.\n\n"
                "Sign in as usual and choose the clinic in your menu:\n%(link)s\n"
            ) % {**names, "link": absolute_url("/staff/login/")}
    _mailer[0](
        clinic=clinic,
        to=membership.user.email,
        subject=subject,
        body=body,
        related=("membership", membership.pk),
    )


@transaction.atomic
def staff_update(*, actor: Actor, membership_id: int, changes: dict) -> Membership:
    """Change a member of staff's role, name, title or licence number (owner only).

    The last active owner keeps the role (409). Name, title and licence belong to the
    person's account: they are not changed from here while they also work elsewhere.
    """
    require(actor, "staff.manage")
    membership = _membership_locked(actor, membership_id)
    values = _staff_values(changes, partial=True, country=actor.clinic.country)
    user = membership.user
    changed = []
    role = values.pop("role", membership.role)
    if role != membership.role:
        if _last_owner(membership):
            raise Conflict(_("The clinic needs at least one active owner."))
        membership.role = role
        membership.save(update_fields=["role"])
        changed.append("role")
    personal = [f for f, v in values.items() if getattr(user, _USER_COLUMNS[f]) != v]
    if personal and _works_elsewhere(user, actor.clinic):
        raise Conflict(
            _("This person also works in another clinic, so their name, title and licence "
              "number are not changed from here.")
        )  # fmt: skip
    for field in personal:
        setattr(user, _USER_COLUMNS[field], values[field])
    if personal:
        user.save(update_fields=[_USER_COLUMNS[f] for f in personal])
    changed += personal
    if changed:
        detail = "changed=" + ",".join(changed)
        if "role" in changed:
            detail += f"; role={role}"
        access = Access(Action.UPDATE, "membership", membership.pk, purpose=SECURITY, detail=detail)
        log_access(actor, access)
    return membership
