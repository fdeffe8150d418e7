"""Tests for praksis.people.identity: SE/NO identity numbers (REQ-35 .. REQ-41).

Every number here is synthetic (REQ-41): built from a date with check digits computed by
independent helpers in this file (python-stdnum's Luhn for Sweden, plain arithmetic for
Norway) or produced by the module's own generators.  No database is needed.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

import pytest
from django.utils.functional import Promise
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.no import fodselsnummer as stdnum_fodselsnummer
from stdnum.se import personnummer as stdnum_personnummer

from praksis.people.identity import (
    Identity,
    IdentityNumberError,
    birth_date_only,
    format_identity,
    looks_like_identity,
    parse_identity,
    parse_no,
    parse_se,
    synthetic_no,
    synthetic_se,
)

TODAY = date(2026, 6, 15)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)
NO_KINDS = ("fodselsnummer", "d_number", "h_number")
NO_KIND_NAMES = {
    "fodselsnummer": "no_fodselsnummer",
    "d_number": "no_d_number",
    "h_number": "no_h_number",
}


def error_code(func, *args, **kwargs) -> str:
    with pytest.raises(IdentityNumberError) as excinfo:
        func(*args, **kwargs)
    return excinfo.value.code


# ---------------------------------------------------------------------------------------
# Independent helpers for building synthetic numbers
# ---------------------------------------------------------------------------------------


def se12(yyyymmdd: str, serial: str = "123") -> str:
    """A 12-digit SE number whose check digit comes from python-stdnum's Luhn (REQ-35)."""
    return yyyymmdd + serial + luhn.calc_check_digit(yyyymmdd[2:] + serial)


def with_bad_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def k1_sum(nine: str) -> int:
    return sum(w * int(d) for w, d in zip(K1_WEIGHTS, nine, strict=True))


def k2_digit(ten: str) -> int:
    """REQ-38: 11 - (sum mod 11), 11 -> 0; 10 means no valid K2."""
    return (11 - sum(w * int(d) for w, d in zip(K2_WEIGHTS, ten, strict=True)) % 11) % 11


def k1_remainder(number: str) -> int:
    """REQ-39: weights 3,7,6,1,8,9,4,5,2,1 over the first ten digits, mod 11."""
    return (k1_sum(number[:9]) + int(number[9])) % 11


def no_complete(nine: str, remainder: int = 0) -> str | None:
    """Append K1 (giving the wanted K1 remainder; 0 = classic rule) and K2, if possible."""
    k1 = (remainder - k1_sum(nine)) % 11
    if k1 == 10:
        return None
    k2 = k2_digit(nine + str(k1))
    if k2 == 10:
        return None
    return f"{nine}{k1}{k2}"


def no_make(ddmmyy: str, first: int, last: int, remainder: int = 0) -> str:
    """The first valid NO number with an individual number in first..last."""
    for individual in range(first, last + 1):
        number = no_complete(f"{ddmmyy}{individual:03d}", remainder)
        if number is not None:
            return number
    raise AssertionError("no valid individual number in range")


# ---------------------------------------------------------------------------------------
# Sweden: personnummer (REQ-35)
# ---------------------------------------------------------------------------------------


def test_req35_twelve_digit_personnummer():
    number = se12("19900101")
    identity = parse_se(number, today=TODAY)
    assert identity == Identity("SE", "se_personnummer", number, date(1990, 1, 1), True)


