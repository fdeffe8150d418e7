"""Setting up how a clinic takes bookings (owner only): services, each practitioner's
weekly hours and absences, and the days the clinic is closed.

Staff are addressed by their ``Membership`` id (the ``id`` of ``/api/v1/staff``); the
booking side keeps a ``Practitioner`` per member, made on first use. Every write is one
transaction with its access-log row. Availability reads hours, absences and closed days
afresh on every request (one statement, no cache), so a change is bookable at once.
Closing a day or adding an absence never moves or cancels a booking: the bookings it
touches are returned (and listed on the pages) for staff to move.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise

import holidays
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.booking import resources
from praksis.booking.models import (
    Absence,
    Appointment,
    ClosedDay,
    Practitioner,
    Service,
    WorkingHours,
)
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, Membership
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.input import check_date
from praksis.people.validation import CHARACTERS_NOT_ALLOWED, has_forbidden_characters

# Setting up the clinic is the owner's.
SETUP = "clinic.manage"
PURPOSE = "clinic set-up"
MAX_ID = 2**63 - 1
LANGUAGES = ("sv", "nb", "en")
NAME_MAX = 200
PRICE_LIMIT = Decimal(1_000_000)
DURATION = (5, 600)  # minutes; also the model's check constraint
BUFFER_MAX = 240
# VAT rates per country (percent), as in sales.money.VAT_RATES (a test keeps them equal).
VAT_RATES: dict[str, tuple[Decimal, ...]] = {
    "SE": (Decimal("25.00"), Decimal("12.00"), Decimal("6.00"), Decimal("0.00")),
    "NO": (Decimal("25.00"), Decimal("15.00"), Decimal("12.00"), Decimal("0.00")),
}
# A new service's VAT when none is given: care by licensed staff is exempt (optician's
# examinations, dental care); massage and veterinary services are not. The owner decides.
PROFILE_VAT = {
    "optician": Decimal("0.00"),
    "dental": Decimal("0.00"),
    "therapy": Decimal("25.00"),
    "veterinary": Decimal("25.00"),
}
STRETCHES_PER_DAY = 10
MAX_ABSENCE_DAYS = 400
REASON_MAX = 200
END_OF_DAY = time.max  # "24:00" is stored as the last instant of the day
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")


def as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _log(actor: Actor, action: str, object_type: str, object_id, detail: str = "") -> None:
    log_access(actor, Access(action, object_type, object_id, purpose=PURPOSE, detail=detail))


# --- Staff as practitioners -------------------------------------------------------------


def practitioner_for_membership(membership: Membership) -> Practitioner:
    """The clinic's practitioner for this member of staff, made when missing (named and
    titled from their account) and made active again while the membership is active."""
    user = membership.user
    practitioner = Practitioner.objects.filter(clinic_id=membership.clinic_id, user=user).first()
    if practitioner is None:
        try:
            with transaction.atomic():
                practitioner = Practitioner.objects.create(
                    clinic_id=membership.clinic_id,
                    user=user,
                    name=user.full_name or user.email,
                    title=user.title,
                )
        except IntegrityError:  # made at the same moment by another request
            practitioner = Practitioner.objects.get(clinic_id=membership.clinic_id, user=user)
    if membership.is_active and not practitioner.active:
        practitioner.active = True
        practitioner.save(update_fields=["active"])
    return practitioner


def practitioner_deactivate_for_membership(membership: Membership) -> None:
    """When a member of staff leaves: clients can no longer book them (their hours and
    bookings stay, for the record and for staff to move)."""
    Practitioner.objects.filter(clinic_id=membership.clinic_id, user_id=membership.user_id).update(
        active=False
    )


def membership_get(*, actor: Actor, membership_id: int) -> Membership:
    """A member of the actor's clinic (owner only); anything else is not found."""
    require(actor, SETUP)
    membership = None
    if as_id(membership_id):
        membership = (
            Membership.objects.select_related("user")
            .filter(pk=membership_id, clinic=actor.clinic)
            .first()
        )
    if membership is None:
        raise Http404("membership")
    return membership


