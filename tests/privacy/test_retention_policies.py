"""Retention policies keyed on record type x regime (REQ-11), with the law's defaults
(REQ-01..10) and the clinic's own periods only within the legal limits."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from praksis.audit.models import AccessLogEntry
from praksis.core.errors import ValidationFailed
from praksis.privacy.models import RetentionSetting
from praksis.privacy.retention import (
    RECORD_TYPES,
    archive_eligible_from,
    kept_until,
    policies_for,
    policy_for,
    setting_reset,
    setting_save,
)

# regime -> record type -> (months, days, trigger, action, min_months)
DEFAULTS = {
    "optician": {  # SE-human
        "journal": (120, None, "last_entry", "delete", 120),  # REQ-01
        "client": (None, None, "last_entry", "keep", None),
        "accounting": (84, None, "financial_year_end", "delete", 84),  # REQ-06
        "booking_request": (None, 30, "expiry", "delete", None),
        "booking_ip": (None, 30, "created", "delete", None),
        "marketing_consent": (24, None, "withdrawal", "delete", None),  # REQ-08
        "applicant": (24, None, "recruitment_end", "delete", None),  # REQ-09
        "access_log": (60, None, "created", "delete", 60),  # REQ-10 (a sealed cut)
    },
    "dental": {  # NO-human
        "journal": (None, None, "last_entry", "archive_eligible", None),  # REQ-02/03
        "client": (None, None, "last_entry", "keep", None),
        "accounting": (60, None, "financial_year_end", "delete", 60),  # REQ-07
        "marketing_consent": (24, None, "withdrawal", "delete", None),
        "applicant": (24, None, "recruitment_end", "delete", None),
        "access_log": (60, None, "created", "delete", 60),  # REQ-10: as SE [U]
    },
    "vet": {  # NO-vet
        "journal": (120, None, "last_entry", "delete", 120),  # REQ-04
        "client": (None, None, "last_entry", "keep", None),
        "accounting": (60, None, "financial_year_end", "delete", 60),
        "access_log": (60, None, "created", "delete", 60),
    },
    "therapy": {  # GDPR-only
        "journal": (24, None, "last_visit", "delete", None),
        "client": (24, None, "last_visit", "delete", None),
        "accounting": (84, None, "financial_year_end", "delete", 84),
        "lead": (None, None, "reconciled", "delete", None),
        "access_log": (60, None, "created", "delete", 24),  # our choice [U]
    },
}


@pytest.mark.parametrize("kind", DEFAULTS)
def test_req01_to_req10_defaults_per_regime_and_record_type(make_clinic, kind):
    """REQ-01..10: the law's default for every record type of every regime."""
    clinic = make_clinic(kind)
    policies = {p.record_type: p for p in policies_for(clinic)}
    for record_type, (months, days, trigger, action, minimum) in DEFAULTS[kind].items():
        p = policies[record_type]
        assert (p.months, p.days, p.trigger, p.action, p.min_months) == (
            months,
            days,
            trigger,
            action,
            minimum,
        ), record_type
        assert p.regime == clinic.regime and p.law
    assert set(policies) <= set(RECORD_TYPES)
    assert ("lead" in policies) == (kind == "therapy")


def test_req05_se_vet_default(make_clinic):
    """REQ-05: SE-vet journals at least 5 years from the last entry."""
    clinic = make_clinic("vet", slug="se-vet", regime="SE-vet", country="SE")
    p = policy_for(clinic, "journal")
    assert (p.months, p.min_months, p.trigger, p.action) == (60, 60, "last_entry", "delete")
    assert policy_for(clinic, "accounting").months == 84  # SE bookkeeping


def test_describe_is_human_text_in_each_language(make_clinic):
    """REQ-11/REQ-25: the storage period as the privacy notice states it, in sv/nb/en."""
    clinic = make_clinic("optician")
    with translation.override("en"):
        text = policy_for(clinic, "journal").describe()
    assert text == "10 years after the last journal entry (patientdatalagen (2008:355) 3 kap. 17 §)"
    dental = make_clinic("dental")
    with translation.override("en"):
        no_journal = policy_for(dental, "journal").describe()
        no_accounting = policy_for(dental, "accounting").describe()
    assert "Never deleted automatically" in no_journal and "10 years" in no_journal
    assert "not verified" in no_accounting  # REQ-07 is [U]: the UI says so
    for lang in ("sv", "nb", "en"):
        with translation.override(lang):
            for policy in policies_for(clinic):
                assert policy.describe().strip()


def test_req03_no_human_archive_eligible_flag(make_clinic):
    """REQ-03: a NO-human journal may be archived 10 years after the last entry."""
    dental = make_clinic("dental")
    assert archive_eligible_from(dental, date(2015, 2, 1)) == date(2025, 2, 1)
    assert kept_until(dental, "journal", date(2015, 2, 1)) is None
    assert archive_eligible_from(make_clinic("optician"), date(2015, 2, 1)) is None


def test_req11_override_within_the_limits_is_accepted_and_logged(clinic, owner):
    """REQ-01/REQ-11: a clinic may keep longer than the law's minimum."""
    policy = setting_save(actor=owner, record_type="journal", months=180)
    assert policy.months == 180 and policy.overridden
    assert kept_until(clinic, "journal", date(2020, 1, 31)) == date(2035, 1, 31)
    logged = AccessLogEntry.objects.get(clinic=clinic, object_type="retention_setting")
    assert logged.object_id == "journal" and logged.detail == "months=180"
    setting_save(actor=owner, record_type="marketing_consent", months=6)  # no minimum
    assert policy_for(clinic, "marketing_consent").months == 6
    assert setting_reset(actor=owner, record_type="journal").months == 120


@pytest.mark.parametrize(
    ("kind", "record_type", "months", "field_text"),
    [
        ("optician", "journal", 119, "at least 10 years"),  # REQ-01
        ("optician", "accounting", 72, "at least 7 years"),  # REQ-06
        ("optician", "accounting", 90, "whole years"),
        ("vet", "journal", 60, "at least 10 years"),  # REQ-04
        ("vet", "accounting", 48, "at least 5 years"),  # REQ-07
        ("dental", "journal", 240, "never deleted automatically"),  # REQ-02
        ("optician", "access_log", 59, "at least 5 years"),  # REQ-10
        ("dental", "access_log", 48, "at least 5 years"),  # REQ-10 [U]
        ("optician", "applicant", "soon", "whole number"),
        ("optician", "applicant", 0, "between 1 and 1200"),
        ("optician", "nonsense", 12, "Unknown record type"),
    ],
)
def test_req11_override_below_the_law_is_refused(
    make_clinic, make_actor, kind, record_type, months, field_text
):
    """REQ-01/02/04/06/07/10: below the legal minimum (or automatic where the law keeps
    without end) is refused with a clear message, and nothing is stored."""
    clinic = make_clinic(kind)
    actor = make_actor(clinic)
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        setting_save(actor=actor, record_type=record_type, months=months)
    assert field_text in refused.value.message
    assert not RetentionSetting.objects.exists()


def test_only_the_owner_sets_retention(clinic, receptionist):
    """REQ-11: retention is the privacy officer's decision."""
    with pytest.raises(PermissionDenied):
        setting_save(actor=receptionist, record_type="journal", months=180)
    assert not RetentionSetting.objects.exists()


def test_therapy_treatment_notes_follow_the_client_record(make_clinic, make_actor):
    """GDPR-only: treatment notes are kept with the client record (PRODUCT.md)."""
    clinic = make_clinic("therapy")
    setting_save(actor=make_actor(clinic), record_type="client", months=36)
    assert policy_for(clinic, "journal").months == 36