@pytest.mark.parametrize(
    "spelling",
    [
        "{full}",
        "{full8}-{last4}",
        "{short6}-{last4}",
        "{short6}{last4}",
        " {full8} - {last4} ",
        "{short6} {last4}",
        "\t{full}\n",
    ],
)
def test_req35_accepted_spellings_store_twelve_digits(spelling):
    number = se12("19900101")
    value = spelling.format(full=number, full8=number[:8], short6=number[2:8], last4=number[8:])
    assert parse_se(value, today=TODAY).number == number


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("270101", date(1927, 1, 1)),  # turns 99 this year: still "-"
        ("260101", date(2026, 1, 1)),  # born this year, before today
        ("000229", date(2000, 2, 29)),
        ("991231", date(1999, 12, 31)),
    ],
)
def test_req35_minus_or_no_separator_means_younger_than_100(yymmdd, expected):
    number = se12(expected.strftime("%Y%m%d"))
    assert number[2:8] == yymmdd
    for value in (f"{yymmdd}-{number[8:]}", f"{yymmdd}{number[8:]}"):
        assert parse_se(value, today=TODAY).birth_date == expected


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("260101", date(1926, 1, 1)),  # turned 100 earlier this year
        ("261201", date(1926, 12, 1)),  # turns 100 later this year: "+" already applies
        ("270101", date(1827, 1, 1)),  # 1927 would be 99 this year, so 1827
        ("900101", date(1890, 1, 1)),
    ],
)
def test_req35_plus_sign_means_100_or_older(yymmdd, expected):
    number = se12(expected.strftime("%Y%m%d"))
    identity = parse_se(f"{yymmdd}+{number[8:]}", today=TODAY)
    assert identity.birth_date == expected
    assert identity.number == number


def test_req35_minus_with_date_later_this_year_is_future():
    number = se12("20261201")
    assert error_code(parse_se, f"{number[2:8]}-{number[8:]}", today=TODAY) == "future"


def test_req35_plus_in_twelve_digit_form_is_a_format_error():
    number = se12("19200101")
    assert error_code(parse_se, f"{number[:8]}+{number[8:]}", today=TODAY) == "format"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "abc",
        "199001011",  # 9 digits
        "19900101123",  # 11 digits
        "1990010112345",  # 13 digits
        "9001-011234",
        "900101--1234",
        "900101/1234",
        "19900101-123X",
        "١٩٩٠٠١٠١١٢٣٤",  # non-ASCII digits
        None,
        12345678901,
    ],
)
def test_req35_format_errors(value):
    assert error_code(parse_se, value, today=TODAY) == "format"


def test_req35_luhn_failure_for_every_wrong_check_digit():
    number = se12("19900101")
    for digit in "0123456789":
        if digit != number[-1]:
            assert error_code(parse_se, number[:-1] + digit, today=TODAY) == "checksum"


@pytest.mark.parametrize(
    "yyyymmdd",
    [
        "19900230",  # 30 February
        "19900231",
        "19000229",  # 1900 is not a leap year
        "20230229",
        "19901301",  # month 13
        "19900001",  # month 0
        "19900100",  # day 0
        "19900132",  # day 32
        "19900431",  # 31 April
        "19900135",  # between a real day and a coordination day
        "19900160",
    ],
)
def test_req35_invalid_calendar_dates(yyyymmdd):
    assert error_code(parse_se, se12(yyyymmdd), today=TODAY) == "date"


@pytest.mark.parametrize("yyyymmdd", ["20000229", "20240229", "19960229"])
def test_req35_leap_days_accepted(yyyymmdd):
    assert parse_se(se12(yyyymmdd), today=TODAY).birth_date.day == 29


def test_req35_future_dates_rejected_today_accepted():
    assert parse_se(se12("20260615"), today=TODAY).birth_date == TODAY
    assert error_code(parse_se, se12("20260616"), today=TODAY) == "future"
    assert error_code(parse_se, se12("21000101"), today=TODAY) == "future"


def test_req35_today_defaults_to_date_today():
    yesterday = date.today() - timedelta(days=1)
    tomorrow = date.today() + timedelta(days=1)
    assert parse_se(se12(yesterday.strftime("%Y%m%d"))).birth_date == yesterday
    assert error_code(parse_se, se12(tomorrow.strftime("%Y%m%d"))) == "future"


