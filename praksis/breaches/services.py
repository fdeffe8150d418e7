"""The breach register (REQ-31, REQ-32, REQ-45): register, update, notify, affected persons.

Owner only (``privacy.manage``). Reading who is affected and telling them is processing
of their personal data, so both are access-logged in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import AccessLogEntry, Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.breaches.models import (
    EARLIEST,
    AffectedPerson,
    Breach,
    BreachUpdate,
    ExemptionGround,
    Risk,
    notify_deadline,
)
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, Membership
from praksis.core.errors import ValidationFailed
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person

CAPABILITY = "privacy.manage"
# Clocks may differ a little between the browser and the server.
FUTURE_SLACK = timedelta(minutes=5)
_NOT_IN_FUTURE = _("This time cannot be in the future.")
FUTURE_MESSAGES = {
    "discovered_at": _("The time you became aware cannot be in the future."),
    "notified_at": _("The notification cannot be in the future."),
}
TEXT_FIELDS = (
    "description",
    "nature",
    "data_categories",
    "person_categories",
    "consequences",
    "measures",
    "contact_point",
    "no_notification_reason",
)
NUMBER_FIELDS = ("approx_persons", "approx_records")
EDITABLE = (*TEXT_FIELDS, *NUMBER_FIELDS, "risk")
MAX_AFFECTED = 5000


def authority_for(clinic: Clinic) -> dict:
    """The supervisory authority a breach is reported to, and its channel (REQ-45)."""
    if clinic.country == "NO":
        return {
            "name": "Datatilsynet",
            "channel": _('Altinn, the form "Meld avvik" (report a breach to Datatilsynet)'),
            "url": "https://www.datatilsynet.no",
        }
    return {
        "name": "Integritetsskyddsmyndigheten (IMY)",
        "channel": _("IMY's e-service for reporting personal data breaches"),
        "url": "https://www.imy.se",
    }


def clock(breach: Breach, now: datetime | None = None) -> dict:
    """Time left until the authority must be told (or how long ago that was)."""
    now = now or timezone.now()
    delta = breach.notify_authority_by - now
    overdue = delta.total_seconds() < 0
    minutes = int(abs(delta).total_seconds() // 60)
    values = {"hours": minutes // 60, "minutes": minutes % 60}
    if overdue:
        text = gettext("overdue by %(hours)d h %(minutes)02d min") % values
    else:
        text = gettext("%(hours)d h %(minutes)02d min left") % values
    return {"overdue": overdue, "text": text, "deadline": breach.notify_authority_by, **values}


# --- Parsing ------------------------------------------------------------------------------


def _as_number(value, *, below: int = 2**63) -> int | None:
    """A whole number written in ASCII digits that fits the column (``"²"`` is a digit to
    ``str.isdigit`` but not to ``int``), else None."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if number < below else None


