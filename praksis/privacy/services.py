"""Notice versions and consent records."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require, system_actor
from praksis.clinics.models import Clinic
from praksis.core.errors import ValidationFailed
from praksis.messaging.models import OutboxMessage, Status
from praksis.people.models import Person
from praksis.privacy.health_consent import HEALTH_TEXT, HEALTH_TEXT_VERSION, needs_health_consent
from praksis.privacy.models import Consent, PrivacyNotice, Purpose, TakedownTask

# Restriction (art. 18, REQ-28) lives in its own module; its services are named here too.
from praksis.privacy.restriction import restriction_lift, restriction_set  # noqa: F401

# A withdrawn photo consent: the photos come down within this time (seed 001).
TAKEDOWN_HOURS = 48
CHANNELS = ("online", "desk", "phone", "paper", "api")


def notice_current(*, clinic: Clinic) -> PrivacyNotice:
    """The clinic's current notice version (version 1 is published with the clinic)."""
    notice = PrivacyNotice.objects.filter(clinic=clinic).order_by("-version").first()
    if notice is None:
        notice, _created = PrivacyNotice.objects.get_or_create(
            clinic=clinic, version=1, defaults={"summary": "First version."}
        )
    return notice


def consent_record(
    *,
    actor: Actor,
    person,
    purpose: str,
    channel: str,
    text_version: str,
    text_shown: str,
    ip_address: str | None = None,
    user_agent: str = "",
    third_party: str = "",
) -> Consent:
    """Record a consent with its proof, in the caller's transaction (REQ-29)."""
    with transaction.atomic(savepoint=False):  # no savepoint: fails with the caller's
        consent = Consent.objects.create(
            clinic=actor.clinic,
            person=person,
            purpose=purpose,
            channel=channel,
            text_version=text_version,
            text_shown=text_shown,
            ip_address=ip_address,
            user_agent=user_agent[:300],
            recorded_by_user_id=actor.user_id,
            third_party=third_party,
        )
        log_access(
            actor,
            Access(Action.CREATE, "consent", consent.pk, person_id=person.pk, detail=purpose),
        )
    return consent


def consent_give(
    *,
    actor: Actor,
    person_id,
    purpose: str,
    channel: str = "desk",
    text_version: str = "",
    text_shown: str = "",
    third_party: str = "",
) -> Consent:
    """Staff record a consent the person gave (at the desk, by phone, on paper).

    A disclosure consent names the one third party it allows (a referral to that
    specialist, seeds 003/004); it never covers anyone else.
    """
    require(actor, "person.write")
    errors: dict[str, list] = {}
    third_party = " ".join(str(third_party or "").split())[:200]
    if purpose == Purpose.DISCLOSURE and not third_party:
        errors["third_party"] = [_("Name the third party the person agreed to disclosure to.")]
    elif purpose != Purpose.DISCLOSURE:
        third_party = ""
    person = None
    if str(person_id or "").isdigit():
        person = Person.objects.filter(clinic=actor.clinic, pk=int(person_id)).first()
    if person is None:
        errors["person"] = [_("Choose a person registered at this clinic.")]
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose what the consent is for.")]
    elif purpose == Purpose.HEALTH_DATA and not needs_health_consent(actor.clinic):
        errors["purpose"] = [
            _("This clinic keeps its journal under health-record law, not on consent.")
        ]
    if channel not in CHANNELS:
        errors["channel"] = [_("Choose how the consent was given.")]
    if not str(text_version or "").strip() or not str(text_shown or "").strip():
        errors["text_shown"] = [_("Record the exact text (and its version) the person agreed to.")]
    if errors:
        raise ValidationFailed(errors)
    return consent_record(
        actor=actor,
        person=person,
        purpose=purpose,
        channel=channel,
        text_version=str(text_version).strip()[:40],
        text_shown=str(text_shown).strip()[:5000],
        third_party=third_party,
    )


# What staff read out or show at the desk when they record a consent; the exact text, in
# the clinic's language, is stored with the consent.
DESK_TEXT_VERSION = "desk-1"
DESK_TEXTS = {
    Purpose.MARKETING_EMAIL: _(
        "Yes, send me news and offers by e-mail. I can stop it at any time."
    ),
    Purpose.MARKETING_SMS: _("Yes, send me news and offers by SMS. I can stop it at any time."),
    Purpose.RECALL: _("Yes, remind me by e-mail or SMS when my next check-up is due."),
    Purpose.PHOTOS: _(
        "Yes, photos where I can be recognised may be shown on the clinic's website and "
        "social media. If I withdraw, they are taken down."
    ),
    Purpose.DISCLOSURE: _(
        "Yes, the clinic may send the information needed for my referral to %(third_party)s."
    ),
    Purpose.HEALTH_DATA: HEALTH_TEXT,
}


def desk_purposes(clinic) -> list[tuple[str, str]]:
    """The consents staff record at the desk, for this clinic: the explicit consent to
    health data only where the client card and notes rest on it (art. 9(2)(a))."""
    return [
        (p, Purpose(p).label)
        for p in DESK_TEXTS
        if p != Purpose.HEALTH_DATA or needs_health_consent(clinic)
    ]


