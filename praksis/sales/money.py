"""Money arithmetic for orders and invoices: pure functions, Decimal only, never float.

Conventions (the whole sales app follows them):

* Amounts have two decimals (öre / øre) and are rounded **half up** (away from zero),
  never half-even: 0.125 → 0.13, -0.125 → -0.13.
* Unit prices are **including VAT** — what the client sees on the shelf and the price
  list (Swedish and Norwegian price-marking rules for consumers). A line's total is
  ``quantity × unit price`` rounded to öre; its VAT is the VAT part of that total,
  ``total × rate / (100 + rate)``, rounded to öre; its net amount is ``total − VAT``.
  So ``total == net + VAT`` holds exactly on every line, and the invoice totals are sums
  of rounded lines (never re-rounded), so they hold exactly on the invoice too.
* An instalment plan splits an amount into equal instalments rounded down to öre; the
  last instalment absorbs the remainder, so the instalments always sum to the amount.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
# The largest amount a DecimalField(max_digits=12, decimal_places=2) holds.
MAX_AMOUNT = Decimal("9999999999.99")

# VAT rates a clinic may charge, per country (percent).
VAT_RATES: dict[str, tuple[Decimal, ...]] = {
    "SE": (Decimal("25.00"), Decimal("12.00"), Decimal("6.00"), Decimal("0.00")),
    "NO": (Decimal("25.00"), Decimal("15.00"), Decimal("12.00"), Decimal("0.00")),
}
CURRENCY = {"SE": "SEK", "NO": "NOK"}


def round_money(value: Decimal) -> Decimal:
    """``value`` rounded half up (away from zero) to 0.01."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(value, *, places: int = 2) -> Decimal:
    """A finite Decimal with at most ``places`` decimals from text or a number.

    Accepts a decimal comma ("199,90") and spaces as thousands separators. Raises
    ``ValueError`` for anything else (floats are read through their shortest text).
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
        rounded = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite() or rounded != number:
        raise ValueError("too many decimals")
    return rounded


@dataclass(frozen=True)
class LineAmounts:
    """The rounded amounts of one line: ``total == net + vat`` exactly."""

    net: Decimal
    vat: Decimal
    total: Decimal
    rate: Decimal

    def negated(self) -> LineAmounts:
        return LineAmounts(net=-self.net, vat=-self.vat, total=-self.total, rate=self.rate)


def line_amounts(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal) -> LineAmounts:
    """Amounts of a line priced including VAT, each rounded half up to öre."""
    with localcontext() as ctx:
        ctx.prec = 50  # far more than 12 digits need: the division never double-rounds
        total = round_money(Decimal(quantity) * Decimal(unit_price))
        vat = round_money(total * Decimal(vat_rate) / (HUNDRED + Decimal(vat_rate)))
    return LineAmounts(net=total - vat, vat=vat, total=total, rate=Decimal(vat_rate))


@dataclass
class Totals:
    """Sums of rounded lines, and the VAT summary per rate (as an invoice must show)."""

    net: Decimal = ZERO
    vat: Decimal = ZERO
    total: Decimal = ZERO
    by_rate: dict[Decimal, LineAmounts] = field(default_factory=dict)

    @property
    def summary(self) -> list[LineAmounts]:
        """Per-rate sums, highest rate first."""
        return [self.by_rate[rate] for rate in sorted(self.by_rate, reverse=True)]


def totals(lines: Iterable[LineAmounts]) -> Totals:
    result = Totals()
    for line in lines:
        result.net += line.net
        result.vat += line.vat
        result.total += line.total
        key = line.rate.quantize(CENT)
        seen = result.by_rate.get(key)
        result.by_rate[key] = (
            line
            if seen is None
            else LineAmounts(
                net=seen.net + line.net,
                vat=seen.vat + line.vat,
                total=seen.total + line.total,
                rate=key,
            )
        )
    return result


def split_instalments(amount: Decimal, count: int) -> list[Decimal]:
    """``count`` instalments of ``amount``: equal, rounded down; the last takes the rest."""
    if count < 1:
        raise ValueError("at least one instalment")
    amount = Decimal(amount)
    if amount != amount.quantize(CENT) or amount < CENT * count:
        raise ValueError("amount too small for that many instalments")
    base = (amount / count).quantize(CENT, rounding=ROUND_DOWN)
    return [base] * (count - 1) + [amount - base * (count - 1)]


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def format_amount(value: Decimal) -> str:
    """``1234.5`` → ``"1 234,50"``, the Nordic way (space groups, decimal comma)."""
    value = round_money(value)
    sign = "-" if value < 0 else ""
    whole, _dot, cents = f"{abs(value):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents}"


def format_rate(rate: Decimal) -> str:
    """``25.00`` → ``"25"``, ``12.50`` → ``"12,5"``."""
    text = f"{Decimal(rate).normalize():f}"
    return text.replace(".", ",")
