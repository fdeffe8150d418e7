"""API of the clinic set-up (owner only; other roles 403; another clinic's ids 404).

``clinic`` (read, patch) — the clinic's details; ``staff`` (list, invite), ``staff/{id}``
(read, patch), ``staff/{id}/deactivate``. A member of staff's ``id`` is their role in this
clinic (the same id as in ``staff/{id}/hours``).
"""

from __future__ import annotations

from ninja import Router, Schema, Status

from praksis.clinics import selectors, setup
from praksis.clinics.access import require
from praksis.clinics.models import Clinic, Membership
from praksis.clinics.services import staff_deactivate

router = Router(tags=["clinic set-up"])


class ClinicOut(Schema):
    id: int
    slug: str
    name: str
    profile: str
    regime: str
    country: str
    organisation_number: str
    address: str
    phone: str
    email: str
    language: str
    time_zone: str
    financial_year_start: int


class ClinicIn(Schema):
    name: str | None = None
    organisation_number: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    language: str | None = None
    time_zone: str | None = None
    financial_year_start: int | None = None


class StaffOut(Schema):
    id: int
    email: str
    name: str
    role: str
    title: str
    licence: str
    active: bool
    invited: bool  # has not yet chosen a password


class StaffPage(Schema):
    items: list[StaffOut]
    count: int


class StaffInvite(Schema):
    email: str
    role: str
    name: str
    title: str = ""
    licence: str = ""


class StaffPatch(Schema):
    role: str | None = None
    name: str | None = None
    title: str | None = None
    licence: str | None = None


def _clinic(clinic: Clinic) -> dict:
    return {
        "id": clinic.pk,
        "slug": clinic.slug,
        "name": clinic.name,
        "profile": clinic.profile,
        "regime": clinic.regime,
        "country": clinic.country,
        "organisation_number": clinic.organisation_number,
        "address": clinic.address,
        "phone": clinic.contact_phone,
        "email": clinic.contact_email,
        "language": clinic.language,
        "time_zone": clinic.time_zone,
        "financial_year_start": clinic.financial_year_start,
    }


def staff_dict(membership: Membership) -> dict:
    user = membership.user
    return {
        "id": membership.pk,
        "email": user.email,
        "name": user.full_name,
        "role": membership.role,
        "title": user.title,
        "licence": user.hpr_number,
        "active": membership.is_active and user.is_active,
        "invited": not user.has_usable_password(),
    }


@router.get("clinic", response=ClinicOut)
def clinic_read(request):
    require(request.auth, "clinic.manage")
    return _clinic(Clinic.objects.get(pk=request.auth.clinic.pk))


@router.patch("clinic", response=ClinicOut)
def clinic_patch(request, payload: ClinicIn):
    changes = payload.model_dump(exclude_unset=True)
    return _clinic(setup.clinic_update(actor=request.auth, changes=changes))


@router.get("staff", response=StaffPage)
def staff_list(request):
    memberships = selectors.staff_list(request.auth)
    return {"items": [staff_dict(m) for m in memberships], "count": len(memberships)}


@router.post("staff", response={201: StaffOut})
def staff_invite(request, payload: StaffInvite):
    membership = setup.staff_invite(actor=request.auth, data=payload.model_dump())
    return Status(201, staff_dict(membership))


@router.get("staff/{int:membership_id}", response=StaffOut)
def staff_read(request, membership_id: int):
    return staff_dict(selectors.staff_get(request.auth, membership_id))


@router.patch("staff/{int:membership_id}", response=StaffOut)
def staff_patch(request, membership_id: int, payload: StaffPatch):
    changes = payload.model_dump(exclude_unset=True)
    membership = setup.staff_update(
        actor=request.auth, membership_id=membership_id, changes=changes
    )
    return staff_dict(membership)


@router.post("staff/{int:membership_id}/deactivate", response=StaffOut)
def staff_deactivate_view(request, membership_id: int):
    return staff_dict(staff_deactivate(actor=request.auth, membership_id=membership_id))