# ---------------------------------------------------------------------------------------
# Sweden: samordningsnummer (REQ-36, REQ-37)
# ---------------------------------------------------------------------------------------


def test_req36_samordningsnummer_day_plus_60_is_not_authoritative():
    number = se12("19900171")  # 11 January 1990
    identity = parse_se(number, today=TODAY)
    assert identity.kind == "se_samordningsnummer"
    assert identity.number == number  # the day stays +60 in the stored number
    assert identity.birth_date == date(1990, 1, 11)
    assert identity.birth_date_reliable is False


@pytest.mark.parametrize("day", [61, 91])
def test_req36_samordningsnummer_day_bounds(day):
    number = se12(f"199001{day}")
    assert parse_se(number, today=TODAY).birth_date == date(1990, 1, day - 60)
    assert parse_se(f"{number[2:8]}-{number[8:]}", today=TODAY).kind == "se_samordningsnummer"


def test_req36_samordningsnummer_with_plus_sign():
    number = se12("19200305")
    coordination = se12("19200365")
    assert parse_se(f"{coordination[2:8]}+{coordination[8:]}", today=TODAY).birth_date == (
        parse_se(number, today=TODAY).birth_date
    )


@pytest.mark.parametrize(
    "yyyymmdd",
    [
        "19900192",  # day 92 = 32 + 60
        "19900290",  # 30 February + 60
        "19230289",  # 29 February 1923 + 60
        "19901361",  # month 13
    ],
)
def test_req36_samordningsnummer_invalid_dates(yyyymmdd):
    assert error_code(parse_se, se12(yyyymmdd), today=TODAY) == "date"


def test_req36_samordningsnummer_leap_day():
    assert parse_se(se12("20000289"), today=TODAY).birth_date == date(2000, 2, 29)


def test_req36_samordningsnummer_future_and_luhn():
    assert error_code(parse_se, se12("20260676"), today=TODAY) == "future"  # 16 June 2026
    assert error_code(parse_se, with_bad_check_digit(se12("19900171")), today=TODAY) == ("checksum")


@given(rng=st.randoms(use_true_random=False), birth=st.dates(date(1900, 1, 1), TODAY))
@PROPERTY_SETTINGS
def test_req37_agrees_with_stdnum_for_ordinary_personnummer(rng, birth):
    """Our own validator (REQ-37) agrees with python-stdnum where stdnum applies."""
    number = synthetic_se(rng, birth)
    assert stdnum_personnummer.is_valid(number)
    assert stdnum_personnummer.get_birth_date(number) == parse_se(number, today=TODAY).birth_date


# ---------------------------------------------------------------------------------------
# Norway: checksums (REQ-38, REQ-39)
# ---------------------------------------------------------------------------------------


def test_req38_classic_fodselsnummer():
    number = no_make("010190", 100, 499)
    identity = parse_no(number, today=TODAY)
    assert identity == Identity("NO", "no_fodselsnummer", number, date(1990, 1, 1), True)
    assert k1_remainder(number) == 0


@pytest.mark.parametrize("spelling", ["{a}{b}", "{a} {b}", "{a}-{b}", " {a}  {b} "])
def test_req38_accepted_spellings(spelling):
    number = no_make("010190", 100, 499)
    assert parse_no(spelling.format(a=number[:6], b=number[6:]), today=TODAY).number == number


@pytest.mark.parametrize(
    "value",
    ["", "abc", "0101901234", "010190123456", "0101-9012345", "01019O12345", "٠١٠١٩٠١٢٣٤٥", None],
)
def test_req38_format_errors(value):
    assert error_code(parse_no, value, today=TODAY) == "format"


def test_req38_k2_failure():
    number = no_make("010190", 100, 499)
    for digit in "0123456789":
        if digit != number[-1]:
            assert error_code(parse_no, number[:-1] + digit, today=TODAY) == "checksum"


