"""Every model call goes through here, buffered or streamed: the per-user rate limit, the spend
reservation, the call, its log item with its exact cost, the rollup and the settlement of the
reservation (success or failure, with the upstream's exact usage), and metrics."""

import time
from collections.abc import Callable
from dataclasses import replace

from bailian_chat.bailian import client
from bailian_chat.config import get_settings
from bailian_chat.errors import DomainError
from bailian_chat.usage import api_key_limits, budgets, rate_limit
from bailian_chat.usage.call_log import Billing, CallSource, Usage, log_call, log_call_safely
from bailian_chat.usage.model_streams import CLOSED_EARLY_STATUS, ModelStream

__all__ = ["CLOSED_EARLY_STATUS", "CallSource", "ModelStream", "Usage", "call_model", "stream_model"]


def call_model(source: CallSource, payload: dict, *, streamed: bool = False) -> client.Completion:
    """One buffered completion of `payload` (the upstream request body), logged. `streamed`: read
    it from an upstream stream (for models that answer only that way), within the same deadline."""
    if streamed:
        return _completion_from_stream(source, payload)
    deadline = get_settings().bailian_deadline_seconds
    completion, billing, started = _admitted_call(source, payload, deadline, client.chat_completion)
    usage = Usage(completion.prompt_tokens, completion.completion_tokens, completion.total_tokens)
    billing = replace(billing, reasoning_seen=bool(completion.reasoning_text))
    log_call(source, payload["model"], 200, usage, started, billing=billing)
    return completion


def _admitted_call[T](
    source: CallSource, payload: dict, deadline: float, call: Callable[..., T]
) -> tuple[T, Billing, float]:
    """The key's allow-list, the rate limits and the spend reservation, then `call` (the upstream
    request); a failure of the call is logged (with its reservation released) and raised."""
    api_key_limits.admit(source.api_key, payload["model"])
    billing = _reserve(source, payload, deadline)
    started = time.monotonic()
    try:
        return call(payload, time_budget=source.time_budget), billing, started
    except DomainError as exc:
        log_call_safely(source, payload["model"], exc.status_code, Usage(), started, billing=billing)
        raise
    except Exception:
        log_call_safely(source, payload["model"], 500, Usage(), started, billing=billing)
        raise


def _reserve(source: CallSource, payload: dict, deadline: float) -> Billing:
    """The rate limits, the user's and the API key's own (RateLimited), and the call's spend
    reservation (BudgetExceeded when a limit would be crossed): one transaction when a spend limit
    applies, else the rate limits' alone (one write for both)."""
    if source.time_budget is not None:
        deadline = min(deadline, source.time_budget)
    key = source.api_key
    counting = rate_limit.pending_model_call(
        None if source.rate_limit_counted else source.user_id,
        key.key_id if key else None,
        key.rate_limit_per_minute if key else None,
    )
    reservation = budgets.reserve(
        source.user_id, source.api_key, payload, deadline, source.spend_limits, counting
    )
    if counting is not None and reservation is None:  # no spend limit applies: nothing was written
        counting.take()
    return Billing(payload, reservation)


def stream_model(source: CallSource, payload: dict) -> ModelStream:
    """A streamed completion of `payload`, open (the upstream answered 200) when this returns;
    raises a DomainError before that (rate limited: nothing logged; upstream failure: logged)."""
    deadline = get_settings().bailian_stream_deadline_seconds
    upstream, billing, started = _admitted_call(source, payload, deadline, client.stream_chat_completion)
    return ModelStream(source, payload["model"], upstream, started, billing=billing)


def _completion_from_stream(source: CallSource, payload: dict) -> client.Completion:
    budget = get_settings().bailian_deadline_seconds
    if source.time_budget is not None:
        budget = min(budget, source.time_budget)
    stream = stream_model(replace(source, time_budget=budget), payload)
    for _chunk in stream:
        pass
    message = {"role": "assistant", "content": stream.text, "reasoning_content": stream.reasoning or None}
    return client.Completion(
        id=stream.id,
        created=stream.created or int(time.time()),
        model=stream.response_model,
        text=stream.text,
        finish_reason=stream.finish_reason,
        prompt_tokens=stream.usage.prompt_tokens,
        completion_tokens=stream.usage.completion_tokens,
        total_tokens=stream.usage.total_tokens,
        message={k: v for k, v in message.items() if v is not None},
        reasoning_text=stream.reasoning,
    )
