"""httpx client for DashScope's OpenAI-compatible chat completions endpoint.

One pooled client per process (reused across warm invocations). Every call runs under one
total deadline that ends before API Gateway's 29 s; 429, 5xx and connection failures are retried
with exponential backoff and full jitter (honouring Retry-After) while the deadline allows;
400/401/403/404 never are. Upstream failures become domain errors:
400 InvalidParameter/DataInspectionFailed -> BadRequest with a sentence of ours around the upstream's
code and message,
persistent 429 -> RateLimited, anything else -> UpstreamUnavailable (503).
"""

import contextlib
import functools
import json
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from aws_lambda_powertools import Logger

from bailian_chat.bailian.stream import UpstreamStream
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest, DomainError, RateLimited, UpstreamUnavailable

logger = Logger(child=True)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 4.0
MIN_ATTEMPT_SECONDS = 0.2
# 400s that are our account's problem (billing), not the caller's request: answered as 503.
ACCOUNT_PROBLEMS = frozenset({"Arrearage"})
# The spec takes temperature 0-2; the upstream takes [0.0, 2.0) and answers 2.0 with a 400. 2 is
# sent as 1.99: unmistakably below 2 however the upstream parses it (the nearest double below 2
# rounds back to 2.0 in single precision), and no sampling difference anyone could notice.
UPSTREAM_MAX_TEMPERATURE = 1.99
# The upstream's own prefix of a 400 message: "<400> InternalError.Algo.InvalidParameter: ".
UPSTREAM_MESSAGE_PREFIX = re.compile(r"^\s*<\d{3}>\s*[\w.]+:\s*")
MAX_UPSTREAM_DETAIL_CHARS = 300


@dataclass(frozen=True)
class Completion:
    id: str
    created: int
    model: str
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    # The upstream's assistant message as it came (content str or None, reasoning_content, tool_calls).
    message: dict = field(default_factory=dict)
    reasoning_text: str = ""


class _Retryable(Exception):
    def __init__(self, error: DomainError, retry_after: float | None = None):
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


@functools.cache
def _http() -> httpx.Client:
    return httpx.Client(
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=60),
        headers={"Content-Type": "application/json"},
    )


def prime_client() -> None:
    """Creates the pooled client at init (its one SSL context, certifi's bundle loaded once) and
    builds one request through it (URL, headers, JSON): no connection is opened and no key read,
    so a SnapStart snapshot holds neither."""
    payload = {"model": "prime", "messages": [{"role": "user", "content": "prime"}]}
    _http().build_request(
        "POST",
        f"{get_settings().bailian_base_url}/chat/completions",
        json=payload,
        headers={"Authorization": "Bearer prime"},
        timeout=httpx.Timeout(1.0, connect=1.0),
    )


def _api_key() -> str:
    settings = get_settings()
    if settings.bailian_api_key:
        return settings.bailian_api_key
    if not settings.bailian_api_key_secret_arn:
        logger.error("No Bailian API key configured (DASHSCOPE_API_KEY or BAILIAN_API_KEY_SECRET_ARN)")
        raise UpstreamUnavailable()
    from bailian_chat.store.secrets import get_secret  # AWS only

    return get_secret(settings.bailian_api_key_secret_arn)


def chat_completion(payload: dict, *, time_budget: float | None = None) -> Completion:
    """One non-streaming completion of `payload` (the upstream request body), retried within the
    deadline (the configured one, or less when the caller's `time_budget` in seconds is smaller);
    raises a DomainError on failure."""
    settings = get_settings()
    deadline = time.monotonic() + _budget(settings.bailian_deadline_seconds, time_budget)
    body = {**payload, "stream": False} if "stream" in payload else payload
    return _with_retries(lambda remaining: _attempt(body, remaining), deadline)


def stream_chat_completion(payload: dict, *, time_budget: float | None = None) -> UpstreamStream:
    """Opens a streamed completion of `payload` (with `stream` and `stream_options.include_usage`
    forced on, so the usage is always exact) and returns once the upstream answered 200; failures
    before that are retried like `chat_completion`'s. The stream must end before the stream
    deadline (or `time_budget`), however slowly the upstream trickles."""
    settings = get_settings()
    deadline = time.monotonic() + _budget(settings.bailian_stream_deadline_seconds, time_budget)
    options = {**(payload.get("stream_options") or {}), "include_usage": True}
    body = {**payload, "stream": True, "stream_options": options}
    return _with_retries(lambda remaining: _open_stream(body, remaining, deadline), deadline)


def _budget(configured: float, time_budget: float | None) -> float:
    return configured if time_budget is None else min(time_budget, configured)


def _with_retries[T](attempt: Callable[[float], T], deadline: float) -> T:
    settings = get_settings()
    for attempt_number in range(settings.bailian_max_attempts):
        remaining = deadline - time.monotonic()
        try:
            return attempt(remaining)
        except _Retryable as failure:
            delay = _backoff(attempt_number, failure.retry_after)
            last_attempt = attempt_number + 1 >= settings.bailian_max_attempts
            if last_attempt or time.monotonic() + delay + MIN_ATTEMPT_SECONDS > deadline:
                raise failure.error from None
            logger.warning(
                "Retrying model call",
                extra={
                    "attempt": attempt_number + 1,
                    "delay": round(delay, 3),
                    "reason": failure.error.message,
                },
            )
            time.sleep(delay)
    raise UpstreamUnavailable()  # unreachable: the loop returns or raises


