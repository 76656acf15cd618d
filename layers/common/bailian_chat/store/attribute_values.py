"""DynamoDB's typed JSON (AttributeValue) <-> plain Python values, for the low-level client.

Our own codec, not boto3's TypeSerializer/TypeDeserializer, so that boto3 is never imported (cold
start: see the package docstring). The wire is boto3's, checked value for value against it in
tests/unit/test_attribute_values.py; numbers decode to int (or float) rather than Decimal, and NaN
and Infinity are refused as boto3 refuses them.
"""

from decimal import Decimal
from typing import Any


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    if not Decimal(value).is_finite():
        raise TypeError(f"Infinity and NaN not supported: DynamoDB numbers are finite (got {value})")
    return str(value) if isinstance(value, Decimal) else repr(value)


def _set(values: set | frozenset) -> dict:
    if values and all(isinstance(v, str) for v in values):
        return {"SS": list(values)}
    if values and all(isinstance(v, bytes) for v in values):
        return {"BS": list(values)}
    if values and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values):
        return {"NS": [_number(v) for v in values]}
    raise TypeError("a DynamoDB set is non-empty and all strings, all numbers or all bytes")


def serialize(value: Any) -> dict:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, set | frozenset):
        return _set(value)
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, bytes):
        return {"B": value}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _decode_number(text: str) -> int | float:
    number = Decimal(text)  # exact: "3.6E+16" is an integer a float would round
    return int(number) if number == number.to_integral_value() else float(number)


def deserialize(attribute: dict) -> Any:
    ((kind, value),) = attribute.items()
    match kind:
        case "S" | "B" | "BOOL":
            return value
        case "N":
            return _decode_number(value)
        case "NULL":
            return None
        case "M":
            return {k: deserialize(v) for k, v in value.items()}
        case "L":
            return [deserialize(v) for v in value]
        case "SS" | "BS":
            return set(value)
        case "NS":
            return {_decode_number(v) for v in value}
    raise TypeError(f"unknown DynamoDB attribute type {kind}")
