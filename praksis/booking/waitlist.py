"""The waiting list: clients who found no time that suits, and the freed times offered to them.

Who joins: a client on the public page (:func:`waitlist_join_public`), or staff for a
registered client (:func:`waitlist_add`). An entry names a service, optionally a
practitioner, the weekdays and a wall-clock window that suit, and lasts until a chosen
day (at most the booking horizon). Each entry has a leave-the-list link; only its hash is
stored.

Offers: when a booking is cancelled or moved, :func:`offer_freed_time` offers the freed
time to the oldest matching entries (same service; the practitioner if the entry names
one; a day and a window that suit; the time really bookable now), each by e-mail (or
SMS, for a phone number only) with its own claim link (hashed in the database).

Claims (:func:`offer_claim`) book through the booking service, so the database's "never
two bookings in one slot" decides: the first claim wins, every other is told the time
is gone and its offer becomes ``gone``. An offer ends at the offered start minus the
clinic's minimum notice, or when its entry ends. A claimed or gone offer books nothing.

Entries are personal data (``praksis/booking/personal_data.py``: record type
``waitlist``, deleted 30 days after the place ended).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, access_batch, log_access
from praksis.booking import services
from praksis.booking.availability import free_slots, policy_for
from praksis.booking.models import (
    Appointment,
    Channel,
    Practitioner,
    Service,
    WaitlistEntry,
    WaitlistOffer,
)
from praksis.booking.notifications import notify_appointment
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import Clinic
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.input import has_nul, parse_id
from praksis.core.links import base_url
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.people.validation import clean_person
from praksis.privacy.services import notice_current

OFFER_LIMIT = 10  # entries offered one freed time (the oldest first)
DEFAULT_DAYS = 60  # how long a place lasts unless the client chooses
TIME_GONE = _("Sorry, this time has just been taken.")
OFFER_ENDED = _("This offer has ended: the time can no longer be booked through this link.")
ALREADY_CLAIMED = _("You have already booked this time.")
NOT_WAITING = _("This place on the waiting list has ended.")


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, sha256_hex(token)


def leave_url(entry: WaitlistEntry, token: str) -> str:
    return f"{base_url()}/{entry.clinic.slug}/waitlist/leave/{token}/"


def claim_url(offer: WaitlistOffer, token: str) -> str:
    return f"{base_url()}/{offer.clinic.slug}/waitlist/offer/{token}/"


# --- The wish: service, practitioner, days, times, until ------------------------------


@dataclass
class Wish:
    service: Service
    practitioner: Practitioner | None
    weekdays: list[int]
    earliest: time | None
    latest: time | None
    expires_at: datetime


def _clock(value, field: str, errors: dict) -> time | None:
    text = str(value or "").strip()
    if not text:
        return None
    if has_nul(text) or len(text) > 8:
        errors[field] = [str(_("Enter a time as HH:MM."))]
        return None
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0)
    except ValueError:
        errors[field] = [str(_("Enter a time as HH:MM."))]
        return None


def last_day(clinic: Clinic, today: date | None = None) -> date:
    """The latest "until" a place may have: the end of the booking horizon."""
    today = today or timezone.now().astimezone(clinic.zone).date()
    return today + timedelta(days=policy_for(clinic).horizon_days)


def default_until(clinic: Clinic) -> date:
    today = timezone.now().astimezone(clinic.zone).date()
    return min(today + timedelta(days=DEFAULT_DAYS), last_day(clinic, today))


def _clean_wish(clinic: Clinic, data: dict, *, public: bool, errors: dict) -> Wish | None:
    service = None
    try:
        service = services._service(clinic, data.get("service"), public=public)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    practitioner = None
    raw = data.get("practitioner")
    if raw not in (None, ""):
        pid = parse_id(raw)
        practitioner = (
            Practitioner.objects.filter(clinic=clinic, active=True, pk=pid).first()
            if pid is not None
            else None
        )
        if practitioner is None or (
            service is not None and not service.practitioners.filter(pk=practitioner.pk).exists()
        ):
            errors["practitioner"] = [str(_("Choose one of the clinic's practitioners."))]
            practitioner = None
    weekdays = data.get("weekdays") or []
    if isinstance(weekdays, str | int):
        weekdays = [weekdays]
    try:
        days = sorted({int(d) for d in weekdays})
    except (TypeError, ValueError):
        days = [-1]
    if not days:
        errors["weekdays"] = [str(_("Choose at least one day that suits you."))]
    elif not set(days) <= set(range(7)):
        errors["weekdays"] = [str(_("Choose weekdays."))]
    earliest = _clock(data.get("earliest"), "earliest", errors)
    latest = _clock(data.get("latest"), "latest", errors)
    if earliest and latest and earliest >= latest and "latest" not in errors:
        errors["latest"] = [str(_("The end of the time window must be after its start."))]
    today = timezone.now().astimezone(clinic.zone).date()
    until = data.get("until")
    if until in (None, ""):
        until = default_until(clinic)
    elif not isinstance(until, date):
        text = str(until).strip()
        try:
            until = None if has_nul(text) or len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            until = None
        if until is None:
            errors["until"] = [str(_("Enter a date as YYYY-MM-DD."))]
    if isinstance(until, date):
        if until < today:
            errors["until"] = [str(_("Choose a day from today on."))]
        elif until > last_day(clinic, today):
            errors["until"] = [
                str(
                    _("Choose a day at most %(days)d days ahead.")
                    % {"days": policy_for(clinic).horizon_days}
                )
            ]
    if errors:
        return None
    expires_at = datetime.combine(until + timedelta(days=1), time(0), tzinfo=clinic.zone)
    return Wish(service, practitioner, days, earliest, latest, expires_at)


# --- Joining and leaving ------------------------------------------------------------------


def waitlist_join_public(
    *, clinic: Clinic, data: dict, ip_address: str | None = None
) -> tuple[WaitlistEntry, str]:
    """A client who found no time puts themselves on the list from the public page.
    Returns the entry and the secret of its leave-the-list link (sent by e-mail)."""
    errors: dict[str, list] = {}
    contact = {k: data.get(k) for k in ("first_name", "last_name", "email", "phone")}
    try:
        values = clean_person(
            clinic, {**{k: v for k, v in contact.items() if v}, "address": ""}, partial=True
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
        values = {}
    for name in ("first_name", "last_name"):
        if not contact.get(name) and name not in errors:
            errors[name] = [str(_("This field is required."))]
    if not contact.get("email") and not contact.get("phone") and "email" not in errors:
        errors["email"] = [str(_("Give an e-mail address or a phone number."))]
    if data.get("accept_privacy_notice") is not True:
        errors["accept_privacy_notice"] = [
            str(_("Please confirm that you have read the privacy notice."))
        ]
    wish = _clean_wish(clinic, data, public=True, errors=errors)
    if errors or wish is None:
        raise ValidationFailed(errors)
    if policy_for(clinic).mode != "online":
        raise ValidationFailed({"service": [_("This clinic takes booking requests instead.")]})
    token, token_hash = _new_token()
    actor = system_actor(clinic, channel="public")
    with transaction.atomic(), access_batch():
        entry = WaitlistEntry.objects.create(
            clinic=clinic,
            service=wish.service,
            practitioner=wish.practitioner,
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            weekdays=wish.weekdays,
            earliest=wish.earliest,
            latest=wish.latest,
            channel=Channel.ONLINE,
            token_hash=token_hash,
            notice_version=notice_current(clinic=clinic).version,
            expires_at=wish.expires_at,
        )
        log_access(
            actor,
            Access(Action.CREATE, "waitlist_entry", entry.pk, purpose="waitlist", detail="public"),
        )
        _notify_joined(entry, token)
    return entry, token


def waitlist_add(*, actor: Actor, person_id, data: dict) -> tuple[WaitlistEntry, str]:
    """Staff put a registered client on the list (messages go to the record's contact)."""
    require(actor, "person.write")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    pid = parse_id(person_id)
    person = Person.objects.filter(clinic=clinic, pk=pid).first() if pid is not None else None
    if person is None:
        errors["person"] = [str(_("Choose a person registered at this clinic."))]
    elif not (person.email or person.phone):
        errors["person"] = [
            str(_("The person has no e-mail address or phone number to send offers to."))
        ]
    channel = data.get("channel") or Channel.PHONE
    if channel not in Channel.values:
        errors["channel"] = [str(_("Choose phone, desk or online."))]
    wish = _clean_wish(clinic, data, public=False, errors=errors)
    if errors or wish is None:
        raise ValidationFailed(errors)
    token, token_hash = _new_token()
    with transaction.atomic(), access_batch():
        entry = WaitlistEntry.objects.create(
            clinic=clinic,
            person=person,
            service=wish.service,
            practitioner=wish.practitioner,
            weekdays=wish.weekdays,
            earliest=wish.earliest,
            latest=wish.latest,
            channel=channel,
            token_hash=token_hash,
            created_by_user_id=actor.user_id,
            expires_at=wish.expires_at,
        )
        log_access(
            actor,
            Access(Action.CREATE, "waitlist_entry", entry.pk, person_id=person.pk,
                   purpose="waitlist"),
        )  # fmt: skip
        _notify_joined(entry, token)
    return entry, token


def entry_by_token(*, clinic: Clinic, token: str) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_related("service", "practitioner", "clinic")
        .filter(clinic=clinic, token_hash=sha256_hex(str(token)))
        .first()
    )
    if entry is None:
        raise Http404
    log_access(
        system_actor(clinic, channel="public"),
        Access(Action.READ, "waitlist_entry", entry.pk, person_id=entry.person_id,
               purpose="leave link"),
    )  # fmt: skip
    return entry