@pytest.mark.parametrize("remainder", [1, 2, 3])
def test_req39_new_rule_k1_remainders_1_to_3_accepted(remainder):
    number = no_make("010190", 100, 499, remainder=remainder)
    assert k1_remainder(number) == remainder
    assert parse_no(number, today=TODAY).birth_date == date(1990, 1, 1)
    assert not stdnum_fodselsnummer.is_valid(number)  # classic-only validators reject it


@pytest.mark.parametrize("remainder", range(4, 11))
def test_req39_k1_remainders_4_and_above_rejected(remainder):
    number = no_make("010190", 100, 499, remainder=remainder)
    assert k1_remainder(number) == remainder
    assert error_code(parse_no, number, today=TODAY) == "checksum"


def test_req38_k1_of_10_has_no_classic_number():
    """REQ-38: a computed K1 of 10 is invalid; only 2032-rule completions remain (REQ-39)."""
    nine = next(f"010190{i:03d}" for i in range(500) if (11 - k1_sum(f"010190{i:03d}") % 11) == 10)
    accepted = []
    for k1 in range(10):
        k2 = k2_digit(f"{nine}{k1}")
        if k2 == 10:
            continue
        number = f"{nine}{k1}{k2}"
        if k1_remainder(number) in (1, 2, 3):
            parse_no(number, today=TODAY)
            accepted.append(k1)
        else:
            assert error_code(parse_no, number, today=TODAY) == "checksum"
    assert accepted  # the new rule still gives valid numbers for this prefix
    assert all(k1_remainder(f"{nine}{k1}0") != 0 for k1 in range(10))


def test_req38_k2_of_10_is_invalid():
    ten = next(
        f"{nine}{(-k1_sum(nine)) % 11}"
        for nine in (f"010190{i:03d}" for i in range(500))
        if (-k1_sum(nine)) % 11 != 10 and k2_digit(f"{nine}{(-k1_sum(nine)) % 11}") == 10
    )
    for k2 in "0123456789":
        assert error_code(parse_no, ten + k2, today=TODAY) == "checksum"


# ---------------------------------------------------------------------------------------
# Norway: kinds and dates (REQ-38, REQ-40)
# ---------------------------------------------------------------------------------------


def test_req38_d_number_day_plus_40():
    number = no_make("410190", 100, 499)
    identity = parse_no(number, today=TODAY)
    assert (identity.kind, identity.birth_date, identity.birth_date_reliable) == (
        "no_d_number",
        date(1990, 1, 1),
        True,
    )


def test_req38_h_number_month_plus_40():
    number = no_make("284290", 100, 499)
    identity = parse_no(number, today=TODAY)
    assert (identity.kind, identity.birth_date, identity.birth_date_reliable) == (
        "no_h_number",
        date(1990, 2, 28),
        False,
    )


def test_req38_d_and_h_number_combined_is_invalid():
    assert error_code(parse_no, no_make("414190", 100, 499), today=TODAY) == "date"


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "300290",  # 30 February
        "290201",  # 29 February in 1801, 1901 and 2001: never a leap year
        "011390",  # month 13
        "010090",  # month 0
        "000190",  # day 0
        "320190",  # day 32
        "310490",  # 31 April
        "720190",  # D-number day 32
        "700290",  # D-number 30 February
        "015390",  # H-number month 13
        "304290",  # H-number 30 February
    ],
)
def test_req38_invalid_calendar_dates(ddmmyy):
    assert error_code(parse_no, no_make(ddmmyy, 100, 499), today=TODAY) == "date"


def test_req40_fh_numbers_are_checksum_only_without_birth_date():
    for first in "89":
        number = no_make(f"{first}12345", 0, 999)
        identity = parse_no(number, today=TODAY)
        assert identity == Identity("NO", "no_fh_number", number, None, False)
        assert error_code(parse_no, with_bad_check_digit(number), today=TODAY) == "checksum"