def staff_members(*, actor: Actor) -> list[Membership]:
    """The clinic's active staff, for choosing who gives a service."""
    require(actor, SETUP)
    return list(
        Membership.objects.select_related("user")
        .filter(clinic=actor.clinic, is_active=True, user__is_active=True)
        .order_by("user__full_name", "pk")
    )


def _memberships_by_user(clinic: Clinic) -> dict[int, int]:
    return dict(Membership.objects.filter(clinic=clinic).values_list("user_id", "pk"))


# --- Services ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    """A service as the set-up pages and the API show it."""

    service: Service
    practitioners: list[int]  # membership ids
    others: list[str]  # practitioners without a staff account (kept as they are)
    resources: tuple[int, ...] = ()  # the rooms and equipment it needs


def services_list(*, actor: Actor) -> list[ServiceRow]:
    require(actor, SETUP)
    members = _memberships_by_user(actor.clinic)
    items = (
        Service.objects.filter(clinic=actor.clinic)
        .prefetch_related("practitioners", "resources")
        .order_by("-active", "name", "pk")
    )
    return [_row(service, members) for service in items[:1000]]


def service_get(*, actor: Actor, service_id: int) -> ServiceRow:
    require(actor, SETUP)
    service = None
    if as_id(service_id):
        service = Service.objects.filter(clinic=actor.clinic, pk=service_id).first()
    if service is None:
        raise Http404("service")
    return _row(service, _memberships_by_user(actor.clinic))


def _row(service: Service, members: dict[int, int]) -> ServiceRow:
    staff = sorted(service.practitioners.all(), key=lambda p: (p.name, p.pk))
    return ServiceRow(
        service=service,
        practitioners=[members[p.user_id] for p in staff if p.user_id in members],
        others=[p.name for p in staff if p.user_id not in members],
        resources=tuple(resources.service_need_ids(service)),
    )


def _text(value, *, field: str, errors: dict, required: bool, limit: int = NAME_MAX) -> str:
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    if has_forbidden_characters(text):
        errors[field] = [CHARACTERS_NOT_ALLOWED]
        return ""
    text = " ".join(text.split())
    if required and not text:
        errors[field] = [_("This field is required.")]
    elif len(text) > limit:
        errors[field] = [_("Use at most %(max)d characters.") % {"max": limit}]
    return text


def _number(value, *, field: str, errors: dict, low: int, high: int) -> int | None:
    number = None if isinstance(value, bool) else value
    if isinstance(number, str) and number.strip().isdigit():
        number = int(number.strip())
    if not isinstance(number, int) or not low <= number <= high:
        errors[field] = [
            _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        ]
        return None
    return number


def _decimal(value) -> Decimal | None:
    """A finite number with at most two decimals, from text ("1 250,50") or a number."""
    if isinstance(value, bool) or value is None:
        return None
    text = repr(value) if isinstance(value, float) else str(value)
    text = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
        rounded = number.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return rounded if number.is_finite() and rounded == number else None


def _names(value, errors: dict) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not set(value) <= set(LANGUAGES):
        errors["names"] = [_("Give names only for sv, nb and en.")]
        return {}
    names = {}
    for language in LANGUAGES:
        text = _text(value.get(language), field="names", errors=errors, required=False)
        if text:
            names[language] = text
    return names


def _practitioners(clinic: Clinic, value, errors: dict) -> list[Membership]:
    """Active members of the clinic, by membership id; anything else is a field error."""
    if not isinstance(value, list | tuple):
        errors["practitioners"] = [_("Choose the staff who give this service.")]
        return []
    ids = [as_id(v) for v in value]
    found = {
        m.pk: m
        for m in Membership.objects.select_related("user").filter(
            clinic=clinic, pk__in=[i for i in ids if i], is_active=True, user__is_active=True
        )
    }
    if len(ids) > 100 or any(i not in found for i in ids):
        errors["practitioners"] = [_("Choose active members of this clinic's staff.")]
        return []
    return [found[i] for i in dict.fromkeys(ids)]


