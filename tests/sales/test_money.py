"""Money is exact: Decimal only, half-up to öre/øre, totals are sums of rounded lines."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from praksis.sales import money

D = Decimal
cents = st.integers(min_value=0, max_value=10**9).map(lambda c: D(c).scaleb(-2))
quantities = st.integers(min_value=1, max_value=999_900).map(lambda q: D(q).scaleb(-2))
rates = st.sampled_from([D(r) for r in ("0", "6", "12", "15", "25")])


def test_the_mixed_rate_example_is_exact():
    # 3 × 199.90 at 25 % (prices include VAT): 599.70, of which VAT 599.70 × 25/125.
    a = money.line_amounts(D(3), D("199.90"), D(25))
    assert (a.total, a.vat, a.net) == (D("599.70"), D("119.94"), D("479.76"))
    # 1 × 49.50 at 12 %: VAT 49.50 × 12/112 = 5.3035… → 5.30.
    b = money.line_amounts(D(1), D("49.50"), D(12))
    assert (b.total, b.vat, b.net) == (D("49.50"), D("5.30"), D("44.20"))
    summed = money.totals([a, b])
    assert (summed.total, summed.vat, summed.net) == (D("649.20"), D("125.24"), D("523.96"))
    assert [(s.rate, s.net, s.vat, s.total) for s in summed.summary] == [
        (D("25.00"), D("479.76"), D("119.94"), D("599.70")),
        (D("12.00"), D("44.20"), D("5.30"), D("49.50")),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.125", "0.13"),  # half-even would give 0.12
        ("0.135", "0.14"),
        ("0.145", "0.15"),  # half-even would give 0.14
        ("2.675", "2.68"),  # the classic float trap: 2.675 is 2.67499… as a float
        ("-0.125", "-0.13"),  # away from zero for credit notes
        ("0.1249999", "0.12"),
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
    ],
)
def test_rounding_is_half_up(value, expected):
    assert money.round_money(D(value)) == D(expected)


def test_vat_half_up_edge_cases():
    # 0.42 at 12 % incl. VAT: exactly 0.045 of VAT → 0.05 (half-even would say 0.04).
    assert money.line_amounts(D(1), D("0.42"), D(12)).vat == D("0.05")
    # 0.14 at 12 %: exactly 0.015 → 0.02.
    assert money.line_amounts(D(1), D("0.14"), D(12)).vat == D("0.02")
    # Half a unit at 0.25: the line total 0.125 → 0.13 before VAT is taken out.
    line = money.line_amounts(D("0.5"), D("0.25"), D(25))
    assert (line.total, line.vat, line.net) == (D("0.13"), D("0.03"), D("0.10"))
    # 0 % VAT: everything is net.
    assert money.line_amounts(D(2), D("595.00"), D(0)) == money.LineAmounts(
        net=D("1190.00"), vat=D("0.00"), total=D("1190.00"), rate=D(0)
    )


@settings(deadline=None)  # a loaded CI machine must not make these flaky
@given(quantities, cents, rates)
def test_a_line_is_net_plus_vat_exactly(quantity, price, rate):
    line = money.line_amounts(quantity, price, rate)
    assert line.total == line.net + line.vat
    assert line.total == (quantity * price).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    for amount in (line.total, line.vat, line.net):
        assert amount == amount.quantize(D("0.01"))
    # The VAT part is the correctly rounded share of the total, never off by an öre.
    exact = line.total * rate / (100 + rate)
    assert abs(line.vat - exact) <= D("0.005")


@settings(deadline=None)  # a loaded CI machine must not make these flaky
@given(st.lists(st.tuples(quantities, cents, rates), min_size=1, max_size=12))
def test_totals_are_sums_of_rounded_lines(lines):
    amounts = [money.line_amounts(*line) for line in lines]
    summed = money.totals(amounts)
    assert summed.total == summed.net + summed.vat
    assert summed.total == sum(a.total for a in amounts)
    assert summed.vat == sum(a.vat for a in amounts)
    assert sum(s.total for s in summed.summary) == summed.total
    assert sum(s.vat for s in summed.summary) == summed.vat


@settings(deadline=None)  # a loaded CI machine must not make these flaky
@given(st.integers(min_value=1, max_value=36).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=n, max_value=10**10).map(
        lambda c: D(c).scaleb(-2)))
))  # fmt: skip
def test_instalments_sum_exactly_and_the_last_takes_the_rest(case):
    count, amount = case
    parts = money.split_instalments(amount, count)
    assert len(parts) == count
    assert sum(parts) == amount
    assert all(p > 0 and p == p.quantize(D("0.01")) for p in parts)
    assert len(set(parts[:-1])) <= 1
    assert 0 <= parts[-1] - parts[0] < D("0.01") * count


def test_instalment_examples():
    assert money.split_instalments(D("100.00"), 3) == [D("33.33"), D("33.33"), D("33.34")]
    assert money.split_instalments(D("649.20"), 12)[-1] == D("54.10")
    assert money.split_instalments(D("0.03"), 3) == [D("0.01")] * 3
    with pytest.raises(ValueError):
        money.split_instalments(D("0.02"), 3)


@settings(deadline=None)  # a loaded CI machine must not make these flaky
@given(cents)
def test_format_and_parse_round_trip(amount):
    text = money.format_amount(amount)
    assert money.parse_decimal(text) == amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [("199,90", "199.90"), ("1 234,5", "1234.50"), (3, "3.00"), (0.1, "0.10"), ("7", "7.00")],
)
def test_parse_decimal_accepts(text, expected):
    assert money.parse_decimal(text) == D(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.005", "NaN", "Infinity", None, True, "1e-5"])
def test_parse_decimal_refuses(text):
    with pytest.raises(ValueError):
        money.parse_decimal(text)


def test_format_amount():
    assert money.format_amount(D("1234567.5")) == "1 234 567,50"
    assert money.format_amount(D("-649.2")) == "-649,20"
    assert money.format_amount(D("0")) == "0,00"
    assert money.format_rate(D("25.00")) == "25"
    assert money.format_rate(D("12.50")) == "12,5"


def test_add_months_clamps_to_the_month_end():
    assert money.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert money.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert money.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
