"""Restriction of processing (GDPR art. 18, LAW.md REQ-28).

A restriction is a row (:class:`~praksis.privacy.models.Restriction`): the ground of
art. 18(1)(a)-(d), what it covers — all of the person's data, or one use of it (the
journal, recall, marketing) — since when and by whom, and when and by whom it was lifted.
While it lasts the data it covers is only stored (art. 18(2)):

* whole person: no booking reminders, recall, marketing, calendar-feed names, disclosures
  (``Person.restricted_at``, which the existing checks read, is kept in step here: the
  start of the earliest active whole restriction);
* ``recall``: no recall messages, and the person is off the call list;
* ``marketing``: no newsletters or offers;
* ``journal``: no disclosure of the journal (referrals, reports), except on the grounds
  art. 18(2) leaves (a legal obligation or claim, a consent given after it began).

Features ask :func:`unrestricted` (a condition for their queries) or :func:`restricted`
(one person). Lifting tells the person first (art. 18(3)); the recipients of their data
are listed for the owner to tell (art. 19) on the privacy request's page.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.core.errors import ValidationFailed
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.privacy.models import (
    DataSubjectRequest,
    Restriction,
    RestrictionGround,
    RestrictionScope,
)

WHOLE = RestrictionScope.WHOLE
# A refused restriction form, kept for the person page to show again (session key).
FORM_SESSION_KEY = "restriction_form"
_LIFTED = _("The restriction of your data is lifted")
_GROUND_IN_TEXT = re.compile(r"18\s*\(\s*1\s*\)\s*\(?\s*([a-d])\s*\)?", re.IGNORECASE)
_GROUND_BY_LETTER = dict(zip("abcd", RestrictionGround.values, strict=True))


def unrestricted(scope: str, person: str = "person") -> Q:
    """A condition on rows whose person (the lookup path ``person``; "" for a query of
    persons) may be processed for ``scope``: neither the whole person nor that use of
    their data is restricted. Rows without a person pass."""
    prefix = f"{person}__" if person else ""
    ref = f"{person}_id" if person else "pk"
    covering = Restriction.objects.filter(
        person_id=OuterRef(ref), scope=scope, ended_at__isnull=True
    )
    return Q(**{f"{prefix}restricted_at__isnull": True}) & ~Exists(covering)


def restricted(person, scope: str = WHOLE) -> bool:
    """Is processing of ``person``'s data for ``scope`` restricted (whole or that use)?"""
    if person.restricted_at is not None:
        return True
    if scope == WHOLE:
        return False
    return Restriction.objects.filter(person=person, scope=scope, ended_at__isnull=True).exists()


def restriction_started(person, scope: str = WHOLE):
    """When the restriction covering ``scope`` began (the earliest; None: not restricted)."""
    started = Restriction.objects.filter(
        person=person, scope__in={WHOLE, scope}, ended_at__isnull=True
    ).aggregate(first=Min("started_at"))["first"]
    return person.restricted_at or started


def restrictions_of(person, *, active_only: bool = False):
    rows = Restriction.objects.filter(clinic_id=person.clinic_id, person=person)
    if active_only:
        rows = rows.filter(ended_at__isnull=True)
    return rows.order_by("-started_at", "-pk")


def _ground(ground, reason: str) -> str:
    ground = str(ground or "").strip()
    if not ground:  # a ground written as "Art. 18(1)(a)" (older forms and integrations)
        found = _GROUND_IN_TEXT.search(str(reason or ""))
        ground = _GROUND_BY_LETTER[found.group(1).lower()] if found else ""
    return ground


def _sync(person: Person) -> None:
    """``Person.restricted_at``: the start of the earliest active whole restriction."""
    first = Restriction.objects.filter(person=person, scope=WHOLE, ended_at__isnull=True).aggregate(
        first=Min("started_at")
    )["first"]
    if person.restricted_at != first:
        person.restricted_at = first
        person.save(update_fields=["restricted_at"])


def _locked_person(actor: Actor, person_id) -> Person:
    person = None
    if str(person_id or "").isdigit():
        person = (
            Person.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=int(person_id))
            .first()
        )
    if person is None:
        raise Http404
    return person