def _price(clinic: Clinic, value, field: str, errors: dict) -> Decimal | None:
    price = _decimal(value)
    if price is None or not 0 <= price < PRICE_LIMIT:
        errors[field] = [
            _("Enter a price including VAT from 0 to 999 999.99, with at most two decimals.")
        ]
    return price


def _vat_rate(clinic: Clinic, value, field: str, errors: dict) -> Decimal | None:
    rate = _decimal(value)
    if rate not in VAT_RATES[clinic.country]:
        rates = ", ".join(f"{r.normalize():f}" for r in VAT_RATES[clinic.country])
        errors[field] = [_("Choose a VAT rate of this country: %(rates)s %%.") % {"rates": rates}]
    return rate


def _yes_no(clinic: Clinic, value, field: str, errors: dict):
    if not isinstance(value, bool):
        errors[field] = [_("Choose yes or no.")]
    return value


# Each field of a service and its check: (clinic, value, field, errors) -> the value kept.
_SERVICE_FIELDS = {
    "name": lambda c, v, f, e: _text(v, field=f, errors=e, required=True),
    "names": lambda c, v, f, e: _names(v, e),
    "duration_minutes": lambda c, v, f, e: _number(v, field=f, errors=e, low=DURATION[0],
                                                   high=DURATION[1]),
    "buffer_minutes": lambda c, v, f, e: _number(v, field=f, errors=e, low=0, high=BUFFER_MAX),
    "price": _price,
    "vat_rate": _vat_rate,
    "online_bookable": _yes_no,
    "active": _yes_no,
}  # fmt: skip
_REQUIRED = {"name", "duration_minutes", "price"}


def _service_values(clinic: Clinic, data: dict, *, creating: bool) -> tuple[dict, list | None]:
    """Checked fields of a service (only those given, when changing one) and the staff
    who give it (None: unchanged). Raises ValidationFailed with a message per field."""
    errors: dict[str, list] = {}
    given = set(data) | (_REQUIRED if creating else set())
    values = {
        field: check(clinic, data.get(field), field, errors)
        for field, check in _SERVICE_FIELDS.items()
        if field in given
    }
    if creating and "vat_rate" not in given:
        values["vat_rate"] = PROFILE_VAT.get(clinic.profile, Decimal("0.00"))
    staff = None
    if data.get("practitioners") is not None or creating:
        staff = _practitioners(clinic, data.get("practitioners") or [], errors)
    needs = resources.service_needs(clinic, data.get("resources"), errors)
    if errors:
        raise ValidationFailed(errors)
    return values, staff, needs


def _set_practitioners(service: Service, staff: list[Membership]) -> None:
    """The service is given by these members (practitioners without a staff account,
    which the set-up cannot name, stay as they are)."""
    chosen = [practitioner_for_membership(m) for m in staff]
    unlinked = list(service.practitioners.filter(user__isnull=True))
    service.practitioners.set(chosen + unlinked)


@transaction.atomic
def service_create(*, actor: Actor, data: dict) -> Service:
    require(actor, SETUP)
    values, staff, needs = _service_values(actor.clinic, data, creating=True)
    service = Service.objects.create(clinic=actor.clinic, **values)
    _set_practitioners(service, staff or [])
    resources.set_service_needs(service, needs)
    _log(actor, Action.CREATE, "service", service.pk, f"practitioners={len(staff or [])}")
    return service


