"""Swedish and Norwegian national identity numbers: parsing, validation and synthetic generators.

Sweden (REQ-35, REQ-36, REQ-37)
    * Personnummer ``YYMMDD-NNNC``, ``YYMMDD+NNNC``, ``YYYYMMDDNNNC`` or ``YYYYMMDD-NNNC``
      (10 digits without separator too; whitespace is ignored).  The check digit ``C`` is a
      Luhn (mod 10, weights 2,1,...) digit over the ten digits ``YYMMDDNNN``.
    * In the 10-digit form the century is chosen from the separator and ``today``: ``+`` means
      the person is 100 or older *this year*; ``-`` (or no separator) means younger than 100
      this year with a birth date that is not in the future.  A ``+`` in the 12-digit form is
      a format error (the century is explicit there).
    * Samordningsnummer (coordination number, REQ-36): day + 60, i.e. days 61..91.  The date
      is checked after subtracting 60 and returned as ``birth_date``, but it is never
      authoritative: ``birth_date_reliable`` is ``False``.
    * python-stdnum rejects samordningsnummer (REQ-37), so the validation is our own.
    * Canonical form: 12 digits ``YYYYMMDDNNNC``.

Norway (REQ-38, REQ-39, REQ-40)
    * Fødselsnummer ``DDMMYY`` + individual number ``III`` + ``K1`` + ``K2``.
      ``K1``: weights 3,7,6,1,8,9,4,5,2; ``K2``: weights 5,4,3,2,7,6,5,4,3,2 over the first
      ten digits.  Check digit = 11 − (sum mod 11), 11 → 0, 10 → no valid number.
    * From 2032 (REQ-39) K1 is valid iff the sum with weights 3,7,6,1,8,9,4,5,2,1 over the
      first ten digits is ≡ 0, 1, 2 or 3 (mod 11); the classic rule is remainder 0.  Both
      rules are accepted in parallel.  ``K2`` is unchanged.  Sex is never derived or exposed.
    * D-number: day + 40.  H-number: month + 40 (its date may be an estimate, so
      ``birth_date_reliable`` is ``False``).  FH-number: first digit 8 or 9, checksums only,
      no birth date.  Tenor synthetic test numbers: month + 80 (may be combined with the
      D-number day + 40); accepted only with ``allow_test_numbers=True`` (REQ-40).
    * Century from the individual number (classic table)::

          000-499                 -> 1900-1999
          500-749 and YY 54-99    -> 1854-1899
          500-999 and YY 00-39    -> 2000-2039
          900-999 and YY 40-99    -> 1940-1999

      Numbers issued from 2032 no longer follow this table.  So when no rule fits, or the
      rule gives a date in the future (or a date that does not exist, e.g. 29 February 1900),
      the *latest* century (not earlier than the 1800s) giving a real, non-future date is
      chosen.  A consequence is that a Norwegian number is never rejected as "future": it is
      read as belonging to an earlier century instead.
    * python-stdnum's ``no.fodselsnummer`` has gaps (REQ-40), so the validator is our own.
    * Canonical form: the 11 digits.

Dates must be real calendar dates and not after ``today`` (default ``date.today()``).

Data minimisation: :func:`birth_date_only` reads just a birth date from whatever was typed
and never returns or keeps the remaining digits.

Errors are raised as :class:`IdentityNumberError` with a stable ``code`` and a lazily
translated ``message``.  No Django settings are accessed at import time.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Identity",
    "IdentityNumberError",
    "birth_date_only",
    "format_identity",
    "looks_like_identity",
    "mask_identity",
    "parse_identity",
    "parse_no",
    "parse_se",
    "synthetic_no",
    "synthetic_se",
]

ERROR_CODES = frozenset({"format", "checksum", "date", "future", "country", "test_number"})

_MESSAGES = {
    "SE": {
        "format": _("Enter a valid Swedish personal identity number (YYYYMMDD-NNNN)."),
        "checksum": _("The check digit of the Swedish personal identity number is wrong."),
        "date": _("The Swedish personal identity number does not contain a valid date."),
        "future": _("The Swedish personal identity number has a birth date in the future."),
    },
    "NO": {
        "format": _("Enter a valid Norwegian national identity number (11 digits)."),
        "checksum": _("The check digits of the Norwegian national identity number are wrong."),
        "date": _("The Norwegian national identity number does not contain a valid date."),
        "future": _("The Norwegian national identity number has a birth date in the future."),
        "test_number": _("Synthetic test identity numbers are not accepted here."),
    },
}
_COUNTRY_MESSAGE = _("Identity numbers are supported for Sweden (SE) and Norway (NO) only.")


class IdentityNumberError(ValueError):
    """A national identity number could not be accepted.

    ``code`` is one of ``"format"``, ``"checksum"``, ``"date"``, ``"future"``, ``"country"``
    or ``"test_number"``; ``message`` is a lazily translated, human readable text.
    """

    def __init__(self, code: str, message) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown identity error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        try:
            return str(self.message)
        except ImproperlyConfigured:  # outside a configured Django project (scripts)
            return f"invalid identity number ({self.code})"


def _error(country: str, code: str) -> IdentityNumberError:
    return IdentityNumberError(code, _MESSAGES[country][code])


@dataclass(frozen=True)
class Identity:
    """A validated identity number.  ``number`` is canonical (SE 12 digits, NO 11 digits)."""

    country: str
    kind: str
    number: str
    birth_date: date | None
    birth_date_reliable: bool


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------

_WHITESPACE_RE = re.compile(r"\s+")
_SE_RE = re.compile(r"(?P<date>[0-9]{6}|[0-9]{8})(?P<sep>[-+]?)(?P<serial>[0-9]{4})")
_NO_RE = re.compile(r"(?P<date>[0-9]{6})-?(?P<rest>[0-9]{5})")
_ISO_RE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})")
_DOTTED_RE = re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4}|[0-9]{2})")
_LOOKS_LIKE_STRIP_RE = re.compile(r"[\s+-]")
_DIGITS_RE = re.compile(r"[0-9]+")


def _strip_whitespace(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _WHITESPACE_RE.sub("", value)


def _make_date(year: int, month: int, day: int) -> date | None:
    """Return the date, or ``None`` if it does not exist in the calendar."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _normalise_country(country: object) -> str:
    code = country.strip().upper() if isinstance(country, str) else ""
    if code not in ("SE", "NO"):
        raise IdentityNumberError("country", _COUNTRY_MESSAGE)
    return code


