"""A practitioner's calendar as an iCalendar feed at a secret, revocable URL (issue 13,
part 7).

The URL's token is shown once, when the feed is made; only its SHA-256 is stored, so
the URL cannot be read back from the database. A feed shows the practitioner's bookings
(booked or arrived) from 30 days back to 180 days ahead: times and the service, and the
client's name only when whoever made the feed chose it. Never identity numbers, notes,
contact details or anything from the journal. Reading a feed that shows names is
access-logged (one row per read, like the calendar's list).

Who may: a practitioner makes and revokes feeds of their own calendar; the owner those
of anyone's. A feed stops when it is revoked, when the practitioner is no longer active
or when their role in the clinic ends.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from icalendar import Calendar, Event

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking.calendar import PRODID
from praksis.booking.models import Appointment, CalendarFeed, Practitioner
from praksis.clinics.access import Actor, can, require, system_actor
from praksis.clinics.models import Membership
from praksis.core.crypto import sha256_hex, subkey
from praksis.core.errors import ValidationFailed
from praksis.core.links import base_url

DAYS_BACK = 30
DAYS_AHEAD = 180


def _manages_all(actor: Actor) -> bool:
    return can(actor, "clinic.manage")


def feed_practitioners(*, actor: Actor) -> list[Practitioner]:
    """The practitioners whose feeds ``actor`` manages: all for the owner, else their own."""
    require(actor, "person.read")
    qs = Practitioner.objects.filter(clinic=actor.clinic, active=True).order_by("name", "pk")
    if not _manages_all(actor):
        if actor.user_id is None:
            return []
        qs = qs.filter(user_id=actor.user_id)
    return list(qs)


def may_manage_feeds(actor: Actor) -> bool:
    return _manages_all(actor) or bool(feed_practitioners(actor=actor))


def feeds_list(*, actor: Actor) -> list[CalendarFeed]:
    """The active feeds ``actor`` manages, newest first."""
    ids = [p.pk for p in feed_practitioners(actor=actor)]
    return list(
        CalendarFeed.objects.filter(
            clinic=actor.clinic, practitioner_id__in=ids, revoked_at__isnull=True
        )
        .select_related("practitioner")
        .order_by("-created_at", "-pk")
    )


def feed_url(token: str) -> str:
    return f"{base_url()}/feeds/{token}.ics"


def feed_create(
    *, actor: Actor, practitioner_id, show_names: bool = False
) -> tuple[CalendarFeed, str]:
    """A new feed of a practitioner's calendar; returns it and its URL (shown once)."""
    allowed = {p.pk: p for p in feed_practitioners(actor=actor)}
    if not allowed and not _manages_all(actor):
        raise PermissionDenied("calendar feeds")
    try:
        practitioner = allowed.get(int(practitioner_id))
    except (TypeError, ValueError):
        practitioner = None
    if practitioner is None:
        raise ValidationFailed({"practitioner": [_("Choose one of the practitioners.")]})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.create(
            clinic=actor.clinic,
            practitioner=practitioner,
            token_hash=sha256_hex(token),
            show_names=bool(show_names),
            created_by_user_id=actor.user_id,
        )
        log_access(
            actor,
            Access(
                Action.CREATE,
                "calendar_feed",
                feed.pk,
                purpose="calendar feed",
                detail=f"practitioner {practitioner.pk}; names={'yes' if show_names else 'no'}",
            ),
        )
    return feed, feed_url(token)


def feed_revoke(*, actor: Actor, feed_id: int) -> CalendarFeed:
    """Stop a feed at once (404 for a feed ``actor`` does not manage)."""
    ids = [p.pk for p in feed_practitioners(actor=actor)]
    if not ids and not _manages_all(actor):
        raise PermissionDenied("calendar feeds")
    with transaction.atomic():
        feed = (
            CalendarFeed.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=feed_id, practitioner_id__in=ids)
            .first()
        )
        if feed is None:
            raise Http404
        if feed.revoked_at is None:
            feed.revoked_at = timezone.now()
            feed.save(update_fields=["revoked_at"])
            log_access(
                actor,
                Access(Action.UPDATE, "calendar_feed", feed.pk, purpose="calendar feed",
                       detail="revoked"),
            )  # fmt: skip
    return feed


def _event_uid(appointment_uid: str) -> str:
    """A stable UID of the event that reveals nothing of the booking's own UID (from
    which its client's manage link is derived)."""
    digest = hmac.new(subkey("calendar-feed"), appointment_uid.encode(), "sha256").hexdigest()
    return f"{digest[:32]}@feed.praksis"


def feed_ics(*, token: str) -> str:
    """The feed of ``token`` as iCalendar text; Http404 for an unknown or revoked one.

    Two reads: the feed (with its practitioner, clinic and whether the practitioner's
    role has ended) and the bookings; a third write logs the names, when shown.
    """
    token = (token or "").strip()
    if not token or len(token) > 100:
        raise Http404
    ended = Membership.objects.filter(
        clinic_id=OuterRef("clinic_id"), user_id=OuterRef("practitioner__user_id"), is_active=False
    )
    feed = (
        CalendarFeed.objects.select_related("clinic", "practitioner")
        .annotate(role_ended=Exists(ended))
        .filter(token_hash=sha256_hex(token), revoked_at__isnull=True, practitioner__active=True)
        .first()
    )
    if feed is None or feed.role_ended:
        raise Http404
    clinic, practitioner = feed.clinic, feed.practitioner
    now = timezone.now()
    rows = Appointment.objects.filter(
        clinic=clinic,
        practitioner=practitioner,
        status__in=Appointment.HOLDING,
        start__gte=now - timedelta(days=DAYS_BACK),
        start__lt=now + timedelta(days=DAYS_AHEAD),
    ).order_by("start", "pk")
    fields = ["pk", "uid", "start", "end", "sequence", "updated_at", "status",
              "service__name", "service__names", "person_id"]  # fmt: skip
    if feed.show_names:
        fields += ["person__first_name", "person__last_name", "person__restricted_at",
                   "person__protected_identity"]  # fmt: skip
    appointments = list(rows.values(*fields))
    language = clinic.language
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{clinic.name} – {practitioner.name}")
    cal.add("x-wr-timezone", clinic.time_zone)
    stamp = now.astimezone(UTC)
    for a in appointments:
        event = Event()
        event.add("uid", _event_uid(a["uid"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", a["start"].astimezone(UTC))
        event.add("dtend", a["end"].astimezone(UTC))
        event.add("last-modified", a["updated_at"].astimezone(UTC))
        event.add("sequence", a["sequence"])
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        summary = (a["service__names"] or {}).get(language) or a["service__name"]
        # Never the name of someone whose data is restricted (Art. 18: only stored), nor
        # of someone with a protected identity (REQ-48: not where and when they are seen).
        if (
            feed.show_names
            and a["person__restricted_at"] is None
            and not a["person__protected_identity"]
        ):
            name = f"{a['person__first_name']} {a['person__last_name']}".strip()
            if name:
                summary = f"{summary} – {name}"
        event.add("summary", summary)
        cal.add_component(event)
    if feed.show_names and appointments:
        log_access(
            system_actor(clinic, channel="public"),
            Access(
                Action.LIST,
                "appointment",
                purpose="calendar feed",
                detail=f"feed {feed.pk} of practitioner {practitioner.pk}: client names; "
                f"results={len(appointments)}",
            ),
        )
    return cal.to_ical().decode()