@transaction.atomic
def service_update(*, actor: Actor, service_id: int, data: dict) -> Service:
    """Change the fields given; ``{"active": false}`` deactivates (a service is never
    deleted: bookings refer to it). Bookings already made keep their times."""
    require(actor, SETUP)
    service = None
    if as_id(service_id):
        service = (
            Service.objects.select_for_update().filter(clinic=actor.clinic, pk=service_id).first()
        )
    if service is None:
        raise Http404("service")
    values, staff, needs = _service_values(actor.clinic, data, creating=False)
    for field, value in values.items():
        setattr(service, field, value)
    if values:
        service.save(update_fields=list(values))
    if staff is not None:
        _set_practitioners(service, staff)
    resources.set_service_needs(service, needs)
    changed = sorted(values) + (["practitioners"] if staff is not None else [])
    changed += ["resources"] if needs is not None else []
    _log(actor, Action.UPDATE, "service", service.pk, "changed=" + ",".join(changed))
    return service


# --- Weekly hours -----------------------------------------------------------------------


def format_hhmm(value: time) -> str:
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


def _parse_hhmm(value) -> time | None:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        return None
    if value == "24:00":
        return END_OF_DAY
    return time(int(value[:2]), int(value[3:]))


def hours_get(*, actor: Actor, membership_id: int) -> list[WorkingHours]:
    """The member's week, ordered by day and time (none when they have no hours yet)."""
    membership = membership_get(actor=actor, membership_id=membership_id)
    return list(
        WorkingHours.objects.filter(
            clinic=actor.clinic, practitioner__user_id=membership.user_id
        ).order_by("weekday", "start")
    )


def _week(week, errors: dict) -> list[tuple[int, time, time]]:
    """``[{"weekday", "start", "end"}, ...]`` as rows; errors under ``week.N.field``."""
    if not isinstance(week, list | tuple):
        errors["__all__"] = [_("Send the week as a list of stretches.")]
        return []
    rows = []
    for index, item in enumerate(week):
        item = item if isinstance(item, dict) else {}
        prefix = f"week.{index}."
        weekday = item.get("weekday")
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            errors[prefix + "weekday"] = [_("Choose a weekday from 0 (Monday) to 6 (Sunday).")]
        start, end = _parse_hhmm(item.get("start")), _parse_hhmm(item.get("end"))
        for field, value in (("start", start), ("end", end)):
            if value is None:
                errors[prefix + field] = [_("Enter a time as HH:MM, from 00:00 to 24:00.")]
        if start == END_OF_DAY:
            errors[prefix + "start"] = [_("A stretch cannot start at 24:00.")]
        elif start is not None and end is not None and end <= start:
            errors[prefix + "end"] = [_("The end must be later than the start.")]
        rows.append((index, weekday, start, end))
    valid = [r for r in rows if not any(k.startswith(f"week.{r[0]}.") for k in errors)]
    _check_overlaps(valid, errors)
    return [(weekday, start, end) for _index, weekday, start, end in valid]


def _check_overlaps(rows: list, errors: dict) -> None:
    by_day: dict[int, list] = {}
    for row in rows:
        by_day.setdefault(row[1], []).append(row)
    for day_rows in by_day.values():
        day_rows.sort(key=lambda r: (r[2], r[3]))
        if len(day_rows) > STRETCHES_PER_DAY:
            errors[f"week.{day_rows[-1][0]}.weekday"] = [
                _("At most %(max)d stretches a day.") % {"max": STRETCHES_PER_DAY}
            ]
        for before, after in pairwise(day_rows):
            if after[2] < before[3]:
                errors[f"week.{after[0]}.start"] = [
                    _("This stretch overlaps another one on the same day.")
                ]


@transaction.atomic
def hours_replace(*, actor: Actor, membership_id: int, week) -> list[WorkingHours]:
    """Replace the member's whole week in one transaction. Several stretches a day are
    that day's hours with breaks between them; times are on the clinic's wall clock."""
    membership = membership_get(actor=actor, membership_id=membership_id)
    if not membership.is_active:
        raise Conflict(_("This member of staff is deactivated."))
    errors: dict[str, list] = {}
    rows = _week(week, errors)
    if errors:
        raise ValidationFailed(errors)
    practitioner = practitioner_for_membership(membership)
    WorkingHours.objects.filter(practitioner=practitioner).delete()
    created = WorkingHours.objects.bulk_create(
        WorkingHours(clinic=actor.clinic, practitioner=practitioner, weekday=d, start=s, end=e)
        for d, s, e in sorted(rows)
    )
    _log(actor, Action.UPDATE, "working_hours", practitioner.pk, f"stretches={len(created)}")
    return created