def _latest_past_date(yy: int, month: int, day: int, today: date) -> date | None:
    """The latest real, non-future date ``(C + yy)-month-day``, for centuries C >= 1800."""
    for century in range(today.year // 100 * 100, 1799, -100):
        candidate = _make_date(century + yy, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


# --------------------------------------------------------------------------------------
# Sweden (REQ-35, REQ-36, REQ-37)
# --------------------------------------------------------------------------------------

# Luhn contribution of a digit in a doubled position (2 * d, digits summed).
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_sum(digits: str) -> int:
    """Luhn sum with weights 2,1,2,1,... from the left (the SE personnummer convention)."""
    total = 0
    for index, char in enumerate(digits):
        digit = ord(char) - 48
        total += _LUHN_DOUBLED[digit] if index % 2 == 0 else digit
    return total


def _luhn_check_digit(nine_digits: str) -> int:
    return -_luhn_sum(nine_digits) % 10


def _se_year(yy: int, sep: str, today: date) -> int:
    """REQ-35: the century of a 10-digit personnummer from its separator."""
    # "+": 100 or older this year, so the latest such year ending in yy is at most
    # today.year - 100.  "-" or none: the unique year in [today.year - 99, today.year].
    latest = today.year - 100 if sep == "+" else today.year
    return latest - (latest - yy) % 100


def _se_date(date_digits: str, sep: str, today: date) -> tuple[int, int, int, bool]:
    """Split the date part into (year, month, raw day, is_coordination)."""
    if len(date_digits) == 8:
        year = int(date_digits[:4])
        month, day = int(date_digits[4:6]), int(date_digits[6:8])
    else:
        month, day = int(date_digits[2:4]), int(date_digits[4:6])
        year = _se_year(int(date_digits[:2]), sep, today)
    return year, month, day, 61 <= day <= 91


def parse_se(value: str, *, today: date | None = None) -> Identity:
    """Parse and validate a Swedish personnummer or samordningsnummer (REQ-35, REQ-36)."""
    today = today or date.today()
    text = _strip_whitespace(value)
    match = _SE_RE.fullmatch(text) if text is not None else None
    if match is None:
        raise _error("SE", "format")
    date_digits, sep, serial = match.group("date", "sep", "serial")
    if sep == "+" and len(date_digits) == 8:
        raise _error("SE", "format")
    if _luhn_sum(date_digits[-6:] + serial) % 10:
        raise _error("SE", "checksum")
    year, month, day, coordination = _se_date(date_digits, sep, today)
    birth_date = _make_date(year, month, day - 60 if coordination else day)
    if birth_date is None:
        raise _error("SE", "date")
    if birth_date > today:
        raise _error("SE", "future")
    return Identity(
        country="SE",
        kind="se_samordningsnummer" if coordination else "se_personnummer",
        number=f"{year:04d}{date_digits[-4:]}{serial}",
        birth_date=birth_date,
        birth_date_reliable=not coordination,
    )


def synthetic_se(rng: random.Random, birth_date: date, *, coordination: bool = False) -> str:
    """A valid synthetic 12-digit Swedish number for ``birth_date`` (REQ-41).

    With ``coordination=True`` a samordningsnummer (day + 60) is produced.
    """
    day = birth_date.day + 60 if coordination else birth_date.day
    body = f"{birth_date.year % 100:02d}{birth_date.month:02d}{day:02d}{rng.randrange(1, 1000):03d}"
    return f"{birth_date.year // 100:02d}{body}{_luhn_check_digit(body)}"


# --------------------------------------------------------------------------------------
# Norway (REQ-38, REQ-39, REQ-40)
# --------------------------------------------------------------------------------------

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)  # REQ-39: the trailing 1 multiplies K1 itself
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)  # the trailing 1 multiplies K2 itself
_K1_VALID_REMAINDERS = frozenset({0, 1, 2, 3})  # 0: classic rule; 1..3: the 2032 rule
_NO_KINDS = {
    "fodselsnummer": (0, 0),  # (added to day, added to month)
    "d_number": (40, 0),
    "h_number": (0, 40),
}