def _end(entry: WaitlistEntry, status: str, now: datetime) -> None:
    """The place ends now (its retention clock starts); open offers end with it."""
    entry.status = status
    entry.expires_at = min(entry.expires_at, now)
    entry.save(update_fields=["status", "expires_at"])
    WaitlistOffer.objects.filter(entry=entry, status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.EXPIRED, answered_at=now
    )


def waitlist_leave(*, clinic: Clinic, token: str) -> WaitlistEntry:
    """The client leaves the list from the link in their confirmation."""
    now = timezone.now()
    with transaction.atomic():
        entry = entry_by_token(clinic=clinic, token=token)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == WaitlistEntry.Status.WAITING:
            _end(entry, WaitlistEntry.Status.WITHDRAWN, now)
            log_access(
                system_actor(clinic, channel="public"),
                Access(Action.UPDATE, "waitlist_entry", entry.pk, person_id=entry.person_id,
                       purpose="waitlist", detail="left the list"),
            )  # fmt: skip
    return entry


def waitlist_leave_own(*, clinic: Clinic, person_id: int, entry_id) -> WaitlistEntry:
    """A signed-in client takes their own entry off the list (404 for anyone else's)."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(clinic=clinic, person_id=person_id, pk=parse_id(entry_id) or 0)
            .first()
        )
        if entry is None:
            raise Http404
        if entry.status == WaitlistEntry.Status.WAITING:
            _end(entry, WaitlistEntry.Status.WITHDRAWN, timezone.now())
            log_access(
                system_actor(clinic, channel="account"),
                Access(Action.UPDATE, "waitlist_entry", entry.pk, person_id=person_id,
                       purpose="waitlist", detail="left the list (account)"),
            )  # fmt: skip
    return entry


def waitlist_remove(*, actor: Actor, entry_id) -> WaitlistEntry:
    """Staff take an entry off the list (404 for another clinic's)."""
    require(actor, "person.write")
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=parse_id(entry_id) or 0)
            .first()
        )
        if entry is None:
            raise Http404
        if entry.status == WaitlistEntry.Status.WAITING:
            _end(entry, WaitlistEntry.Status.WITHDRAWN, timezone.now())
        log_access(
            actor,
            Access(Action.UPDATE, "waitlist_entry", entry.pk, person_id=entry.person_id,
                   purpose="waitlist", detail="removed"),
        )  # fmt: skip
    return entry


