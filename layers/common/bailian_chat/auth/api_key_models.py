"""The request body of POST /api/keys, validated strictly (400 naming the field)."""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from bailian_chat import clock
from bailian_chat.chat.models import ModelName
from bailian_chat.config import get_settings
from bailian_chat.request_models import StrictBody, documented

MAX_NAME_CHARS = 64
BUDGET_DECIMALS = 6
MAX_BUDGET = Decimal("1000000000")
BUDGET_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def _name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= MAX_NAME_CHARS:
        raise ValueError(f"must be 1-{MAX_NAME_CHARS} characters")
    return value


def _future_instant(value: str | None) -> str | None:
    """ISO 8601 with a time zone, in the future; kept as UTC to the second (the API's format)."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z") from exc
    if when.tzinfo is None:
        raise ValueError("must include a time zone, e.g. 2027-01-01T00:00:00Z")
    epoch = when.astimezone(UTC).timestamp()
    if epoch <= clock.now_epoch():
        raise ValueError("must be in the future")
    return clock.iso_from_epoch(epoch)


def _distinct(models: list[str] | None) -> tuple[str, ...] | None:
    if models is None:
        return None
    if not models:
        raise ValueError("must name at least one model (omit it or send null to allow every model)")
    return tuple(dict.fromkeys(models))


def _within_user_limit(value: int | None) -> int | None:
    limit = get_settings().rate_limit_per_minute
    if value is not None and value > limit:
        raise ValueError(f"must be at most {limit} (your own per-minute limit)")
    return value


def budget_text(value: Any) -> str | None:
    """A money amount as a canonical decimal string (never a float in the table)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a decimal string or a number, e.g. "25.50"')
    if isinstance(value, str) and not BUDGET_TEXT.fullmatch(value.strip()):
        raise ValueError('must be a decimal number >= 0, e.g. "25.50"')
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation as exc:
        raise ValueError("must be a decimal number >= 0") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a decimal number >= 0")
    if amount > MAX_BUDGET:
        raise ValueError(f"must be at most {MAX_BUDGET}")
    if -amount.normalize().as_tuple().exponent > BUDGET_DECIMALS:
        raise ValueError(f"must have at most {BUDGET_DECIMALS} decimal places")
    return f"{amount.normalize():f}"


class CreateApiKeyRequest(StrictBody):
    name: Annotated[str, documented(minLength=1, maxLength=MAX_NAME_CHARS), AfterValidator(_name)]
    expires_at: Annotated[
        str | None, Field(max_length=64), documented(format="date-time"), AfterValidator(_future_instant)
    ] = None
    models: Annotated[list[ModelName] | None, Field(max_length=64), AfterValidator(_distinct)] = None
    rate_limit_per_minute: Annotated[int | None, Field(ge=1), AfterValidator(_within_user_limit)] = None
    monthly_budget: Annotated[
        Any,
        documented(
            anyOf=[
                {"type": "string", "pattern": BUDGET_TEXT.pattern},
                {"type": "number", "minimum": 0},
                {"type": "null"},
            ],
            description="Amount per calendar month (UTC) in the price table's currency: a "
            "decimal string or number >= 0 with at most 6 decimal places",
        ),
        AfterValidator(budget_text),
    ] = None
