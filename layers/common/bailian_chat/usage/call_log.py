"""The record of one model call: who made it (CallSource), what it used (Usage), what its cost
depends on (Billing), and its log item written with its exact cost, rollups and the settlement of
its spend reservation, in one transaction, plus its metrics."""

import time
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from bailian_chat import clock
from bailian_chat.auth.callers import KeyGrant
from bailian_chat.store import model_call_items
from bailian_chat.usage import budgets, metrics, money, pricing

logger = Logger(child=True)


# What a model-calling function needs after the call: the log transaction and storing the reply.
AFTER_MODEL_CALL_SECONDS = 3.0


@dataclass(frozen=True)
class CallSource:
    """Who made a model call and from where, as the call log records it."""

    user_id: int
    client_ip: str
    api_endpoint: str
    conversation_id: int | None = None
    message_id: int | None = None
    # Seconds the model call may take at most: what the Lambda invocation has left, less what it
    # needs afterwards (None: the configured deadline alone).
    time_budget: float | None = None
    # The API key the call was made with (None: an access token).
    api_key: KeyGrant | None = None
    # The user's spend limits as the authorizer read them this request (None: read them here).
    spend_limits: dict | None = None
    # The call's count against the user's rate limit was written already (with the message the
    # reply answers: chat.message_exchange.send_with_reply).
    rate_limit_counted: bool = False

    @property
    def api_key_id(self) -> int | None:
        return self.api_key.key_id if self.api_key else None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0  # of completion_tokens: billed at the thinking price
    estimated: bool = False  # the upstream never reported it (usage_estimates)

    @classmethod
    def of(cls, usage: dict | None) -> "Usage":
        usage = usage or {}
        details = usage.get("completion_tokens_details") or {}
        return cls(
            int(usage.get("prompt_tokens") or 0),
            int(usage.get("completion_tokens") or 0),
            int(usage.get("total_tokens") or 0),
            int(details.get("reasoning_tokens") or 0) if isinstance(details, dict) else 0,
        )


@dataclass(frozen=True)
class Billing:
    """What the cost of a call depends on besides its usage, and the spend it holds reserved."""

    payload: dict
    reservation: budgets.Reservation | None = None
    reasoning_seen: bool = False


def log_call_safely(*args, **kwargs) -> None:
    """Logs a call without letting a logging failure replace the call's own outcome (a reservation
    it leaves behind is released when its lease is over)."""
    try:
        log_call(*args, **kwargs)
    except Exception:
        logger.exception("Could not record a model call")


def log_call(
    source: CallSource,
    model: str,
    status_code: int,
    usage: Usage,
    started: float,
    client_disconnected: bool = False,
    *,
    billing: Billing | None = None,
) -> None:
    duration_ms = int((time.monotonic() - started) * 1000)
    now = clock.instant()
    billing = billing or Billing({"model": model})
    thinking = budgets.thinks(model, billing.payload, billing.reasoning_seen or usage.reasoning_tokens > 0)
    cost = pricing.call_cost(model, usage.prompt_tokens, usage.completion_tokens, thinking)
    call = {
        "user_id": source.user_id,
        "api_key_id": source.api_key_id,
        "conversation_id": source.conversation_id,
        "message_id": source.message_id,
        "model_name": model,
        "api_endpoint": source.api_endpoint,
        "status_code": status_code,
        "request_tokens": usage.prompt_tokens,
        "response_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "call_duration": duration_ms,
        "client_ip": source.client_ip,
        "client_disconnected": client_disconnected,
        "cost": money.text(cost),
        "currency": pricing.currency(),
        "created_at": now.iso,
    }
    if usage.estimated:
        call["usage_estimated"] = True
    settle = budgets.settle_actions(source.user_id, source.api_key, now.day, cost, billing.reservation)
    # Should the reservation be gone (released after its lease), the cost is still settled.
    unreserved = budgets.settle_actions(source.user_id, source.api_key, now.day, cost, None)
    model_call_items.record_call(call, now.epoch_ms, now.day, money.to_nanos(cost), settle, unreserved)
    metrics.emit_model_call(model, status_code, call["total_tokens"], duration_ms)
    logger.info(
        "Model call",
        extra={
            "model": model,
            "status_code": status_code,
            "duration_ms": duration_ms,
            "total_tokens": call["total_tokens"],
            "client_disconnected": client_disconnected,
        },
    )
