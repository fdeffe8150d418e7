"""Writes to the record of processing and the processor register; publishing the notice.

Publishing builds the notice from the record (``selectors.build_notice``). If it says
something the last published version did not, a new ``PrivacyNotice`` version (the one
consents refer to) is created with its text; otherwise nothing happens. A material
change is e-mailed to the clients who acknowledged the notice (REQ-45 ff., seed 004),
through the outbox, in batches, once per person and version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import Clinic
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.links import base_url
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import message_enqueue
from praksis.people.models import Person
from praksis.privacy.models import Consent, PrivacyNotice, Purpose
from praksis.privacy.notice_notes import FROM_RECORD, PROCESSORS_REGISTERED
from praksis.privacy.services import notice_current
from praksis.processing import selectors
from praksis.processing.defaults import DEMO_DPA_DATE, DEMO_PROCESSORS, activity_specs
from praksis.processing.models import (
    COUNTRIES,
    EEA,
    LANGS,
    ActivityProcessor,
    LegalBasis,
    NoticeText,
    ProcessingActivity,
    Processor,
    Service,
    SpecialBasis,
    TransferBasis,
)

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_TEXT = 4000
ANNOUNCE_BATCH = 500
_REQUIRED = gettext_lazy("This field is required.")
_TOO_LONG = gettext_lazy("This text is too long.")


# --- Activities -----------------------------------------------------------------------


def _texts(data: dict, field: str, errors: dict, *, required_in: str | None) -> dict:
    raw = data.get(field) or {}
    if not isinstance(raw, dict):
        raw = {}
    values = {}
    for lang in LANGS:
        value = str(raw.get(lang) or "").strip()
        if len(value) > MAX_TEXT:
            errors.setdefault(f"{field}_{lang}", []).append(_TOO_LONG)
        if value:
            values[lang] = value
    if required_in and not values.get(required_in):
        errors.setdefault(f"{field}_{required_in}", []).append(_REQUIRED)
    return values


def _codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in value]


def _clean_activity(actor: Actor, data: dict, *, activity: ProcessingActivity | None) -> dict:
    clinic = actor.clinic
    errors: dict[str, list] = {}
    clean: dict = {}
    if activity is None:
        key = str(data.get("key") or "").strip().lower()
        if not KEY_RE.match(key):
            errors["key"] = [
                _("Use 1-40 lower-case letters, digits, hyphens or underscores (e.g. booking).")
            ]
        elif ProcessingActivity.objects.filter(clinic=clinic, key=key).exists():
            errors["key"] = [_("The record already has an activity with this key.")]
        clean["key"] = key
    for field in selectors.TEXT_FIELDS:
        required = clinic.language if field in ("name", "purpose") else None
        clean[field] = _texts(data, field, errors, required_in=required)
    bases = list(dict.fromkeys(_codes(data.get("legal_bases"))))
    if not bases or set(bases) - set(LegalBasis.values):
        errors["legal_bases"] = [_("Choose the legal basis (GDPR art. 6).")]
    clean["legal_bases"] = [b for b in LegalBasis.values if b in bases]
    if LegalBasis.LEGITIMATE_INTERESTS in bases and not clean["legitimate_interest"].get(
        clinic.language
    ):
        # Art. 13(1)(d): the notice names the interest wherever art. 6(1)(f) is used.
        errors.setdefault(f"legitimate_interest_{clinic.language}", []).append(
            _("Name the legitimate interest you pursue: the notice must say it.")
        )
    special = str(data.get("special_basis") or "")
    if special not in SpecialBasis.values:
        errors["special_basis"] = [_("Choose a basis from the list.")]
    clean["special_basis"] = special
    keys = list(dict.fromkeys(_codes(data.get("retention_keys"))))
    allowed = selectors.record_types(clinic)
    if set(keys) - set(allowed):
        errors["retention_keys"] = [_("Choose record types from the list.")]
    elif not keys and not clean["retention_note"].get(clinic.language):
        errors["retention_keys"] = [
            _("Choose the record types whose retention applies, or describe the retention.")
        ]
    clean["retention_keys"] = [k for k in allowed if k in keys]
    ids = _codes(data.get("processors"))
    if any(not i.isdigit() for i in ids):
        errors["processors"] = [_("Choose processors from the register.")]
        ids = []
    processors = list(Processor.objects.filter(clinic=clinic, pk__in=[int(i) for i in ids]))
    if len(processors) != len(set(ids)):
        errors["processors"] = [_("Choose processors from the register.")]
    clean["processors"] = processors
    order = str(data.get("order") if data.get("order") is not None else "").strip()
    if order == "":
        clean["order"] = activity.order if activity else _next_order(clinic)
    elif not order.isdigit() or int(order) > 100000:
        errors["order"] = [_("Enter a whole number.")]
    else:
        clean["order"] = int(order)
    clean["is_active"] = _bool(data.get("is_active", True))
    if errors:
        raise ValidationFailed(errors)
    return clean


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "on", "yes")


def _next_order(clinic: Clinic) -> int:
    last = (
        ProcessingActivity.objects.filter(clinic=clinic)
        .order_by("-order")
        .values_list("order", flat=True)
        .first()
    )
    return (last or 0) + 10


def activity_save(
    *, actor: Actor, data: dict, activity_id: int | None = None
) -> ProcessingActivity:
    """Create (``activity_id`` None) or change an activity of the record."""
    require(actor, "privacy.manage")
    with transaction.atomic():
        activity = None
        if activity_id is not None:
            activity = (
                ProcessingActivity.objects.select_for_update()
                .filter(clinic=actor.clinic, pk=activity_id)
                .first()
            )
            if activity is None:
                raise Http404
        clean = _clean_activity(actor, data, activity=activity)
        processors = clean.pop("processors")
        if activity is None:
            try:
                with transaction.atomic():
                    activity = ProcessingActivity.objects.create(clinic=actor.clinic, **clean)
            except IntegrityError:
                raise ValidationFailed(
                    {"key": [_("The record already has an activity with this key.")]}
                ) from None
            action = Action.CREATE
        else:
            for field, value in clean.items():
                setattr(activity, field, value)
            activity.updated_at = timezone.now()
            activity.save()
            action = Action.UPDATE
        _link(activity, processors)
        log_access(
            actor,
            Access(action, "processing_activity", activity.pk, detail=f"key={activity.key}"),
        )
    return activity


def _link(activity: ProcessingActivity, processors: list[Processor]) -> None:
    wanted = {p.pk for p in processors}
    links = ActivityProcessor.objects.filter(activity=activity)
    links.exclude(processor_id__in=wanted).delete()
    have = set(links.values_list("processor_id", flat=True))
    ActivityProcessor.objects.bulk_create(
        [
            ActivityProcessor(clinic_id=activity.clinic_id, activity=activity, processor_id=pk)
            for pk in sorted(wanted - have)
        ]
    )


# --- Processors -----------------------------------------------------------------------


def _clean_processor(data: dict) -> dict:
    errors: dict[str, list] = {}
    clean: dict = {}
    for field, limit, required in (
        ("name", 200, True),
        ("location", 200, False),
        ("third_countries", 300, False),
        ("contact", 300, False),
        ("sub_processors", MAX_TEXT, False),
    ):
        value = str(data.get(field) or "").strip()
        if required and not value:
            errors[field] = [_REQUIRED]
        elif len(value) > limit:
            errors[field] = [_TOO_LONG]
        clean[field] = value
    service = str(data.get("service") or "")
    if service not in Service.values:
        errors["service"] = [_("Choose what the processor does.")]
    clean["service"] = service
    country = str(data.get("country") or "").upper()
    if country not in COUNTRIES:
        errors["country"] = [_("Choose the country where the data is stored.")]
    clean["country"] = country
    basis = str(data.get("transfer_basis") or "")
    if basis not in TransferBasis.values:
        errors["transfer_basis"] = [_("Choose a basis from the list.")]
    clean["transfer_basis"] = basis
    transfers = (country in COUNTRIES and country not in EEA) or bool(clean["third_countries"])
    if transfers and not basis and "transfer_basis" not in errors:
        errors["transfer_basis"] = [
            _("Data leaves the EU/EEA: name the safeguard that makes the transfer lawful.")
        ]
    raw = data.get("dpa_signed_on")
    clean["dpa_signed_on"] = None
    if isinstance(raw, date):
        clean["dpa_signed_on"] = raw
    elif str(raw or "").strip():
        try:
            clean["dpa_signed_on"] = date.fromisoformat(str(raw).strip())
        except ValueError:
            errors["dpa_signed_on"] = [_("Enter a date as YYYY-MM-DD.")]
    if clean["dpa_signed_on"] and clean["dpa_signed_on"] > timezone.localdate():
        errors["dpa_signed_on"] = [_("The agreement cannot be signed in the future.")]
    clean["is_active"] = _bool(data.get("is_active", True))
    if errors:
        raise ValidationFailed(errors)
    return clean


def processor_save(*, actor: Actor, data: dict, processor_id: int | None = None) -> Processor:
    """Create (``processor_id`` None) or change an entry of the processor register."""
    require(actor, "privacy.manage")
    clean = _clean_processor(data)
    with transaction.atomic():
        if processor_id is None:
            processor = Processor.objects.create(clinic=actor.clinic, **clean)
            action = Action.CREATE
        else:
            processor = (
                Processor.objects.select_for_update()
                .filter(clinic=actor.clinic, pk=processor_id)
                .first()
            )
            if processor is None:
                raise Http404
            for field, value in clean.items():
                setattr(processor, field, value)
            processor.updated_at = timezone.now()
            processor.save()
            action = Action.UPDATE
        log_access(
            actor, Access(action, "processor", processor.pk, detail=f"service={clean['service']}")
        )
    return processor


# --- Defaults -------------------------------------------------------------------------


@transaction.atomic
def record_setup(clinic: Clinic) -> int:
    """Give a clinic its profile's default activities, and its current notice version a
    text, where they are missing (a new clinic; running it again changes nothing).

    Returns how many activities were added.
    """
    have = set(ProcessingActivity.objects.filter(clinic=clinic).values_list("key", flat=True))
    operator = _operator_processor(clinic)
    processors: dict[str, list[Processor]] = {}
    for p in Processor.objects.filter(clinic=clinic, is_active=True):
        processors.setdefault(p.service, []).append(p)
    if operator is not None:  # it hosts the data too
        processors.setdefault(Service.HOSTING, []).append(operator)
    added = 0
    for spec in activity_specs(clinic):
        services = spec.pop("services", [])
        if spec["key"] in have:
            continue
        activity = ProcessingActivity.objects.create(clinic=clinic, **spec)
        _link(activity, [p for s in services for p in processors.get(s, [])])
        added += 1
    _text_for_current(clinic)
    return added


def _operator_processor(clinic: Clinic) -> Processor | None:
    """The operator of this installation is a processor of every clinic on it — it hosts
    the data and runs the journal and booking system — so a new clinic's register starts
    with it (the terms with the data processing agreement are accepted on signing up),
    and the notice names it from the first version. ``PRAKSIS_OPERATOR_NAME`` empty: the
    clinic runs Praksis itself. Demo clinics have their own fictional processors."""
    name = (settings.PRAKSIS_OPERATOR_NAME or "").strip()
    if not name or clinic.slug in DEMO_PROCESSORS:
        return None
    if Processor.objects.filter(clinic=clinic).exists():  # an existing register: untouched
        return None
    return Processor.objects.create(
        clinic=clinic,
        name=name,
        service=Service.JOURNAL_SYSTEM,
        dpa_signed_on=timezone.localdate(),
        country=settings.PRAKSIS_OPERATOR_COUNTRY,
        location=settings.PRAKSIS_OPERATOR_LOCATION,
        contact=settings.PRAKSIS_OPERATOR_CONTACT,
    )


def _text_for_current(clinic: Clinic) -> None:
    """The current version gets the text built now if it has none (the clinic's first)."""

    notice = notice_current(clinic=clinic)
    if NoticeText.objects.filter(notice=notice).exists():
        return
    content = selectors.build_notice(clinic)
    NoticeText.objects.create(
        clinic=clinic, notice=notice, content=content, digest=selectors.digest_of(content)
    )


def demo_processors_seed(clinic: Clinic) -> int:
    """The demo clinic's fictional processors, linked to its activities, and the notice
    republished from them (idempotent: only when the clinic has no processors yet)."""
    record_setup(clinic)
    specs = DEMO_PROCESSORS.get(clinic.slug)
    if not specs or Processor.objects.filter(clinic=clinic).exists():
        return 0
    with transaction.atomic():
        created = {
            service: Processor.objects.create(
                clinic=clinic, service=service, dpa_signed_on=DEMO_DPA_DATE, **fields
            )
            for service, fields in specs.items()
        }
        wanted = {spec["key"]: spec.get("services", []) for spec in activity_specs(clinic)}
        for activity in ProcessingActivity.objects.filter(clinic=clinic):
            services = wanted.get(activity.key, [])
            _link(activity, [created[s] for s in services if s in created])
    # A note of Praksis's own: shown in the reader's language (praksis.privacy.notice_notes).
    summary = PROCESSORS_REGISTERED
    notice_publish(actor=system_actor(clinic, channel="cli"), summary=summary, material=False)
    return len(created)


# --- Publishing -----------------------------------------------------------------------


@dataclass
class Published:
    notice: object  # praksis.privacy.models.PrivacyNotice
    created: bool
    queued: int = 0


def notice_publish(*, actor: Actor, summary: str = "", material: bool = False) -> Published:
    """Publish the notice as the record stands; a new version only if it says something new.

    A material change (the owner's judgement, with a summary the clients read) is e-mailed
    to every client who acknowledged the notice, once per version.
    """

    require(actor, "privacy.manage")
    clinic = actor.clinic
    summary = str(summary or "").strip()
    if len(summary) > 2000:
        raise ValidationFailed({"summary": [_TOO_LONG]})
    if material and not summary:
        raise ValidationFailed(
            {"summary": [_("Say what has changed: the clients read it in the e-mail.")]}
        )
    content = selectors.build_notice(clinic)
    digest = selectors.digest_of(content)
    with transaction.atomic():
        latest = (
            PrivacyNotice.objects.select_for_update()
            .filter(clinic=clinic)
            .order_by("-version")
            .first()
        )
        last_text = NoticeText.objects.filter(notice=latest).first() if latest else None
        if last_text is not None and last_text.digest == digest:
            return Published(notice=latest, created=False)
        version = (latest.version if latest else 0) + 1
        try:
            with transaction.atomic():
                notice = PrivacyNotice.objects.create(
                    clinic=clinic,
                    version=version,
                    summary=summary or FROM_RECORD,
                )
        except IntegrityError:
            raise Conflict(_("Someone published the notice at the same time. Try again.")) from None
        NoticeText.objects.create(
            clinic=clinic,
            notice=notice,
            content=content,
            digest=digest,
            material=material,
            published_by_user_id=actor.user_id,
        )
        log_access(
            actor,
            Access(
                Action.CREATE,
                "privacy_notice",
                notice.pk,
                detail=f"version {version}" + ("; material change" if material else ""),
            ),
        )
    queued = notice_announce(actor=actor, version=version) if material else 0
    return Published(notice=notice, created=True, queued=queued)


def announce_recipients(clinic: Clinic):
    """Clients who accepted e-mail about the notice: an e-mail address on record, an active
    acknowledgement of the privacy notice, and no restriction (Art. 18)."""

    acknowledged = Consent.objects.filter(
        clinic=clinic,
        person_id=OuterRef("pk"),
        purpose=Purpose.PRIVACY_NOTICE,
        withdrawn_at__isnull=True,
    )
    return (
        Person.objects.filter(clinic=clinic, restricted_at__isnull=True)
        .exclude(email="")
        .filter(Exists(acknowledged))
    )


def notice_announce(*, actor: Actor, version: int, batch_size: int = ANNOUNCE_BATCH) -> int:
    """E-mail a material change of ``version`` to the clients (idempotent; resumable).

    Each batch is one transaction: a fixed number of queries to find the recipients and
    what was already queued, then one outbox row per new recipient.
    """

    require(actor, "privacy.manage")
    clinic = actor.clinic
    notice = PrivacyNotice.objects.filter(clinic=clinic, version=version).first()
    text = NoticeText.objects.filter(notice=notice).first() if notice else None
    if text is None:
        raise Http404
    if not text.material:
        return 0
    with translation.override(clinic.language):
        subject = _("We have updated our privacy notice") + f" – {clinic.name}"
        body = render_to_string(
            "processing/email/notice_changed.txt",
            {
                "clinic": clinic,
                "notice": notice,
                "url": f"{base_url()}/{clinic.slug}/privacy"
                f"?version={notice.version}&lang={clinic.language}",
            },
        )
    recipients = announce_recipients(clinic).only("pk", "clinic_id", "email").order_by("pk")
    queued = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            people = list(recipients.filter(pk__gt=last_pk)[:batch_size])
            if not people:
                break
            last_pk = people[-1].pk
            keys = {p.pk: f"notice:v{notice.version}:person:{p.pk}" for p in people}
            done = set(
                OutboxMessage.objects.filter(
                    clinic=clinic, dedupe_key__in=list(keys.values())
                ).values_list("dedupe_key", flat=True)
            )
            accesses = []
            for person in people:
                if keys[person.pk] in done:
                    continue
                try:
                    message = message_enqueue(
                        clinic=clinic,
                        channel="email",
                        to=person.email,
                        subject=subject,
                        body=body,
                        kind="notice",
                        person=person,
                        dedupe_key=keys[person.pk],
                        related=("privacy_notice", notice.pk),
                    )
                except ValueError:  # an address the outbox cannot use
                    continue
                if message is None:
                    continue
                queued += 1
                accesses.append(
                    Access(
                        Action.CREATE,
                        "outbox_message",
                        message.pk,
                        person_id=person.pk,
                        purpose="privacy notice changed",
                    )
                )
            if accesses:
                log_accesses(actor, accesses)
    NoticeText.objects.filter(pk=text.pk).update(
        announced_at=timezone.now(), announced_count=text.announced_count + queued
    )
    return queued
