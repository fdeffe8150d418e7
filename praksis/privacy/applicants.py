"""Job applicants (REQ-09): registered by the owner, kept until the recruitment has closed
plus the claims window (the ``applicant`` retention policy), longer only with the
applicant's consent to be considered for future roles. The retention sweep deletes them;
the owner may delete one at once. Every read and write is access-logged."""

from __future__ import annotations

from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.core.errors import ValidationFailed
from praksis.privacy.models import Applicant
from praksis.privacy.retention import kept_until


def applicants_list(*, actor: Actor) -> list[dict]:
    """The clinic's applicants, open recruitments first, each with its deletion date."""
    require(actor, "privacy.manage")
    items = list(
        Applicant.objects.filter(clinic=actor.clinic).order_by(
            "recruitment_closed_at", "position", "name", "pk"
        )[:500]
    )
    log_access(actor, Access(Action.LIST, "applicant", "", detail=f"results={len(items)}"))
    clinic = actor.clinic
    return [
        {
            "applicant": a,
            "deleted_after": kept_until(
                clinic, "applicant", a.keep_consent_at or a.recruitment_closed_at
            )
            if (a.keep_consent_at or a.recruitment_closed_at)
            else None,
        }
        for a in items
    ]


def applicant_add(*, actor: Actor, name: str, email: str, position: str) -> Applicant:
    require(actor, "privacy.manage")
    name, email, position = (str(v or "").strip() for v in (name, email, position))
    errors: dict[str, list] = {}
    if not name:
        errors["name"] = [_("Enter the applicant's name.")]
    if email:
        try:
            validate_email(email)
        except Exception:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if not position:
        errors["position"] = [_("Enter the position applied for.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        applicant = Applicant.objects.create(
            clinic=actor.clinic, name=name[:200], email=email[:254], position=position[:200]
        )
        log_access(actor, Access(Action.CREATE, "applicant", applicant.pk))
    return applicant


def recruitment_close(*, actor: Actor, position: str) -> int:
    """Close the recruitment for ``position``: its applicants' retention clock starts."""
    require(actor, "privacy.manage")
    with transaction.atomic():
        closed = Applicant.objects.filter(
            clinic=actor.clinic, position=str(position or ""), recruitment_closed_at__isnull=True
        ).update(recruitment_closed_at=timezone.now())
        log_access(
            actor, Access(Action.UPDATE, "applicant", "", detail=f"recruitment closed: {closed}")
        )
    return closed


def _get(actor: Actor, applicant_id: int) -> Applicant:
    applicant = (
        Applicant.objects.select_for_update().filter(clinic=actor.clinic, pk=applicant_id).first()
    )
    if applicant is None:
        raise Http404
    return applicant


def applicant_keep_consent(*, actor: Actor, applicant_id: int) -> Applicant:
    """The applicant agreed to be kept for future roles: the window runs from now."""
    require(actor, "privacy.manage")
    with transaction.atomic():
        applicant = _get(actor, applicant_id)
        applicant.keep_consent_at = timezone.now()
        applicant.save(update_fields=["keep_consent_at"])
        log_access(actor, Access(Action.UPDATE, "applicant", applicant.pk, detail="keep consent"))
    return applicant


def applicant_delete(*, actor: Actor, applicant_id: int) -> None:
    require(actor, "privacy.manage")
    with transaction.atomic():
        applicant = _get(actor, applicant_id)
        applicant.delete()
        log_access(actor, Access(Action.DELETE, "applicant", applicant_id))