def parse_moment(
    value, clinic: Clinic, field: str, *, required: bool = True, latest: datetime | None = None
) -> datetime | None:
    """An aware datetime; a naive one (a form's ``datetime-local``) is on the clinic's clock.

    Every moment in the register lies between EARLIEST and ``latest`` (default: now, give
    or take the clocks' slack): a breach "discovered" in year 1 or 9999 is a typing error,
    answered with a field error instead of a register that cannot be read.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip()
        if not text:
            if required:
                raise ValidationFailed({field: [_("This field is required.")]})
            return None
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationFailed({field: [_("Enter a date and time (YYYY-MM-DD HH:MM).")]})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, clinic.zone)
    if parsed < EARLIEST:
        raise ValidationFailed({field: [_("Enter a time from the year 2000 on.")]})
    if parsed > (latest or timezone.now() + FUTURE_SLACK):
        raise ValidationFailed({field: [FUTURE_MESSAGES.get(field, _NOT_IN_FUTURE)]})
    return parsed


def _clean(clinic: Clinic, data: dict, *, partial: bool) -> dict:
    errors: dict[str, list] = {}
    cleaned: dict = {}
    for name in TEXT_FIELDS:
        if name in data:
            cleaned[name] = str(data[name] or "").strip()[:10000]
    for name in NUMBER_FIELDS:
        if name in data:
            raw = str(data[name] if data[name] is not None else "").strip()
            if not raw:
                cleaned[name] = None
            elif _as_number(raw, below=2**31) is not None:
                cleaned[name] = int(raw)
            else:
                errors[name] = [_("Enter a whole number (an estimate is fine).")]
    if "risk" in data:
        risk = str(data["risk"] or "").strip() or Risk.PENDING
        if risk not in Risk.values:
            errors["risk"] = [_("Choose a risk assessment.")]
        cleaned["risk"] = risk
    if not partial or "description" in cleaned:
        if not cleaned.get("description"):
            errors["description"] = [_("Describe what happened.")]
    if not partial or "discovered_at" in data:
        try:
            cleaned["discovered_at"] = parse_moment(
                data.get("discovered_at"), clinic, "discovered_at"
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if cleaned.get("risk") == Risk.NONE and not cleaned.get("no_notification_reason"):
        errors["no_notification_reason"] = [
            _("Say why the breach is unlikely to result in a risk (Art. 33(5)).")
        ]
    if errors:
        raise ValidationFailed(errors)
    if "risk" in cleaned and cleaned["risk"] != Risk.NONE:
        cleaned["no_notification_reason"] = ""
    return cleaned


# --- Reads ----------------------------------------------------------------------------------


def _get(actor: Actor, breach_id, *, lock: bool = False) -> Breach:
    pk = _as_number(breach_id)
    if pk is None:
        raise Http404
    qs = Breach.objects.filter(clinic=actor.clinic, pk=pk)
    if lock:
        qs = qs.select_for_update()
    breach = qs.first()
    if breach is None:
        raise Http404
    return breach


def breach_get(*, actor: Actor, breach_id) -> Breach:
    require(actor, CAPABILITY)
    return _get(actor, breach_id)


def breach_list(*, actor: Actor) -> list[Breach]:
    """Every breach of the clinic: those whose clock runs first (by deadline), then the rest."""
    require(actor, CAPABILITY)
    items = list(Breach.objects.filter(clinic=actor.clinic).order_by("-discovered_at", "-pk"))
    running = sorted((b for b in items if b.clock_running), key=lambda b: b.notify_authority_by)
    return running + [b for b in items if not b.clock_running]


def open_breaches(*, clinic: Clinic, limit: int = 10) -> list[Breach]:
    """The breaches whose 72-hour clock runs: one indexed query (for the staff banner)."""
    return list(
        Breach.objects.filter(clinic=clinic, authority_notified_at__isnull=True)
        .exclude(risk=Risk.NONE)
        .only("pk", "notify_authority_by", "authority_notified_at", "risk")
        .order_by("notify_authority_by", "pk")[:limit]
    )


def breach_updates(*, breach: Breach) -> list[BreachUpdate]:
    return list(BreachUpdate.objects.filter(clinic=breach.clinic_id, breach=breach))


def updates_by_breach(*, clinic: Clinic, breaches: list[Breach]) -> dict[int, list[BreachUpdate]]:
    """The phased updates of several breaches in one query."""
    grouped: dict[int, list[BreachUpdate]] = {}
    for update in BreachUpdate.objects.filter(clinic=clinic, breach__in=breaches):
        grouped.setdefault(update.breach_id, []).append(update)
    return grouped


def affected_list(*, actor: Actor, breach_id) -> list[AffectedPerson]:
    """Who the breach concerns; reading the list is logged, one row per person."""
    require(actor, CAPABILITY)
    breach = _get(actor, breach_id)
    with transaction.atomic():
        rows = list(
            AffectedPerson.objects.filter(clinic=actor.clinic, breach=breach)
            .select_related("person")
            .order_by("person__last_name", "person__first_name", "pk")
        )
        log_accesses(
            actor,
            [
                Access(Action.READ, "breach_affected", breach.pk, person_id=row.person_id)
                for row in rows
            ],
        )
    return rows


def staff_members(*, clinic: Clinic) -> list[Membership]:
    """Who may have opened records (for the "find affected persons" form)."""
    return list(
        Membership.objects.filter(clinic=clinic).select_related("user").order_by("user__full_name")
    )


# --- Writes ---------------------------------------------------------------------------------


def breach_register(*, actor: Actor, description, discovered_at, **fields) -> Breach:
    """Register a breach (notified or not, REQ-31); the 72-hour clock runs from awareness."""
    require(actor, CAPABILITY)
    data = {
        "description": description,
        "discovered_at": discovered_at,
        **{k: v for k, v in fields.items() if k in EDITABLE},
    }
    cleaned = _clean(actor.clinic, data, partial=False)
    contact = cleaned.get("contact_point") or _default_contact(actor.clinic)
    with transaction.atomic():
        breach = Breach.objects.create(
            clinic=actor.clinic,
            registered_by=actor.user,
            notify_authority_by=notify_deadline(cleaned["discovered_at"]),
            **{**cleaned, "contact_point": contact},
        )
        log_access(actor, Access(Action.CREATE, "breach", breach.pk))
    return breach


def _default_contact(clinic: Clinic) -> str:
    parts = [clinic.name, clinic.contact_email, clinic.contact_phone]
    return ", ".join(p for p in parts if p)


def breach_edit(*, actor: Actor, breach_id, changes: dict) -> Breach:
    """Complete or correct the Art. 33(3) items and the risk assessment."""
    require(actor, CAPABILITY)
    with transaction.atomic():
        breach = _get(actor, breach_id, lock=True)
        data = {k: v for k, v in changes.items() if k in EDITABLE}
        if "risk" in data or "no_notification_reason" in data:
            # The assessment and its reason are checked together (Art. 33(5)).
            data.setdefault("risk", breach.risk)
            data.setdefault("no_notification_reason", breach.no_notification_reason)
        cleaned = _clean(actor.clinic, data, partial=True)
        for name, value in cleaned.items():
            setattr(breach, name, value)
        breach.updated_at = timezone.now()
        breach.save()
        log_access(
            actor,
            Access(Action.UPDATE, "breach", breach.pk, detail=f"fields: {','.join(cleaned)}"),
        )
    return breach


def breach_add_update(*, actor: Actor, breach_id, text) -> BreachUpdate:
    """Append a dated phase of information (Art. 33(4)); earlier phases never change."""
    require(actor, CAPABILITY)
    text = str(text or "").strip()
    if not text:
        raise ValidationFailed({"text": [_("Write what is new.")]})
    with transaction.atomic():
        breach = _get(actor, breach_id, lock=True)
        update = BreachUpdate.objects.create(
            clinic=actor.clinic,
            breach=breach,
            by=actor.user,
            by_name=actor.user.full_name if actor.user else actor.label,
            text=text[:10000],
        )
        log_access(actor, Access(Action.CREATE, "breach_update", breach.pk))
    return update


def breach_mark_notified(
    *, actor: Actor, breach_id, notified_at=None, reference: str = "", late_reason: str = ""
) -> Breach:
    """Record that the authority was told; after 72 hours only with the reason (Art. 33(1))."""
    require(actor, CAPABILITY)
    late_reason = str(late_reason or "").strip()
    at = parse_moment(notified_at, actor.clinic, "notified_at", required=False) or timezone.now()
    with transaction.atomic():
        breach = _get(actor, breach_id, lock=True)
        errors: dict[str, list] = {}
        if at < breach.discovered_at:
            errors["notified_at"] = [_("The notification cannot precede the discovery.")]
        elif at > breach.notify_authority_by and not late_reason:
            errors["late_reason"] = [
                _("More than 72 hours have passed: give the reasons for the delay (Art. 33(1)).")
            ]
        if errors:
            raise ValidationFailed(errors)
        breach.authority_notified_at = at
        breach.authority_reference = str(reference or "").strip()[:100]
        breach.late_reason = late_reason[:10000] if at > breach.notify_authority_by else ""
        if breach.risk in (Risk.PENDING, Risk.NONE):
            breach.risk = Risk.RISK
            breach.no_notification_reason = ""
        breach.updated_at = timezone.now()
        breach.save()
        log_access(actor, Access(Action.UPDATE, "breach", breach.pk, detail="authority notified"))
    return breach


def _affected_ids(actor: Actor, breach: Breach, ids) -> list[AffectedPerson]:
    wanted = {_as_number(i) for i in ids or ()} - {None}
    if not wanted:
        raise ValidationFailed({"affected": [_("Choose at least one person.")]})
    return list(
        AffectedPerson.objects.select_for_update()
        .filter(clinic=actor.clinic, breach=breach, pk__in=wanted)
        .select_related("person")
        .order_by("pk")
    )


def affected_from_access_log(
    *, actor: Actor, breach_id, user_id, start, end, action: str = ""
) -> list[AffectedPerson]:
    """Add as affected everyone whose record ``user_id`` touched in [start, end).

    Reads the clinic's own access log only; returns the rows added (people already on
    the list are not added twice).
    """
    require(actor, CAPABILITY)
    clinic = actor.clinic
    errors: dict[str, list] = {}
    member = None
    if _as_number(user_id) is not None:
        member = Membership.objects.filter(clinic=clinic, user_id=_as_number(user_id)).first()
    if member is None:
        errors["user"] = [_("Choose a member of staff of this clinic.")]
    moments = {}
    # The window may end later today; a search of what has not happened yet finds nothing.
    latest = timezone.now() + timedelta(days=1)
    for field, value in (("start", start), ("end", end)):
        try:
            moments[field] = parse_moment(value, clinic, field, latest=latest)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if "start" in moments and "end" in moments and moments["end"] <= moments["start"]:
        errors["end"] = [_("The end must come after the start.")]
    if action and action not in Action.values:
        errors["action"] = [_("Choose an action.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        breach = _get(actor, breach_id, lock=True)
        log = AccessLogEntry.objects.filter(
            clinic=clinic,
            user_id=member.user_id,
            at__gte=moments["start"],
            at__lt=moments["end"],
            person_id__isnull=False,
        )
        if action:
            log = log.filter(action=action)
        person_ids = set(log.values_list("person_id", flat=True).distinct()[:MAX_AFFECTED])
        known = set(
            AffectedPerson.objects.filter(breach=breach).values_list("person_id", flat=True)
        )
        people = Person.objects.filter(clinic=clinic, pk__in=person_ids - known).order_by("pk")
        added = AffectedPerson.objects.bulk_create(
            [AffectedPerson(clinic=clinic, breach=breach, person=p) for p in people]
        )
        window = f"{moments['start'].isoformat()}..{moments['end'].isoformat()}"
        log_accesses(
            actor,
            [
                Access(
                    Action.SEARCH,
                    "access_log",
                    breach.pk,
                    purpose="breach: find affected persons",
                    detail=f"user={member.user_id} {window} action={action or '*'} "
                    f"results={len(person_ids)}",
                ),
                *(
                    Access(Action.CREATE, "breach_affected", breach.pk, person_id=row.person_id)
                    for row in added
                ),
            ],
        )
    return added


def _notice(breach: Breach, person: Person, clinic: Clinic) -> tuple[str, str]:
    with translation.override(clinic.language):
        subject = gettext("Important: a personal data breach at %(clinic)s") % {
            "clinic": clinic.name
        }
        body = render_to_string(
            "breaches/email/notice.txt",
            {
                "clinic": clinic,
                "person": person,
                "breach": breach,
                "what": breach.nature or breach.description,
                "authority": authority_for(clinic),
            },
        )
    return subject, body


def affected_notify(*, actor: Actor, breach_id, affected_ids) -> dict:
    """Tell the chosen persons in plain language, by e-mail (SMS when only a phone is known),
    with the Art. 33(3)(b)-(d) content; each notice is logged. Returns what happened."""
    require(actor, CAPABILITY)
    clinic = actor.clinic
    with transaction.atomic():
        breach = _get(actor, breach_id, lock=True)
        missing = {
            name: [_("Fill this in before telling the persons affected (Art. 34(2)).")]
            for name in ("consequences", "measures", "contact_point")
            if not getattr(breach, name).strip()
        }
        if missing:
            raise ValidationFailed(missing)
        rows = _affected_ids(actor, breach, affected_ids)
        result = {"sent": 0, "skipped": 0, "no_contact": 0}
        accesses = []
        now = timezone.now()
        for row in rows:
            if row.notified_at is not None or row.exemption_ground:
                result["skipped"] += 1
                continue
            person = row.person
            channel, to = ("email", person.email) if person.email else ("sms", person.phone)
            if not to:
                result["no_contact"] += 1
                continue
            subject, body = _notice(breach, person, clinic)
            try:
                message = message_enqueue(
                    clinic=clinic,
                    channel=channel,
                    to=to,
                    subject=subject,
                    body=body,
                    kind="notice",
                    person=person,
                    dedupe_key=f"breach-{breach.pk}-person-{person.pk}",
                    related=("breach", breach.pk),
                )
            except ValueError:  # an address or number that cannot be used
                result["no_contact"] += 1
                continue
            row.notified_at = now
            row.channel = channel
            row.message_id = message.pk if message else None
            row.save(update_fields=["notified_at", "channel", "message_id"])
            result["sent"] += 1
            accesses.append(
                Access(
                    Action.CREATE,
                    "breach_notice",
                    breach.pk,
                    person_id=person.pk,
                    purpose="breach notice (Art. 34)",
                    detail=f"channel={channel}",
                )
            )
        log_accesses(actor, accesses)
    return result


def affected_exempt(*, actor: Actor, breach_id, affected_ids, ground, note="") -> int:
    """Record that the chosen persons are not told, and on which Art. 34(3) ground."""
    require(actor, CAPABILITY)
    errors: dict[str, list] = {}
    if ground not in ExemptionGround.values:
        errors["ground"] = [_("Choose the ground of Art. 34(3).")]
    note = str(note or "").strip()
    if not note:
        errors["note"] = [_("Explain why the ground applies.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        breach = _get(actor, breach_id, lock=True)
        rows = [r for r in _affected_ids(actor, breach, affected_ids) if r.notified_at is None]
        now = timezone.now()
        for row in rows:
            row.exemption_ground = ground
            row.exemption_note = note[:5000]
            row.exemption_recorded_at = now
        AffectedPerson.objects.bulk_update(
            rows, ["exemption_ground", "exemption_note", "exemption_recorded_at"]
        )
        log_accesses(
            actor,
            [
                Access(
                    Action.UPDATE,
                    "breach_affected",
                    breach.pk,
                    person_id=row.person_id,
                    detail=f"exemption 34(3)({ground})",
                )
                for row in rows
            ],
        )
    return len(rows)
