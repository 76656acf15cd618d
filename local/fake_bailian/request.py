"""The request the fake accepts: validation (a cheap subset of upstream's) into a ChatRequest, and
the helpers that read messages."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from local.fake_bailian.errors import INVALID, InvalidRequest

VL_MAX_TOKENS_CAP = 8192

VALID_ROLES = frozenset({"system", "user", "assistant", "tool"})


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


def content_parts(content: str | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if content is None:  # an assistant message that only carries tool_calls
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content


def text_of(content: str | list[dict[str, Any]] | None) -> str:
    return "\n".join(p["text"] for p in content_parts(content) if p["type"] == "text")


def last_user(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    for message in reversed(messages):
        if message["role"] == "user":
            return message
    return None


def always_thinks(model: str) -> bool:
    return model.startswith(("qwq", "qvq")) or "thinking" in model


def request_key(model: str, messages: list[dict[str, Any]]) -> str:
    canonical = json.dumps([model, messages], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _validate_part(part: Any, where: str) -> None:
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        raise InvalidRequest(f"{INVALID}{where} must be an object with a string 'type'")
    kind = part["type"]
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise InvalidRequest(f"{INVALID}{where}.text must be a string")
    elif kind in ("image_url", "video_url"):
        inner = part.get(kind)
        if not isinstance(inner, dict) or not isinstance(inner.get("url"), str) or not inner["url"]:
            raise InvalidRequest(f"{INVALID}{where}.{kind}.url must be a non-empty string")
    else:
        raise InvalidRequest(f"{INVALID}{where}.type '{kind}' is not one of text, image_url, video_url")


def validate(body: Any) -> ChatRequest:
    """Raise InvalidRequest (-> 400) unless body is a chat completions request the fake accepts."""
    if not isinstance(body, dict):
        raise InvalidRequest(f"{INVALID}the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("you must provide a model parameter.", code="invalid_request_error")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest(f"{INVALID}'messages' must be a non-empty list")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{INVALID}{where} must be an object")
        if message.get("role") not in VALID_ROLES:
            raise InvalidRequest(f"{INVALID}{where}.role must be one of system, user, assistant, tool")
        content = message.get("content")
        if message["role"] == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise InvalidRequest(f"{INVALID}{where}.tool_call_id is required for a tool message")
        if message["role"] == "assistant" and content is None and message.get("tool_calls"):
            continue
        if isinstance(content, list):
            if not content:
                raise InvalidRequest(f"{INVALID}{where}.content must not be an empty list")
            for j, part in enumerate(content):
                _validate_part(part, f"{where}.content[{j}]")
        elif not isinstance(content, str):
            raise InvalidRequest(f"{INVALID}{where}.content must be a string or a list of parts")
    if "temperature" in body and body["temperature"] is not None:
        temperature = body["temperature"]
        if not _is_number(temperature) or not 0 <= temperature < 2:
            raise InvalidRequest(f"{INVALID}Temperature should be in [0.0, 2.0)")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None:
        cap = VL_MAX_TOKENS_CAP if model.startswith("qwen-vl") else None
        too_big = cap is not None and isinstance(max_tokens, int) and max_tokens > cap
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1 or too_big:
            bound = f"[1, {cap}]" if cap is not None else ">= 1"
            raise InvalidRequest(f"{INVALID}Range of max_tokens should be {bound}")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise InvalidRequest(f"{INVALID}'stream' must be a boolean")
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise InvalidRequest(f"{INVALID}'stream_options' must be an object")
    include_usage = bool(stream_options and stream_options.get("include_usage") is True)
    enable_thinking = body.get("enable_thinking")
    if enable_thinking is not None and not isinstance(enable_thinking, bool):
        raise InvalidRequest(f"{INVALID}'enable_thinking' must be a boolean")
    budget = body.get("thinking_budget")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise InvalidRequest(f"{INVALID}'thinking_budget' must be a positive integer")
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
        raise InvalidRequest(
            "This model only support stream mode, please enable the stream parameter to access the model.",
            code="invalid_request_error",
        )
    if enable_thinking:
        raise InvalidRequest(
            f"{INVALID}parameter.enable_thinking must be set to false for non-streaming calls"
        )


def _tool_names(body: dict[str, Any]) -> tuple[str, ...]:
    tools = body.get("tools")
    if tools is None or body.get("tool_choice") == "none":
        return ()
    if not isinstance(tools, list):
        raise InvalidRequest(f"{INVALID}'tools' must be a list")
    names = []
    for i, tool in enumerate(tools):
        name = tool.get("function", {}).get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str) or not name:
            raise InvalidRequest(f"{INVALID}tools[{i}].function.name is required")
        names.append(name)
    return tuple(names)