def _no_checksums_valid(number: str) -> bool:
    digits = [ord(char) - 48 for char in number]
    k1_remainder = sum(w * d for w, d in zip(_K1_WEIGHTS, digits, strict=False)) % 11
    k2_remainder = sum(w * d for w, d in zip(_K2_WEIGHTS, digits, strict=True)) % 11
    return k1_remainder in _K1_VALID_REMAINDERS and k2_remainder == 0


def _no_rule_century(individual: int, yy: int) -> int | None:
    """The classic century table (REQ-38); ``None`` when no rule fits."""
    if individual <= 499:
        return 1900
    if individual <= 749 and yy >= 54:
        return 1800
    if individual >= 500 and yy <= 39:
        return 2000
    if individual >= 900 and yy >= 40:
        return 1900
    return None


def _no_kind(number: str) -> tuple[str | None, int, int]:
    """Return (kind, day, month) with the D/H/Tenor offsets removed (not for FH-numbers).

    ``kind`` is ``None`` for the contradictory D- plus H-number.  ``day``/``month`` may still
    be out of range; the calendar check catches that.
    """
    day, month = int(number[0:2]), int(number[2:4])
    kind: str | None = "no_fodselsnummer"
    if 81 <= month <= 92:
        kind, month = "no_test_number", month - 80
    elif 41 <= month <= 52:
        kind, month = "no_h_number", month - 40
    if 41 <= day <= 71:
        day -= 40
        if kind == "no_h_number":
            kind = None
        elif kind == "no_fodselsnummer":
            kind = "no_d_number"
    return kind, day, month


def _no_birth_date(number: str, day: int, month: int, today: date) -> date | None:
    """Birth date by the century table, falling back to the latest plausible century."""
    yy, individual = int(number[4:6]), int(number[6:9])
    century = _no_rule_century(individual, yy)
    if century is not None:
        birth_date = _make_date(century + yy, month, day)
        if birth_date is not None and birth_date <= today:
            return birth_date
    return _latest_past_date(yy, month, day, today)


def parse_no(
    value: str, *, today: date | None = None, allow_test_numbers: bool = False
) -> Identity:
    """Parse and validate a Norwegian fødselsnummer, D-, H-, FH- or Tenor test number."""
    today = today or date.today()
    text = _strip_whitespace(value)
    match = _NO_RE.fullmatch(text) if text is not None else None
    if match is None:
        raise _error("NO", "format")
    number = match.group("date") + match.group("rest")
    if not _no_checksums_valid(number):
        raise _error("NO", "checksum")
    if number[0] in "89":
        return Identity("NO", "no_fh_number", number, None, False)
    kind, day, month = _no_kind(number)
    if kind is None:
        raise _error("NO", "date")
    if kind == "no_test_number" and not allow_test_numbers:
        raise _error("NO", "test_number")
    birth_date = _no_birth_date(number, day, month, today)
    if birth_date is None:
        # Only a non-existent date can get here: some earlier century is always in the past.
        raise _error("NO", "date")
    return Identity("NO", kind, number, birth_date, kind != "no_h_number")


