"""A fake Alibaba Cloud Model Studio (Bailian / DashScope) for local development and tests.

It speaks DashScope's OpenAI-compatible wire format at ``POST /compatible-mode/v1/chat/completions``
(so a client's base URL is ``http://127.0.0.1:<port>/compatible-mode/v1``) plus ``GET /health``.

Wire format (matched to the Model Studio docs and to bodies real clients have captured):

* success: ``{"choices":[{"message":{"role":"assistant","content":"<str>"},"finish_reason":"stop",
  "index":0,"logprobs":null}],"object":"chat.completion","usage":{"prompt_tokens":..,
  "completion_tokens":..,"total_tokens":..},"created":<epoch s>,"system_fingerprint":null,
  "model":"<echoed>","id":"chatcmpl-<request id>"}``. ``message.content`` is always a string.
  Upstream carries the request id in ``id`` (``chatcmpl-<request id>``), not as a body field; the fake
  also sends it as an ``x-request-id`` header.
* streaming (``"stream": true``): ``text/event-stream`` of ``data: <chunk>\\n\\n`` where every chunk is
  ``{"choices":[{"delta":..,"finish_reason":..,"index":0,"logprobs":null}],
  "object":"chat.completion.chunk","usage":null,"created":..,"system_fingerprint":null,"model":..,
  "id":..}``: the first delta is ``{"role":"assistant","content":""}``, then content pieces, then a
  chunk with ``{"content":""}`` and the finish_reason; only when ``stream_options.include_usage`` is
  true, one more chunk with ``"choices":[]`` and ``usage``; then ``data: [DONE]\\n\\n``.
* errors: ``{"error":{"code":..,"message":..,"param":null,"type":..},"id":"chatcmpl-<rid>",
  "request_id":"<rid>"}``; the codes/types/messages are in ``ERRORS`` below.

Deterministic replies: the reply is ``"Echo: <text of the last user message>"`` (text parts joined with
a newline), followed by ``" [images: N, videos: M]"`` when that message carried any image/video parts.

Token formula (deterministic, not a real tokenizer):

* ``tokens(text) = ceil(len(text) / 4)`` (characters, not bytes);
* ``prompt_tokens = sum over messages of (4 + sum of tokens(text part)
  + 256 per image part + 1024 per video part)``; a string content counts as one text part;
* ``completion_tokens = tokens(reply)``; ``total_tokens = prompt_tokens + completion_tokens``.
* With ``max_tokens`` smaller than ``tokens(reply)``, the reply is cut to its first
  ``4 * max_tokens`` characters, ``completion_tokens == max_tokens`` and ``finish_reason`` is
  ``"length"``.

Validation (cheap subset of upstream's): ``Authorization: Bearer <api_key>`` first (else 401
invalid_api_key), then a JSON object body with a string ``model``, a non-empty ``messages`` list of
``{"role": system|user|assistant, "content": str | [parts]}`` where parts are ``{"type":"text","text"}``
/ ``{"type":"image_url","image_url":{"url"}}`` / ``{"type":"video_url","video_url":{"url"}}``;
``temperature`` a number in [0, 2) (upstream rejects 2.0 itself); ``max_tokens`` an integer >= 1
(<= 8192 for ``qwen-vl*`` models); ``stream`` a boolean; ``stream_options`` an object.

Fault injection: a marker in the text of the LAST user message (string content or any text part):

* ``#fault:400`` 400 invalid_parameter_error, ``#fault:inspection`` 400 data_inspection_failed,
  ``#fault:arrearage`` 400 Arrearage, ``#fault:401`` 401 invalid_api_key,
  ``#fault:429`` 429 limit_requests (with ``Retry-After: 1``), ``#fault:quota`` 429
  insufficient_quota (with ``Retry-After: 1``), ``#fault:500`` 500 internal_error,
  ``#fault:503`` 503 ModelUnavailable;
* ``#fault:timeout`` waits ``timeout_delay_seconds`` (or until the client goes away) and then answers
  normally; ``#fault:malformed`` answers 200 ``application/json`` with a body that is not JSON;
  ``#fault:disconnect`` closes the TCP connection without sending any HTTP response;
* ``#fault:<kind>x<N>`` (e.g. ``#fault:503x2``, ``#fault:disconnectx1``) fails N times and then answers
  normally. Failures are counted per distinct request (sha256 of model + messages), so a client's
  retries of the same request are what count; the counter is dropped after the normal answer, so the
  same request later fails N times again. State is per app instance and lock-protected.

Thinking: when the request has ``"enable_thinking": true`` or the model always thinks (its name starts with
``qwq``/``qvq`` or contains ``thinking``), the answer carries ``reasoning_content`` =
``"Thinking about: <text of the last user message>"`` (cut to ``4 * thinking_budget`` characters when
``thinking_budget`` is given) before its content; its tokens count in ``completion_tokens`` and in
``usage.completion_tokens_details.reasoning_tokens``. Streamed, reasoning deltas
(``{"content": null, "reasoning_content": ".."}``) come before the content deltas. As upstream,
thinking is answered only when streamed: a buffered request to a thinking-only model is 400 ("This
model only support stream mode..."), and one with ``enable_thinking: true`` is 400 too.

Tool calls (deterministic rule): when the request has a non-empty ``tools`` list, ``tool_choice`` is not
``"none"``, the LAST message is the user's and its text contains ``#tool:<name>`` naming one of the
declared functions, the answer is ``message.tool_calls`` = one call ``{"id": "call_<24 hex>",
"type": "function", "function": {"name": <name>, "arguments": "{\"text\": <that text>}"}}`` with
``content: null`` and ``finish_reason: "tool_calls"``; streamed, the first delta carries the id and name
and the arguments follow in pieces. When the last message is a ``tool`` message (``tool_call_id``
required), the reply is ``"Tool result: <its content>"``.

Stream faults (only for ``"stream": true``; N counts the data chunks, the role chunk being the first):

* ``#fault:slow:<ms>`` waits <ms> milliseconds before every chunk after the first, so chunks arrive
  spread over time;
* ``#fault:cut-after:<N>`` sends N chunks and then drops the TCP connection (no ``[DONE]``);
* ``#fault:stall-after:<N>`` sends N chunks, then goes silent for ``timeout_delay_seconds`` (or until
  the client leaves) before going on;
* ``#fault:error-after:<N>`` sends N chunks, then one ``data: {"error": {..500 internal_error..},
  "request_id": .., "usage": {..}}`` event (usage: the prompt plus what was streamed so far; an
  assumption of the fake, which a client must also do without) and ends the stream without ``[DONE]``.

One access line per request goes to stdout: method, path, status (``-`` when no response was sent)
and the fault marker if any. Headers are never logged, so the API key never is.

Run standalone: ``python -m local.fake_bailian --port 8090 --api-key KEY``.
In tests: ``with serve("127.0.0.1", 0, "KEY", timeout_delay_seconds=1.0) as fake: fake.base_url``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CHAT_PATH = "/compatible-mode/v1/chat/completions"
BASE_PATH = "/compatible-mode/v1"

PER_MESSAGE_TOKENS = 4
IMAGE_TOKENS = 256
VIDEO_TOKENS = 1024
CHARS_PER_TOKEN = 4
STREAM_PIECE_CHARS = 8
VL_MAX_TOKENS_CAP = 8192

VALID_ROLES = frozenset({"system", "user", "assistant", "tool"})

_DOC = "https://www.alibabacloud.com/help/en/model-studio/error-code"
_INVALID = "<400> InternalError.Algo.InvalidParameter: "


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    code: str
    type: str
    message: str


# HTTP status, error.code, error.type and message as upstream sends them in compatible mode.
ERRORS: dict[str, ErrorSpec] = {
    "400": ErrorSpec(
        400,
        "invalid_parameter_error",
        "invalid_request_error",
        _INVALID + "Injected fault (#fault:400): required parameter(s) missing or invalid.",
    ),
    "inspection": ErrorSpec(
        400,
        "data_inspection_failed",
        "data_inspection_failed",
        f"Input data may contain inappropriate content. For details, see: {_DOC}#inappropriate-content",
    ),
    "arrearage": ErrorSpec(
        400,
        "Arrearage",
        "Arrearage",
        "Access denied, please make sure your account is in good standing. "
        f"For details, see: {_DOC}#overdue-payment",
    ),
    "401": ErrorSpec(
        401,
        "invalid_api_key",
        "invalid_request_error",
        f"Incorrect API key provided. For details, see: {_DOC}#apikey-error",
    ),
    "429": ErrorSpec(
        429,
        "limit_requests",
        "limit_requests",
        f"You have exceeded your current request limit. For details, see: {_DOC}#rate-limit",
    ),
    "quota": ErrorSpec(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. "
        f"For details, see: {_DOC}#token-limit",
    ),
    "500": ErrorSpec(
        500,
        "internal_error",
        "internal_error",
        "An internal error has occured, please try again later or contact service support.",
    ),
    "503": ErrorSpec(
        503,
        "ModelUnavailable",
        "ModelUnavailable",
        "Model is unavailable, please try again later.",
    ),
}
FAULT_KINDS = (*ERRORS, "timeout", "malformed", "disconnect")
_FAULT_RE = re.compile(r"#fault:(" + "|".join(sorted(FAULT_KINDS, key=len, reverse=True)) + r")(?:x(\d+))?")
_RETRY_AFTER_SECONDS = "1"
_STREAM_FAULT_RE = re.compile(r"#fault:(slow|cut-after|error-after|stall-after):(\d+)")
_TOOL_RE = re.compile(r"#tool:([A-Za-z0-9_-]+)")


class _Invalid(Exception):
    def __init__(self, message: str, code: str = "invalid_parameter_error"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Fault:
    kind: str
    times: int | None  # None: every time

    @property
    def marker(self) -> str:
        return f"#fault:{self.kind}" + (f"x{self.times}" if self.times is not None else "")


@dataclass(frozen=True)
class StreamFaults:
    slow_ms: int = 0
    cut_after: int | None = None
    error_after: int | None = None
    stall_after: int | None = None

    @property
    def markers(self) -> str:
        found = [
            ("slow", self.slow_ms or None),
            ("cut-after", self.cut_after),
            ("error-after", self.error_after),
            ("stall-after", self.stall_after),
        ]
        return " ".join(f"#fault:{kind}:{value}" for kind, value in found if value is not None)


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    stream: bool
    include_usage: bool
    max_tokens: int | None
    thinking: bool = False
    thinking_budget: int | None = None
    tool_names: tuple[str, ...] = ()


# ---------------------------------------------------------------- pure helpers


def count_tokens(text: str) -> int:
    """ceil(chars / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _parts(content: str | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if content is None:  # an assistant message that only carries tool_calls
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content


def _text_of(content: str | list[dict[str, Any]] | None) -> str:
    return "\n".join(p["text"] for p in _parts(content) if p["type"] == "text")


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        total += PER_MESSAGE_TOKENS
        for part in _parts(message["content"]):
            if part["type"] == "text":
                total += count_tokens(part["text"])
            elif part["type"] == "image_url":
                total += IMAGE_TOKENS
            elif part["type"] == "video_url":
                total += VIDEO_TOKENS
    return total


def _last_user(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    for message in reversed(messages):
        if message["role"] == "user":
            return message
    return None


def reply_text(messages: list[dict[str, Any]]) -> str:
    if messages and messages[-1]["role"] == "tool":
        return f"Tool result: {_text_of(messages[-1]['content'])}"
    last = _last_user(messages)
    if last is None:
        return "Echo: "
    parts = _parts(last["content"])
    images = sum(1 for p in parts if p["type"] == "image_url")
    videos = sum(1 for p in parts if p["type"] == "video_url")
    text = f"Echo: {_text_of(last['content'])}"
    if images or videos:
        text += f" [images: {images}, videos: {videos}]"
    return text


def find_fault(messages: list[dict[str, Any]]) -> Fault | None:
    last = _last_user(messages)
    if last is None:
        return None
    match = _FAULT_RE.search(_text_of(last["content"]))
    if match is None:
        return None
    times = match.group(2)
    return Fault(match.group(1), int(times) if times is not None else None)


def find_stream_faults(messages: list[dict[str, Any]]) -> StreamFaults | None:
    last = _last_user(messages)
    found = dict(_STREAM_FAULT_RE.findall(_text_of(last["content"]))) if last else {}
    if not found:
        return None
    as_int = {kind: int(value) for kind, value in found.items()}
    return StreamFaults(
        as_int.get("slow", 0), as_int.get("cut-after"), as_int.get("error-after"), as_int.get("stall-after")
    )


def always_thinks(model: str) -> bool:
    return model.startswith(("qwq", "qvq")) or "thinking" in model


def tool_call_for(req: ChatRequest) -> dict[str, Any] | None:
    """The deterministic tool call the request asks for, if any (see the module docstring)."""
    if not req.tool_names or req.messages[-1]["role"] != "user":
        return None
    text = _text_of(req.messages[-1]["content"])
    match = _TOOL_RE.search(text)
    if match is None or match.group(1) not in req.tool_names:
        return None
    call_id = "call_" + request_key(req.model, req.messages)[:24]
    arguments = _dumps({"text": text})
    return {"id": call_id, "type": "function", "function": {"name": match.group(1), "arguments": arguments}}


def request_key(model: str, messages: list[dict[str, Any]]) -> str:
    canonical = json.dumps([model, messages], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _validate_part(part: Any, where: str) -> None:
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        raise _Invalid(f"{_INVALID}{where} must be an object with a string 'type'")
    kind = part["type"]
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise _Invalid(f"{_INVALID}{where}.text must be a string")
    elif kind in ("image_url", "video_url"):
        inner = part.get(kind)
        if not isinstance(inner, dict) or not isinstance(inner.get("url"), str) or not inner["url"]:
            raise _Invalid(f"{_INVALID}{where}.{kind}.url must be a non-empty string")
    else:
        raise _Invalid(f"{_INVALID}{where}.type '{kind}' is not one of text, image_url, video_url")


def validate(body: Any) -> ChatRequest:
    """Raise _Invalid (-> 400) unless body is a chat completions request the fake accepts."""
    if not isinstance(body, dict):
        raise _Invalid(f"{_INVALID}the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Invalid("you must provide a model parameter.", code="invalid_request_error")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Invalid(f"{_INVALID}'messages' must be a non-empty list")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _Invalid(f"{_INVALID}{where} must be an object")
        if message.get("role") not in VALID_ROLES:
            raise _Invalid(f"{_INVALID}{where}.role must be one of system, user, assistant, tool")
        content = message.get("content")
        if message["role"] == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise _Invalid(f"{_INVALID}{where}.tool_call_id is required for a tool message")
        if message["role"] == "assistant" and content is None and message.get("tool_calls"):
            continue
        if isinstance(content, list):
            if not content:
                raise _Invalid(f"{_INVALID}{where}.content must not be an empty list")
            for j, part in enumerate(content):
                _validate_part(part, f"{where}.content[{j}]")
        elif not isinstance(content, str):
            raise _Invalid(f"{_INVALID}{where}.content must be a string or a list of parts")
    if "temperature" in body and body["temperature"] is not None:
        temperature = body["temperature"]
        if not _is_number(temperature) or not 0 <= temperature < 2:
            raise _Invalid(f"{_INVALID}Temperature should be in [0.0, 2.0)")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None:
        cap = VL_MAX_TOKENS_CAP if model.startswith("qwen-vl") else None
        too_big = cap is not None and isinstance(max_tokens, int) and max_tokens > cap
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1 or too_big:
            bound = f"[1, {cap}]" if cap is not None else ">= 1"
            raise _Invalid(f"{_INVALID}Range of max_tokens should be {bound}")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _Invalid(f"{_INVALID}'stream' must be a boolean")
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise _Invalid(f"{_INVALID}'stream_options' must be an object")
    include_usage = bool(stream_options and stream_options.get("include_usage") is True)
    enable_thinking = body.get("enable_thinking")
    if enable_thinking is not None and not isinstance(enable_thinking, bool):
        raise _Invalid(f"{_INVALID}'enable_thinking' must be a boolean")
    budget = body.get("thinking_budget")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise _Invalid(f"{_INVALID}'thinking_budget' must be a positive integer")
    _check_thinking_is_streamed(model, stream, enable_thinking)
    return ChatRequest(
        model,
        messages,
        stream,
        include_usage,
        max_tokens,
        thinking=enable_thinking is True or always_thinks(model),
        thinking_budget=budget,
        tool_names=_tool_names(body),
    )


def _check_thinking_is_streamed(model: str, stream: bool, enable_thinking: bool | None) -> None:
    """Upstream answers thinking only as a stream: thinking-only models and enable_thinking
    refuse buffered calls."""
    if stream:
        return
    if always_thinks(model):
        raise _Invalid(
            "This model only support stream mode, please enable the stream parameter to access the model.",
            code="invalid_request_error",
        )
    if enable_thinking:
        raise _Invalid(f"{_INVALID}parameter.enable_thinking must be set to false for non-streaming calls")


def _tool_names(body: dict[str, Any]) -> tuple[str, ...]:
    tools = body.get("tools")
    if tools is None or body.get("tool_choice") == "none":
        return ()
    if not isinstance(tools, list):
        raise _Invalid(f"{_INVALID}'tools' must be a list")
    names = []
    for i, tool in enumerate(tools):
        name = tool.get("function", {}).get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str) or not name:
            raise _Invalid(f"{_INVALID}tools[{i}].function.name is required")
        names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Completion:
    text: str | None  # None: the answer is a tool call
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    reasoning: str | None = None
    tool_call: dict[str, Any] | None = None

    @property
    def usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }
        if self.reasoning is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": count_tokens(self.reasoning)}
        return usage

    @property
    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.reasoning is not None:
            message["reasoning_content"] = self.reasoning
        if self.tool_call is not None:
            message["tool_calls"] = [self.tool_call]
        return message


def _reasoning(req: ChatRequest) -> str | None:
    if not req.thinking:
        return None
    last = _last_user(req.messages)
    reasoning = f"Thinking about: {_text_of(last['content']) if last else ''}"
    if req.thinking_budget is not None:
        reasoning = reasoning[: req.thinking_budget * CHARS_PER_TOKEN]
    return reasoning


def complete(req: ChatRequest) -> Completion:
    reasoning = _reasoning(req)
    thought = count_tokens(reasoning) if reasoning is not None else 0
    tool_call = tool_call_for(req)
    if tool_call is not None:
        used = thought + count_tokens(tool_call["function"]["arguments"])
        return Completion(None, "tool_calls", prompt_tokens(req.messages), used, reasoning, tool_call)
    text = reply_text(req.messages)
    finish_reason = "stop"
    if req.max_tokens is not None and count_tokens(text) > req.max_tokens:
        text = text[: req.max_tokens * CHARS_PER_TOKEN]
        finish_reason = "length"
    return Completion(
        text, finish_reason, prompt_tokens(req.messages), thought + count_tokens(text), reasoning
    )


# ---------------------------------------------------------------- fault state


class FaultCounter:
    """Failures served so far per distinct request key (thread- and task-safe: no await under the lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: dict[str, int] = {}

    def should_fail(self, key: str, times: int) -> tuple[bool, int]:
        """(fail this time?, failures served including this one). Forgets the key once it answers."""
        with self._lock:
            served = self._served.get(key, 0)
            if served < times:
                self._served[key] = served + 1
                return True, served + 1
            self._served.pop(key, None)
            return False, served

    def reset(self) -> None:
        with self._lock:
            self._served.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._served)


# ---------------------------------------------------------------- ASGI


def _new_request_id() -> str:
    return str(uuid.uuid4())


def error_body(code: str, type_: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "param": None, "type": type_},
        "id": f"chatcmpl-{request_id}",
        "request_id": request_id,
    }


def _error_response(spec: ErrorSpec, request_id: str) -> JSONResponse:
    headers = {"x-request-id": request_id}
    if spec.status == 429:
        headers["Retry-After"] = _RETRY_AFTER_SECONDS
    return JSONResponse(
        error_body(spec.code, spec.type, spec.message, request_id), status_code=spec.status, headers=headers
    )


def _note(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("fake_bailian", {})


async def _abort_connection(scope: Scope, receive: Receive) -> None:
    """Drop the TCP connection without writing an HTTP response.

    uvicorn answers 500 when an app raises before ``http.response.start``, so raising is not enough;
    its h11/httptools/zttp ``receive`` is a bound method of the request cycle, which holds the
    transport. Fallback for other servers: raise (the server then answers or closes as it likes).
    """
    raw_receive = _note(scope).get("raw_receive", receive)
    cycle = getattr(raw_receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("fake_bailian: injected disconnect")
    transport.abort()
    for _ in range(100):  # let connection_lost run, so uvicorn sends nothing once we return
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0.001)


async def _sleep_unless_client_leaves(receive: Receive, seconds: float) -> bool:
    """Sleep `seconds`; True if the client disconnected first (the body must already be read)."""
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    waiter: asyncio.Future[Message] | None = None
    try:
        while True:
            waiter = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done and waiter.result().get("type") == "http.disconnect":
                return True
            if sleeper in done:
                return False
    finally:
        sleeper.cancel()
        if waiter is not None and not waiter.done():
            waiter.cancel()


class ChatCompletions:
    """Raw ASGI endpoint for POST /compatible-mode/v1/chat/completions."""

    def __init__(self, api_key: str, timeout_delay_seconds: float, counter: FaultCounter) -> None:
        self._auth = f"Bearer {api_key}"
        self.timeout_delay_seconds = timeout_delay_seconds
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        request_id = _new_request_id()
        note = _note(scope)
        if request.headers.get("authorization") != self._auth:
            await _error_response(ERRORS["401"], request_id)(scope, receive, send)
            return
        try:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise _Invalid(f"{_INVALID}the request body is not valid JSON") from exc
            req = validate(body)
        except _Invalid as exc:
            spec = ErrorSpec(400, exc.code, "invalid_request_error", exc.message)
            await _error_response(spec, request_id)(scope, receive, send)
            return

        fault = find_fault(req.messages)
        if fault is not None:
            fail, served = True, 0
            if fault.times is not None:
                fail, served = self.counter.should_fail(request_key(req.model, req.messages), fault.times)
            note["fault"] = fault.marker + (f" ({served}/{fault.times})" if fault.times is not None else "")
            if not fail:
                note["fault"] += " passed"
            elif fault.kind == "disconnect":
                await _abort_connection(scope, receive)
                return
            elif fault.kind == "malformed":
                broken = f'{{"id":"chatcmpl-{request_id}","object":"chat.completion","choices":[{{"mess'
                response = Response(
                    broken, media_type="application/json", headers={"x-request-id": request_id}
                )
                await response(scope, receive, send)
                return
            elif fault.kind == "timeout":
                if await _sleep_unless_client_leaves(receive, self.timeout_delay_seconds):
                    note["fault"] += " client left"
                    return
            else:
                await _error_response(ERRORS[fault.kind], request_id)(scope, receive, send)
                return

        completion = complete(req)
        created = int(time.time())
        completion_id = f"chatcmpl-{request_id}"
        headers = {"x-request-id": request_id}
        if req.stream:
            chunks = stream_chunks(req, completion, completion_id, created)
            faults = find_stream_faults(req.messages)
            if faults is not None:
                note["fault"] = (note.get("fault", "") + " " + faults.markers).strip()
            stream = _StreamPlan(
                chunks,
                faults or StreamFaults(),
                completion.prompt_tokens,
                request_id,
                self.timeout_delay_seconds,
            )
            await _send_stream(scope, receive, send, stream)
            return
        body = {
            "choices": [
                {
                    "message": completion.message,
                    "finish_reason": completion.finish_reason,
                    "index": 0,
                    "logprobs": None,
                }
            ],
            "object": "chat.completion",
            "usage": completion.usage,
            "created": created,
            "system_fingerprint": None,
            "model": req.model,
            "id": completion_id,
        }
        response = Response(_dumps(body), media_type="application/json", headers=headers)
        await response(scope, receive, send)


def stream_chunks(req: ChatRequest, completion: Completion, completion_id: str, created: int) -> list[dict]:
    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        return {
            "choices": [{"delta": delta, "finish_reason": finish_reason, "index": 0, "logprobs": None}],
            "object": "chat.completion.chunk",
            "usage": None,
            "created": created,
            "system_fingerprint": None,
            "model": req.model,
            "id": completion_id,
        }

    if completion.tool_call is not None:
        chunks = _tool_call_chunks(completion.tool_call, chunk)
    else:
        text = completion.text or ""
        chunks = [chunk({"role": "assistant", "content": ""}, None)]
        chunks += [
            chunk({"content": None, "reasoning_content": piece}, None)
            for piece in _pieces(completion.reasoning)
        ]
        chunks += [chunk({"content": piece}, None) for piece in _pieces(text)]
        chunks.append(chunk({"content": ""}, completion.finish_reason))
    if req.include_usage:
        last = chunk({}, None)
        last["choices"] = []
        last["usage"] = completion.usage
        chunks.append(last)
    return chunks


def _pieces(text: str | None) -> list[str]:
    text = text or ""
    return [text[i : i + STREAM_PIECE_CHARS] for i in range(0, len(text), STREAM_PIECE_CHARS)]


def _tool_call_chunks(tool_call: dict[str, Any], chunk: Callable[..., dict[str, Any]]) -> list[dict]:
    function = tool_call["function"]
    head = {
        "index": 0,
        "id": tool_call["id"],
        "type": "function",
        "function": {"name": function["name"], "arguments": ""},
    }
    chunks = [chunk({"role": "assistant", "content": None, "tool_calls": [head]}, None)]
    chunks += [
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, None)
        for piece in _pieces(function["arguments"])
    ]
    chunks.append(chunk({}, "tool_calls"))
    return chunks


def _streamed_usage(chunks: list[dict], prompt: int) -> dict[str, int]:
    """What a stream cut short by error-after has used: the prompt and the text sent so far."""
    sent = "".join(
        (choice["delta"].get("content") or "") + (choice["delta"].get("reasoning_content") or "")
        for c in chunks
        for choice in c["choices"]
    )
    return {
        "prompt_tokens": prompt,
        "completion_tokens": count_tokens(sent),
        "total_tokens": prompt + count_tokens(sent),
    }


@dataclass(frozen=True)
class _StreamPlan:
    chunks: list[dict]
    faults: StreamFaults
    prompt_tokens: int
    request_id: str
    stall_seconds: float


async def _send_stream(scope: Scope, receive: Receive, send: Send, plan: _StreamPlan) -> None:
    """Writes each chunk as its own HTTP body message (uvicorn sends it at once: no buffering),
    applying the stream faults."""
    chunks, faults, request_id = plan.chunks, plan.faults, plan.request_id
    headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"x-request-id", request_id.encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def body(text: str, more: bool = True) -> None:
        await send({"type": "http.response.body", "body": text.encode(), "more_body": more})

    for index, chunk in enumerate(chunks):
        if index and faults.slow_ms:
            await asyncio.sleep(faults.slow_ms / 1000)
        if index == faults.stall_after and await _sleep_unless_client_leaves(receive, plan.stall_seconds):
            return
        if index == faults.cut_after:
            await _abort_connection(scope, receive)
            return
        if index == faults.error_after:
            spec = ERRORS["500"]
            event = error_body(spec.code, spec.type, spec.message, request_id)
            event["usage"] = _streamed_usage(chunks[:index], plan.prompt_tokens)
            await body(f"data: {_dumps(event)}\n\n", more=False)
            return
        await body(f"data: {_dumps(chunk)}\n\n")
    await body("data: [DONE]\n\n", more=False)


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class AccessLog:
    """Pure ASGI middleware: one line per HTTP request; stashes the server's own `receive`."""

    def __init__(self, app: ASGIApp, sink: Callable[[str], None] | None) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        note = _note(scope)
        note["raw_receive"] = receive
        status: list[int] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if self.sink is not None:
                line = f"fake-bailian {scope['method']} {scope['path']} {status[0] if status else '-'}"
                if note.get("fault"):
                    line += f" fault={note['fault']}"
                self.sink(line)


def _print_line(line: str) -> None:
    print(line, flush=True)


def create_app(api_key: str, *, timeout_delay_seconds: float = 35.0, access_log: bool = True) -> Starlette:
    """The fake as an ASGI app. `app.state.fault_counter` holds this instance's x<N> counters."""
    if not api_key:
        raise ValueError("api_key must be non-empty")
    counter = FaultCounter()
    chat = ChatCompletions(api_key, timeout_delay_seconds, counter)
    app = Starlette(
        routes=[
            Route(CHAT_PATH, chat, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        middleware=[Middleware(AccessLog, sink=_print_line if access_log else None)],
    )
    app.state.fault_counter = counter
    return app


# ---------------------------------------------------------------- running it


@dataclass
class FakeBailianServer:
    """A uvicorn server running the fake in a daemon thread."""

    host: str
    port: int
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread
    _sock: socket.socket = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI-compatible client takes as its base URL."""
        return self.url + BASE_PATH

    @property
    def chat_url(self) -> str:
        return self.url + CHAT_PATH

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout / 2)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout / 2)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> FakeBailianServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str = "sk-fake-bailian",
    *,
    timeout_delay_seconds: float = 35.0,
    access_log: bool = True,
    startup_timeout: float = 10.0,
) -> FakeBailianServer:
    """Start the fake on host:port (0 = a free port) in a background thread; returns once it listens."""
    app = create_app(api_key, timeout_delay_seconds=timeout_delay_seconds, access_log=access_log)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # see local.stack.bind_socket
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1.0,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-bailian:{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"fake Bailian did not start on {host}:{bound_port}")
        time.sleep(0.01)
    return FakeBailianServer(host, bound_port, app, server, thread, sock)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.fake_bailian", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--api-key", required=True, help="the key clients must send as 'Authorization: Bearer'"
    )
    parser.add_argument("--timeout-delay", type=float, default=35.0, help="seconds #fault:timeout waits")
    args = parser.parse_args(argv)
    app = create_app(args.api_key, timeout_delay_seconds=args.timeout_delay)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"fake Bailian on http://{host}:{args.port}{BASE_PATH} (Ctrl-C stops)", file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1.0,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
