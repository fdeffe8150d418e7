"""Rooms and equipment: the owner's set-up, which services need which, and the holds a
booking takes on them.

A service may need rooms and pieces of equipment (the surgery, the X-ray room, the exam
room with the slit lamp); a booking of it takes a ``ResourceHold`` on each for its whole
busy time (duration + buffer), written in the same transaction as the booking. The
database refuses two holds of one resource at overlapping times (an exclusion constraint
on PostgreSQL, triggers on SQLite, migration 0005), so the room is never booked twice
whatever the concurrency; the booking service turns that refusal into the same 409
"slot_taken" as a practitioner's clash. A hold lives only while its booking holds its
time: cancelling, a no-show and a completed visit release it (``release_holds``).

A deactivated resource is no longer needed by anyone: new bookings take no hold on it
and availability stops reading its holds (holds already taken stay until released).
"""

from __future__ import annotations

import unicodedata

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking.models import Appointment, Resource, ResourceHold, Service
from praksis.clinics.access import Actor, require
from praksis.core.errors import ValidationFailed
from praksis.people.validation import CHARACTERS_NOT_ALLOWED, has_forbidden_characters

SETUP = "clinic.manage"  # as booking.setup: setting up the clinic is the owner's
PURPOSE = "clinic set-up"
NAME_MAX = 100  # the model's column
MAX_ID = 2**63 - 1
MAX_RESOURCES = 200  # per clinic: a small clinic has a handful


# --- Holds of a booking -----------------------------------------------------------------


def needed_ids(service: Service) -> list[int]:
    """The active resources ``service`` needs, in id order (the order holds are taken in,
    so two bookings needing the same rooms never wait for each other crosswise)."""
    return sorted(service.resources.filter(active=True).values_list("pk", flat=True))


def hold_resources(appointment: Appointment) -> list[ResourceHold]:
    """Take the rooms and equipment the booking's service needs, for its busy time. Call
    inside the booking's transaction: an overlapping hold raises ``IntegrityError``."""
    ids = needed_ids(appointment.service)
    if not ids:
        return []
    return ResourceHold.objects.bulk_create(
        ResourceHold(
            clinic_id=appointment.clinic_id,
            resource_id=resource_id,
            appointment=appointment,
            start=appointment.start,
            busy_until=appointment.busy_until,
        )
        for resource_id in ids
    )


def move_holds(appointment: Appointment) -> None:
    """The booking moved: its holds follow it (the database checks the new times); a
    resource the service no longer needs is let go and a newly needed one is taken."""
    ids = needed_ids(appointment.service)
    holds = ResourceHold.objects.filter(appointment=appointment)
    holds.exclude(resource_id__in=ids).delete()
    holds.filter(resource_id__in=ids).update(
        start=appointment.start, busy_until=appointment.busy_until
    )
    held = set(holds.values_list("resource_id", flat=True))
    missing = [i for i in ids if i not in held]
    ResourceHold.objects.bulk_create(
        ResourceHold(
            clinic_id=appointment.clinic_id,
            resource_id=resource_id,
            appointment=appointment,
            start=appointment.start,
            busy_until=appointment.busy_until,
        )
        for resource_id in missing
    )


def release_holds(appointment: Appointment) -> int:
    """The booking no longer holds its time (cancelled, no-show, visit completed): its
    rooms and equipment are free again. Returns how many holds were released."""
    deleted, _per_model = ResourceHold.objects.filter(appointment=appointment).delete()
    return deleted


def held_by(appointment: Appointment) -> list[Resource]:
    """The rooms and equipment the booking holds, by kind and name (for staff pages)."""
    return list(
        Resource.objects.filter(holds__appointment=appointment).order_by("kind", "name", "pk")
    )


# --- Set-up (owner) ---------------------------------------------------------------------


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _log(actor: Actor, action: str, object_id, detail: str = "") -> None:
    log_access(actor, Access(action, "resource", object_id, purpose=PURPOSE, detail=detail))


def resources_list(*, actor: Actor) -> list[Resource]:
    """The clinic's rooms and equipment, active first, by kind and name."""
    require(actor, SETUP)
    rows = Resource.objects.filter(clinic=actor.clinic).prefetch_related("services")
    return list(rows.order_by("-active", "kind", "name", "pk")[:MAX_RESOURCES])


