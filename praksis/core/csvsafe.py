"""CSV that a spreadsheet opens as data, never as a formula (OWASP "CSV injection").

Every CSV Praksis writes goes through :func:`writer`. A text cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written with a single quote in front:
spreadsheets then show it as text instead of running it (``=HYPERLINK(...)`` would
otherwise send the reader's data to a stranger's server when clicked; ``@SUM(...)`` and
``+cmd|...`` run too).

What is prefixed is decided by the value's type, not by guessing from its text:

* Text (``str``) is prefixed whenever it begins with one of those characters, as OWASP
  advises — also when it looks like a number: a phone number ``+4670...`` keeps its plus
  as text, and a credit amount stored as text (``'-100.00``) is still plainly readable.
* Numbers (``int``, ``float``, ``Decimal``; not ``bool``) are written as they are: a
  number cannot hold a formula, and a spreadsheet can still add them up.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """The cell as it is safe to write: text beginning with a trigger gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        text = str(value)
        return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
    return value


class SafeWriter:
    """``csv.writer`` whose every cell passes through :func:`escape_cell`."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        return self._writer.writerow([escape_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream, **options) -> SafeWriter:
    """Like ``csv.writer(stream, **options)``, safe to open in a spreadsheet."""
    return SafeWriter(stream, **options)
