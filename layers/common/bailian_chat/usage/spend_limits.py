"""GET and PUT /api/usage/budget: a user's spend limits, and what they spent and hold reserved
today and this month (UTC).

A user may only lower the deployment's limits: an own limit above the deployment's is 400 (it
could never apply). null = no limit of one's own (the deployment's, if any, still applies).
"""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator

from bailian_chat import clock
from bailian_chat.auth.api_key_models import budget_text
from bailian_chat.errors import BadRequest
from bailian_chat.request_models import StrictBody, documented
from bailian_chat.store import budget_items
from bailian_chat.store.concurrent_reads import read_concurrently
from bailian_chat.usage import budgets, money, pricing

AMOUNT_SCHEMA = documented(
    anyOf=[
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
        {"type": "number", "minimum": 0},
        {"type": "null"},
    ],
    description="Amount in the price table's currency (a decimal string or number >= 0); "
    "null: none of one's own",
)


class BudgetUpdate(StrictBody):
    daily_limit: Annotated[Any, AMOUNT_SCHEMA, AfterValidator(budget_text)] = None
    monthly_limit: Annotated[Any, AMOUNT_SCHEMA, AfterValidator(budget_text)] = None


def _amount(value: Decimal | str | None) -> str | None:
    return None if value is None else money.text(Decimal(value))


def budget(user_id: int, own_limits: dict | None = None) -> dict:
    """Limits, spent and reserved (dead reservations past their lease released first).
    `own_limits`: the user's limits as the authorizer read them this request (None: read here,
    at the same time as the periods)."""
    day = clock.instant().day
    today, month = budgets.periods_of(user_id, day)[:2]
    pairs = [(today.pk, today.sk), (month.pk, month.sk)]
    if own_limits is None:
        own_limits, found = read_concurrently(
            lambda: budget_items.get_limits(user_id), lambda: budget_items.get_periods(pairs)
        )
    else:
        found = budget_items.get_periods(pairs)
    # Every reservation holds its amount in its month (and day): when neither shows any held, no
    # reservation of this month is open, and one of an earlier month changes nothing shown here.
    held = any(int(item.get("reserved_nanos") or 0) > 0 for item in found.values())
    if held and budgets.release_expired(user_id):
        found = budget_items.get_periods(pairs)  # what the dead reservations held is given back
    limits = budgets.user_limits(user_id, own_limits)
    default_daily, default_monthly = budgets.deployment_limits()

    def period(item: dict | None, limit: Decimal | None) -> dict:
        item = item or {}
        return {
            "limit": _amount(limit),
            "spent": money.nanos_text(item.get("spent_nanos")),
            "reserved": money.nanos_text(item.get("reserved_nanos")),
        }

    return {
        "currency": pricing.currency(),
        "daily_limit": _amount(limits.own.get("daily_limit")),
        "monthly_limit": _amount(limits.own.get("monthly_limit")),
        "deployment_daily_limit": _amount(default_daily),
        "deployment_monthly_limit": _amount(default_monthly),
        "today": {"date": day, **period(found.get((today.pk, today.sk)), limits.daily)},
        "this_month": {"month": day[:7], **period(found.get((month.pk, month.sk)), limits.monthly)},
    }


def update(user_id: int, request: BudgetUpdate) -> dict:
    highest_daily, highest_monthly = budgets.user_ceilings(user_id)
    for field, own, highest in (
        ("daily_limit", request.daily_limit, highest_daily),
        ("monthly_limit", request.monthly_limit, highest_monthly),
    ):
        if own is not None and highest is not None and Decimal(own) > highest:
            limit = f"{money.text(highest)} {pricing.currency()}"
            raise BadRequest(f"{field}: must not exceed the highest limit allowed, {limit}", param=field)
    budget_items.put_limits(user_id, request.daily_limit, request.monthly_limit, clock.now_iso())
    return budget(user_id)