def restriction_set(
    *,
    actor: Actor,
    person_id,
    ground: str = "",
    scope: str = WHOLE,
    note: str = "",
    reason: str = "",
    request_id=None,
) -> Restriction:
    """Restrict processing (art. 18(1)): on a ground of (a)-(d), of the whole person or of
    one use of their data. A restriction already in force for that scope is returned as
    it is (its ground is not changed)."""
    require(actor, "privacy.manage")
    scope = str(scope or WHOLE)
    note = str(note or reason or "").strip()[:2000]
    with transaction.atomic():
        person = _locked_person(actor, person_id)
        ground = _ground(ground, reason)
        errors: dict[str, list] = {}
        if ground not in RestrictionGround.values:
            errors["ground"] = [_("Choose the ground for the restriction (art. 18(1)(a)-(d)).")]
        if scope not in RestrictionScope.values:
            errors["scope"] = [_("Choose what the restriction covers.")]
        request = None
        if request_id not in (None, ""):
            request = DataSubjectRequest.objects.filter(
                clinic=actor.clinic, person=person, pk=request_id
            ).first()
            if request is None:
                errors["request"] = [_("Choose a privacy request of this person.")]
        if errors:
            raise ValidationFailed(errors)
        current = Restriction.objects.filter(person=person, scope=scope, ended_at__isnull=True)
        existing = current.first()
        if existing is not None:
            return existing
        user = actor.user
        restriction = Restriction.objects.create(
            clinic=actor.clinic,
            person=person,
            ground=ground,
            scope=scope,
            note=note,
            request=request,
            started_by_user_id=actor.user_id,
            started_by_name=(getattr(user, "full_name", "") or "")[:200],
        )
        if scope == WHOLE:
            _sync(person)
        log_access(
            actor,
            Access(
                Action.UPDATE,
                "person",
                person.pk,
                person_id=person.pk,
                detail=f"restricted: {scope}, {ground}",
                purpose=note[:200] or "privacy request",
            ),
        )
    return restriction


def restriction_lift(*, actor: Actor, person_id, restriction_id=None) -> Person:
    """Lift a restriction (or, without ``restriction_id``, every restriction of the whole
    person, and a restriction left on the person row without one), telling the person
    first by e-mail (art. 18(3))."""
    from django.template.loader import render_to_string

    require(actor, "privacy.manage")
    with transaction.atomic():
        person = _locked_person(actor, person_id)
        active = Restriction.objects.select_for_update().filter(
            person=person, ended_at__isnull=True
        )
        if restriction_id not in (None, ""):
            if not str(restriction_id).isdigit():
                raise Http404
            ending = list(active.filter(pk=int(restriction_id)))
            if not ending:
                raise Http404
        else:
            ending = list(active.filter(scope=WHOLE))
            if not ending and person.restricted_at is None:
                return person
        clinic = actor.clinic
        if person.email:
            with translation.override(clinic.language):
                scopes = [str(RestrictionScope(r.scope).label) for r in ending] or [
                    str(RestrictionScope.WHOLE.label)
                ]
                message_enqueue(
                    clinic=clinic,
                    channel="email",
                    to=person.email,
                    subject=f"{_LIFTED} – {clinic.name}",
                    body=render_to_string(
                        "privacy/email/restriction_lifted.txt",
                        {"clinic": clinic, "person": person, "scopes": scopes},
                    ),
                    kind="notice",
                    person=person,
                    related=("person", person.pk),
                )
        now = timezone.now()
        user = actor.user
        for restriction in ending:
            restriction.ended_at = max(now, restriction.started_at)
            restriction.ended_by_user_id = actor.user_id
            restriction.ended_by_name = (getattr(user, "full_name", "") or "")[:200]
            restriction.save(update_fields=["ended_at", "ended_by_user_id", "ended_by_name"])
        if restriction_id in (None, "") and person.restricted_at is not None:
            person.restricted_at = None
            person.save(update_fields=["restricted_at"])
        else:
            _sync(person)
        log_access(
            actor,
            Access(
                Action.UPDATE,
                "person",
                person.pk,
                person_id=person.pk,
                detail="restriction lifted: " + ",".join(r.scope for r in ending or []),
            ),
        )
    return person