def test_req40_fh_numbers_accept_2032_rule():
    number = no_make("812345", 0, 999, remainder=2)
    assert parse_no(number, today=TODAY).kind == "no_fh_number"


def test_req40_tenor_test_numbers_rejected_by_default():
    number = no_make("018190", 100, 499)  # 1 January 1990, month + 80
    assert error_code(parse_no, number, today=TODAY) == "test_number"
    assert error_code(parse_identity, number, country="NO", today=TODAY) == "test_number"


def test_req40_tenor_test_numbers_accepted_with_flag():
    number = no_make("018190", 100, 499)
    identity = parse_no(number, today=TODAY, allow_test_numbers=True)
    assert (identity.kind, identity.birth_date) == ("no_test_number", date(1990, 1, 1))
    assert parse_identity(number, country="NO", today=TODAY, allow_test_numbers=True) == identity


def test_req40_tenor_combined_with_d_number():
    number = no_make("439290", 100, 499)  # 3 December 1990: day + 40, month + 80
    assert error_code(parse_no, number, today=TODAY) == "test_number"
    identity = parse_no(number, today=TODAY, allow_test_numbers=True)
    assert (identity.kind, identity.birth_date) == ("no_test_number", date(1990, 12, 3))


@pytest.mark.parametrize("ddmmyy", ["308290", "019390", "018090"])
def test_req40_tenor_numbers_still_need_real_dates(ddmmyy):
    number = no_make(ddmmyy, 100, 499)
    assert error_code(parse_no, number, today=TODAY, allow_test_numbers=True) == "date"


def test_req39_sex_is_never_exposed():
    field_names = {field.name for field in dataclasses.fields(Identity)}
    assert field_names == {"country", "kind", "number", "birth_date", "birth_date_reliable"}
    identity = parse_no(no_make("010190", 100, 499), today=TODAY)
    assert not hasattr(identity, "sex")
    assert not hasattr(identity, "gender")


# ---------------------------------------------------------------------------------------
# Norway: century (REQ-38, REQ-39, REQ-40)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddmmyy", "first", "last", "expected_year"),
    [
        ("010185", 0, 499, 1985),
        ("010105", 400, 499, 1905),
        ("010160", 500, 749, 1860),  # 500-749 with YY 54-99
        ("010199", 700, 749, 1899),
        ("010100", 500, 999, 2000),  # 500-999 with YY 00-39
        ("010110", 900, 999, 2010),
        ("010186", 900, 999, 1986),  # 900-999 with YY 40-99
        ("010140", 950, 999, 1940),
    ],
)
def test_req38_century_table(ddmmyy, first, last, expected_year):
    number = no_make(ddmmyy, first, last)
    assert parse_no(number, today=TODAY).birth_date == date(expected_year, 1, 1)


def test_req38_no_rule_fits_gives_latest_past_century():
    number = no_make("010145", 750, 899)  # no table rule for 750-899 with YY 40-99
    assert parse_no(number, today=TODAY).birth_date == date(1945, 1, 1)
    assert parse_no(number, today=date(2050, 1, 1)).birth_date == date(2045, 1, 1)


def test_req39_rule_in_the_future_falls_back_to_previous_century():
    number = no_make("010130", 500, 999)  # table says 2030
    assert parse_no(number, today=TODAY).birth_date == date(1930, 1, 1)
    assert parse_no(number, today=date(2031, 1, 1)).birth_date == date(2030, 1, 1)


def test_req39_2032_numbers_may_break_the_table_for_leap_days():
    """29 February 1900 does not exist: a post-2032 number 290200 is read as 2000."""
    number = no_make("290200", 100, 499, remainder=2)
    assert parse_no(number, today=TODAY).birth_date == date(2000, 2, 29)


