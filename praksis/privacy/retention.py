"""The retention engine (LAW.md REQ-01..11, REQ-16, REQ-27): how long each record type is
kept, legal holds, and the sweep that deletes what has passed its retention, with evidence.

Policies. :func:`policy_for` gives the :class:`Policy` for a record type in a clinic: the
law's default for the clinic's regime (:data:`RECORD_TYPES` x SE-human / NO-human /
SE-vet / NO-vet / GDPR-only), or the clinic's own period (``RetentionSetting``), which
:func:`setting_save` accepts only within the legal limits — never below ``min_months``,
and never automatic where the law keeps without end (NO-human journals: only the REQ-16
workflow deletes them; the "10 years" there is an archive-eligible flag, REQ-03).
``describe()`` states the rule with its law in the active language (privacy notice,
processing record). :func:`kept_until` dates it; :func:`holds_for` lists the legal holds
that stop every deletion or pseudonymisation of a person's records (sweep and erasure).

The sweep. Each :class:`Rule` selects its due rows across clinics — each clinic with its
own period, held records left out — and applies in batches: constant memory (lists of
primary keys, a keyset cursor), one transaction per batch (resumable after a crash: the
due-selection is idempotent), rows claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(two machines share the work, nothing twice), and one evidence row per batch, rule and
clinic in the access log — rule, record type, count, time; never content. ``--dry-run``
(:func:`preview`) only counts. Append-only rows (journal entries, attachments, invoices,
lines, payments) are deleted only through ``praksis.core.db.purge_allowed``.

The access log is kept at least five years in Sweden (REQ-10) and per regime elsewhere; its
rule lives in the audit app's contract, which removes old rows only as a sealed cut of
each chain (``praksis.audit.cuts``), so the chain stays verifiable after a sweep.
"""

from __future__ import annotations

import calendar
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from praksis.audit.checkpoints import checkpoint_after_commit
from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import require, system_actor
from praksis.clinics.models import Clinic, Regime
from praksis.core import personal_data
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.personal_data import Rule
from praksis.people.models import AnimalOwner, Person
from praksis.privacy.models import LegalHold, RetentionSetting

# ---------------------------------------------------------------------------------------
# Policies: how long each record type is kept, per regime (LAW.md REQ-01..11), and the
# clinic's own periods within the legal limits.
# ---------------------------------------------------------------------------------------

RECORD_TYPES: dict[str, object] = {
    "journal": gettext_lazy("Journal"),
    "client": gettext_lazy("Client record"),
    "accounting": gettext_lazy("Invoices, receipts and payments"),
    "booking_request": gettext_lazy("Booking requests"),
    "booking_ip": gettext_lazy("IP address of online bookings"),
    "waitlist": gettext_lazy("Waiting list"),
    "marketing_consent": gettext_lazy("Proof of marketing consents"),
    "applicant": gettext_lazy("Job applicants"),
    "access_log": gettext_lazy("Access log"),
    "lead": gettext_lazy("Leads from the benefits portal"),
    "message": gettext_lazy("Sent e-mails and SMS (the outbox)"),
    "sign_in": gettext_lazy("Sign-ins to the client's own account"),
    "privacy_request": gettext_lazy("Answered privacy requests"),
    "unmatched_request": gettext_lazy("Online privacy requests matched to no one, closed"),
    "breach": gettext_lazy("Breach register"),
    # Therapy (GDPR-only): the client card and treatment notes rest on the client's
    # explicit consent (art. 9(2)(a)); withdrawn, they are deleted after this period.
    "health_notes": gettext_lazy("Client card and treatment notes after consent is withdrawn"),
}

# What a sweep rule does to a due record, for the staff page.
RULE_ACTIONS: dict[str, object] = {
    "delete": gettext_lazy("deleted"),
    "erase": gettext_lazy("erased (what the law keeps is pseudonymised)"),
    "forget ip address": gettext_lazy("IP address removed"),
}

TRIGGERS = (
    "last_entry",
    "last_visit",
    "financial_year_end",
    "recruitment_end",
    "withdrawal",
    "created",
    "expiry",
    "reconciled",
    "answered",
    "ended",
)
ACTIONS = ("delete", "pseudonymise", "archive_eligible", "keep")
AUTOMATIC = ("delete", "pseudonymise")


