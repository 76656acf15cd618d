"""Helpers for the OpenAI-compatible (`/v1`) and streaming e2e suites: the official SDK clients
pointed at the local stack, the fake Bailian's markers and token formula as expectations, a
server-sent-events reader for the conversation stream route, and a bounded poll for accounting that
finishes after the client left."""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai

from tests.support.chat_client import User
from tests.support.model_client import prompt_tokens, text_tokens, unique_text

V1_CHAT_PATH = "/v1/chat/completions"
STREAM_SEND_PATH = "/api/conversations/{conversation_id}/messages/stream"
STREAM_SEND_ENDPOINT = STREAM_SEND_PATH  # the route as the call log names it (api_endpoint)
MODEL = "qwen-plus"
TEXT_ONLY_MODEL = "qwen-plus"
VISION_MODEL = "qwen-vl-max-latest"
ALWAYS_THINKING_MODEL = "qwq-plus"
CURRENT_MODELS = ("qwen3-max", "qwen3-vl-plus", "qwq-plus")

# The fake Bailian's markers (local/fake_bailian/), in the text of the last user message.
TOOL_MARKER = "#tool:{name}"  # with `tools` in the request: a tool call to <name> instead of text
CUT_AFTER_MARKER = "#fault:cut-after:{n}"  # the connection closes after n streamed chunks
ERROR_AFTER_MARKER = "#fault:error-after:{n}"  # an error event after n streamed chunks
SLOW_MARKER = "#fault:slow:{ms}"  # every streamed chunk waits ms milliseconds first

# Calls the backend makes to the upstream per request (BAILIAN_MAX_ATTEMPTS' default): the fake's
# `#fault:<kind>x<N>` with N = this fails every backend attempt once, so the SDK sees the error and
# its own retry is what succeeds.
BACKEND_ATTEMPTS = 3


def openai_client(stack, user: User | None, **options: Any) -> openai.OpenAI:
    """The official sync client, as a user of `make dev` would configure it."""
    api_key = user.access_token if user is not None else options.pop("api_key")
    return openai.OpenAI(base_url=stack.base_url + "/v1", api_key=api_key, **options)


def async_openai_client(stack, user: User, **options: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=stack.base_url + "/v1", api_key=user.access_token, **options)


def user_says(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def fresh(text: str) -> str:
    """Unique text per request (the fake's xN counters are per distinct request)."""
    return unique_text(text)


def echo(text: str) -> str:
    """The fake's reply to a last user message with this text."""
    return f"Echo: {text}"


def usage_for(messages: list[dict], reply: str) -> dict[str, int]:
    """The fake's exact usage for these messages (role/content dicts) and this reply text."""
    prompt = prompt_tokens([(m["role"], m["content"] or "") for m in messages])
    completion = text_tokens(reply)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def token_counts(usage: Any) -> dict[str, int]:
    """prompt/completion/total of an SDK usage object (or a dict)."""
    if not isinstance(usage, dict):
        usage = usage.model_dump()
    return {key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")}


def poll(check: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Calls `check` until it returns something truthy (then returns it) or `timeout` passes (then
    returns its last answer). The accounting of a stream whose client left finishes after the
    client's last byte, so tests wait for it, bounded."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


@dataclass(frozen=True)
class Event:
    """One server-sent event: its `event:` name ("message" when absent) and its parsed `data:`."""

    event: str
    data: Any


def read_events(lines: Iterator[str]) -> Iterator[Event]:
    """Server-sent events from a response's text lines (httpx `iter_lines`), as they arrive."""
    name, data = "message", []
    for line in lines:
        if line == "":
            if data:
                text = "\n".join(data)
                yield Event(name, text if text == "[DONE]" else json.loads(text))
            name, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].removeprefix(" "))
    if data:
        text = "\n".join(data)
        yield Event(name, text if text == "[DONE]" else json.loads(text))


def stream_send(api: httpx.Client, user: User, conversation_id: int, body: dict):
    """The conversation stream route as a context manager (httpx `stream`)."""
    return api.stream(
        "POST",
        STREAM_SEND_PATH.format(conversation_id=conversation_id),
        json=body,
        headers=user.headers,
    )


def v1_stream(api: httpx.Client, user: User, body: dict):
    """POST /v1/chat/completions with stream: true as a raw httpx stream (for disconnecting early)."""
    return api.stream("POST", V1_CHAT_PATH, json={**body, "stream": True}, headers=user.headers)
