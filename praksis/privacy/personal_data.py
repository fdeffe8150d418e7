"""What the privacy app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Rule,
    Section,
    Subject,
    engine,
    in_use,
    register,
)
from praksis.messaging.models import OutboxMessage, Status
from praksis.privacy.erasure import ENGINE_REASONS
from praksis.privacy.models import (
    Applicant,
    Consent,
    DataSubjectRequest,
    Purpose,
    Restriction,
    RestrictionScope,
    TakedownTask,
    UnmatchedRequest,
)


class PrivacyData(Contract):
    label = "privacy"
    stage = 80
    apply_stage = 80
    holdings = (
        Holding("privacy.Consent", "marketing_consent", "person", DELETE, clock="withdrawal",
                portable=True, section="consents"),
        Holding("privacy.TakedownTask", "marketing_consent", "person", DELETE,
                clock="withdrawal", section="consents"),
        Holding("privacy.DataSubjectRequest", "privacy_request", "person", KEEP,
                clock="answered", kept_by="GDPR art. 5.2", section="requests"),
        Holding("privacy.LegalHold", "client", "person", KEEP, clock="created",
                kept_by="GDPR art. 17.3 e (while the hold lasts)"),
        Holding("privacy.Applicant", "applicant", "name|email", DELETE, clock="recruitment_end"),
        # Restrictions of processing (art. 18, REQ-28): evidence of what was restricted,
        # on which ground and when, kept with the requests (art. 5(2)).
        Holding("privacy.Restriction", "privacy_request", "person", KEEP, clock="answered",
                kept_by="GDPR art. 5.2, art. 18", section="restrictions"),
        # A public request that named no one person (issue 14): the contact as typed.
        Holding("privacy.UnmatchedRequest", "unmatched_request", "contact", DELETE,
                clock="ended"),
    )  # fmt: skip
    holdable = {"marketing_consent": "privacy.Consent", "applicant": "privacy.Applicant"}
    labels = {
        "person": gettext_lazy("Your name, contact details and identity number"),
        "consents": gettext_lazy("Consents (marketing, reminders, photos, privacy notice)"),
        "requests": gettext_lazy("Your privacy requests and our answers"),
        "restrictions": gettext_lazy("Restrictions of processing"),
    }
    reasons = {
        "consent_proof": gettext_lazy(
            "Proof of the consent that a kept disclosure relied on (withdrawn)."
        ),
        "consents": gettext_lazy("Withdrawn and deleted: an erasure ends every consent."),
        "evidence": gettext_lazy(
            "Kept as evidence that we answered your requests (GDPR art. 5(2)), without your "
            "contact details."
        ),
        **ENGINE_REASONS,
    }

    def hold_subject(self, clinic, record_type, record_id):
        if record_type == "marketing_consent":
            row = Consent.objects.filter(clinic=clinic, pk=record_id).values_list("person_id")
            found = row.first()
            return (found[0], None) if found else None
        if record_type == "applicant":
            exists = Applicant.objects.filter(clinic=clinic, pk=record_id).exists()
            return (None, None) if exists else None
        return None

    def plan(self, ctx) -> None:
        clinic, person = ctx.clinic, ctx.person
        # Photos must come down before the record of the consent goes (Art. 17(2)).
        if TakedownTask.objects.filter(clinic=clinic, person=person, done_at__isnull=True).exists():
            ctx.block("takedown_open")
        elif Consent.objects.filter(
            clinic=clinic, person=person, purpose=Purpose.PHOTOS, withdrawn_at__isnull=True
        ).exists():
            ctx.block("photo_consent")
        # Consents (REQ-08, REQ-29): withdrawn; deleted unless a hold or a kept disclosure
        # needs the proof.
        held_consents = {h.record_id: h for h in ctx.record_holds("marketing_consent")}
        needed = ctx.facts.get("kept_consent_ids", set())
        kept, deleted = [], []
        for consent in Consent.objects.filter(clinic=clinic, person=person).order_by("pk"):
            held = ctx.person_hold or held_consents.get(consent.pk)
            if held is not None or consent.pk in needed:
                kept.append((consent, held))
            else:
                deleted.append(consent.pk)
        journal_kept = ctx.kept("journal", "animal_journal")
        if kept:
            held = next((h for _c, h in kept if h is not None), None)
            ctx.decide(
                Decision(
                    "consents", KEEP, len(kept), "hold" if held else "consent_proof",
                    law="GDPR art. 7.1, art. 17.3 e", hold=held.reason if held else "",
                    until=ctx.latest(d.until for d in journal_kept)
                    if not held and journal_kept else None,
                ),
                ("name", "contact") if held else (),
            )  # fmt: skip
        if deleted:
            ctx.decide(Decision("consents", DELETE, len(deleted), "consents", law="GDPR art. 17.1"))
        targets = ctx.targets.setdefault(self.label, {})
        targets["consents_withdraw"] = [c.pk for c, _h in kept if c.withdrawn_at is None]
        targets["consents_delete"] = deleted
        # The privacy requests: the evidence of our answers (Art. 5(2)), without contact data.
        n_requests = DataSubjectRequest.objects.filter(clinic=clinic, person=person).count()
        if n_requests:
            ctx.decide(Decision("requests", KEEP, n_requests, "evidence", law="GDPR art. 5.2"))
            ctx.keep_row = True
        n_restrictions = Restriction.objects.filter(clinic=clinic, person=person).count()
        if n_restrictions:
            ctx.decide(
                Decision("restrictions", KEEP, n_restrictions, "evidence", law="GDPR art. 5.2")
            )
            ctx.keep_row = True

    def apply(self, plan) -> None:
        targets = plan.targets.get(self.label, {})
        withdraw = targets.get("consents_withdraw")
        if withdraw:
            # Withdrawn at once (REQ-29): marketing not yet sent under them is dropped.
            Consent.objects.filter(pk__in=withdraw).update(withdrawn_at=plan.facts["now"])
            OutboxMessage.objects.filter(
                clinic=plan.clinic, consent_id__in=withdraw, status=Status.PENDING
            ).delete()
        if targets.get("consents_delete"):
            Consent.objects.filter(clinic=plan.clinic, pk__in=targets["consents_delete"]).delete()

    def sections(self, subject: Subject) -> list[Section]:
        """The person's consents (portable: given by the person), privacy requests and
        restrictions of processing (REQ-28)."""
        return [
            _consents_section(subject),
            _requests_section(subject),
            _restrictions_section(subject),
        ]


# --- The access report and the export ------------------------------------------------

# How a consent or a request reached us (the ``channel`` column holds these codes).
CHANNEL_WORDS = {
    "online": gettext_lazy("Online"),
    "desk": gettext_lazy("At the desk"),
    "phone": gettext_lazy("Phone"),
    "api": gettext_lazy("Connected system"),
    "email": gettext_lazy("E-mail"),
    "sms": gettext_lazy("SMS"),
    "letter": gettext_lazy("Letter"),
}


def _channel(code: str) -> str | None:
    if not code:
        return None
    return str(CHANNEL_WORDS.get(code, gettext_lazy("Other")))


def _consents_section(subject: Subject) -> Section:
    consents = (
        Consent.objects.filter(clinic=subject.clinic, person=subject.person)
        .select_related("takedown")
        .order_by("-given_at", "-pk")
    )
    items = []
    for c in consents:
        try:
            takedown = c.takedown
        except TakedownTask.DoesNotExist:
            takedown = None
        items.append(
            {
                "purpose": c.get_purpose_display(),
                "given_at": c.given_at,
                "withdrawn_at": c.withdrawn_at,
                "active": c.withdrawn_at is None,
                "channel": _channel(c.channel),
                "third_party": c.third_party,
                "text_version": c.text_version,
                "text_shown": c.text_shown,
                "ip_address": c.ip_address,
                "user_agent": c.user_agent,
                "takedown_due": takedown.due_at if takedown else None,
                "takedown_done": takedown.done_at if takedown else None,
            }
        )
    return Section(
        key="consents",
        title=gettext("Consents"),
        columns={
            "purpose": gettext("Purpose"),
            "given_at": gettext("Given"),
            "withdrawn_at": gettext("Withdrawn"),
            "active": gettext("In force"),
            "channel": gettext("Given through"),
            "third_party": gettext("Recipient"),
            "text_version": gettext("Version of the text"),
            "text_shown": gettext("The text you were shown"),
            "ip_address": gettext("IP address"),
            "user_agent": gettext("Browser"),
            "takedown_due": gettext("Published photos to be taken down by"),
            "takedown_done": gettext("Published photos taken down"),
        },
        items=items,
        portable=True,
        order=55,
    )


def _requests_section(subject: Subject) -> Section:
    requests = DataSubjectRequest.objects.filter(
        clinic=subject.clinic, person=subject.person
    ).order_by("-received_at", "-pk")
    items = [
        {
            "kind": r.get_kind_display(),
            "received_at": r.received_at,
            "channel": _channel(r.channel),
            "details": r.details,
            "status": r.get_status_display(),
            "due_date": r.due_date,
            "extended_to": r.extended_to,
            "extension_reason": r.extension_reason,
            "verified_at": r.verified_at,
            "completed_at": r.completed_at,
            "answer": r.answer,
            "downloaded_at": r.downloaded_at,
        }
        for r in requests
    ]
    return Section(
        key="requests",
        title=gettext("Your privacy requests and our answers"),
        columns={
            "kind": gettext("Request"),
            "received_at": gettext("Received"),
            "channel": gettext("Made through"),
            "details": gettext("What you asked"),
            "status": gettext("Status"),
            "due_date": gettext("To be answered by"),
            "extended_to": gettext("Extended to"),
            "extension_reason": gettext("Why we needed more time"),
            "verified_at": gettext("You confirmed the request"),
            "completed_at": gettext("Answered"),
            "answer": gettext("Our answer"),
            "downloaded_at": gettext("You downloaded the answer"),
        },
        items=items,
        order=70,
    )


def _restrictions_section(subject: Subject) -> Section:
    """Each restriction of processing (art. 18, REQ-28): what it covers, on which ground,
    since when, and when it was lifted."""
    rows = Restriction.objects.filter(clinic=subject.clinic, person=subject.person).order_by(
        "-started_at", "-pk"
    )
    items = [
        {
            "scope": r.get_scope_display(),
            "ground": r.get_ground_display(),
            "started_at": r.started_at,
            "ended_at": r.ended_at,
            "active": r.ended_at is None,
        }
        for r in rows
    ]
    person = subject.person
    if person.restricted_at is not None and not any(
        r.scope == RestrictionScope.WHOLE and r.ended_at is None for r in rows
    ):  # restricted on the person row alone: what an erasure had to keep
        items.insert(
            0,
            {
                "scope": str(RestrictionScope.WHOLE.label),
                "ground": gettext("What the law requires us to keep is only stored"),
                "started_at": person.restricted_at,
                "ended_at": None,
                "active": True,
            },
        )
    return Section(
        key="restrictions",
        title=gettext("Restrictions of processing"),
        columns={
            "scope": gettext("Covers"),
            "ground": gettext("Ground"),
            "started_at": gettext("Since"),
            "ended_at": gettext("Lifted"),
            "active": gettext("In force"),
        },
        items=items,
        note=gettext(
            "While a restriction is in force, the data it covers is only stored (GDPR art. 18)."
        ),
        order=72,
    )


# Marketing consents (REQ-08): the proof is kept while relied on, then for the claims
# buffer after the withdrawal.


def _marketing_consents_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, withdrawn_at__lte=cutoff)

    due = (
        Consent.objects.filter(purpose__in=[Purpose.MARKETING_EMAIL, Purpose.MARKETING_SMS])
        .filter(engine().by_clinic_cutoff("marketing_consent", now, q))
        .exclude(engine().person_held("person_id"))
        .exclude(engine().record_held("marketing_consent"))
    )
    for needed in in_use("privacy.Consent"):
        due = due.exclude(pk__in=needed)
    return due


# Answered privacy requests: kept as proof of the answer, then deleted.


def _privacy_requests_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, completed_at__lte=cutoff)

    return (
        DataSubjectRequest.objects.filter(completed_at__isnull=False)
        .filter(engine().by_clinic_cutoff("privacy_request", now, q))
        .exclude(engine().person_held("person_id"))
    )


# Job applicants (REQ-09): recruitment closed + the claims window; with the applicant's
# consent to be kept for future roles, the window runs from that consent instead.


def _applicants_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, recruitment_closed_at__lte=cutoff) & (
            Q(keep_consent_at__isnull=True) | Q(keep_consent_at__lte=cutoff)
        )

    return Applicant.objects.filter(engine().by_clinic_cutoff("applicant", now, q)).exclude(
        engine().record_held("applicant")
    )


# Public requests that matched no one person, once closed: kept as proof of how they were
# answered, then deleted with the contact they hold.


def _unmatched_requests_due(now):
    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, closed_at__lte=cutoff)

    return UnmatchedRequest.objects.filter(closed_at__isnull=False).filter(
        engine().by_clinic_cutoff("unmatched_request", now, q)
    )


def _delete(qs) -> int:
    return qs.delete()[0]


def _delete_rows(qs) -> int:
    ids = list(qs.values_list("pk", flat=True))
    qs.model.objects.filter(pk__in=ids).delete()
    return len(ids)


PrivacyData.rules = (
    Rule("answered-privacy-requests", "privacy_request", "delete", _privacy_requests_due,
         _delete, order=80),
    Rule("marketing-consents", "marketing_consent", "delete", _marketing_consents_due,
         _delete_rows, order=85),
    Rule("applicants", "applicant", "delete", _applicants_due, _delete_rows, order=90),
    Rule("unmatched-privacy-requests", "unmatched_request", "delete", _unmatched_requests_due,
         _delete_rows, order=81),
)  # fmt: skip

register(PrivacyData())