def upstream_temperature(temperature: float) -> float:
    """The spec's temperature (0-2) as a value the upstream takes."""
    return min(temperature, UPSTREAM_MAX_TEMPERATURE)


def _backoff(attempt: int, retry_after: float | None) -> float:
    delay = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))
    return max(delay, retry_after or 0.0)


def _request(payload: dict, remaining: float) -> httpx.Request:
    if remaining < MIN_ATTEMPT_SECONDS:
        raise UpstreamUnavailable()
    timeout = httpx.Timeout(remaining, connect=min(3.0, remaining))
    url = f"{get_settings().bailian_base_url}/chat/completions"
    headers = {"Authorization": f"Bearer {_api_key()}"}
    if payload.get("temperature") is not None:  # the spec's 0-2 in the upstream's [0, 2)
        payload = {**payload, "temperature": upstream_temperature(payload["temperature"])}
    return _http().build_request("POST", url, json=payload, headers=headers, timeout=timeout)


def _attempt(payload: dict, remaining: float) -> Completion:
    request = _request(payload, remaining)
    with _transport_errors():
        response = _http().send(request)
    if response.status_code == 200:
        return _parse_completion(response)
    raise _error_for(response)


def _open_stream(payload: dict, remaining: float, deadline: float) -> UpstreamStream:
    request = _request(payload, remaining)
    with _transport_errors():
        response = _http().send(request, stream=True)
    if response.status_code == 200:
        return UpstreamStream(response, deadline)
    try:
        with _transport_errors():
            response.read()
    finally:
        response.close()
    raise _error_for(response)


@contextlib.contextmanager
def _transport_errors():
    """httpx failures of one attempt: connection problems are retried, a spent deadline is not."""
    try:
        yield
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        logger.warning("Model call could not connect in time", extra={"error": type(exc).__name__})
        raise _Retryable(UpstreamUnavailable()) from exc
    except httpx.TimeoutException as exc:
        logger.warning("Model call timed out", extra={"error": type(exc).__name__})
        raise UpstreamUnavailable() from exc  # the deadline is spent: no retry
    except httpx.TransportError as exc:
        logger.warning("Model call connection failure", extra={"error": type(exc).__name__})
        raise _Retryable(UpstreamUnavailable()) from exc


def _error_for(response: httpx.Response) -> Exception:
    status = response.status_code
    code, message = _upstream_error(response)
    logger.warning("Model call failed", extra={"upstream_status": status, "upstream_code": code})
    if status == 429:
        retry_after = _retry_after(response)
        hint = math.ceil(retry_after) if retry_after else None
        return _Retryable(RateLimited(retry_after=hint), retry_after)
    if status in RETRYABLE_STATUS:
        return _Retryable(UpstreamUnavailable())
    if status == 400 and code not in ACCOUNT_PROBLEMS:
        return BadRequest(_rejection_message(code, message))
    # 401/403: our own key is wrong or lacks access; 404: a configured model upstream doesn't know.
    return UpstreamUnavailable()


def _rejection_message(code: str | None, message: str | None) -> str:
    """A sentence of ours for the upstream's 400, e.g. "The model rejected the request
    (invalid_parameter_error): Temperature should be in [0.0, 2.0)"."""
    text = message if isinstance(message, str) else ""
    detail = " ".join(UPSTREAM_MESSAGE_PREFIX.sub("", text).split())[:MAX_UPSTREAM_DETAIL_CHARS]
    if not code and not detail:
        return "Request parameter error"
    sentence = "The model rejected the request" + (f" ({code})" if code else "")
    return f"{sentence}: {detail}" if detail else sentence


def _upstream_error(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        error = response.json().get("error") or {}
        return error.get("code"), error.get("message")
    except (ValueError, AttributeError):
        return None, None


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _parse_completion(response: httpx.Response) -> Completion:
    try:
        body = response.json()
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        message = choice["message"]
        text = _text_of(message.get("content")) if message.get("content") is not None else ""
        if message.get("content") is None and not message.get("tool_calls"):
            raise TypeError("message has neither content nor tool_calls")
        return Completion(
            id=str(body.get("id", "")),
            created=int(body.get("created") or time.time()),
            model=str(body.get("model", "")),
            text=text,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            total_tokens=int(usage.get("total_tokens", 0)),
            message=dict(message),
            reasoning_text=str(message.get("reasoning_content") or ""),
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        logger.warning("Malformed model response", extra={"error": type(exc).__name__})
        raise UpstreamUnavailable() from exc


def _text_of(content) -> str:
    """Upstream answers with a string (sometimes a list of text parts): always plain text here."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    raise TypeError("message.content is neither a string nor a list")