@dataclass(frozen=True)
class Policy:
    """How long one record type is kept in one clinic, and on which law.

    ``months`` is the retention period counted from ``trigger``; ``None`` means the
    record is never deleted automatically (NO-human journals, REQ-02: only the REQ-16
    workflow deletes them). Booking requests and booking IP addresses count in
    ``days`` (the clinic's booking policy) and leave ``months`` None. A policy deletes
    automatically only when :attr:`automatic` is true; ``archive_after_months`` is the
    NO-human "archive-eligible" flag (REQ-03).
    """

    record_type: str
    regime: str
    months: int | None
    trigger: str
    action: str
    law: str
    min_months: int | None
    editable: bool
    days: int | None = None
    archive_after_months: int | None = None
    verified: bool = True  # False where LAW.md marks the rule [U]: say so in the UI
    overridden: bool = False  # the clinic chose its own period
    country: str = ""
    # The law that lets single records be deleted by a professional's decision (NO-human
    # journals: helsepersonelloven § 43, REQ-16); empty: no such route (erasure.erase_records).
    deletion_by_decision: str = ""

    @property
    def label(self) -> str:
        return str(RECORD_TYPES.get(self.record_type, self.record_type))

    @property
    def automatic(self) -> bool:
        return self.action in AUTOMATIC and (self.months is not None or self.days is not None)

    def period_text(self) -> str:
        return _period(self.months, self.days)

    def describe(self, *, public: bool = False) -> str:
        """The rule in one sentence, in the active language, with its law. Staff read
        whether the law is verified (LAW.md [U]); the public notice (``public``) states
        the rule and its law without that internal caveat."""
        text = _describe(self)
        law = self.law
        if not self.verified and not public:
            law = _("%(law)s; legal basis not verified, configurable") % {"law": law}
        return f"{text} ({law})" if law else text


def _period(months: int | None, days: int | None = None) -> str:
    if days is not None:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if months is None:
        return ""
    if months % 12 == 0:
        years = months // 12
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}


