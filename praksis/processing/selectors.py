"""Reads of the record of processing, and the privacy notice built from it.

The notice is built only from the record, the processor register, the retention engine's
policies and the cookie banner's categories, so that it cannot say anything the record
does not (REQ-30, REQ-25). A published version keeps what it said (``NoticeText``); the
public page shows a published version, never a draft.
"""

from __future__ import annotations

import hashlib
import json

from django.db.models import Prefetch
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, IdentityPolicy, Regime
from praksis.core.backup import backup_days
from praksis.privacy.cookies import BANNER_VERSION, CATEGORIES
from praksis.privacy.models import PrivacyNotice
from praksis.privacy.retention import RECORD_TYPES, policies_for, policy_for, relevant_record_types
from praksis.privacy.rights import AUTHORITIES, complaint_sentence, court_sentence
from praksis.privacy.services import notice_current
from praksis.processing.models import (
    LANGS,
    LegalBasis,
    ProcessingActivity,
    Processor,
    Service,
    SpecialBasis,
    TransferBasis,
    country_name,
    localized,
)

TEXT_FIELDS = (
    "name",
    "purpose",
    "data_subjects",
    "data_categories",
    "recipients",
    "basis_detail",
    "legitimate_interest",
    "retention_note",
    "security",
)


def activities_of(clinic: Clinic, *, active_only: bool = False) -> list[ProcessingActivity]:
    """The clinic's activities in order, each with its active processors (two queries)."""
    qs = ProcessingActivity.objects.filter(clinic=clinic)
    if active_only:
        qs = qs.filter(is_active=True)
    processors = Processor.objects.filter(clinic=clinic, is_active=True).order_by("name", "pk")
    return list(
        qs.order_by("order", "pk").prefetch_related(
            Prefetch("processors", queryset=processors, to_attr="active_processors")
        )
    )


def processors_of(clinic: Clinic, *, active_only: bool = False) -> list[Processor]:
    qs = Processor.objects.filter(clinic=clinic)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("name", "pk"))


def activity_get(*, actor: Actor, activity_id: int) -> ProcessingActivity:
    require(actor, "privacy.manage")
    activity = ProcessingActivity.objects.filter(clinic=actor.clinic, pk=activity_id).first()
    if activity is None:
        raise Http404
    return activity


def processor_get(*, actor: Actor, processor_id: int) -> Processor:
    require(actor, "privacy.manage")
    processor = Processor.objects.filter(clinic=actor.clinic, pk=processor_id).first()
    if processor is None:
        raise Http404
    return processor


def record_types(clinic: Clinic) -> list[str]:

    return relevant_record_types(clinic)


def retention_policies(clinic: Clinic, keys) -> dict:
    """The retention engine's policy in force for each record type in ``keys``."""

    wanted = [key for key in dict.fromkeys(keys) if key in RECORD_TYPES]
    if not wanted:
        return {}
    policies = {p.record_type: p for p in policies_for(clinic)}
    for key in wanted:
        if key not in policies:
            policies[key] = policy_for(clinic, key)
    return {key: policies[key] for key in wanted}


def retention_lines(
    activity: ProcessingActivity, policies: dict, *, public: bool = False
) -> list[dict]:
    """Each of the activity's record types with the policy's text in the active language
    (``public``: without the staff's caveats, for the notice)."""
    lines = []
    for key in activity.retention_keys:
        policy = policies.get(key)
        if policy is None:  # a record type the engine no longer knows: say so
            lines.append({"record_type": key, "label": key, "text": _("Not described")})
            continue
        lines.append(
            {
                "record_type": key,
                "label": str(policy.label),
                "text": policy.describe(public=public),
                "months": policy.months,
                "days": policy.days,
                "law": policy.law,
            }
        )
    return lines


def current_language(clinic: Clinic) -> str:
    language = (translation.get_language() or "")[:2]
    return language if language in LANGS else clinic.language


def _basis_labels(activity: ProcessingActivity) -> list[str]:
    labels = dict(LegalBasis.choices)
    return [str(labels[code]) for code in activity.legal_bases if code in labels]


def _special_label(activity: ProcessingActivity) -> str:
    if not activity.special_basis:
        return ""
    return str(dict(SpecialBasis.choices).get(activity.special_basis, ""))