# --- Bookings that a closing or an absence touches ---------------------------------------


def _booked(clinic: Clinic):
    return Appointment.objects.filter(clinic=clinic, status__in=Appointment.HOLDING)


def _list_logged(actor: Actor, appointments, why: str) -> list[Appointment]:
    items = list(
        appointments.select_related("practitioner", "service", "person").order_by("start")[:500]
    )
    if items:
        log_access(
            actor,
            Access(Action.LIST, "appointment", purpose=why, detail=f"results={len(items)}"),
        )
    return items


def _day_range(clinic: Clinic, first: date, last: date) -> tuple[datetime, datetime]:
    zone = clinic.zone
    return (
        datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone),
    )


def _on_days(clinic: Clinic, days: list[date]) -> Q:
    """Appointments that start on one of these local days."""
    condition = Q(pk__in=[])
    for day in days:
        start, end = _day_range(clinic, day, day)
        condition |= Q(start__gte=start, start__lt=end)
    return condition


def bookings_on_days(*, actor: Actor, days: list[date]) -> list[Appointment]:
    """Booked appointments on these local days (closing them does not cancel them)."""
    if not days:
        return []
    booked = _booked(actor.clinic).filter(_on_days(actor.clinic, days))
    return _list_logged(actor, booked, "closing day")


def bookings_in_absence(*, actor: Actor, absence: Absence) -> list[Appointment]:
    appointments = _booked(actor.clinic).filter(
        practitioner=absence.practitioner, start__lt=absence.end, busy_until__gt=absence.start
    )
    return _list_logged(actor, appointments, "absence")


def bookings_on_closed_days(*, actor: Actor) -> list[Appointment]:
    """Bookings still on a day the clinic has closed, from today on: staff move them."""
    require(actor, SETUP)
    today = timezone.now().astimezone(actor.clinic.zone).date()
    days = list(
        ClosedDay.objects.filter(clinic=actor.clinic, date__gte=today)
        .order_by("date")
        .values_list("date", flat=True)[:400]
    )
    return bookings_on_days(actor=actor, days=days)


def bookings_in_absences(*, actor: Actor, membership_id: int) -> list[Appointment]:
    """The member's bookings that fall in one of their absences (now or later)."""
    membership = membership_get(actor=actor, membership_id=membership_id)
    overlapping = Absence.objects.filter(
        practitioner_id=OuterRef("practitioner_id"),
        start__lt=OuterRef("busy_until"),
        end__gt=OuterRef("start"),
    )
    appointments = _booked(actor.clinic).filter(
        practitioner__user_id=membership.user_id, end__gt=timezone.now()
    )
    return _list_logged(actor, appointments.filter(Exists(overlapping)), "absence")


# --- Absences ---------------------------------------------------------------------------


def _moment(value, clinic: Clinic, field: str, errors: dict) -> datetime | None:
    """A date and time on the clinic's clock ("2026-07-01T08:00"), or with an offset."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        errors[field] = [_("Enter a date and time as YYYY-MM-DDTHH:MM.")]
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clinic.zone)
    try:
        check_date(moment, field)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None
    return moment


def absences_list(*, actor: Actor, membership_id: int) -> list[Absence]:
    """The member's absences that have not ended, soonest first."""
    membership = membership_get(actor=actor, membership_id=membership_id)
    return list(
        Absence.objects.filter(
            clinic=actor.clinic,
            practitioner__user_id=membership.user_id,
            end__gt=timezone.now(),
        ).order_by("start")[:500]
    )