def _describe(p: Policy) -> str:
    period = p.period_text()
    if p.record_type == "journal" and p.action == "archive_eligible":
        return _(
            "Never deleted automatically, only on an approved request; may be handed to an "
            "archive %(period)s after the last journal entry"
        ) % {"period": _period(p.archive_after_months)}
    if p.record_type == "access_log":
        return _(
            "Kept %(period)s after it was recorded, then cut away by the retention sweep; a "
            "sealed record of the cut keeps the rest of the log verifiable"
        ) % {"period": period}
    if p.record_type == "client" and p.action == "keep":
        return _("Kept as long as the client's journal or accounting records are kept, then erased")
    if p.record_type == "lead":
        return _("Kept until the benefits-portal invoice is reconciled, then deleted")
    if p.record_type == "health_notes":
        if p.action == "keep":
            return _("Kept with the journal as the law requires; consent is not what keeps it")
        return _(
            "When you withdraw your consent to health data, no new notes are written and your "
            "client card and treatment notes are deleted %(period)s later, unless a legal hold "
            "(a claim under the treatment injury insurance) keeps them; otherwise kept with "
            "the client record"
        ) % {"period": period}
    if p.record_type == "accounting" and p.country == "SE":
        return _(
            "Kept through the %(ordinal)s calendar year after the end of the financial year"
        ) % {"ordinal": _ordinal((p.months or 0) // 12)}
    phrases = {
        "last_entry": _("%(period)s after the last journal entry"),
        "last_visit": _("%(period)s after the last visit"),
        "financial_year_end": _("%(period)s after the end of the financial year"),
        "recruitment_end": _("%(period)s after the recruitment has closed"),
        "withdrawal": _("%(period)s after the consent was withdrawn"),
        "created": _("%(period)s after it was recorded"),
        "expiry": _("%(period)s after it was sent, unless it became a booking"),
        "reconciled": _("%(period)s after the invoice was reconciled"),
        "answered": _("%(period)s after the request was answered"),
        "ended": _(
            "%(period)s after the place on the waiting list ended (a time was booked, it was "
            "left or it expired)"
        ),
    }
    text = phrases[p.trigger] % {"period": period}
    if p.record_type == "journal" and p.regime == Regime.NO_VET:
        text = _("%(rule)s, and as long as the animal may be alive") % {"rule": text}
    if p.record_type == "journal" and p.regime == Regime.GDPR_ONLY:
        text = _("With the client record: %(rule)s") % {"rule": text}
    if p.record_type == "booking_ip":
        text = _("%(period)s after the booking was made") % {"period": period}
    if p.record_type == "applicant":
        text = _("%(rule)s; longer only with the applicant's consent") % {"rule": text}
    if p.record_type == "marketing_consent":
        text = _("While relied on, and %(rule)s") % {"rule": text}
    if p.action == "pseudonymise":
        text = _("%(rule)s, then pseudonymised") % {"rule": text}
    return text


def _ordinal(n: int) -> str:
    return {
        1: _("1st"),
        2: _("2nd"),
        3: _("3rd"),
        5: _("5th"),
        7: _("7th"),
        10: _("10th"),
    }.get(n) or (_("%(n)dth") % {"n": n})


def _make(clinic, **fields) -> Policy:
    return Policy(regime=clinic.regime, country=clinic.country, **fields)


# Species' longest plausible lifespans (years): a NO-vet journal is kept while the animal
# "must be assumed to be alive" (seed 002; FOR-2006-02-20-229 § 6).
LIFESPAN_YEARS = {
    "dog": 25, "cat": 30, "horse": 45, "rabbit": 15, "bird": 80, "rodent": 10,
    "reptile": 100, "cattle": 30, "sheep": 25, "other": 100,
}  # fmt: skip

JOURNAL_DEFAULTS: dict[str, dict] = {
    Regime.SE_HUMAN: dict(
        months=120, trigger="last_entry", action="delete", min_months=120, editable=True,
        law="patientdatalagen (2008:355) 3 kap. 17 §",
    ),
    Regime.NO_HUMAN: dict(
        months=None, trigger="last_entry", action="archive_eligible", min_months=None,
        editable=False, archive_after_months=120,
        law="pasientjournalloven § 25, helsepersonelloven § 43",
        deletion_by_decision="helsepersonelloven § 43",
    ),
    Regime.SE_VET: dict(
        months=60, trigger="last_entry", action="delete", min_months=60, editable=True,
        law="Jordbruksverkets föreskrifter om journalföring (saknr D 8)",
    ),
    Regime.NO_VET: dict(
        months=120, trigger="last_entry", action="delete", min_months=120, editable=True,
        law="forskrift om journal for dyrehelsepersonell (FOR-2006-02-20-229) § 6",
    ),
}  # fmt: skip

GDPR_STORAGE_LIMITATION = "GDPR art. 5.1 e"


def _defaults(clinic, record_type: str) -> dict:
    regime, country = clinic.regime, clinic.country
    if record_type == "client":
        if regime == Regime.GDPR_ONLY:
            return dict(
                months=24, trigger="last_visit", action="delete", min_months=None,
                editable=True, law=GDPR_STORAGE_LIMITATION,
            )  # fmt: skip
        law = JOURNAL_DEFAULTS[regime]["law"]
        return dict(
            months=None, trigger="last_entry", action="keep", min_months=None, editable=False,
            law=law,
        )  # fmt: skip
    if record_type == "journal":
        if regime == Regime.GDPR_ONLY:
            client = _defaults(clinic, "client")
            return {**client, "editable": False}
        return dict(JOURNAL_DEFAULTS[regime])
    if record_type == "accounting":
        years = retention_years(country)
        if country == "SE":
            return dict(
                months=12 * years, trigger="financial_year_end", action="delete",
                min_months=12 * years, editable=True, law="bokföringslagen (1999:1078) 7 kap. 2 §",
            )  # fmt: skip
        return dict(
            months=12 * years, trigger="financial_year_end", action="delete",
            min_months=12 * years, editable=True, law="bokføringsloven § 13", verified=False,
        )  # fmt: skip
    if record_type in ("booking_request", "booking_ip"):
        # The clinic's booking policy sets these (the booking app's contract says how long).
        days = next(
            (
                d
                for c in personal_data.contracts()
                if (d := c.retention_days(clinic, record_type)) is not None
            ),
            None,
        )
        return dict(
            months=None, days=days, trigger="expiry" if record_type == "booking_request"
            else "created", action="delete", min_months=None, editable=False,
            law=GDPR_STORAGE_LIMITATION,
        )  # fmt: skip
    if record_type == "waitlist":
        # A place on the waiting list is needed only while the person waits; the booking
        # app's contract says how long it stays after it ended.
        days = next(
            (
                d
                for c in personal_data.contracts()
                if (d := c.retention_days(clinic, record_type)) is not None
            ),
            None,
        )
        return dict(
            months=None, days=days, trigger="ended", action="delete", min_months=None,
            editable=False, law=GDPR_STORAGE_LIMITATION,
        )  # fmt: skip
    if record_type == "marketing_consent":
        return dict(
            months=24, trigger="withdrawal", action="delete", min_months=None, editable=True,
            law="GDPR art. 7.1, art. 17.3 e", verified=False,
        )  # fmt: skip
    if record_type == "applicant":
        return dict(
            months=24, trigger="recruitment_end", action="delete", min_months=None,
            editable=True, verified=False,
            law="diskrimineringslagen (2008:567)" if country == "SE" else "GDPR art. 5.1 e",
        )  # fmt: skip
    if record_type == "access_log":
        # REQ-10: at least 5 years in Sweden [V]; the same in Norway [U]. Without
        # health-record law (GDPR-only) our choice [U]: 5 years, at least 2 — the client
        # record's own period, so the log covers what a client may ask about (Art. 15),
        # and long enough to show accountability and trace a breach (Art. 5(2), 32-33).
        # The audit app's sweep rule removes old rows with a sealed cut of the chain.
        law, minimum, verified = "GDPR art. 5.2, art. 32", 24, False
        if regime in (Regime.SE_HUMAN, Regime.SE_VET):
            law, minimum, verified = "HSLF-FS 2016:40 4 kap. 9 §", 60, True
        elif regime == Regime.NO_HUMAN:
            law, minimum = "pasientjournalloven § 22, pasientjournalforskriften § 14", 60
        elif regime == Regime.NO_VET:
            minimum = 60
        return dict(
            months=60, trigger="created", action="delete", min_months=minimum, editable=True,
            law=law, verified=verified,
        )  # fmt: skip
    if record_type == "health_notes":
        # Art. 9(2)(a) and 17(1)(b): once the explicit consent is withdrawn, nothing else
        # allows the health notes of a clinic outside health-record law [U: LAW.md]; a
        # short period to carry it out, configurable. Under health-record law the journal
        # is kept by that law whatever the consent (REQ-01..05).
        if regime == Regime.GDPR_ONLY:
            return dict(
                months=1, trigger="withdrawal", action="delete", min_months=None,
                editable=True, law="GDPR art. 9.2 a, art. 17.1 b", verified=False,
            )  # fmt: skip
        return dict(
            months=None, trigger="withdrawal", action="keep", min_months=None,
            editable=False, law=JOURNAL_DEFAULTS[regime]["law"],
        )  # fmt: skip
    if record_type == "lead":
        return dict(
            months=None, trigger="reconciled", action="delete", min_months=None,
            editable=False, law=GDPR_STORAGE_LIMITATION,
        )  # fmt: skip
    if record_type == "privacy_request":
        # Kept as proof of how a request was answered (Art. 5(2)) for the period in which
        # a complaint or a claim about it is likely; our choice, configurable.
        return dict(
            months=36, trigger="answered", action="delete", min_months=None, editable=True,
            law="GDPR art. 5.2, art. 12", verified=False,
        )  # fmt: skip
    if record_type == "unmatched_request":
        # A request no one could be identified for holds only the contact typed and what
        # was written; once closed it is kept a year as proof of the answer (Art. 5(2),
        # 11(2), 12(2)); our choice, configurable.
        return dict(
            months=12, trigger="ended", action="delete", min_months=None, editable=True,
            law="GDPR art. 5.1 e, art. 5.2, art. 12.2", verified=False,
        )  # fmt: skip
    if record_type == "breach":
        # The register of breaches documents the clinic's compliance (Art. 33(5)); it holds
        # only references to the persons affected.
        return dict(
            months=None, trigger="created", action="keep", min_months=None, editable=False,
            law="GDPR art. 33.5",
        )  # fmt: skip
    if record_type == "sign_in":
        # Security records of the client's account (codes sent, sessions): kept a short
        # while to trace misuse; the accounts app's contract says how long.
        days = next(
            (
                d
                for c in personal_data.contracts()
                if (d := c.retention_days(clinic, record_type)) is not None
            ),
            None,
        )
        return dict(
            months=None, days=days, trigger="created", action="delete", min_months=None,
            editable=False, law="GDPR art. 5.1 e, art. 32",
        )  # fmt: skip
    if record_type == "message":
        # A sent message's body holds personal data; its delivery record is not needed
        # for long (what it was about lives on in the booking, the request or the breach).
        return dict(
            months=3, trigger="created", action="delete", min_months=None, editable=True,
            law=GDPR_STORAGE_LIMITATION,
        )  # fmt: skip
    raise KeyError(record_type)


def relevant_record_types(clinic) -> list[str]:
    """The record types of the clinic's regime and profile, in display order."""
    types = ["journal", "client", "accounting", "booking_request", "booking_ip", "waitlist"]
    types += ["marketing_consent", "applicant", "access_log", "message", "privacy_request"]
    types.append("sign_in")
    types.append("unmatched_request")
    if clinic.profile == "therapy":
        types.append("lead")
    if clinic.regime == Regime.GDPR_ONLY:
        types.append("health_notes")
    return types


def _overrides(clinic) -> dict[str, int]:

    if clinic.pk is None:
        return {}
    return dict(RetentionSetting.objects.filter(clinic=clinic).values_list("record_type", "months"))


def default_policy(clinic, record_type: str) -> Policy:
    """The law's default for the clinic's regime, without the clinic's own period."""
    if record_type not in RECORD_TYPES:
        raise KeyError(record_type)
    return _make(clinic, record_type=record_type, **_defaults(clinic, record_type))


def policy_for(clinic, record_type: str, *, overrides: dict[str, int] | None = None) -> Policy:
    """The policy in force: the law's default, or the clinic's own (longer) period."""
    policy = default_policy(clinic, record_type)
    source = "client" if record_type == "journal" and clinic.regime == Regime.GDPR_ONLY else None
    if overrides is None:
        overrides = _overrides(clinic)
    months = overrides.get(source or record_type)
    if months is not None and (policy.editable or source) and policy.months is not None:
        policy = replace(policy, months=months, overridden=True)
    return policy


def policies_for(clinic) -> list[Policy]:
    overrides = _overrides(clinic)
    return [policy_for(clinic, key, overrides=overrides) for key in relevant_record_types(clinic)]


def add_months(day, months: int):
    """``day`` (a date or datetime) plus calendar months; the 31st becomes the month's end."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def kept_until(clinic, record_type: str, trigger_date) -> date | None:
    """The last day a record whose trigger fell on ``trigger_date`` is kept; ``None`` when
    the policy has no automatic end (kept indefinitely, or only by a decision)."""
    policy = policy_for(clinic, record_type)
    if not policy.automatic:
        return None
    if isinstance(trigger_date, datetime):
        trigger_date = timezone.localtime(trigger_date, clinic.zone).date()
    if policy.days is not None:
        return trigger_date + timedelta(days=policy.days)
    if record_type == "accounting":
        return accounting_kept_until(clinic, trigger_date, months=policy.months)
    return add_months(trigger_date, policy.months)


# Accounting (REQ-06, REQ-07):
# * SE (bokföringslagen 7 kap. 2 §): through the 7th year after the end of the calendar
#   year in which the financial year ended.
# * NO (bokføringsloven § 13): 5 years after the end of the financial year. LAW.md marks
#   this [U], so the years are configurable: ``PRAKSIS_ACCOUNTING_RETENTION_YEARS`` in
#   settings (e.g. ``{"NO": 5}``) overrides the defaults.
ACCOUNTING_YEARS = {"SE": 7, "NO": 5}


def retention_years(country: str) -> int:
    overrides = getattr(settings, "PRAKSIS_ACCOUNTING_RETENTION_YEARS", None) or {}
    return int(overrides.get(country, ACCOUNTING_YEARS[country]))


def financial_year_end(day: date, *, month: int = 12, last_day: int = 31) -> date:
    """The end of the financial year containing ``day`` (calendar year by default)."""

    def end_in(year: int) -> date:
        return date(year, month, min(last_day, calendar.monthrange(year, month)[1]))

    end = end_in(day.year)
    return end if day <= end else end_in(day.year + 1)


def clinic_financial_year_end(clinic, day: date) -> date:
    """The end of the clinic's financial year containing ``day`` (it starts in the month
    ``clinic.financial_year_start``)."""
    end_month = (getattr(clinic, "financial_year_start", 1) or 1) - 2
    return financial_year_end(day, month=end_month % 12 + 1)


def accounting_retention_until(
    *, country: str, record_date: date, fy_end_month: int = 12, fy_end_day: int = 31
) -> date:
    """The last day the law keeps a record dated ``record_date``."""
    years = retention_years(country)
    fy_end = financial_year_end(record_date, month=fy_end_month, last_day=fy_end_day)
    if country == "SE":
        return date(fy_end.year + years, 12, 31)
    year = fy_end.year + years
    return date(year, fy_end.month, min(fy_end.day, calendar.monthrange(year, fy_end.month)[1]))


def accounting_kept_until(clinic, record_date: date, *, months: int | None = None) -> date:
    """REQ-06/07 from the end of the clinic's financial year, moved by the clinic's own
    (longer) period when it has one."""
    if months is None:
        months = policy_for(clinic, "accounting").months
    fy_end = clinic_financial_year_end(clinic, record_date)
    law = accounting_retention_until(
        country=clinic.country, record_date=record_date, fy_end_month=fy_end.month,
        fy_end_day=fy_end.day,
    )  # fmt: skip
    return add_months(law, months - 12 * retention_years(clinic.country))


def archive_eligible_from(clinic, last_entry) -> date | None:
    """NO-human (REQ-03): when a journal may be handed to an archive depot."""
    policy = policy_for(clinic, "journal")
    if policy.archive_after_months is None:
        return None
    if isinstance(last_entry, datetime):
        last_entry = timezone.localtime(last_entry, clinic.zone).date()
    return add_months(last_entry, policy.archive_after_months)


def journal_retention(clinic, last_entry) -> dict | None:
    """What the person page says about how long a journal is kept, from its last entry:
    until when (with the law), or — NO-human — never automatically, and from when it may
    be handed to an archive (REQ-01..05)."""
    if last_entry is None:
        return None
    policy = policy_for(clinic, "journal")
    return {
        "until": kept_until(clinic, "journal", last_entry),
        "archive_from": archive_eligible_from(clinic, last_entry),
        "law": policy.law,
    }


def validate_setting(clinic, record_type: str, months) -> int:
    """The clinic's period for ``record_type``, checked against the law (REQ-01..11)."""
    if record_type not in relevant_record_types(clinic):
        raise ValidationFailed({"record_type": [_("Unknown record type.")]})
    policy = default_policy(clinic, record_type)
    try:
        months = int(months)
    except (TypeError, ValueError):
        raise ValidationFailed({"months": [_("Enter a whole number of months.")]}) from None
    if not policy.editable or policy.months is None:
        if record_type == "journal" and clinic.regime == Regime.NO_HUMAN:
            msg = _(
                "Norwegian patient journals are never deleted automatically "
                "(pasientjournalloven § 25): deletion goes only through an approved request."
            )
        else:
            msg = _("This retention period is set by law and cannot be changed.")
        raise ValidationFailed({"months": [msg]})
    if months < 1 or months > 1200:
        raise ValidationFailed({"months": [_("Enter a period between 1 and 1200 months.")]})
    if policy.min_months is not None and months < policy.min_months:
        raise ValidationFailed(
            {
                "months": [
                    _("The law requires at least %(period)s (%(law)s).")
                    % {"period": _period(policy.min_months), "law": policy.law}
                ]
            }
        )
    if record_type == "accounting" and months % 12:
        raise ValidationFailed(
            {"months": [_("Accounting records are kept for whole years (a multiple of 12).")]}
        )
    return months


def setting_save(*, actor, record_type: str, months) -> Policy:
    """Set the clinic's own period for ``record_type`` (owner only), within the law."""

    require(actor, "privacy.manage")
    clinic = actor.clinic
    months = validate_setting(clinic, record_type, months)
    with transaction.atomic():
        RetentionSetting.objects.update_or_create(
            clinic=clinic,
            record_type=record_type,
            defaults={
                "months": months,
                "updated_at": timezone.now(),
                "updated_by_user_id": actor.user_id,
            },
        )
        log_access(
            actor,
            Access(Action.UPDATE, "retention_setting", record_type, purpose="retention",
                   detail=f"months={months}"),
        )  # fmt: skip
    return policy_for(clinic, record_type)


def setting_reset(*, actor, record_type: str) -> Policy:
    """Back to the law's default for ``record_type``."""

    require(actor, "privacy.manage")
    clinic = actor.clinic
    with transaction.atomic():
        deleted, _rows = RetentionSetting.objects.filter(
            clinic=clinic, record_type=record_type
        ).delete()
        if deleted:
            log_access(
                actor,
                Access(Action.DELETE, "retention_setting", record_type, purpose="retention"),
            )
    return policy_for(clinic, record_type)


# ---------------------------------------------------------------------------------------
# Legal holds
# ---------------------------------------------------------------------------------------


def _hold_subject(clinic, record_type: str, record_id: int):
    """``(person_id, animal_id)`` of a record a hold may name, from the app that holds it
    (None when the clinic has no such record)."""
    if record_type == "client":
        return (record_id, None)
    for contract in personal_data.contracts():
        if record_type in contract.holdable:
            return contract.hold_subject(clinic, record_type, record_id)
    return None


def _record_owner(clinic, record_type: str, record_id: int) -> int | None:
    """The person a held record belongs to (None when not found in this clinic); for an
    animal's record, its primary owner."""

    subject = _hold_subject(clinic, record_type, record_id)
    if subject is None:
        return None
    person_id, animal_id = subject
    if person_id is not None or animal_id is None:
        return person_id
    return (
        AnimalOwner.objects.filter(clinic=clinic, animal_id=animal_id)
        .order_by("-is_primary", "pk")
        .values_list("person_id", flat=True)
        .first()
    )


def holds_for(clinic, person_id) -> list:
    """Active legal holds on the person, or on any record of theirs (their animals'
    records included). Erasure and the sweep leave everything they cover alone."""

    active = list(
        LegalHold.objects.filter(clinic=clinic, released_at__isnull=True).order_by("placed_at")
    )
    if not active:
        return []
    found = []
    animal_ids = None
    for hold in active:
        if hold.person_id is not None:
            if hold.person_id == person_id:
                found.append(hold)
            continue
        subject = _hold_subject(clinic, hold.record_type, hold.record_id)
        if subject is None:
            continue
        if subject[0] == person_id and person_id is not None:
            found.append(hold)
        elif subject[0] is None and subject[1] is not None:
            if animal_ids is None:
                animal_ids = set(
                    AnimalOwner.objects.filter(clinic=clinic, person_id=person_id).values_list(
                        "animal_id", flat=True
                    )
                )
            if subject[1] in animal_ids:
                found.append(hold)
    return found


def hold_place(
    *, actor, reason: str, person=None, person_id=None, record_type: str = "", record_id=None
):
    """Place a legal hold on a person (``person`` or ``person_id``) or on one record
    (``record_type`` + ``record_id``); owner only, access-logged."""

    require(actor, "privacy.manage")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    if person is None and str(person_id or "").strip():
        person = (
            Person.objects.filter(clinic=clinic, pk=int(person_id)).first()
            if str(person_id).strip().isdigit()
            else None
        )
        if person is None:
            raise ValidationFailed({"person": [_("Choose a person registered at this clinic.")]})
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the data must be kept (the case or claim).")]
    elif len(reason) > 2000:
        errors["reason"] = [_("Keep the reason under 2000 characters.")]
    owner_id = None
    if person is not None:
        if person.clinic_id != clinic.pk:
            raise PermissionDenied("person of another clinic")
        owner_id = person.pk
        record_type, record_id = "", None
    else:
        if record_type not in HOLDABLE:
            errors["record_type"] = [_("Choose what the hold covers.")]
        else:
            try:
                record_id = int(record_id)
            except (TypeError, ValueError):
                errors["record_id"] = [_("Enter the record's number.")]
            else:
                owner_id = _record_owner(clinic, record_type, record_id)
                if not _record_exists(clinic, record_type, record_id):
                    errors["record_id"] = [_("No such record in this clinic.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        hold = LegalHold.objects.create(
            clinic=clinic,
            person=person,
            record_type=record_type,
            record_id=record_id,
            reason=reason,
            placed_by_user_id=actor.user_id,
            placed_by_name=str(actor.user or actor.label),
        )
        log_access(
            actor,
            Access(
                Action.CREATE, "legal_hold", hold.pk, person_id=owner_id, purpose="legal hold",
                detail=f"covers={'person' if person is not None else record_type}",
            ),
        )  # fmt: skip
    return hold


HOLDABLE = ("journal", "accounting", "marketing_consent", "applicant")


def holds_list(*, actor, person_id: int | None = None) -> list:
    """The clinic's active legal holds (of one person, when given), access-logged."""

    require(actor, "privacy.manage")
    if person_id is not None:
        holds = holds_for(actor.clinic, person_id)
    else:
        holds = list(
            LegalHold.objects.filter(clinic=actor.clinic, released_at__isnull=True)
            .select_related("person")
            .order_by("-placed_at")
        )
    if holds:
        log_access(
            actor,
            Access(Action.LIST, "legal_hold", "", person_id=person_id, purpose="legal hold",
                   detail=f"count={len(holds)}"),
        )  # fmt: skip
    return holds


def _record_exists(clinic, record_type: str, record_id: int) -> bool:
    return _hold_subject(clinic, record_type, record_id) is not None


def hold_release(*, actor, hold_id) -> object:
    """Release an active hold (owner only), access-logged."""

    require(actor, "privacy.manage")
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(clinic=actor.clinic, pk=hold_id).first()
        if hold is None:
            raise Http404
        if hold.released_at is not None:
            raise Conflict(_("This legal hold has already been released."))
        hold.released_at = timezone.now()
        hold.released_by_user_id = actor.user_id
        hold.save(update_fields=["released_at", "released_by_user_id"])
        owner_id = hold.person_id or (
            _record_owner(actor.clinic, hold.record_type, hold.record_id)
            if hold.record_id
            else None
        )
        log_access(
            actor,
            Access(Action.UPDATE, "legal_hold", hold.pk, person_id=owner_id,
                   purpose="legal hold", detail="released"),
        )  # fmt: skip
    return hold


# ---------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------


# The sweep's "now", for rules that hand it on (erasure computes kept-until dates).
_now: ContextVar[datetime | None] = ContextVar("retention_now", default=None)


def _active_holds():

    return LegalHold.objects.filter(released_at__isnull=True)


def _person_held(field: str = "person_id") -> Exists:
    """True for rows whose person (``field``) is under an active legal hold."""
    return Exists(_active_holds().filter(person_id=OuterRef(field)))


def _record_held(record_type: str, field: str = "pk") -> Exists:
    return Exists(_active_holds().filter(record_type=record_type, record_id=OuterRef(field)))


def _clinic_groups(record_type: str, regimes=None) -> dict[int | None, list[int]]:
    """Clinics whose policy for ``record_type`` deletes automatically, grouped by their
    period in months (few groups, so the due-selection stays one indexable query)."""

    clinics = Clinic.objects.all()
    if regimes is not None:
        clinics = clinics.filter(regime__in=regimes)
    overrides: dict[int, dict[str, int]] = {}
    settings_qs = RetentionSetting.objects.filter(clinic__in=clinics).values_list(
        "clinic_id", "record_type", "months"
    )
    for clinic_id, key, months in settings_qs:
        overrides.setdefault(clinic_id, {})[key] = months
    groups: dict[int | None, list[int]] = {}
    for clinic in clinics.only("pk", "regime", "country", "profile"):
        policy = policy_for(clinic, record_type, overrides=overrides.get(clinic.pk, {}))
        if policy.automatic:
            groups.setdefault(policy.months, []).append(clinic.pk)
    return groups


def _by_clinic_cutoff(record_type: str, now: datetime, make_q, regimes=None) -> Q:
    """OR over the clinic groups of ``make_q(clinic_ids, cutoff)``; matches nothing when
    no clinic deletes ``record_type`` automatically."""
    q = Q(pk__in=[])
    for months, clinic_ids in _clinic_groups(record_type, regimes).items():
        q |= make_q(clinic_ids, add_months(now, -months))
    return q


def _may_be_alive(now: datetime) -> Q:
    """NO-vet (seed 002): an animal's journal is kept while the animal may be alive."""
    today = now.date()
    q = Q(deceased_on__isnull=True)
    gone = Q()
    for species, years in LIFESPAN_YEARS.items():
        born_before = add_months(today, -12 * years)
        gone |= Q(species=species) & (
            Q(birth_date__lte=born_before)
            | Q(birth_date__isnull=True, created_at__lte=add_months(now, -12 * years))
        )
    return q & ~gone


def sweep_now() -> datetime | None:
    """The sweep's "now" while a rule applies (erasures date their evidence by it)."""
    return _now.get()


def rules() -> list[Rule]:
    """Every sweep rule the apps registered (``praksis.core.personal_data``), in order.

    The access log (REQ-10) has its own rule in the audit app: a sealed cut keeps the
    chain verifiable after old rows go."""
    return personal_data.sweep_rules()


def rule_named(name: str) -> Rule:
    return next(r for r in rules() if r.name == name)


@dataclass
class Outcome:
    rule: str
    clinic: str
    count: int
    record_type: str = ""


def preview(*, now: datetime | None = None, rules=None, clinic=None) -> list[Outcome]:
    """How many records each rule would handle, per clinic (nothing changes)."""
    now = now or timezone.now()
    slugs = dict(Clinic.objects.values_list("pk", "slug"))
    outcomes = []
    for rule in rules if rules is not None else globals()["rules"]():
        due = rule.due(now)
        if clinic is not None:
            due = due.filter(clinic_id=clinic.pk)
        counts = due.values("clinic_id").annotate(n=Count("pk")).order_by("clinic_id")
        outcomes += [
            Outcome(rule.name, slugs[c["clinic_id"]], c["n"], rule.record_type) for c in counts
        ]
    return outcomes


def sweep(
    *,
    now: datetime | None = None,
    rules=None,
    batch_size: int = 1000,
    progress=None,
    clinic=None,
) -> list[Outcome]:
    """Apply every rule in batches; log evidence per batch, rule and clinic.

    Each batch is one transaction: claim up to ``batch_size`` due rows (``FOR UPDATE
    SKIP LOCKED`` on PostgreSQL, so two machines sweeping at once share the work and
    never handle a row twice), apply the rule, and write the evidence — rule, record
    type, count, time; never content. A crash loses at most the batch in flight; the
    next run finds what is still due. ``progress(n)`` is called after each commit.
    """
    now = now or timezone.now()
    done: dict[tuple[str, int], int] = {}
    for rule in rules if rules is not None else globals()["rules"]():
        after = 0  # keyset cursor: rows before it were handled or are another worker's
        while True:
            with transaction.atomic():
                batch = rule.due(now).filter(pk__gt=after).order_by("pk")
                if clinic is not None:
                    batch = batch.filter(clinic_id=clinic.pk)
                if connection.vendor == "postgresql":
                    batch = batch.select_for_update(skip_locked=True, of=("self",))
                rows = list(batch.values_list("pk", "clinic_id")[:batch_size])
                if not rows:
                    break
                after = rows[-1][0]
                pks = [pk for pk, _clinic in rows]
                if rule.recheck:
                    # The claim's snapshot predates its locks: a row another sweeper
                    # finished (and unlocked) meanwhile is claimed but no longer due,
                    # and PostgreSQL re-checks only rows that changed themselves. Now
                    # that the rows are ours, a fresh statement sees what is left.
                    # (Rules that delete or change the claimed rows need no re-check.)
                    rows = list(
                        rule.due(now)
                        .filter(pk__in=pks)
                        .order_by("pk")
                        .values_list("pk", "clinic_id")
                    )
                    pks = [pk for pk, _clinic in rows]
                token = _now.set(now)
                try:
                    handled = rule.apply(rule.due(now).filter(pk__in=pks))
                finally:
                    _now.reset(token)
                if not isinstance(handled, int):  # the rows it handled, of those claimed
                    handled = set(handled)
                    rows = [row for row in rows if row[0] in handled]
                per_clinic: dict[int, int] = {}
                for _pk, clinic_id in rows:
                    per_clinic[clinic_id] = per_clinic.get(clinic_id, 0) + 1
                # Chain heads are locked in clinic order: two sweepers cannot deadlock.
                for owner in Clinic.objects.filter(pk__in=per_clinic).order_by("pk"):
                    log_access(
                        system_actor(owner, channel="system"),
                        Access(
                            Action.DELETE if rule.action != "forget ip address" else Action.UPDATE,
                            rule.record_type,
                            "",
                            purpose="retention",
                            detail=f"rule={rule.name}; {rule.action}: {per_clinic[owner.pk]}",
                        ),
                    )
                    key = (rule.name, owner.pk)
                    done[key] = done.get(key, 0) + per_clinic[owner.pk]
            if progress:
                progress(len(rows))
    slugs = dict(Clinic.objects.values_list("pk", "slug"))
    if done:  # the sweep's evidence rows, signed outside the database (issue 16)
        checkpoint_after_commit("retention sweep")
    return [Outcome(name, slugs[clinic_id], n) for (name, clinic_id), n in done.items()]


def sweep_rule(name: str, *, now: datetime | None = None, batch_size: int = 1000) -> int:
    return sum(o.count for o in sweep(now=now, rules=[rule_named(name)], batch_size=batch_size))