def processor_view(processor: Processor, language: str) -> dict:
    """What the notice and the record say about a processor, in ``language``."""
    return {
        "name": processor.name,
        "service": str(Service(processor.service).label),
        "country": country_name(processor.country, language),
        "location": processor.location,
        "sub_processors": processor.sub_processor_list,
        "transfers": processor.transfers_outside_eea,
        "third_countries": processor.third_countries,
        "transfer_basis": str(dict(TransferBasis.choices).get(processor.transfer_basis, ""))
        if processor.transfer_basis
        else "",
    }


def activity_view(
    activity: ProcessingActivity,
    policies: dict,
    language: str,
    clinic: Clinic,
    *,
    public: bool = False,
) -> dict:
    """One activity in ``language`` (translation active): texts, bases, retention
    (``public``: as the notice says it, without the staff's caveats)."""
    fallback = clinic.language
    processors = getattr(activity, "active_processors", None)
    if processors is None:
        processors = list(activity.processors.filter(is_active=True).order_by("name", "pk"))
    return {
        "key": activity.key,
        **{field: localized(getattr(activity, field), language, fallback) for field in TEXT_FIELDS},
        "bases": _basis_labels(activity),
        "basis_codes": list(activity.legal_bases),
        "special": _special_label(activity),
        "health_data": activity.health_data,
        "retention": retention_lines(activity, policies, public=public),
        "processors": [p.name for p in processors],
        "transfers": any(p.transfers_outside_eea for p in processors),
    }


# --- Authorities (REQ-45, REQ-46, REQ-47) ---------------------------------------------


def authorities(clinic: Clinic) -> list[dict]:
    """Where a client may complain: the data-protection authority, then health-law ones."""
    found = []
    if clinic.country == "SE":
        found.append(
            {
                "name": AUTHORITIES["SE"].name,
                "url": AUTHORITIES["SE"].url,
                "role": _(
                    "The supervisory authority for personal data: complaints about how we "
                    "handle your data (the e-service “Lämna ett klagomål”)."
                ),
                "kind": "data_protection",
            }
        )
    else:
        found.append(
            {
                "name": AUTHORITIES["NO"].name,
                "url": AUTHORITIES["NO"].url,
                "role": _(
                    "The supervisory authority for personal data: complaints about how we "
                    "handle your data. Its decisions may be appealed to Personvernnemnda."
                ),
                "kind": "data_protection",
            }
        )
    regime = clinic.regime
    if regime == "SE-human":
        found.append(
            {
                "name": "Inspektionen för vård och omsorg (IVO)",
                "url": "https://www.ivo.se",
                "role": _(
                    "Complaints about the care, and applications to have a journal destroyed "
                    "(patientdatalagen 8 kap. 4 §)."
                ),
                "kind": "health",
            }
        )
    elif regime == "NO-human":
        found.append(
            {
                "name": "Statsforvalteren",
                "url": "https://www.statsforvalteren.no",
                "role": _(
                    "Appeals when we refuse to correct or delete information in your journal "
                    "(helsepersonelloven §§ 42–43)."
                ),
                "kind": "health",
            }
        )
    elif regime == "NO-vet":
        found.append(
            {
                "name": "Mattilsynet",
                "url": "https://www.mattilsynet.no",
                "role": _(
                    "Supervises animal-health personnel, takes complaints about the care of "
                    "your animal and may see its journal."
                ),
                "kind": "veterinary",
            }
        )
    elif regime == "SE-vet":
        found.append(
            {
                "name": "Jordbruksverket",
                "url": "https://jordbruksverket.se",
                "role": _("Supervises animal-health personnel."),
                "kind": "veterinary",
            }
        )
        found.append(
            {
                "name": "Ansvarsnämnden för djurens hälso- och sjukvård",
                "url": "https://www.vetansvar.se",
                "role": _(
                    "Complaints about an animal-health professional, within two years of the care."
                ),
                "kind": "veterinary",
            }
        )
    return found


