"""Spend limits on model calls: before a call, reserve its worst-case cost with one conditional
write (refused when it would take a limit past its amount); after it, settle to the exact cost in
the call log's own transaction, releasing the rest.

Limits that apply to a call: the user's daily and monthly limits (the lower of the deployment's
default and the user's own) and the API key's `monthly_budget`. When none applies, nothing is
reserved (no extra round trip), but the call's cost is still added to its periods, so a limit set
later sees what was already spent.

A reservation whose function died (timeout, crash) holds its amount until its lease is over (the
call's deadline plus LEASE_MARGIN_SECONDS); then the next reservation that would be refused, or a
read of the budget, releases it (`release_expired`). It is never counted as spent.
"""

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from bailian_chat import clock
from bailian_chat.auth.callers import KeyGrant
from bailian_chat.chat.model_catalog import UNKNOWN_MODEL, model_spec
from bailian_chat.config import get_settings
from bailian_chat.errors import BudgetExceeded, RateLimited
from bailian_chat.store import budget_items, keys, transactions
from bailian_chat.usage import money, pricing, rate_limit

LEASE_MARGIN_SECONDS = 60
# Worst-case prompt tokens of a media part (a text token is at least one UTF-8 byte: Qwen's
# tokenizer is byte-level BPE, so the request's JSON bytes bound its text tokens).
MEDIA_PART_TOKENS = {"image_url": 16_384, "video_url": 65_536}


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    amount_nanos: int
    periods: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Limits:
    daily: Decimal | None
    monthly: Decimal | None
    own: dict = field(default_factory=dict)


def deployment_limits() -> tuple[Decimal | None, Decimal | None]:
    settings = get_settings()
    return (
        money.quantize(Decimal(settings.daily_spend_limit)) if settings.daily_spend_limit else None,
        money.quantize(Decimal(settings.monthly_spend_limit)) if settings.monthly_spend_limit else None,
    )


def _lower(*limits: Decimal | None) -> Decimal | None:
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def user_limits(user_id: int, own: dict | None = None) -> Limits:
    """The limits that apply: the lowest of the deployment's, the user's own and an admin's ceiling
    (`own`: the user's limits and ceilings when already read, as `budget_items.get_limits`)."""
    own = budget_items.get_limits(user_id) if own is None else own
    default_daily, default_monthly = deployment_limits()
    return Limits(
        daily=_lower(
            default_daily, _decimal(own.get("daily_limit")), _decimal(own.get("daily_limit_ceiling"))
        ),
        monthly=_lower(
            default_monthly, _decimal(own.get("monthly_limit")), _decimal(own.get("monthly_limit_ceiling"))
        ),
        own=own,
    )


def user_ceilings(user_id: int) -> tuple[Decimal | None, Decimal | None]:
    """The highest limits the user may set: the deployment's, lowered by an admin's ceiling."""
    own = budget_items.get_limits(user_id)
    default_daily, default_monthly = deployment_limits()
    return (
        _lower(default_daily, _decimal(own.get("daily_limit_ceiling"))),
        _lower(default_monthly, _decimal(own.get("monthly_limit_ceiling"))),
    )


def periods_of(
    user_id: int, day: str, limits: Limits | None = None, key: KeyGrant | None = None
) -> list[budget_items.Period]:
    """The period items a call on `day` counts in, with their limits (if known)."""
    now = clock.now_epoch()
    limits = limits or Limits(None, None)

    def nanos(limit: Decimal | str | None) -> int | None:
        return None if limit is None else money.to_nanos(Decimal(limit))

    periods = [
        budget_items.Period(
            *keys.spend_period(user_id, f"DAY#{day}"),
            now + budget_items.DAY_PERIOD_TTL_SECONDS,
            nanos(limits.daily),
        ),
        budget_items.Period(
            *keys.spend_period(user_id, f"MONTH#{day[:7]}"),
            now + budget_items.MONTH_PERIOD_TTL_SECONDS,
            nanos(limits.monthly),
        ),
    ]
    if key is not None:
        pair = keys.key_spend_period(user_id, key.key_id, f"MONTH#{day[:7]}")
        periods.append(
            budget_items.Period(*pair, now + budget_items.MONTH_PERIOD_TTL_SECONDS, nanos(key.monthly_budget))
        )
    return periods


