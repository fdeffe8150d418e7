"""Booking writes: online and staff bookings, moves, cancellations, requests, reminders.

"Never two bookings in one slot" is guaranteed by the database (an exclusion constraint
on PostgreSQL, triggers on SQLite, see migration 0002); the checks here only turn the
common cases into friendly answers before the database has to refuse.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import uuid
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, access_batch, log_access
from praksis.booking import resources, waitlist
from praksis.booking.availability import free_slots, policy_for
from praksis.booking.models import Appointment, BookingRequest, Channel, Service
from praksis.booking.notifications import notify_appointment, notify_request
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import Clinic
from praksis.core.crypto import sha256_hex, subkey
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.input import check_date, has_nul
from praksis.core.links import base_url
from praksis.people.models import Animal, AnimalOwner, Person, Species
from praksis.people.validation import NameInvalid, clean_name, clean_person
from praksis.privacy.models import Purpose
from praksis.privacy.retention import sweep_rule
from praksis.privacy.services import consent_record, notice_current

SLOT_TAKEN = _("That time has just been taken. Please choose another time.")
PAST_NOT_MARKED = _(
    "This time has passed. To record a visit that has already taken place, mark it as such."
)
NOT_BOOKABLE = _("That is not a bookable time for this service.")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- Tokens -----------------------------------------------------------------------------


def manage_token(appointment: Appointment) -> str:
    """The secret of an appointment's manage link, derived from its UID (never stored)."""
    digest = hmac.new(subkey("manage-link"), appointment.uid.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def manage_url(appointment: Appointment, token: str | None = None) -> str:
    token = token or manage_token(appointment)
    return f"{base_url()}/{appointment.clinic.slug}/booking/{token}/"


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


# --- Checks -----------------------------------------------------------------------------


def parse_start(value, clinic: Clinic) -> datetime:
    """An aware start time; a naive one is read on the clinic's wall clock."""
    invalid = ValidationFailed({"start": [_("Enter the start as an ISO 8601 date and time.")]})
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip()
        if has_nul(text) or len(text) > 40:
            raise invalid
        try:
            parsed = parse_datetime(text)  # ValueError for 2027-02-30, T25:00, +99:00
        except ValueError:
            raise invalid from None
    if parsed is None:
        raise invalid
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=clinic.zone)
    check_date(parsed, "start")
    return parsed


def _choose_practitioner(
    *,
    clinic: Clinic,
    service: Service,
    start: datetime,
    practitioner_id: int | None,
    public: bool,
    exclude: Appointment | None = None,
) -> int:
    """The practitioner to book ``start`` with; 422 if never bookable, 409 if taken."""
    local_day = start.astimezone(clinic.zone).date()
    common = dict(
        clinic=clinic,
        service=service,
        date_from=local_day,
        date_to=local_day,
        practitioner_id=practitioner_id,
        respect_notice=public,
        at=start,
        # A booking being moved does not stand in its own way (nor its rooms).
        exclude_id=exclude.pk if exclude is not None else None,
    )
    # The common case first: the time is free (one computation). Only when it is not do
    # we ask whether it was ever bookable (422) or has been taken (409).
    free = [s for s in free_slots(**common) if s.start == start]
    if free:
        return free[0].practitioner_id
    open_slots = [s for s in free_slots(respect_bookings=False, **common) if s.start == start]
    if not open_slots:
        raise ValidationFailed({"start": [NOT_BOOKABLE]})
    raise Conflict(SLOT_TAKEN, code="slot_taken")


def _service(clinic: Clinic, service_id, *, public: bool) -> Service:
    qs = Service.objects.filter(clinic=clinic, active=True)
    if public:
        qs = qs.filter(online_bookable=True)
    try:
        service = qs.filter(pk=int(service_id)).first()
    except (TypeError, ValueError):
        service = None
    if service is None:
        raise ValidationFailed({"service": [_("Choose one of the clinic's services.")]})
    return service