def consent_give_at_desk(
    *, actor: Actor, person_id, purpose: str, channel: str, third_party: str = ""
) -> Consent:
    """Record a consent given at the desk, on the phone or on paper, with the standard
    text for its purpose as shown in the clinic's language. The person is named by the
    page's address: one of another clinic is not found (404)."""
    from django.utils import translation

    if not Person.objects.filter(clinic=actor.clinic, pk=person_id).exists():
        raise Http404

    if purpose not in DESK_TEXTS:
        raise ValidationFailed({"purpose": [_("Choose what the consent is for.")]})
    with translation.override(actor.clinic.language):
        text = str(DESK_TEXTS[purpose]) % {"third_party": " ".join(str(third_party).split())}
    return consent_give(
        actor=actor,
        person_id=person_id,
        purpose=purpose,
        channel=channel,
        text_version=HEALTH_TEXT_VERSION if purpose == Purpose.HEALTH_DATA else DESK_TEXT_VERSION,
        text_shown=text,
        third_party=third_party,
    )


def consent_withdraw(*, actor: Actor, consent_id: int) -> Consent:
    """Withdraw a consent: as easy as giving it (REQ-29), effective at once."""
    require(actor, "person.write")
    with transaction.atomic():
        consent = (
            Consent.objects.select_for_update().filter(clinic=actor.clinic, pk=consent_id).first()
        )
        if consent is None:
            raise Http404
        if consent.withdrawn_at is None:
            consent.withdrawn_at = timezone.now()
            consent.save(update_fields=["withdrawn_at"])
            _withdrawal_effects(consent)
            log_access(
                actor,
                Access(
                    Action.UPDATE,
                    "consent",
                    consent.pk,
                    person_id=consent.person_id,
                    detail=f"withdrawn: {consent.purpose}",
                ),
            )
    return consent


def _withdrawal_effects(consent: Consent) -> None:
    """What a withdrawal changes at once (REQ-29): marketing not yet sent under the consent
    is dropped from the outbox; a photo consent opens a take-down task with a deadline. A
    disclosure consent is checked when a disclosure is recorded, so it simply stops
    counting from now on."""

    OutboxMessage.objects.filter(
        clinic_id=consent.clinic_id, consent_id=consent.pk, status=Status.PENDING
    ).delete()
    if consent.purpose == Purpose.PHOTOS:
        TakedownTask.objects.get_or_create(
            consent=consent,
            defaults={
                "clinic_id": consent.clinic_id,
                "person_id": consent.person_id,
                "opened_at": consent.withdrawn_at,
                "due_at": consent.withdrawn_at + timedelta(hours=TAKEDOWN_HOURS),
            },
        )


def takedowns_open(*, actor: Actor) -> list[TakedownTask]:
    """Photo take-downs still to do, the most urgent first."""
    require(actor, "person.read")
    return list(
        TakedownTask.objects.filter(clinic=actor.clinic, done_at__isnull=True)
        .select_related("person")
        .order_by("due_at", "pk")[:200]
    )


def takedown_done(*, actor: Actor, takedown_id: int, note: str = "") -> TakedownTask:
    """Record that the photos are down (who, when, and where they were removed)."""
    require(actor, "person.write")
    with transaction.atomic():
        task = (
            TakedownTask.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=takedown_id)
            .first()
        )
        if task is None:
            raise Http404
        if task.done_at is None:
            task.done_at = timezone.now()
            task.done_by_user_id = actor.user_id
            task.note = str(note or "").strip()[:2000]
            task.save(update_fields=["done_at", "done_by_user_id", "note"])
            log_access(
                actor,
                Access(
                    Action.UPDATE,
                    "takedown",
                    task.pk,
                    person_id=task.person_id,
                    detail="photos taken down",
                ),
            )
    return task


def consents_of(*, actor: Actor, person_id: int | None = None) -> list[Consent]:
    """The clinic's consents (or one person's), newest first; the read is logged."""
    require(actor, "person.read")
    qs = Consent.objects.filter(clinic=actor.clinic).order_by("-given_at", "-pk")
    if person_id is not None:
        if not Person.objects.filter(clinic=actor.clinic, pk=person_id).exists():
            raise Http404
        qs = qs.filter(person_id=person_id)
    items = list(qs[:500])
    log_access(
        actor,
        Access(
            Action.LIST,
            "consent",
            person_id or "",
            person_id=person_id,
            detail=f"results={len(items)}",
        ),
    )
    return items


def consent_withdraw_by_person(*, clinic, person_id: int, consent_id: int) -> Consent:
    """The person withdraws their own consent (from a link only they have)."""
    with transaction.atomic():
        consent = (
            Consent.objects.select_for_update()
            .filter(clinic=clinic, person_id=person_id, pk=consent_id)
            .first()
        )
        if consent is None:
            raise Http404
        if consent.withdrawn_at is None:
            consent.withdrawn_at = timezone.now()
            consent.save(update_fields=["withdrawn_at"])
            _withdrawal_effects(consent)
            log_access(
                system_actor(clinic, channel="public"),
                Access(
                    Action.UPDATE,
                    "consent",
                    consent.pk,
                    person_id=person_id,
                    detail=f"withdrawn by the person: {consent.purpose}",
                ),
            )
    return consent