def test_req40_no_future_dates_born_today_accepted():
    number = no_make(TODAY.strftime("%d%m%y"), 500, 999)
    assert parse_no(number, today=TODAY).birth_date == TODAY
    later = no_make((TODAY + timedelta(days=1)).strftime("%d%m%y"), 500, 999)
    assert parse_no(later, today=TODAY).birth_date == date(1926, 6, 16)


# ---------------------------------------------------------------------------------------
# Country-neutral API
# ---------------------------------------------------------------------------------------


def test_parse_identity_dispatches_on_country():
    se_number = se12("19900101")
    no_number = no_make("010190", 100, 499)
    assert parse_identity(se_number, country="SE", today=TODAY).country == "SE"
    assert parse_identity(no_number, country="NO", today=TODAY).country == "NO"
    assert parse_identity(se_number, country="se", today=TODAY).country == "SE"
    assert error_code(parse_identity, se_number, country="NO", today=TODAY) == "format"


@pytest.mark.parametrize("country", ["DK", "FI", "", "S", None])
def test_unknown_country_is_rejected(country):
    assert error_code(parse_identity, se12("19900101"), country=country) == "country"
    assert error_code(birth_date_only, "19900101", country=country) == "country"
    assert error_code(format_identity, se12("19900101"), country) == "country"


def test_identity_number_error_shape():
    with pytest.raises(IdentityNumberError) as excinfo:
        parse_se("nonsense", today=TODAY)
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.code == "format"
    assert isinstance(error.message, Promise | str)
    with pytest.raises(ValueError):
        IdentityNumberError("bogus", "text")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9001011234", True),
        ("900101-1234", True),
        ("900101+1234", True),
        ("01019012345", True),
        ("010190 12345", True),
        ("199001011234", True),
        ("19900101-1234", True),
        ("123456789", False),
        ("1234567890123", False),
        ("1990-01-01", False),
        ("Anna Svensson", False),
        ("90010l-1234", False),
        ("", False),
        (None, False),
    ],
)
def test_looks_like_identity(value, expected):
    assert looks_like_identity(value) is expected


def test_format_identity():
    number = se12("19900101")
    assert format_identity(number, "SE") == f"{number[:8]}-{number[8:]}"
    plus = se12("19200101")
    assert format_identity(f"{plus[2:8]}+{plus[8:]}", "SE") == f"{plus[:8]}-{plus[8:]}"
    no_number = no_make("010190", 100, 499)
    assert format_identity(no_number, "NO") == f"{no_number[:6]} {no_number[6:]}"
    assert error_code(format_identity, "123", "NO") == "format"
    assert error_code(format_identity, "123", "SE") == "format"


# ---------------------------------------------------------------------------------------
# birth_date_only (data minimisation)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (se12("19900101"), date(1990, 1, 1)),
        (with_bad_check_digit(se12("19900101")), date(1990, 1, 1)),  # invalid number
        (se12("19900171"), date(1990, 1, 11)),  # samordningsnummer
        ("900101-0000", date(1990, 1, 1)),
        ("200101+0000", date(1920, 1, 1)),
        ("270101+0000", date(1827, 1, 1)),
        ("900101", date(1990, 1, 1)),
        ("270101", date(1927, 1, 1)),
        ("19900101", date(1990, 1, 1)),
        ("1990-01-01", date(1990, 1, 1)),
        (" 1990 01 01 ", date(1990, 1, 1)),
        ("19900230", None),
        ("19900230-1234", None),
        ("20260616", None),  # future
        ("2026-06-16", None),
        ("Anna", None),
        ("", None),
        (None, None),
        ("1990", None),
    ],
)
def test_birth_date_only_se(value, expected):
    assert birth_date_only(value, country="SE", today=TODAY) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (no_make("010190", 100, 499), date(1990, 1, 1)),
        (with_bad_check_digit(no_make("010190", 100, 499)), date(1990, 1, 1)),
        (no_make("410190", 100, 499), date(1990, 1, 1)),  # D-number
        (no_make("018190", 100, 499), date(1990, 1, 1)),  # Tenor test number
        (no_make("812345", 0, 999), None),  # FH-number: no birth date
        (no_make("414190", 100, 499), None),  # D + H: no date
        ("010190", date(1990, 1, 1)),
        ("010130", date(1930, 1, 1)),
        ("01011990", date(1990, 1, 1)),
        ("1.1.1990", date(1990, 1, 1)),
        ("01.01.90", date(1990, 1, 1)),
        ("1990-01-01", date(1990, 1, 1)),
        ("300290", None),
        ("30.02.1990", None),
        ("16062026", None),  # future
        ("0101", None),
        ("x", None),
    ],
)
def test_birth_date_only_no(value, expected):
    assert birth_date_only(value, country="NO", today=TODAY) == expected


