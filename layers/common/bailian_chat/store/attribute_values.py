"""DynamoDB's typed JSON (AttributeValue) <-> plain Python values, for the low-level client.

Our own few lines instead of boto3's TypeSerializer: importing `boto3` (it pulls in s3transfer)
costs every function ~80-100 ms of cold start, and the table only holds strings, integers,
booleans, nulls, maps and lists.
"""

from decimal import Decimal
from typing import Any


def serialize(value: Any) -> dict:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, bytes):
        return {"B": value}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        return int(number) if number.is_integer() else number


def deserialize(attribute: dict) -> Any:
    ((kind, value),) = attribute.items()
    match kind:
        case "S" | "B" | "BOOL":
            return value
        case "N":
            return _number(value)
        case "NULL":
            return None
        case "M":
            return {k: deserialize(v) for k, v in value.items()}
        case "L":
            return [deserialize(v) for v in value]
        case "SS" | "BS":
            return set(value)
        case "NS":
            return {_number(v) for v in value}
    raise TypeError(f"unknown DynamoDB attribute type {kind}")