def worst_case_cost(payload: dict) -> Decimal:
    """The most the call can cost: an upper bound of its prompt tokens, plus `max_tokens` (or the
    model's output cap) and, when it thinks, its thinking budget (or the cap again), all at the
    output price that applies."""
    model = payload["model"]
    spec = model_spec(model)
    cap = spec.max_output_tokens if spec else UNKNOWN_MODEL["max_output_tokens"]
    output = int(payload.get("max_tokens") or cap)
    thinking = thinks(model, payload)
    if thinking:
        output += int(payload.get("thinking_budget") or cap)
    return pricing.call_cost(model, prompt_token_bound(payload), output, thinking, warn=False)


def prompt_token_bound(payload: dict) -> int:
    request = {name: payload.get(name) for name in ("messages", "tools")}
    media = 0
    for message in payload.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else ():
            media += MEDIA_PART_TOKENS.get(part.get("type") if isinstance(part, dict) else None, 0)
    return len(json.dumps(request, ensure_ascii=False).encode()) + media


def thinks(model: str, payload: dict, reasoning_seen: bool = False) -> bool:
    """Whether the call is billed as thinking: the model always thinks, the request enabled it, or
    the upstream reported reasoning."""
    spec = model_spec(model)
    always = spec is not None and spec.thinking == "always"
    return always or bool(payload.get("enable_thinking")) or reasoning_seen


def reserve(
    user_id: int,
    key: KeyGrant | None,
    payload: dict,
    deadline_seconds: float,
    own_limits: dict | None = None,
    counting: rate_limit.PendingModelCall | None = None,
) -> Reservation | None:
    """Holds the call's worst-case cost in its periods; BudgetExceeded when a limit would be
    crossed. None when no limit applies (nothing held, nothing written). `own_limits`: the user's
    limits as the authorizer read them this request (None: read here). `counting`: the call's
    rate-limit count, written in the reservation's transaction (RateLimited when it is refused)."""
    limits = user_limits(user_id, own_limits)
    day = clock.instant().day
    periods = periods_of(user_id, day, limits, key)
    if all(period.limit_nanos is None for period in periods):
        return None
    amount = money.to_nanos(worst_case_cost(payload))
    reservation_id = uuid.uuid4().hex
    lease_until = clock.now_epoch() + int(deadline_seconds) + LEASE_MARGIN_SECONDS

    def hold() -> None:
        try:
            budget_items.reserve(
                user_id, reservation_id, amount, periods, lease_until, counting.actions if counting else ()
            )
        except transactions.AlsoRefused as refused:
            limited = counting.refusal(refused.cancelled, refused.actions)
            raise limited or refused.cancelled from refused

    try:
        hold()
    except budget_items.Contended as exc:  # a burst of one user's calls at once: theirs to retry
        raise RateLimited(rate_limit.CONTENDED_MESSAGE, retry_after=1) from exc
    except budget_items.LimitReached as refused:
        if not release_expired(user_id):
            raise _exceeded(refused.period, periods) from refused
        try:  # dead reservations were holding room: once more
            hold()
        except budget_items.LimitReached as again:
            raise _exceeded(again.period, periods) from again
    return Reservation(reservation_id, amount, tuple((p.pk, p.sk) for p in periods))


def _exceeded(period: budget_items.Period, periods: list[budget_items.Period]) -> BudgetExceeded:
    which = ("daily", "monthly", "api_key_monthly")[periods.index(period)]
    limit = money.text(money.from_nanos(period.limit_nanos or 0))
    return BudgetExceeded(data={"limit": which, "amount": limit, "currency": pricing.currency()})


def release_expired(user_id: int) -> int:
    """Releases the user's reservations whose lease is over; how many it released."""
    now = clock.now_epoch()
    expired = [r for r in budget_items.open_reservations(user_id) if int(r.get("lease_until", 0)) < now]
    return sum(budget_items.release(user_id, reservation) for reservation in expired)


def settle_actions(
    user_id: int, key: KeyGrant | None, day: str, cost: Decimal, reservation: Reservation | None
) -> list[dict]:
    """The call log transaction's share: the exact cost spent, the reservation released."""
    periods = periods_of(user_id, day, key=key)
    if reservation is None:
        return budget_items.settle_actions(user_id, money.to_nanos(cost), periods)
    return budget_items.settle_actions(
        user_id,
        money.to_nanos(cost),
        periods,
        reservation.reservation_id,
        reservation.amount_nanos,
        list(reservation.periods),
    )