def cookie_categories() -> dict:

    described = {
        "statistics": (_("Statistics"), _("Counting visits to these pages. Only if you say yes.")),
        "marketing": (_("Marketing"), _("Measuring our advertising. Only if you say yes.")),
    }
    categories = [
        {
            "key": "necessary",
            "label": _("Strictly necessary"),
            "description": _(
                "The security cookie that lets you send forms, and the cookie that remembers "
                "your cookie choice. Always on."
            ),
        }
    ]
    for key in CATEGORIES:
        label, description = described.get(key, (key, ""))
        categories.append({"key": key, "label": label, "description": description})
    return {"banner_version": BANNER_VERSION, "categories": categories}


# --- What the notice states beside the activities (Art. 13, 21; REQ-23) ---------------


def _identity_text(clinic: Clinic) -> str:
    """Art. 13(2)(e): why the identity number is asked for, and what happens without it;
    "" where the clinic never collects it (birth date only)."""
    policy = clinic.identity_policy
    if policy == IdentityPolicy.REQUIRED:
        if clinic.country == "SE":
            return _(
                "We need your personal identity number (personnummer). The law requires "
                "your journal to state who you are (patientdatalagen 3 kap. 6 §), and we keep "
                "the journal and your bookings by that number. You are not obliged to give "
                "it, but without it we cannot keep a journal and so cannot examine or treat "
                "you."
            )
        return _(
            "We need your national identity number (fødselsnummer or D-number). The law "
            "requires your journal to identify you by it (pasientjournalforskriften § 6, "
            "helsepersonelloven § 40), and we keep the journal and your bookings by that "
            "number. You are not obliged to give it, but without it we cannot keep a journal "
            "and so cannot examine or treat you."
        )
    if policy == IdentityPolicy.OPTIONAL and clinic.regime == Regime.NO_HUMAN:
        # Health care: the journal must identify the patient (pasientjournalforskriften
        # § 6), so "no law obliges you" would be wrong; the number is asked for, and a
        # patient without one is identified otherwise.
        return _(
            "The law requires your journal to identify you (pasientjournalforskriften § 6), "
            "so we ask for your national identity number (fødselsnummer or D-number). If you "
            "have none, we identify you by your name and birth date instead."
        )
    if policy == IdentityPolicy.OPTIONAL and clinic.regime == Regime.SE_HUMAN:
        return _(
            "The law requires your journal to state who you are (patientdatalagen 3 kap. "
            "6 §), so we ask for your personal identity number (personnummer or "
            "samordningsnummer). If you have none, we identify you by your name and birth "
            "date instead."
        )
    if policy == IdentityPolicy.OPTIONAL:
        return _(
            "You may give us your national identity number so that your records identify you "
            "reliably; no law obliges you to. If you do not give it, we identify you by your "
            "name and birth date instead."
        )
    return ""


def _log_extract_text(clinic: Clinic) -> str:
    """REQ-23: the right to an extract of the log of who has opened the journal."""
    if clinic.regime == Regime.SE_HUMAN:
        return _(
            "Log extract: which care unit and staff have opened your journal, and when "
            "(patientdatalagen 8 kap. 1 §)."
        )
    if clinic.regime == Regime.NO_HUMAN:
        return _(
            "Log extract: who has read your journal, in which role and for what reason, and "
            "when (pasientjournalloven § 18)."
        )
    return _(
        "Log extract: who at the clinic has opened your records, and when. Every read is logged."
    )


def notice_facts(clinic: Clinic, activities: list[ProcessingActivity], language: str) -> dict:
    """The parts of the notice that are not one activity, in ``language`` (translation
    active): the right to object (Art. 21(4): stated clearly and apart), why an identity
    number is asked for (Art. 13(2)(e)), and the log extract (REQ-23)."""
    fallback = clinic.language
    interests = [
        {
            "key": a.key,
            "name": localized(a.name, language, fallback),
            "interest": localized(a.legitimate_interest, language, fallback),
        }
        for a in activities
        if LegalBasis.LEGITIMATE_INTERESTS in a.legal_bases
    ]
    return {
        "objection": {
            "interests": interests,
            "direct_marketing": any(a.key == "marketing" for a in activities),
        },
        "identity": _identity_text(clinic),
        "log_extract": _log_extract_text(clinic),
        # REQ-45: how to complain, and the court (the same words as every answer).
        "complaint": complaint_sentence(clinic),
        "court": court_sentence(),
        # Art. 32-34 (seeds 000, 001, 004): how the data is protected, and breaches.
        "security": next(
            (text for a in activities if (text := localized(a.security, language, fallback))),
            "",
        ),
        "breach": _(
            "If a personal data breach happens, we report it to %(authority)s within 72 hours "
            "of becoming aware of it, and when it is likely to put you at high risk we tell "
            "you without undue delay, by e-mail or SMS (GDPR art. 33 and 34)."
        )
        % {"authority": AUTHORITIES[clinic.country].name},
        # Issue 16: how long backups keep what was deleted, and that erasures stay erased.
        "backups": ngettext(
            "Our backups are encrypted and kept for %(days)s day. If we ever have to restore "
            "one, everything erased since it was taken is erased again before the system is "
            "used.",
            "Our backups are encrypted and kept for %(days)s days. If we ever have to restore "
            "one, everything erased since it was taken is erased again before the system is "
            "used.",
            backup_days(),
        )
        % {"days": backup_days()},
    }


