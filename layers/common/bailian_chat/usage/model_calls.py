"""Every model call goes through here, buffered or streamed: the per-user rate limit, the spend
reservation, the call, its log item with its exact cost, the rollup and the settlement of the
reservation (success or failure, with the upstream's exact usage), and metrics."""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from bailian_chat import clock
from bailian_chat.auth.callers import KeyGrant
from bailian_chat.bailian import client
from bailian_chat.bailian.stream import UpstreamStream
from bailian_chat.config import get_settings
from bailian_chat.errors import DomainError
from bailian_chat.store import model_call_items
from bailian_chat.usage import api_key_limits, budgets, metrics, money, pricing, rate_limit, usage_estimates

logger = Logger(child=True)
# Logged for a stream closed before its end without an error (nginx's "client closed request"):
# its usage is estimated (usage_estimates).
CLOSED_EARLY_STATUS = 499


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
    # reply answers: chat.replies.send_with_reply).
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


def call_model(source: CallSource, payload: dict, *, streamed: bool = False) -> client.Completion:
    """One buffered completion of `payload` (the upstream request body), logged. `streamed`: read
    it from an upstream stream (for models that answer only that way), within the same deadline."""
    if streamed:
        return _completion_from_stream(source, payload)
    deadline = get_settings().bailian_deadline_seconds
    completion, billing, started = _admitted_call(source, payload, deadline, client.chat_completion)
    usage = Usage(completion.prompt_tokens, completion.completion_tokens, completion.total_tokens)
    billing = replace(billing, reasoning_seen=bool(completion.reasoning_text))
    _log_call(source, payload["model"], 200, usage, started, billing=billing)
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
        _log_call_safely(source, payload["model"], exc.status_code, Usage(), started, billing=billing)
        raise
    except Exception:
        _log_call_safely(source, payload["model"], 500, Usage(), started, billing=billing)
        raise


def _reserve(source: CallSource, payload: dict, deadline: float) -> Billing:
    """The user's rate limit (RateLimited) and the call's spend reservation (BudgetExceeded when a
    limit would be crossed): one transaction when a limit applies, else the rate limit's alone."""
    if source.time_budget is not None:
        deadline = min(deadline, source.time_budget)
    counting = None if source.rate_limit_counted else rate_limit.pending_model_call(source.user_id)
    reservation = budgets.reserve(
        source.user_id, source.api_key, payload, deadline, source.spend_limits, counting
    )
    if counting is not None and reservation is None:  # no limit applies: nothing was written
        rate_limit.take_model_call(source.user_id)
    return Billing(payload, reservation)


def stream_model(source: CallSource, payload: dict) -> "ModelStream":
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


class ModelStream:
    """The upstream's chunk dicts as they arrive, the final usage chunk included. Iterating to the
    end logs the call once with the upstream's usage; a failure midway logs it with its status and
    the usage the upstream reported, then raises. What it said is assembled as it goes."""

    def __init__(
        self,
        source: CallSource,
        model: str,
        upstream: UpstreamStream,
        started: float,
        *,
        billing: Billing | None = None,
    ):
        self.source = source
        self._billing = billing or Billing({"model": model})
        self.model = model
        self.client_disconnected = False
        self.usage = Usage()
        self.raw_usage: dict | None = None  # the upstream's usage object as it came
        self.finish_reason: str | None = None
        self.id = ""
        self.created = 0
        self.response_model = ""
        self._upstream = upstream
        self._started = started
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, dict] = {}
        self._chunks_received = 0  # chunks that carried text, reasoning or a tool call
        self._logged = False

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def tool_calls(self) -> list[dict]:
        return [self._tool_calls[index] for index in sorted(self._tool_calls)]

    @property
    def logged(self) -> bool:
        return self._logged

    def __iter__(self) -> "ModelStream":
        return self

    def __next__(self) -> dict:
        if self._logged:
            raise StopIteration
        try:
            chunk = next(self._upstream)
        except StopIteration:
            self._log(200)
            raise
        except DomainError as exc:
            reported = getattr(exc, "usage", None)
            self._log(exc.status_code, Usage.of(reported) if reported else self.usage)
            raise
        except Exception:
            self._log(500)
            raise
        self._absorb(chunk)
        return chunk

    def mark_client_disconnected(self) -> None:
        """The edge's client went away: the caller keeps draining, the log item says so."""
        self.client_disconnected = True

    def close(self) -> None:
        """Stops reading (nothing more is drained) and logs the call if it was not yet."""
        self._upstream.close()
        if not self._logged:
            self._log(CLOSED_EARLY_STATUS)

    def _absorb(self, chunk: dict) -> None:
        self.id = self.id or str(chunk.get("id") or "")
        self.created = self.created or int(chunk.get("created") or 0)
        self.response_model = self.response_model or str(chunk.get("model") or "")
        if chunk.get("usage"):
            self.raw_usage = chunk["usage"]
            self.usage = Usage.of(chunk["usage"])
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content") or delta.get("reasoning_content") or delta.get("tool_calls"):
                self._chunks_received += 1
            if delta.get("content"):
                self._text.append(delta["content"])
            if delta.get("reasoning_content"):
                self._reasoning.append(delta["reasoning_content"])
            for call in delta.get("tool_calls") or ():
                self._absorb_tool_call(call)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _absorb_tool_call(self, delta: dict) -> None:
        empty = {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
        call = self._tool_calls.setdefault(int(delta.get("index") or 0), empty)
        call["id"] = delta.get("id") or call["id"]
        call["type"] = delta.get("type") or call["type"]
        function = delta.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""

    def _log(self, status_code: int, usage: Usage | None = None) -> None:
        self._logged = True
        usage = self.usage if usage is None else usage
        if self.raw_usage is None and usage == Usage():
            usage = self._estimated_usage()
        billing = replace(self._billing, reasoning_seen=bool(self._reasoning))
        _log_call_safely(
            self.source,
            self.model,
            status_code,
            usage,
            self._started,
            self.client_disconnected,
            billing=billing,
        )

    def _estimated_usage(self) -> Usage:
        """What the call used by estimate, the upstream having never said (usage_estimates)."""
        calls = "".join(call["function"]["name"] + call["function"]["arguments"] for call in self.tool_calls)
        received = self.text + self.reasoning + calls
        prompt = usage_estimates.prompt_tokens(self._billing.payload)
        completion = usage_estimates.completion_tokens(received, self._chunks_received)
        reasoning = usage_estimates.text_tokens(self.reasoning) if self.reasoning else 0
        return Usage(prompt, completion, prompt + completion, min(reasoning, completion), estimated=True)


def _log_call_safely(*args, **kwargs) -> None:
    """Logs a call without letting a logging failure replace the call's own outcome (a reservation
    it leaves behind is released when its lease is over)."""
    try:
        _log_call(*args, **kwargs)
    except Exception:
        logger.exception("Could not record a model call")


def _log_call(
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
