"""Amounts of money: `decimal.Decimal` only (never a binary float), fixed at 9 decimal places
(1e-9 of the currency unit, rounded half to even). Stored in the table as integer nano-units, so
DynamoDB's ADD sums them exactly; shown to clients as decimal strings."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

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


def parse(value: object, field: str) -> Decimal:
    """A non-negative amount from a JSON string or number (numbers go through their text, never a
    float's binary value); ValueError naming the field otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f'{field}: must be a decimal string such as "5.00"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f'{field}: must be a decimal string such as "5.00"') from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{field}: must be a finite amount >= 0")
    if amount != quantize(amount):
        raise ValueError(f"{field}: at most 9 decimal places")
    if amount >= Decimal(10) ** 12:
        raise ValueError(f"{field}: must be less than 1000000000000")
    return quantize(amount)