def _insert(appointment: Appointment) -> Appointment:
    try:
        with transaction.atomic():
            appointment.save()
            resources.hold_resources(appointment)  # a room taken: IntegrityError, 409
    except IntegrityError as exc:
        if "reference" in str(exc):
            appointment.reference = _new_reference()
            return _insert(appointment)
        raise Conflict(SLOT_TAKEN, code="slot_taken") from exc
    return appointment


def _new_appointment(
    *, clinic, service, practitioner_id, person, start, channel, **fields
) -> Appointment:
    now = timezone.now()
    return Appointment(
        clinic=clinic,
        service=service,
        practitioner_id=practitioner_id,
        person=person,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        busy_until=start + timedelta(minutes=service.duration_minutes + service.buffer_minutes),
        channel=channel,
        reference=_new_reference(),
        uid=f"{uuid.uuid4()}@praksis",
        created_at=now,
        updated_at=now,
        **fields,
    )


def _finish(appointment: Appointment) -> Appointment:
    appointment.manage_token_hash = sha256_hex(manage_token(appointment))
    return appointment


# --- Online booking ---------------------------------------------------------------------

PUBLIC_FIELDS = ("first_name", "last_name", "identity_number", "birth_date", "email", "phone")


def booking_public_create(
    *, clinic: Clinic, data: dict, ip_address: str | None = None, user_agent: str = ""
) -> Appointment:
    """A client books online. Returns the appointment (its manage link is in the e-mail)."""
    errors: dict[str, list] = {}
    person_data = {k: data.get(k) for k in PUBLIC_FIELDS if data.get(k) not in (None, "")}
    try:
        person_values = clean_person(clinic, {**person_data, "address": ""})
    except ValidationFailed as exc:
        errors.update(exc.errors)
        person_values = {}
    if not person_data.get("email") and "email" not in errors:
        errors["email"] = [str(_("Enter your e-mail address so we can confirm the booking."))]
    if data.get("accept_privacy_notice") is not True:
        errors["accept_privacy_notice"] = [
            str(_("Please confirm that you have read the privacy notice."))
        ]
    animal = None
    if clinic.has_animals:
        species = str(data.get("animal_species") or "")
        try:
            animal_name = clean_name(
                data.get("animal_name"), required_message=_("Enter the animal's name.")
            )
        except NameInvalid as exc:
            animal_name = ""
            errors["animal_name"] = [str(exc.message)]
        if species not in Species.values:
            errors["animal_species"] = [str(_("Choose a species."))]
        animal = (animal_name, species)
    service = None
    try:
        service = _service(clinic, data.get("service"), public=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        start = parse_start(data.get("start"), clinic)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        start = None
    practitioner_id = data.get("practitioner")
    if practitioner_id is not None and not str(practitioner_id).isdigit():
        errors["practitioner"] = [str(_("Choose one of the clinic's practitioners."))]
    if errors:
        raise ValidationFailed(errors)
    if policy_for(clinic).mode != "online":
        raise ValidationFailed({"service": [_("This clinic takes booking requests instead.")]})
    practitioner_id = int(practitioner_id) if practitioner_id is not None else None
    actor = system_actor(clinic, channel="public")
    notice = notice_current(clinic=clinic)
    with transaction.atomic(), access_batch():
        chosen = _choose_practitioner(
            clinic=clinic,
            service=service,
            start=start,
            practitioner_id=practitioner_id,
            public=True,
        )
        person, match = _person_for_online_booking(actor, clinic, person_values)
        animal_obj = None
        if animal:
            animal_obj = _animal_for_online_booking(actor, clinic, person, animal, match)
        policy = policy_for(clinic)
        appointment = _finish(
            _new_appointment(
                clinic=clinic,
                service=service,
                practitioner_id=chosen,
                person=person,
                start=start,
                channel=Channel.ONLINE,
                animal=animal_obj,
                notice_version=notice.version,
                ip_address=ip_address,
                ip_expires_at=timezone.now() + timedelta(days=policy.ip_retention_days),
                identity_match=match,
                booked_first_name=person_values.get("first_name", ""),
                booked_last_name=person_values.get("last_name", ""),
                booked_email=person_values.get("email", ""),
                booked_phone=person_values.get("phone", ""),
                booked_animal=" ".join(animal) if animal and animal_obj is None else "",
            )
        )
        _insert(appointment)
        if not match:
            # Only a person this booking registered gives their consents with it. A booking
            # that matched a record on file never changes that person's consents: the
            # acknowledged notice version stays on the booking itself.
            _record_online_consents(actor, person, notice, data, ip_address, user_agent)
        _log_appointment(actor, appointment, Action.CREATE, purpose="online booking")
        notify_appointment(appointment, "confirmation", token=manage_token(appointment))
    return appointment


def _record_online_consents(actor, person, notice, data, ip_address, user_agent) -> None:
    proof = dict(channel="online", ip_address=ip_address, user_agent=user_agent)
    consent_record(
        actor=actor,
        person=person,
        purpose=Purpose.PRIVACY_NOTICE,
        text_version=f"notice-v{notice.version}",
        text_shown=str(_("I have read the privacy notice.")),
        **proof,
    )
    if data.get("marketing_opt_in") is True:
        consent_record(
            actor=actor,
            person=person,
            purpose=Purpose.MARKETING_EMAIL,
            text_version="marketing-email-v1",
            text_shown=str(_("Send me news and offers by e-mail.")),
            **proof,
        )


def _log_appointment(actor: Actor, appointment: Appointment, action: str, **details) -> None:
    log_access(
        actor,
        Access(action, "appointment", appointment.pk, person_id=appointment.person_id, **details),
    )


def _person_for_online_booking(actor: Actor, clinic: Clinic, values: dict) -> tuple[Person, str]:
    """The person an online booking is for, and how they were matched.

    A new client is registered from what they gave. An identity number already on file
    links the booking to that person and nothing more: their record, consents and contact
    details stay as they are, the booking keeps the details it was given, and staff see
    the match to confirm unless the booking came from the e-mail or phone on record.
    Knowing somebody's identity number therefore grants nothing over their record.
    """
    number = values.get("identity_number")
    existing = None
    if number:
        existing = Person.objects.by_identity(clinic, number).first()
    if existing is None:
        try:
            with transaction.atomic():
                person = Person.objects.create(clinic=clinic, **values)
        except IntegrityError:
            # The same number booked twice at once: the other request registered it.
            existing = Person.objects.by_identity(clinic, number).get()
        else:
            log_access(
                actor,
                Access(
                    Action.CREATE,
                    "person",
                    person.pk,
                    person_id=person.pk,
                    purpose="online booking",
                ),
            )
            return person, Appointment.IdentityMatch.NONE
    log_access(
        actor,
        Access(
            Action.READ,
            "person",
            existing.pk,
            person_id=existing.pk,
            purpose="online booking",
            detail="identity number matched",
        ),
    )
    same_email = (
        bool(existing.email) and existing.email.casefold() == (values.get("email") or "").casefold()
    )
    same_phone = bool(existing.phone) and existing.phone == values.get("phone")
    if same_email or same_phone:
        return existing, Appointment.IdentityMatch.SAME_CONTACT
    return existing, Appointment.IdentityMatch.TO_CONFIRM


def _animal_for_online_booking(
    actor: Actor, clinic: Clinic, person: Person, animal, match: str
) -> Animal | None:
    """The owner's animal of that name and species; a new one only for a new client.

    For a matched record the booking names the animal in its own details instead: an
    online booking adds nothing to somebody else's record.
    """
    name, species = animal
    existing = Animal.objects.filter(
        clinic=clinic, ownerships__person=person, name__iexact=name, species=species
    ).first()
    if existing or match:
        return existing
    created = Animal.objects.create(clinic=clinic, name=name, species=species)
    AnimalOwner.objects.create(clinic=clinic, animal=created, person=person, is_primary=True)
    log_access(actor, Access(Action.CREATE, "animal", created.pk, person_id=person.pk))
    return created


def appointment_identity_confirm(*, actor: Actor, appointment_id: int, same_person: bool):
    """Staff settle a booking that gave the identity number of a person on file.

    The same person: the booking stays (contact details on the record are changed, if at
    all, on the person's page). Not the same person: the booking is cancelled and the
    booker is told at the contact details they gave.
    """
    require(actor, "person.write")
    with transaction.atomic():
        appointment = _locked(actor.clinic, appointment_id)
        if appointment.identity_match != Appointment.IdentityMatch.TO_CONFIRM:
            raise Conflict(_("This booking has no identity match to confirm."))
        appointment.identity_checked_by_user_id = actor.user_id
        appointment.identity_checked_at = timezone.now()
        if same_person:
            appointment.identity_match = Appointment.IdentityMatch.CONFIRMED
            appointment.save(
                update_fields=["identity_match", "identity_checked_by_user_id",
                               "identity_checked_at"]
            )  # fmt: skip
            _log_appointment(actor, appointment, Action.UPDATE, detail="identity match confirmed")
            return appointment
        appointment.identity_match = Appointment.IdentityMatch.NONE
        appointment.save(update_fields=["identity_match", "identity_checked_by_user_id",
                                        "identity_checked_at"])  # fmt: skip
        _cancel(actor, appointment, str(_("The identity number given does not match ours.")))
        _log_appointment(actor, appointment, Action.UPDATE, detail="identity match rejected")
    return appointment


# --- Staff booking ----------------------------------------------------------------------


def appointment_book(
    *,
    actor: Actor,
    service_id: int,
    person_id: int,
    start,
    channel: str = Channel.PHONE,
    practitioner_id: int | None = None,
    animal_id: int | None = None,
    note: str = "",
    allow_past: bool = False,
    notify: bool = True,
) -> Appointment:
    """Staff book a registered person (phone, desk), within the practitioners' hours.

    ``notify=False``: the caller confirms instead (a recurring series sends one message
    for all its bookings, not one each).

    A start that has passed is refused unless ``allow_past`` says that a visit which has
    already taken place is being recorded; then no confirmation is sent and the access
    log says so.
    """
    require(actor, "person.write")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    person = Person.objects.filter(clinic=clinic, pk=person_id).first()
    if person is None:
        errors["person"] = [_("Choose a person registered at this clinic.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose phone, desk or online.")]
    animal = None
    if animal_id is not None:
        animal = Animal.objects.filter(clinic=clinic, pk=animal_id, ownerships__person_id=person_id)
        animal = animal.first()
        if animal is None:
            errors["animal"] = [_("Choose one of the person's animals.")]
    service = None
    try:
        service = _service(clinic, service_id, public=False)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    past = False
    try:
        start = parse_start(start, clinic)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    else:
        past = start < timezone.now()
        if past and not allow_past:
            errors["start"] = [PAST_NOT_MARKED]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        chosen = _choose_practitioner(
            clinic=clinic,
            service=service,
            start=start,
            practitioner_id=practitioner_id,
            public=False,
        )
        appointment = _finish(
            _new_appointment(
                clinic=clinic,
                service=service,
                practitioner_id=chosen,
                person=person,
                start=start,
                channel=channel,
                animal=animal,
                note=note[:500],
                created_by_user_id=actor.user_id,
            )
        )
        _insert(appointment)
        detail = "past visit recorded" if past else ""
        _log_appointment(actor, appointment, Action.CREATE, purpose="booking", detail=detail)
        if not past and notify:
            notify_appointment(appointment, "confirmation", token=manage_token(appointment))
    return appointment


def _locked(clinic: Clinic, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("service", "person", "clinic")
        .filter(clinic=clinic, pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def appointment_by_token(*, clinic: Clinic, token: str) -> Appointment:
    appointment = (
        Appointment.objects.select_related("service", "person", "clinic")
        .filter(clinic=clinic, manage_token_hash=sha256_hex(token))
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def _cutoff_passed(appointment: Appointment) -> bool:
    hours = policy_for(appointment.clinic).cancel_cutoff_hours
    return timezone.now() > appointment.start - timedelta(hours=hours)


def _cancel(
    actor: Actor, appointment: Appointment, reason: str, *, notify: bool = True
) -> Appointment:
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(_("This booking is no longer active."), code="not_active")
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by_user_id = actor.user_id
    appointment.cancel_reason = reason[:300]
    appointment.sequence += 1
    appointment.updated_at = timezone.now()
    appointment.save()
    resources.release_holds(appointment)
    _log_appointment(actor, appointment, Action.UPDATE, detail="cancelled")
    if notify:  # else the caller tells the client (a series: one message for all)
        notify_appointment(appointment, "cancellation")
    waitlist.offer_freed_time(appointment)  # the freed time goes to the waiting list
    return appointment


def appointment_cancel(
    *, actor: Actor, appointment_id: int, reason: str = "", notify: bool = True
) -> Appointment:
    require(actor, "person.write")
    with transaction.atomic():
        return _cancel(actor, _locked(actor.clinic, appointment_id), reason, notify=notify)


def appointment_cancel_by_client(*, clinic: Clinic, token: str, reason: str = "") -> Appointment:
    """The client cancels from the manage link, until the clinic's cut-off."""
    with transaction.atomic():
        appointment = _locked(clinic, appointment_by_token(clinic=clinic, token=token).pk)
        if _cutoff_passed(appointment):
            raise Conflict(
                _("It is too late to cancel online. Please call the clinic."), code="cutoff"
            )
        return _cancel(system_actor(clinic, channel="public"), appointment, reason or "client")


def _move(
    actor: Actor,
    appointment: Appointment,
    start,
    practitioner_id: int | None,
    public: bool,
    *,
    notify: bool = True,
):
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(_("This booking is no longer active."), code="not_active")
    start = parse_start(start, appointment.clinic)
    if start < timezone.now():
        raise ValidationFailed(
            {"start": [_("A booking cannot be moved to a time that has passed.")]}
        )
    chosen = _choose_practitioner(
        clinic=appointment.clinic,
        service=appointment.service,
        start=start,
        practitioner_id=practitioner_id,
        public=public,
        exclude=appointment,
    )
    service = appointment.service
    freed = {"start": appointment.start, "practitioner_id": appointment.practitioner_id}
    appointment.practitioner_id = chosen
    appointment.start = start
    appointment.end = start + timedelta(minutes=service.duration_minutes)
    appointment.busy_until = appointment.end + timedelta(minutes=service.buffer_minutes)
    appointment.sequence += 1
    appointment.updated_at = timezone.now()
    try:
        with transaction.atomic():
            appointment.save()
            resources.move_holds(appointment)
    except IntegrityError as exc:
        raise Conflict(SLOT_TAKEN, code="slot_taken") from exc
    _log_appointment(actor, appointment, Action.UPDATE, detail="moved")
    if notify:
        notify_appointment(appointment, "change", token=manage_token(appointment))
    waitlist.offer_freed_time(appointment, **freed)
    return appointment


def appointment_move(
    *,
    actor: Actor,
    appointment_id: int,
    start,
    practitioner_id: int | None = None,
    notify: bool = True,
) -> Appointment:
    require(actor, "person.write")
    with transaction.atomic():
        appointment = _locked(actor.clinic, appointment_id)
        return _move(actor, appointment, start, practitioner_id, False, notify=notify)


def appointment_move_by_client(*, clinic: Clinic, token: str, start) -> Appointment:
    with transaction.atomic():
        appointment = _locked(clinic, appointment_by_token(clinic=clinic, token=token).pk)
        if _cutoff_passed(appointment):
            raise Conflict(
                _("It is too late to move the booking online. Please call the clinic."),
                code="cutoff",
            )
        return _move(system_actor(clinic, channel="public"), appointment, start, None, True)


# --- The visit's way through the day: booked → arrived → completed, or no-show ----------


def _visit_day(appointment: Appointment) -> bool:
    """Whether the visit is today on the clinic's clock (a client arrives on the day)."""
    zone = appointment.clinic.zone
    return appointment.start.astimezone(zone).date() == timezone.now().astimezone(zone).date()


def _set_status(actor: Actor, appointment: Appointment, status: str, stamp: str, detail: str):
    now = timezone.now()
    appointment.status = status
    setattr(appointment, f"{stamp}_at", now)
    setattr(appointment, f"{stamp}_by_user_id", actor.user_id)
    appointment.updated_at = now
    appointment.save(update_fields=["status", f"{stamp}_at", f"{stamp}_by_user_id", "updated_at"])
    if status not in Appointment.HOLDING:  # completed or no-show: the rooms are free again
        resources.release_holds(appointment)
    _log_appointment(actor, appointment, Action.UPDATE, detail=detail)
    return appointment


def appointment_arrive(*, actor: Actor, appointment_id: int) -> Appointment:
    """The client has arrived (checked in at the desk), on the day of the visit."""
    require(actor, "person.write")
    with transaction.atomic():
        appointment = _locked(actor.clinic, appointment_id)
        if appointment.status != Appointment.Status.BOOKED or not _visit_day(appointment):
            raise Conflict(_("Only an active booking for today can be checked in."))
        return _set_status(actor, appointment, Appointment.Status.ARRIVED, "arrived", "arrived")


def appointment_complete(*, actor: Actor, appointment_id: int) -> Appointment:
    """The visit is over: from arrived, or from booked once it has started."""
    require(actor, "person.write")
    with transaction.atomic():
        appointment = _locked(actor.clinic, appointment_id)
        status = appointment.status
        started = appointment.start <= timezone.now()
        if not (
            status == Appointment.Status.ARRIVED
            or (status == Appointment.Status.BOOKED and started)
        ):
            raise Conflict(_("Only a visit that has begun can be completed."))
        return _set_status(
            actor, appointment, Appointment.Status.COMPLETED, "completed", "completed"
        )


def appointment_mark_no_show(*, actor: Actor, appointment_id: int) -> Appointment:
    require(actor, "person.write")
    with transaction.atomic():
        appointment = _locked(actor.clinic, appointment_id)
        if appointment.status != Appointment.Status.BOOKED or appointment.start > timezone.now():
            raise Conflict(_("Only a past, active booking can be marked as a no-show."))
        return _set_status(actor, appointment, Appointment.Status.NO_SHOW, "no_show", "no-show")


# --- Reminders --------------------------------------------------------------------------


def reminders_enqueue(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Queue a reminder for every booking due within its clinic's reminder window.

    Idempotent: each reminder has a dedupe key per appointment and version, so running
    this twice (or on two machines) queues each reminder once.
    """
    now = now or timezone.now()
    horizon = now + timedelta(hours=72)
    queued = 0
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            start__gt=now,
            start__lte=horizon,
            person__restricted_at__isnull=True,  # Art. 18: no reminders while restricted
        )
        .exclude(animal__deceased_on__isnull=False)  # nor about an animal that has died
        .select_related("clinic", "service", "person", "clinic__booking_policy")
        .order_by("start")
    )
    for appointment in candidates.iterator(chunk_size=batch_size):
        window = timedelta(hours=policy_for(appointment.clinic).reminder_hours)
        if appointment.start - now > window:
            continue
        with transaction.atomic():
            queued += notify_appointment(appointment, "reminder", token=manage_token(appointment))
    return queued


# --- Booking requests -------------------------------------------------------------------

_WEEKDAYS = set(range(7))


def booking_request_create(
    *, clinic: Clinic, data: dict, ip_address: str | None = None
) -> BookingRequest:
    """A client asks for a time (clinics in request mode). Expires if nobody acts on it."""
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
    if not contact.get("email") and not contact.get("phone"):
        errors["email"] = [str(_("Give an e-mail address or a phone number."))]
    weekdays = data.get("preferred_weekdays") or []
    try:
        weekdays = sorted({int(d) for d in weekdays})
    except (TypeError, ValueError):
        weekdays = [-1]
    if not set(weekdays) <= _WEEKDAYS:
        errors["preferred_weekdays"] = [str(_("Choose weekdays."))]
    preferred_time = data.get("preferred_time") or BookingRequest.TimeOfDay.ANY
    if preferred_time not in BookingRequest.TimeOfDay.values:
        errors["preferred_time"] = [str(_("Choose a time of day."))]
    service = None
    if data.get("service"):
        try:
            service = _service(clinic, data.get("service"), public=True)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if data.get("accept_privacy_notice") is not True:
        errors["accept_privacy_notice"] = [
            str(_("Please confirm that you have read the privacy notice."))
        ]
    if errors:
        raise ValidationFailed(errors)
    policy = policy_for(clinic)
    with transaction.atomic():
        request = BookingRequest.objects.create(
            clinic=clinic,
            service=service,
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            preferred_weekdays=weekdays,
            preferred_time=preferred_time,
            source=str(data.get("source") or "")[:100],
            message=str(data.get("message") or "")[:2000],
            notice_version=notice_current(clinic=clinic).version,
            ip_address=ip_address,
            expires_at=timezone.now() + timedelta(days=policy.request_expiry_days),
        )
        log_access(
            system_actor(clinic, channel="public"),
            Access(Action.CREATE, "booking_request", request.pk, purpose="booking request"),
        )
        notify_request(request, "received")
    return request


def booking_request_convert(
    *,
    actor: Actor,
    request_id: int,
    person_id: int,
    start,
    practitioner_id: int | None = None,
    service_id: int | None = None,
) -> Appointment:
    """Staff turn a request into a booking for a registered person."""
    require(actor, "person.write")
    with transaction.atomic():
        request = (
            BookingRequest.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=request_id, status=BookingRequest.Status.OPEN)
            .first()
        )
        if request is None:
            raise Http404
        appointment = appointment_book(
            actor=actor,
            service_id=service_id or request.service_id,
            person_id=person_id,
            start=start,
            practitioner_id=practitioner_id,
            channel=Channel.ONLINE,
        )
        request.status = BookingRequest.Status.CONVERTED
        request.appointment = appointment
        request.person_id = person_id
        request.save(update_fields=["status", "appointment", "person"])
    return appointment


def booking_request_decline(*, actor: Actor, request_id: int, reason: str = "") -> BookingRequest:
    require(actor, "person.write")
    with transaction.atomic():
        request = (
            BookingRequest.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=request_id, status=BookingRequest.Status.OPEN)
            .first()
        )
        if request is None:
            raise Http404
        request.status = BookingRequest.Status.DECLINED
        request.decline_reason = reason[:300]
        request.save(update_fields=["status", "decline_reason"])
        log_access(actor, Access(Action.UPDATE, "booking_request", request.pk, detail="declined"))
        notify_request(request, "declined")
    return request


def booking_requests_expire(*, now: datetime | None = None) -> int:
    """Delete requests nobody converted before they expired (their own short retention)."""
    return sweep_rule("booking-requests-expired", now=now)


def booking_ips_expire(*, now: datetime | None = None) -> int:
    """Forget the IP addresses of online bookings once their security retention ends."""
    return sweep_rule("booking-ip-addresses", now=now)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