# --- The notice -----------------------------------------------------------------------


def build_notice(clinic: Clinic) -> dict[str, dict]:
    """The whole notice in every language, from the record as it is now."""
    activities = activities_of(clinic, active_only=True)
    processors = processors_of(clinic, active_only=True)
    policies = retention_policies(clinic, [k for a in activities for k in a.retention_keys])
    serves: dict[int, list[ProcessingActivity]] = {}
    for activity in activities:
        for processor in activity.active_processors:
            serves.setdefault(processor.pk, []).append(activity)
    content = {}
    for language in LANGS:
        with translation.override(language):
            content[language] = {
                "controller": {
                    "name": clinic.name,
                    "organisation_number": clinic.organisation_number,
                    "email": clinic.contact_email,
                    "phone": clinic.contact_phone,
                    "address": clinic.address,
                },
                "activities": [
                    activity_view(a, policies, language, clinic, public=True) for a in activities
                ],
                **notice_facts(clinic, activities, language),
                "processors": [
                    {
                        **processor_view(p, language),
                        "purposes": [
                            localized(a.name, language, clinic.language)
                            for a in serves.get(p.pk, [])
                        ],
                    }
                    for p in processors
                ],
                "authorities": authorities(clinic),
                "cookies": cookie_categories(),
            }
            if clinic.request_answer_days:
                # The clinic's promise, shorter than the law's month (REQ-24).
                content[language]["answer_days"] = clinic.request_answer_days
    return content


def digest_of(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def notice_versions(clinic: Clinic) -> list:

    return list(
        PrivacyNotice.objects.filter(clinic=clinic)
        .select_related("text")
        .defer("text__content")  # only the version shown is read in full
        .order_by("-version")
    )


def notice_context(clinic: Clinic, language: str, version=None) -> dict:
    """What the public notice page shows: a published version (the current one unless
    ``version`` names another), in ``language``, and the list of all versions.

    A version published before notices were generated has no stored text: the current one
    is then shown as built from the record now; an older one says its text was not kept.
    """

    language = language if language in LANGS else clinic.language
    versions = notice_versions(clinic)
    if not versions:
        versions = [notice_current(clinic=clinic)]
    current = versions[0]
    shown = current
    if version not in (None, ""):
        wanted = str(version)
        shown = next((n for n in versions if wanted.isdigit() and n.version == int(wanted)), None)
        if shown is None:
            raise Http404
    text = getattr(shown, "text", None)
    content = None
    if text is not None:
        content = text.content.get(language) or text.content.get(clinic.language)
    elif shown is current:
        content = build_notice(clinic)[language]
    return {
        "notice": shown,
        "content": content,
        "is_current": shown is current,
        "current_notice": current,
        "versions": versions,
    }


def record_view(clinic: Clinic, language: str | None = None) -> dict:
    """The whole record for the staff page, the API and the PDF, in the active language."""
    language = language or current_language(clinic)
    activities = activities_of(clinic)
    policies = retention_policies(clinic, [k for a in activities for k in a.retention_keys])
    with translation.override(language):
        return {
            "clinic": clinic,
            "language": language,
            "activities": [
                {
                    "object": a,
                    **activity_view(a, policies, language, clinic),
                    "processor_objects": a.active_processors,
                }
                for a in activities
            ],
            "processors": [
                {"object": p, **processor_view(p, language)} for p in processors_of(clinic)
            ],
        }