def _no_individual_range(year: int) -> tuple[int, int]:
    """Individual numbers whose century (table or fallback) gives back ``year``."""
    if 1900 <= year <= 1999:
        return 0, 499
    if 1854 <= year <= 1899:
        return 500, 749
    if 2000 <= year <= 2039:
        return 500, 999
    if year >= 2040:
        return 750, 899  # no table rule fits: parse_no picks the latest past century
    raise ValueError(f"no Norwegian number can encode a birth year before 1854 ({year})")


def synthetic_no(
    rng: random.Random,
    birth_date: date,
    *,
    kind: str = "fodselsnummer",
    new_rule: bool = False,
) -> str:
    """A valid synthetic 11-digit Norwegian number for ``birth_date`` (REQ-41).

    ``kind`` is ``"fodselsnummer"``, ``"d_number"`` or ``"h_number"``.  The individual number
    follows the century table, so :func:`parse_no` reads the same birth date back.  With
    ``new_rule=True`` K1 gives remainder 1, 2 or 3, so the number is valid only under the
    2032 rule (REQ-39).  Runs in bounded time: at most one pass over the individual range.
    """
    try:
        day_offset, month_offset = _NO_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown Norwegian number kind {kind!r}") from None
    low, high = _no_individual_range(birth_date.year)
    day, month = birth_date.day + day_offset, birth_date.month + month_offset
    head = f"{day:02d}{month:02d}{birth_date.year % 100:02d}"
    head_digits = [ord(char) - 48 for char in head]
    head_k1 = sum(w * d for w, d in zip(_K1_WEIGHTS, head_digits, strict=False))
    head_k2 = sum(w * d for w, d in zip(_K2_WEIGHTS, head_digits, strict=False))
    span = high - low + 1
    start = rng.randrange(span)
    for step in range(span):
        individual = low + (start + step) % span
        i0, i1, i2 = individual // 100, individual // 10 % 10, individual % 10
        k1_sum = head_k1 + 4 * i0 + 5 * i1 + 2 * i2
        if new_rule:
            choices = [k for k in ((r - k1_sum) % 11 for r in (1, 2, 3)) if k <= 9]
            k1 = choices[rng.randrange(len(choices))]  # never empty: 10 is hit at most once
        else:
            k1 = -k1_sum % 11
            if k1 == 10:
                continue
        k2 = -(head_k2 + 5 * i0 + 4 * i1 + 3 * i2 + 2 * k1) % 11
        if k2 == 10:
            continue
        return f"{head}{individual:03d}{k1}{k2}"
    raise AssertionError("unreachable: some individual number always has valid check digits")


# --------------------------------------------------------------------------------------
# Country-neutral API
# --------------------------------------------------------------------------------------


def parse_identity(
    value: str,
    *,
    country: str,
    today: date | None = None,
    allow_test_numbers: bool = False,
) -> Identity:
    """Parse a national identity number of ``country`` ("SE" or "NO", case-insensitive)."""
    if _normalise_country(country) == "SE":
        return parse_se(value, today=today)
    return parse_no(value, today=today, allow_test_numbers=allow_test_numbers)


def looks_like_identity(value: str) -> bool:
    """Cheap check: 10, 11 or 12 digits once whitespace, ``-`` and ``+`` are removed."""
    if not isinstance(value, str):
        return False
    compact = _LOOKS_LIKE_STRIP_RE.sub("", value)
    return len(compact) in (10, 11, 12) and _DIGITS_RE.fullmatch(compact) is not None