def resource_get(*, actor: Actor, resource_id) -> Resource:
    require(actor, SETUP)
    resource = None
    if _as_id(resource_id):
        resource = Resource.objects.filter(clinic=actor.clinic, pk=resource_id).first()
    if resource is None:
        raise Http404("resource")
    return resource


def _name(value, errors: dict) -> str:
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    if has_forbidden_characters(text):
        errors["name"] = [CHARACTERS_NOT_ALLOWED]
        return ""
    text = " ".join(text.split())
    if not text:
        errors["name"] = [_("This field is required.")]
    elif len(text) > NAME_MAX:
        errors["name"] = [_("Use at most %(max)d characters.") % {"max": NAME_MAX}]
    return text


def _values(actor: Actor, data: dict, *, creating: bool, current: Resource | None = None):
    errors: dict[str, list] = {}
    values: dict = {}
    if creating or "name" in data:
        values["name"] = _name(data.get("name"), errors)
        taken = Resource.objects.filter(clinic=actor.clinic, name__iexact=values["name"])
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if values["name"] and taken.exists():
            errors["name"] = [_("There is already a room or piece of equipment of that name.")]
    if creating or "kind" in data:
        kind = data.get("kind", Resource.Kind.ROOM if creating else None)
        if kind not in Resource.Kind.values:
            errors["kind"] = [_("Choose room or equipment.")]
        values["kind"] = kind
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Choose yes or no.")]
        values["active"] = data["active"]
    if errors:
        raise ValidationFailed(errors)
    return values


def _taken_name() -> ValidationFailed:
    return ValidationFailed(
        {"name": [_("There is already a room or piece of equipment of that name.")]}
    )


def resource_create(*, actor: Actor, data: dict) -> Resource:
    """A new room or piece of equipment: ``{"name", "kind": "room"|"equipment"}``."""
    require(actor, SETUP)
    values = _values(actor, data, creating=True)
    if Resource.objects.filter(clinic=actor.clinic).count() >= MAX_RESOURCES:
        raise ValidationFailed(
            {"name": [_("A clinic can have at most %(max)d.") % {"max": MAX_RESOURCES}]}
        )
    try:
        with transaction.atomic():
            resource = Resource.objects.create(clinic=actor.clinic, **values)
            _log(actor, Action.CREATE, resource.pk, f"kind={resource.kind}")
    except IntegrityError:  # the same name added at the same moment
        raise _taken_name() from None
    return resource


def resource_update(*, actor: Actor, resource_id, data: dict) -> Resource:
    """Rename, change the kind, deactivate or activate again (a resource is never
    deleted: holds refer to it)."""
    require(actor, SETUP)
    try:
        with transaction.atomic():
            resource = resource_get(actor=actor, resource_id=resource_id)
            resource = Resource.objects.select_for_update().get(pk=resource.pk)
            values = _values(actor, data, creating=False, current=resource)
            for field, value in values.items():
                setattr(resource, field, value)
            if values:
                resource.save(update_fields=list(values))
            _log(actor, Action.UPDATE, resource.pk, "changed=" + ",".join(sorted(values)))
    except IntegrityError:
        raise _taken_name() from None
    return resource


# --- Which resources a service needs (the service form and API) --------------------------


def service_needs(clinic, value, errors: dict) -> list[Resource] | None:
    """The resources chosen for a service, by id: active ones of the clinic; None when
    not given. Anything else is a field error."""
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        errors["resources"] = [_("Choose the rooms and equipment this service needs.")]
        return []
    ids = [_as_id(v) for v in value]
    found = {
        r.pk: r
        for r in Resource.objects.filter(clinic=clinic, active=True, pk__in=[i for i in ids if i])
    }
    if len(ids) > MAX_RESOURCES or any(i not in found for i in ids):
        errors["resources"] = [_("Choose active rooms and equipment of this clinic.")]
        return []
    return [found[i] for i in dict.fromkeys(ids)]


def set_service_needs(service: Service, needs: list[Resource] | None) -> None:
    """The service needs these (None: unchanged). Bookings already made keep their holds."""
    if needs is not None:
        service.resources.set(needs)


def service_need_ids(service: Service) -> list[int]:
    """The ids of what the service needs, for its form and the API (prefetch-friendly)."""
    return sorted(r.pk for r in service.resources.all())
