"""Every model call goes through here: the per-user rate limit, the call, its log item and
rollup (success or failure), and metrics."""

import time
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from bailian_chat import clock
from bailian_chat.bailian import client
from bailian_chat.errors import DomainError
from bailian_chat.store import api_calls
from bailian_chat.usage import metrics, rate_limit

logger = Logger(child=True)


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


def call_model(
    source: CallSource,
    model: str,
    messages: list[dict],
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> client.Completion:
    rate_limit.take_model_call(source.user_id)
    started = time.monotonic()
    try:
        completion = client.chat_completion(
            model, messages, temperature=temperature, max_tokens=max_tokens, time_budget=source.time_budget
        )
    except DomainError as exc:
        _log_call_safely(source, model, exc.status_code, None, started)
        raise
    except Exception:
        _log_call_safely(source, model, 500, None, started)
        raise
    _log_call(source, model, 200, completion, started)
    return completion


def _log_call_safely(*args) -> None:
    """Logs a failed call without letting a logging failure replace the call's own error."""
    try:
        _log_call(*args)
    except Exception:
        logger.exception("Could not record a failed model call")


def _log_call(
    source: CallSource, model: str, status_code: int, completion: client.Completion | None, started: float
) -> None:
    duration_ms = int((time.monotonic() - started) * 1000)
    now = clock.instant()
    call = {
        "user_id": source.user_id,
        "conversation_id": source.conversation_id,
        "message_id": source.message_id,
        "model_name": model,
        "api_endpoint": source.api_endpoint,
        "status_code": status_code,
        "request_tokens": completion.prompt_tokens if completion else 0,
        "response_tokens": completion.completion_tokens if completion else 0,
        "total_tokens": completion.total_tokens if completion else 0,
        "call_duration": duration_ms,
        "client_ip": source.client_ip,
        "created_at": now.iso,
    }
    api_calls.record_call(call, now.epoch_ms, now.day)
    metrics.emit_model_call(model, status_code, call["total_tokens"], duration_ms)
    logger.info(
        "Model call",
        extra={
            "model": model,
            "status_code": status_code,
            "duration_ms": duration_ms,
            "total_tokens": call["total_tokens"],
        },
    )
