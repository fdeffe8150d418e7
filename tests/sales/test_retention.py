"""Accounting records are kept for the regime's period (REQ-06 SE 7 years, REQ-07 NO 5)."""

from __future__ import annotations

from datetime import date

from praksis.privacy.retention import accounting_retention_until


def test_sweden_keeps_through_the_seventh_year_after_the_financial_year():
    assert accounting_retention_until(country="SE", record_date=date(2026, 3, 5)) == date(
        2033, 12, 31
    )
    # A broken financial year ending 30 April 2027: the calendar year 2027 counts.
    assert accounting_retention_until(
        country="SE", record_date=date(2026, 11, 22), fy_end_month=4, fy_end_day=30
    ) == date(2034, 12, 31)


def test_norway_keeps_five_years_after_the_financial_year(settings):
    assert accounting_retention_until(country="NO", record_date=date(2026, 3, 5)) == date(
        2031, 12, 31
    )
    assert accounting_retention_until(
        country="NO", record_date=date(2026, 11, 22), fy_end_month=4, fy_end_day=30
    ) == date(2032, 4, 30)
    settings.PRAKSIS_ACCOUNTING_RETENTION_YEARS = {"NO": 3}  # LAW.md: configurable, [U]
    assert accounting_retention_until(country="NO", record_date=date(2026, 3, 5)) == date(
        2029, 12, 31
    )