@transaction.atomic
def absence_add(
    *, actor: Actor, membership_id: int, start, end, reason: str = ""
) -> tuple[Absence, list[Appointment]]:
    """Record an absence; returns it with the bookings it touches (they stay booked)."""
    membership = membership_get(actor=actor, membership_id=membership_id)
    errors: dict[str, list] = {}
    begins = _moment(start, actor.clinic, "start", errors)
    ends = _moment(end, actor.clinic, "end", errors)
    reason = _text(reason, field="reason", errors=errors, required=False, limit=REASON_MAX)
    if begins and ends and ends <= begins:
        errors["end"] = [_("The end must be later than the start.")]
    elif begins and ends and ends - begins > timedelta(days=MAX_ABSENCE_DAYS):
        errors["end"] = [_("Enter at most %(days)d days at a time.") % {"days": MAX_ABSENCE_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    practitioner = practitioner_for_membership(membership)
    absence = Absence.objects.create(
        clinic=actor.clinic, practitioner=practitioner, start=begins, end=ends, reason=reason
    )
    affected = bookings_in_absence(actor=actor, absence=absence)
    _log(actor, Action.CREATE, "absence", absence.pk, f"bookings in it={len(affected)}")
    return absence, affected


@transaction.atomic
def absence_delete(*, actor: Actor, absence_id: int) -> int:
    """Remove an absence; returns the membership id it belonged to."""
    require(actor, SETUP)
    absence = None
    if as_id(absence_id):
        absence = (
            Absence.objects.select_related("practitioner")
            .filter(clinic=actor.clinic, pk=absence_id)
            .first()
        )
    if absence is None:
        raise Http404("absence")
    membership_id = (
        Membership.objects.filter(clinic=actor.clinic, user_id=absence.practitioner.user_id)
        .values_list("pk", flat=True)
        .first()
    )
    absence.delete()
    _log(actor, Action.DELETE, "absence", absence_id)
    return membership_id


# --- Closing days and public holidays ----------------------------------------------------

# The holidays package's name for each UI language (where it has one).
_HOLIDAY_LANGUAGE = {"sv": "sv", "nb": "no", "en": "en_US"}
# Sweden: also the eves nearly every business closes on (midsummer, Christmas, New Year).
_HOLIDAY_CATEGORIES = {"SE": ("public", "de_facto"), "NO": ("public",)}


@dataclass(frozen=True)
class Holiday:
    date: date
    name: str
    closed: bool  # the clinic has already closed that day


def public_holidays(*, clinic: Clinic, language: str | None = None) -> list[Holiday]:
    """The country's public holidays of this year and the next, named in ``language``
    (the UI's) where the holidays package has it, else in the country's own."""
    today = timezone.now().astimezone(clinic.zone).date()
    years = [today.year, today.year + 1]
    calendar = holidays.country_holidays(
        clinic.country, years=years, categories=_HOLIDAY_CATEGORIES[clinic.country]
    )
    wanted = _HOLIDAY_LANGUAGE.get((language or get_language() or "")[:2])
    if wanted in calendar.supported_languages:
        calendar = holidays.country_holidays(
            clinic.country,
            years=years,
            language=wanted,
            categories=_HOLIDAY_CATEGORIES[clinic.country],
        )
    closed = set(
        ClosedDay.objects.filter(clinic=clinic, date__year__in=years).values_list("date", flat=True)
    )
    return [
        Holiday(date=day, name=name, closed=day in closed) for day, name in sorted(calendar.items())
    ]


def holidays_offered(*, actor: Actor) -> list[Holiday]:
    require(actor, SETUP)
    return public_holidays(clinic=actor.clinic)


@dataclass(frozen=True)
class ClosingRow:
    day: ClosedDay
    bookings: int  # booked appointments on that day


def closing_days_list(*, actor: Actor) -> list[ClosingRow]:
    """The clinic's closing days from the start of this year, with how many bookings
    are still on each (two queries whatever the count)."""
    require(actor, SETUP)
    clinic = actor.clinic
    first = date(timezone.now().astimezone(clinic.zone).year, 1, 1)
    days = list(ClosedDay.objects.filter(clinic=clinic, date__gte=first).order_by("date")[:1000])
    counts: dict[date, int] = {}
    if days:
        booked = _booked(clinic).filter(_on_days(clinic, [d.date for d in days]))
        for at in booked.values_list("start", flat=True).iterator():
            local = at.astimezone(clinic.zone).date()
            counts[local] = counts.get(local, 0) + 1
    return [ClosingRow(day=d, bookings=counts.get(d.date, 0)) for d in days]


def _day(value, errors: dict, field: str = "date") -> date | None:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    try:
        check_date(day, field)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None
    return day


def _close(actor: Actor, days: dict[date, str]) -> list[ClosedDay]:
    """Close the clinic on ``days`` (date → reason) that are not closed yet."""
    existing = set(
        ClosedDay.objects.filter(clinic=actor.clinic, date__in=list(days)).values_list(
            "date", flat=True
        )
    )
    created = ClosedDay.objects.bulk_create(
        ClosedDay(clinic=actor.clinic, date=day, reason=reason)
        for day, reason in sorted(days.items())
        if day not in existing
    )
    # bulk_create gives ids on PostgreSQL and SQLite; read them back to be sure.
    created = list(
        ClosedDay.objects.filter(clinic=actor.clinic, date__in=[c.date for c in created]).order_by(
            "date"
        )
    )
    for closed in created:
        _log(actor, Action.CREATE, "closed_day", closed.pk, f"date={closed.date}")
    return created


@transaction.atomic
def closing_day_add(*, actor: Actor, day, reason: str = "") -> tuple[ClosedDay, list]:
    """Close the clinic for a day; returns it with the bookings on it (they stay)."""
    require(actor, SETUP)
    errors: dict[str, list] = {}
    parsed = _day(day, errors)
    reason = _text(reason, field="reason", errors=errors, required=False, limit=REASON_MAX)
    if parsed and ClosedDay.objects.filter(clinic=actor.clinic, date=parsed).exists():
        errors["date"] = [_("The clinic is already closed on this day.")]
    if errors:
        raise ValidationFailed(errors)
    (closed,) = _close(actor, {parsed: reason})
    return closed, bookings_on_days(actor=actor, days=[parsed])


@transaction.atomic
def closing_days_add_holidays(
    *, actor: Actor, days: list | None = None, add_all: bool = False
) -> tuple[list[ClosedDay], list]:
    """Close the clinic on offered public holidays (``add_all``, or the ``days`` picked),
    each with its name as the reason; days already closed are left as they are."""
    require(actor, SETUP)
    offered = {h.date: h.name for h in public_holidays(clinic=actor.clinic)}
    if add_all:
        picked = dict(offered)
    else:
        errors: dict[str, list] = {}
        wanted = [_day(d, errors, "dates") for d in days] if isinstance(days, list) else []
        if not wanted or errors or any(d not in offered for d in wanted):
            raise ValidationFailed({"dates": [_("Choose among the public holidays offered.")]})
        picked = {d: offered[d] for d in wanted}
    created = _close(actor, {d: name[:REASON_MAX] for d, name in picked.items()})
    return created, bookings_on_days(actor=actor, days=[c.date for c in created])


@transaction.atomic
def closing_day_delete(*, actor: Actor, closing_day_id: int) -> None:
    require(actor, SETUP)
    closed = None
    if as_id(closing_day_id):
        closed = ClosedDay.objects.filter(clinic=actor.clinic, pk=closing_day_id).first()
    if closed is None:
        raise Http404("closing day")
    closed.delete()
    _log(actor, Action.DELETE, "closed_day", closing_day_id, f"date={closed.date}")