def waitlist_list(*, actor: Actor, person_id: int | None = None, limit: int = 500):
    """The clinic's waiting entries (and those that ended recently), logged as one list."""
    require(actor, "person.read")
    now = timezone.now()
    qs = (
        WaitlistEntry.objects.filter(clinic=actor.clinic)
        .select_related("service", "practitioner", "person")
        .prefetch_related("offers")
        .order_by("-status", "created_at", "pk")
    )
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    items = list(qs[:limit])
    for entry in items:
        entry.is_waiting = entry.status == WaitlistEntry.Status.WAITING and entry.expires_at > now
        if entry.status == WaitlistEntry.Status.WAITING and not entry.is_waiting:
            entry.shown_status = WaitlistEntry.Status.EXPIRED.label
        else:
            entry.shown_status = entry.get_status_display()
    items.sort(key=lambda e: (not e.is_waiting, e.created_at, e.pk))
    log_access(
        actor,
        Access(Action.LIST, "waitlist_entry", person_id=person_id, purpose="waitlist",
               detail=f"results={len(items)}"),
    )  # fmt: skip
    return items


def waitlist_expire(*, now: datetime | None = None) -> int:
    """Mark waiting entries past their day as expired, and offers past their end (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        count = WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING, expires_at__lte=now
        ).update(status=WaitlistEntry.Status.EXPIRED)
        WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OPEN, expires_at__lte=now).update(
            status=WaitlistOffer.Status.EXPIRED
        )
    return count


# --- Offers -------------------------------------------------------------------------------


def _suits(entry: WaitlistEntry, local: datetime, duration: timedelta) -> bool:
    if local.weekday() not in (entry.weekdays or []):
        return False
    wall = local.time().replace(tzinfo=None)
    if entry.earliest and wall < entry.earliest:
        return False
    if entry.latest:
        end = local + duration
        if end.date() != local.date() or end.time().replace(tzinfo=None) > entry.latest:
            return False
    return True


def offer_freed_time(
    appointment: Appointment,
    *,
    start: datetime | None = None,
    practitioner_id: int | None = None,
    now: datetime | None = None,
    limit: int = OFFER_LIMIT,
) -> list[WaitlistOffer]:
    """Offer the time ``appointment`` freed to the waiting list (call it in the
    transaction that cancels or moves it, after the change is saved).

    ``start`` and ``practitioner_id`` are the freed time: by default the appointment's
    own (a cancellation); for a move, pass its start and practitioner before the move.
    The time is offered only if it can be booked online now; then to at most ``limit``
    waiting, unexpired entries for the same service whose practitioner (if any), days
    and window suit it, oldest first. Returns the offers made (their messages queued).
    """
    clinic = appointment.clinic
    service = appointment.service
    start = start or appointment.start
    practitioner_id = practitioner_id or appointment.practitioner_id
    now = now or timezone.now()
    if start <= now or limit <= 0:
        return []
    zone = clinic.zone
    local = start.astimezone(zone)
    bookable = free_slots(
        clinic=clinic,
        service=service,
        date_from=local.date(),
        date_to=local.date(),
        practitioner_id=practitioner_id,
        at=start,
        now=now,
    )
    if not any(s.start == start and s.practitioner_id == practitioner_id for s in bookable):
        return []
    duration = timedelta(minutes=service.duration_minutes)
    candidates = (
        WaitlistEntry.objects.filter(
            clinic=clinic,
            service=service,
            status=WaitlistEntry.Status.WAITING,
            expires_at__gt=now,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner_id=practitioner_id))
        .filter(Q(person__isnull=True) | Q(person__restricted_at__isnull=True))  # Art. 18
        .exclude(
            pk__in=WaitlistOffer.objects.filter(
                clinic=clinic,
                start=start,
                status__in=(WaitlistOffer.Status.OPEN, WaitlistOffer.Status.CLAIMED),
            ).values("entry_id")
        )
        .select_related("person", "clinic", "service")
        .order_by("created_at", "pk")
    )
    notice = timedelta(minutes=policy_for(clinic).min_notice_minutes)
    offers: list[WaitlistOffer] = []
    actor = system_actor(clinic, channel="system")
    with transaction.atomic(), access_batch():
        for entry in candidates.iterator(chunk_size=100):
            if len(offers) >= limit:
                break
            if not _suits(entry, local, duration):
                continue
            token, token_hash = _new_token()
            fields = dict(
                clinic=clinic,
                practitioner_id=practitioner_id,
                token_hash=token_hash,
                status=WaitlistOffer.Status.OPEN,
                appointment=None,
                created_at=now,
                expires_at=min(start - notice, entry.expires_at),
                answered_at=None,
            )
            # A time offered before (and gone then) is offered again with a new link.
            offer, _created = WaitlistOffer.objects.update_or_create(
                entry=entry, start=start, defaults=fields
            )
            offer.entry = entry
            log_access(
                actor,
                Access(Action.CREATE, "waitlist_offer", offer.pk, person_id=entry.person_id,
                       purpose="waitlist", detail=f"freed by appointment {appointment.pk}"),
            )  # fmt: skip
            _notify_offer(offer, token)
            offers.append(offer)
    return offers


def offer_by_token(*, clinic: Clinic, token: str) -> WaitlistOffer:
    """The offer a claim link names (404 for any other link or clinic); the read is logged."""
    offer = (
        WaitlistOffer.objects.select_related(
            "entry", "entry__service", "entry__person", "practitioner", "clinic"
        )
        .filter(clinic=clinic, token_hash=sha256_hex(str(token)))
        .first()
    )
    if offer is None:
        raise Http404
    log_access(
        system_actor(clinic, channel="public"),
        Access(Action.READ, "waitlist_offer", offer.pk, person_id=offer.entry.person_id,
               purpose="claim link"),
    )  # fmt: skip
    return offer


def offer_state(offer: WaitlistOffer, now: datetime | None = None) -> str:
    """``open`` (may be claimed), ``claimed``, ``gone`` or ``expired``, as of now."""
    now = now or timezone.now()
    if offer.status != WaitlistOffer.Status.OPEN:
        return offer.status
    if offer.expires_at <= now or offer.entry.status != WaitlistEntry.Status.WAITING:
        return WaitlistOffer.Status.EXPIRED
    return WaitlistOffer.Status.OPEN


def _refusal(state: str) -> Conflict:
    if state == WaitlistOffer.Status.CLAIMED:
        return Conflict(ALREADY_CLAIMED, code="claimed")
    if state == WaitlistOffer.Status.GONE:
        return Conflict(TIME_GONE, code="gone")
    return Conflict(OFFER_ENDED, code="expired")


CLAIM_FIELDS = ("identity_number", "birth_date", "email", "phone", "animal_name", "animal_species")


def offer_claim(
    *,
    clinic: Clinic,
    token: str,
    data: dict | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Appointment:
    """Book the offered time. The first claim wins (the booking's own database guarantee);
    every later one raises ``Conflict(TIME_GONE)`` and its offer becomes ``gone``.

    A client who joined on the public page books as an online booking does (``data``
    gives what the clinic's profile asks for: identity number or birth date, the animal),
    with the name and contact details of the entry; a client staff put on the list is
    booked as that registered person.
    """
    data = data or {}
    offer = offer_by_token(clinic=clinic, token=token)
    state = offer_state(offer)
    if state != WaitlistOffer.Status.OPEN:
        raise _refusal(state)
    now = timezone.now()
    try:
        with transaction.atomic():
            # One claim of this offer at a time (a double click waits, then is refused).
            locked = (
                WaitlistOffer.objects.select_for_update()
                .filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN)
                .first()
            )
            if locked is None:
                offer.refresh_from_db(fields=["status"])
                raise _refusal(offer.status)
            entry = offer.entry
            if entry.person_id is None:
                appointment = _book_public(offer, data, ip_address, user_agent)
            else:
                appointment = _book_person(offer)
            WaitlistOffer.objects.filter(pk=offer.pk).update(
                status=WaitlistOffer.Status.CLAIMED, appointment=appointment, answered_at=now
            )
            WaitlistEntry.objects.filter(pk=entry.pk).update(
                status=WaitlistEntry.Status.BOOKED,
                appointment=appointment,
                expires_at=min(entry.expires_at, now),
            )
            log_access(
                system_actor(clinic, channel="public"),
                Access(Action.UPDATE, "waitlist_offer", offer.pk,
                       person_id=appointment.person_id, purpose="waitlist", detail="claimed"),
            )  # fmt: skip
    except ValidationFailed as exc:
        if not set(exc.errors) & {"start", "service", "practitioner"}:
            raise  # what the client typed: the form shows it again
        # The time can no longer be booked at all (too close, or the clinic changed it).
        WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN).update(
            status=WaitlistOffer.Status.EXPIRED, answered_at=now
        )
        raise Conflict(OFFER_ENDED, code="expired") from exc
    except Conflict as exc:
        if exc.code == "slot_taken":
            WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN).update(
                status=WaitlistOffer.Status.GONE, answered_at=now
            )
            raise Conflict(TIME_GONE, code="gone") from exc
        raise
    # The entry's other offers end; the others' offers of this time are gone. After the
    # commit, not in it: a losing claim holds the lock of its own offer while the database
    # makes it wait for this booking, so touching its row in this transaction deadlocks.
    # Until this runs, those claims are refused by the booking itself.
    WaitlistOffer.objects.filter(entry=entry, status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.EXPIRED, answered_at=now
    )
    others = WaitlistOffer.objects.filter(
        clinic=clinic,
        practitioner_id=appointment.practitioner_id,
        start__gte=appointment.start,
        start__lt=appointment.busy_until,
        status=WaitlistOffer.Status.OPEN,
    )
    told = list(others.select_related("entry__service", "entry__practitioner", "entry__person"))
    others.filter(pk__in=[o.pk for o in told]).update(status=WaitlistOffer.Status.GONE)
    # Those still waiting for an answer learn that the time is taken (and that they stay
    # on the list), instead of finding out only when they open the link.
    for other in told:
        if other.entry.status == WaitlistEntry.Status.WAITING:
            _notify_gone(other)
    return appointment


def _book_public(offer: WaitlistOffer, data: dict, ip_address, user_agent) -> Appointment:
    """As an online booking: the person found or registered from what was given."""
    entry = offer.entry
    given = {k: data.get(k) for k in CLAIM_FIELDS if data.get(k) not in (None, "")}
    accepted = data.get("accept_privacy_notice") is True or (
        entry.notice_version is not None
        and entry.notice_version == notice_current(clinic=offer.clinic).version
    )
    return services.booking_public_create(
        clinic=offer.clinic,
        data={
            "email": entry.email,
            "phone": entry.phone,
            **given,
            "first_name": entry.first_name,
            "last_name": entry.last_name,
            "service": entry.service_id,
            "start": offer.start,
            "practitioner": offer.practitioner_id,
            "accept_privacy_notice": accepted,
            "marketing_opt_in": False,
        },
        ip_address=ip_address,
        user_agent=user_agent,
    )


def _book_person(offer: WaitlistOffer) -> Appointment:
    """The registered person staff put on the list, booked at the offered time."""
    entry = offer.entry
    clinic = offer.clinic
    service = entry.service
    actor = system_actor(clinic, channel="public")
    with transaction.atomic(), access_batch():
        chosen = services._choose_practitioner(
            clinic=clinic,
            service=service,
            start=offer.start,
            practitioner_id=offer.practitioner_id,
            public=True,
        )
        appointment = services._finish(
            services._new_appointment(
                clinic=clinic,
                service=service,
                practitioner_id=chosen,
                person=entry.person,
                start=offer.start,
                channel=Channel.ONLINE,
                note=str(_("Booked from the waiting list"))[:500],
            )
        )
        services._insert(appointment)
        log_access(
            actor,
            Access(Action.CREATE, "appointment", appointment.pk, person_id=entry.person_id,
                   purpose="waitlist"),
        )  # fmt: skip
        notify_appointment(appointment, "confirmation", token=services.manage_token(appointment))
    return appointment


# --- Messages -----------------------------------------------------------------------------


def _contact(entry: WaitlistEntry) -> tuple[str, str]:
    """Where messages about the entry go: what was given on the public page, else the
    record's contact details."""
    if entry.email or entry.phone or entry.person_id is None:
        return entry.email, entry.phone
    return entry.person.email, entry.person.phone


def _send(entry: WaitlistEntry, *, subject: str, template: str, context: dict, kind: str):
    email, phone = _contact(entry)
    related = ("waitlist_entry", entry.pk)
    person = entry.person if entry.person_id else None
    if email:
        message_enqueue(
            clinic=entry.clinic,
            channel="email",
            to=email,
            subject=f"{subject} – {entry.clinic.name}",
            body=render_to_string(f"booking/email/{template}.txt", context),
            kind=kind,
            person=person,
            related=related,
        )
    elif phone:
        message_enqueue(
            clinic=entry.clinic,
            channel="sms",
            to=phone,
            subject="",
            body=render_to_string(f"booking/sms/{template}.txt", context).strip(),
            kind=kind,
            person=person,
            related=related,
        )


def _entry_context(entry: WaitlistEntry, language: str) -> dict:
    clinic = entry.clinic
    return {
        "entry": entry,
        "clinic": clinic,
        "service_name": entry.service.localized_name(language),
        "practitioner": entry.practitioner.name if entry.practitioner_id else "",
        "until": (entry.expires_at - timedelta(seconds=1)).astimezone(clinic.zone).date(),
    }


def _notify_joined(entry: WaitlistEntry, token: str) -> None:
    clinic = entry.clinic
    with translation.override(clinic.language), timezone.override(clinic.zone):
        context = {**_entry_context(entry, clinic.language), "leave_url": leave_url(entry, token)}
        _send(
            entry,
            subject=gettext("You are on the waiting list"),
            template="waitlist_joined",
            context=context,
            kind="confirmation",
        )


def _notify_offer(offer: WaitlistOffer, token: str) -> None:
    _about_offer(
        offer,
        subject=lambda: gettext("A time has become free"),
        template="waitlist_offer",
        answer_by=offer.expires_at.astimezone(offer.entry.clinic.zone),
        claim_url=claim_url(offer, token),
    )


def _notify_gone(offer: WaitlistOffer) -> None:
    _about_offer(
        offer, subject=lambda: gettext("The free time has been booked"), template="waitlist_gone"
    )


def _about_offer(offer: WaitlistOffer, *, subject, template: str, **extra) -> None:
    """A message about an offered time, in the clinic's language and time zone."""
    entry = offer.entry
    clinic = entry.clinic
    with translation.override(clinic.language), timezone.override(clinic.zone):
        context = {
            **_entry_context(entry, clinic.language),
            "offer": offer,
            "local_start": offer.start.astimezone(clinic.zone),
            **extra,
        }
        _send(entry, subject=subject(), template=template, context=context, kind="other")
