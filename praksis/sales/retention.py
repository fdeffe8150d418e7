"""How long accounting records must be kept (LAW.md REQ-06, REQ-07).

* SE (bokföringslagen 7 kap. 2 §): through the 7th year after the end of the calendar
  year in which the financial year ended.
* NO (bokføringsloven § 13): 5 years after the end of the financial year. LAW.md marks
  this [U], so the years are configurable: ``PRAKSIS_ACCOUNTING_RETENTION_YEARS`` in
  settings (e.g. ``{"NO": 5}``) overrides the defaults below.

Until then an invoice, its lines and payments are never deleted — not even when the
person is erased (they are pseudonymised instead, see ``pseudonymise_person_sales``).
"""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings

DEFAULT_YEARS = {"SE": 7, "NO": 5}


def retention_years(country: str) -> int:
    overrides = getattr(settings, "PRAKSIS_ACCOUNTING_RETENTION_YEARS", None) or {}
    return int(overrides.get(country, DEFAULT_YEARS[country]))


def financial_year_end(day: date, *, month: int = 12, last_day: int = 31) -> date:
    """The end of the financial year containing ``day`` (calendar year by default)."""

    def end_in(year: int) -> date:
        return date(year, month, min(last_day, calendar.monthrange(year, month)[1]))

    end = end_in(day.year)
    return end if day <= end else end_in(day.year + 1)


def accounting_retention_until(
    *, country: str, record_date: date, fy_end_month: int = 12, fy_end_day: int = 31
) -> date:
    """The last day a record dated ``record_date`` must be kept."""
    years = retention_years(country)
    fy_end = financial_year_end(record_date, month=fy_end_month, last_day=fy_end_day)
    if country == "SE":
        return date(fy_end.year + years, 12, 31)
    year = fy_end.year + years
    return date(year, fy_end.month, min(fy_end.day, calendar.monthrange(year, fy_end.month)[1]))
