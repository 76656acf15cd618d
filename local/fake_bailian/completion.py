"""The deterministic answer: reply text, reasoning, tool call and the token formula."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from local.fake_bailian.request import ChatRequest, content_parts, dumps, last_user, request_key, text_of

PER_MESSAGE_TOKENS = 4
IMAGE_TOKENS = 256
VIDEO_TOKENS = 1024
CHARS_PER_TOKEN = 4
_TOOL_RE = re.compile(r"#tool:([A-Za-z0-9_-]+)")


def count_tokens(text: str) -> int:
    """ceil(chars / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        total += PER_MESSAGE_TOKENS
        for part in content_parts(message["content"]):
            if part["type"] == "text":
                total += count_tokens(part["text"])
            elif part["type"] == "image_url":
                total += IMAGE_TOKENS
            elif part["type"] == "video_url":
                total += VIDEO_TOKENS
    return total


def reply_text(messages: list[dict[str, Any]]) -> str:
    if messages and messages[-1]["role"] == "tool":
        return f"Tool result: {text_of(messages[-1]['content'])}"
    last = last_user(messages)
    if last is None:
        return "Echo: "
    parts = content_parts(last["content"])
    images = sum(1 for p in parts if p["type"] == "image_url")
    videos = sum(1 for p in parts if p["type"] == "video_url")
    text = f"Echo: {text_of(last['content'])}"
    if images or videos:
        text += f" [images: {images}, videos: {videos}]"
    return text


def tool_call_for(req: ChatRequest) -> dict[str, Any] | None:
    """The deterministic tool call the request asks for, if any (see the package docstring)."""
    if not req.tool_names or req.messages[-1]["role"] != "user":
        return None
    text = text_of(req.messages[-1]["content"])
    match = _TOOL_RE.search(text)
    if match is None or match.group(1) not in req.tool_names:
        return None
    call_id = "call_" + request_key(req.model, req.messages)[:24]
    arguments = dumps({"text": text})
    return {"id": call_id, "type": "function", "function": {"name": match.group(1), "arguments": arguments}}


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
    last = last_user(req.messages)
    reasoning = f"Thinking about: {text_of(last['content']) if last else ''}"
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