# ---------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------

dates_until_today = st.dates(date(1900, 1, 1), TODAY)
rngs = st.randoms(use_true_random=False)


@given(rng=rngs, birth=dates_until_today, coordination=st.booleans())
@PROPERTY_SETTINGS
def test_req41_synthetic_se_parses_back(rng, birth, coordination):
    number = synthetic_se(rng, birth, coordination=coordination)
    assert len(number) == 12
    assert number.isdigit()
    identity = parse_se(number, today=TODAY)
    assert identity.number == number
    assert identity.birth_date == birth
    assert identity.kind == ("se_samordningsnummer" if coordination else "se_personnummer")
    assert identity.birth_date_reliable is not coordination
    sep = "+" if TODAY.year - birth.year >= 100 else "-"
    assert parse_se(f"{number[2:8]}{sep}{number[8:]}", today=TODAY) == identity


@given(
    rng=rngs,
    birth=dates_until_today,
    kind=st.sampled_from(NO_KINDS),
    new_rule=st.booleans(),
)
@PROPERTY_SETTINGS
def test_req41_synthetic_no_parses_back(rng, birth, kind, new_rule):
    number = synthetic_no(rng, birth, kind=kind, new_rule=new_rule)
    assert len(number) == 11
    assert number.isdigit()
    identity = parse_no(number, today=TODAY)
    assert identity.number == number
    assert identity.birth_date == birth
    assert identity.kind == NO_KIND_NAMES[kind]
    if new_rule:
        assert k1_remainder(number) in (1, 2, 3)  # REQ-39: valid only under the 2032 rule
    else:
        assert k1_remainder(number) == 0


@given(
    rng=rngs,
    birth=st.dates(date(2040, 1, 1), date(2099, 12, 31)),
    kind=st.sampled_from(NO_KINDS),
    new_rule=st.booleans(),
)
@PROPERTY_SETTINGS
def test_req39_synthetic_no_beyond_the_century_table(rng, birth, kind, new_rule):
    number = synthetic_no(rng, birth, kind=kind, new_rule=new_rule)
    assert parse_no(number, today=date(2099, 12, 31)).birth_date == birth


@given(
    rng=rngs,
    birth=st.dates(date(1900, 1, 1), TODAY - timedelta(days=200)),
    kind=st.sampled_from(NO_KINDS),
)
@PROPERTY_SETTINGS
def test_req40_agrees_with_stdnum_for_classic_numbers(rng, birth, kind):
    number = synthetic_no(rng, birth, kind=kind)
    assert stdnum_fodselsnummer.is_valid(number)
    assert stdnum_fodselsnummer.get_birth_date(number) == birth


@given(
    rng=rngs,
    birth=dates_until_today,
    coordination=st.booleans(),
    position=st.integers(2, 11),
    delta=st.integers(1, 9),
)
@PROPERTY_SETTINGS
def test_req35_changing_any_luhn_digit_invalidates(rng, birth, coordination, position, delta):
    number = synthetic_se(rng, birth, coordination=coordination)
    changed = str((int(number[position]) + delta) % 10)
    mutated = number[:position] + changed + number[position + 1 :]
    assert error_code(parse_se, mutated, today=TODAY) == "checksum"


