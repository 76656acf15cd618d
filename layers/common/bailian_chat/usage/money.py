"""Amounts of money: `decimal.Decimal` only (never a binary float), fixed at 9 decimal places
(1e-9 of the currency unit, rounded half to even). Stored in the table as integer nano-units, so
DynamoDB's ADD sums them exactly; shown to clients as decimal strings."""

from decimal import ROUND_HALF_EVEN, Decimal

SCALE = Decimal("0.000000001")
NANOS_PER_UNIT = 10**9
ZERO = Decimal(0).quantize(SCALE)


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(SCALE, rounding=ROUND_HALF_EVEN)


def to_nanos(amount: Decimal) -> int:
    return int(quantize(amount) * NANOS_PER_UNIT)


def from_nanos(nanos: int) -> Decimal:
    return quantize(Decimal(int(nanos)) / NANOS_PER_UNIT)


def text(amount: Decimal | None) -> str | None:
    """The wire form: a plain decimal string with 9 decimal places ("0.000123400")."""
    return None if amount is None else f"{quantize(amount):f}"


def nanos_text(nanos: int | None) -> str:
    return text(from_nanos(nanos or 0))