def format_identity(number: str, country: str) -> str:
    """Display form: SE ``YYYYMMDD-NNNN``, NO ``DDMMYY NNNNN``.

    Canonical input is only reformatted (not validated).  A Swedish 10-digit number is parsed
    first to find its century, so it must be valid.
    """
    country = _normalise_country(country)
    text = _strip_whitespace(number)
    if text is None:
        raise _error(country, "format")
    if country == "SE":
        digits = text.replace("-", "")
        if len(digits) != 12 or _DIGITS_RE.fullmatch(digits) is None:
            digits = parse_se(text).number
        return f"{digits[:8]}-{digits[8:]}"
    match = _NO_RE.fullmatch(text)
    if match is None:
        raise _error(country, "format")
    return f"{match.group('date')} {match.group('rest')}"


def mask_identity(birth_date: date | None, country: str) -> str:
    """What a list shows of a number on file: the birth date only, in its display form
    (SE ``YYYYMMDD-****``, NO ``DDMMYY *****``), read from the birth date — lists never
    decrypt the number itself."""
    if _normalise_country(country) == "SE":
        head = birth_date.strftime("%Y%m%d") if birth_date else "*" * 8
        return f"{head}-****"
    head = birth_date.strftime("%d%m%y") if birth_date else "*" * 6
    return f"{head} *****"


def _past_date(year: int, month: int, day: int, today: date) -> date | None:
    candidate = _make_date(year, month, day)
    return candidate if candidate is not None and candidate <= today else None


def _se_birth_date_only(text: str, today: date) -> date | None:
    match = _SE_RE.fullmatch(text)
    if match is not None:
        # A full number whose checksum or format failed: read only the date part.
        date_digits, sep = match.group("date", "sep")
        if sep == "+" and len(date_digits) == 8:
            return None
        year, month, day, coordination = _se_date(date_digits, sep, today)
        return _past_date(year, month, day - 60 if coordination else day, today)
    if _DIGITS_RE.fullmatch(text) is None:
        return None
    if len(text) == 8:  # YYYYMMDD
        return _past_date(int(text[:4]), int(text[4:6]), int(text[6:8]), today)
    if len(text) == 6:  # YYMMDD: younger than 100, as for "-"
        return _past_date(_se_year(int(text[:2]), "-", today), int(text[2:4]), int(text[4:]), today)
    return None


def _no_birth_date_only(text: str, today: date) -> date | None:
    match = _NO_RE.fullmatch(text)
    if match is not None:
        # A full number whose checksum failed: read only the date part.
        number = match.group("date") + match.group("rest")
        if number[0] in "89":
            return None
        kind, day, month = _no_kind(number)
        return None if kind is None else _no_birth_date(number, day, month, today)
    dotted = _DOTTED_RE.fullmatch(text)
    if dotted is not None:
        text = f"{int(dotted['d']):02d}{int(dotted['m']):02d}{dotted['y']}"
    if len(text) not in (6, 8) or _DIGITS_RE.fullmatch(text) is None:
        return None
    day, month = int(text[:2]), int(text[2:4])
    if len(text) == 8:  # DDMMYYYY
        return _past_date(int(text[4:]), month, day, today)
    return _latest_past_date(int(text[4:]), month, day, today)  # DDMMYY


def birth_date_only(value: str, *, country: str, today: date | None = None) -> date | None:
    """Only the birth date from what a person typed, or ``None`` (data minimisation).

    Accepts a full identity number (valid or not: an invalid one still yields its date part
    if that is a real date), a bare date (SE ``YYMMDD``/``YYYYMMDD``; NO ``DDMMYY``/
    ``DDMMYYYY`` or ``DD.MM.YYYY``) or ISO ``YYYY-MM-DD``.  Future dates give ``None``.
    The individual digits are never returned or kept.
    """
    country = _normalise_country(country)
    today = today or date.today()
    text = _strip_whitespace(value)
    if not text:
        return None
    iso = _ISO_RE.fullmatch(text)
    if iso is not None:
        return _past_date(int(iso["y"]), int(iso["m"]), int(iso["d"]), today)
    try:
        identity = parse_identity(text, country=country, today=today, allow_test_numbers=True)
    except IdentityNumberError:
        pass
    else:
        return identity.birth_date
    if country == "SE":
        return _se_birth_date_only(text, today)
    return _no_birth_date_only(text, today)


PSEUDONYM = "Erased person #{}"


def pseudonym(person) -> str:
    """A stable pseudonym for an erased person kept as a placeholder row: the same person
    gets the same one every time; it cannot be turned back into the person."""
    from praksis.core.crypto import mac

    digest = mac("sales-pseudonym", f"{person.clinic_id}:{person.pk}")
    return PSEUDONYM.format(digest[:10])