@given(
    rng=rngs,
    birth=dates_until_today,
    kind=st.sampled_from(NO_KINDS),
    new_rule=st.booleans(),
    position=st.integers(0, 10),
    delta=st.integers(1, 9),
)
@PROPERTY_SETTINGS
def test_req38_changing_any_digit_breaks_k2(rng, birth, kind, new_rule, position, delta):
    number = synthetic_no(rng, birth, kind=kind, new_rule=new_rule)
    changed = str((int(number[position]) + delta) % 10)
    mutated = number[:position] + changed + number[position + 1 :]
    assert error_code(parse_no, mutated, today=TODAY, allow_test_numbers=True) == "checksum"


@given(rng=rngs, birth=dates_until_today, coordination=st.booleans())
@PROPERTY_SETTINGS
def test_req35_format_then_parse_round_trips_se(rng, birth, coordination):
    identity = parse_se(synthetic_se(rng, birth, coordination=coordination), today=TODAY)
    shown = format_identity(identity.number, "SE")
    assert shown[8] == "-"
    assert parse_se(shown, today=TODAY) == identity


@given(rng=rngs, birth=dates_until_today, kind=st.sampled_from(NO_KINDS), new_rule=st.booleans())
@PROPERTY_SETTINGS
def test_req38_format_then_parse_round_trips_no(rng, birth, kind, new_rule):
    identity = parse_no(synthetic_no(rng, birth, kind=kind, new_rule=new_rule), today=TODAY)
    shown = format_identity(identity.number, "NO")
    assert shown[6] == " "
    assert parse_no(shown, today=TODAY) == identity


@given(rng=rngs, birth=dates_until_today, coordination=st.booleans(), last=st.integers(0, 9))
@PROPERTY_SETTINGS
def test_birth_date_only_se_full_numbers(rng, birth, coordination, last):
    number = synthetic_se(rng, birth, coordination=coordination)
    for value in (number, number[:-1] + str(last), f"{number[:8]}-{number[8:]}"):
        result = birth_date_only(value, country="SE", today=TODAY)
        assert type(result) is date
        assert result == birth


@given(
    rng=rngs,
    birth=dates_until_today,
    kind=st.sampled_from(NO_KINDS),
    new_rule=st.booleans(),
    last=st.integers(0, 9),
)
@PROPERTY_SETTINGS
def test_birth_date_only_no_full_numbers(rng, birth, kind, new_rule, last):
    number = synthetic_no(rng, birth, kind=kind, new_rule=new_rule)
    for value in (number, number[:-1] + str(last), f"{number[:6]} {number[6:]}"):
        result = birth_date_only(value, country="NO", today=TODAY)
        assert type(result) is date
        assert result == birth


@given(
    value=st.text(alphabet="0123456789-+ .", max_size=16),
    country=st.sampled_from(["SE", "NO"]),
)
@settings(max_examples=300, deadline=None)
def test_birth_date_only_returns_only_a_past_date_or_none(value, country):
    """Whatever is typed, only a date (never a string with the last four digits) comes back."""
    result = birth_date_only(value, country=country, today=TODAY)
    assert result is None or (type(result) is date and result <= TODAY)


def test_synthetic_generators_reject_bad_input():
    rng = random.Random(0)
    with pytest.raises(ValueError):
        synthetic_no(rng, date(1990, 1, 1), kind="fh_number")
    with pytest.raises(ValueError):
        synthetic_no(rng, date(1850, 1, 1))


def test_synthetic_generators_are_deterministic_for_a_seed():
    first = [synthetic_no(random.Random(7), date(1990, 1, 1), new_rule=True) for _ in range(3)]
    assert len(set(first)) == 1
    assert synthetic_se(random.Random(7), date(1990, 1, 1)) == synthetic_se(
        random.Random(7), date(1990, 1, 1)
    )
