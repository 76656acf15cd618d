"""The SSE stream: the chunks of a completion, sent one by one with the stream faults applied."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from local.fake_bailian.completion import Completion, count_tokens
from local.fake_bailian.connection import abort_connection, sleep_unless_client_leaves
from local.fake_bailian.errors import ERRORS, error_body
from local.fake_bailian.faults import StreamFaults
from local.fake_bailian.request import ChatRequest, dumps

STREAM_PIECE_CHARS = 8


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
class StreamPlan:
    chunks: list[dict]
    faults: StreamFaults
    prompt_tokens: int
    request_id: str
    stall_seconds: float


async def send_stream(scope: Scope, receive: Receive, send: Send, plan: StreamPlan) -> None:
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
        if index == faults.stall_after and await sleep_unless_client_leaves(receive, plan.stall_seconds):
            return
        if index == faults.cut_after:
            await abort_connection(scope, receive)
            return
        if index == faults.error_after:
            spec = ERRORS["500"]
            event = error_body(spec.code, spec.type, spec.message, request_id)
            event["usage"] = _streamed_usage(chunks[:index], plan.prompt_tokens)
            await body(f"data: {dumps(event)}\n\n", more=False)
            return
        await body(f"data: {dumps(chunk)}\n\n")
    await body("data: [DONE]\n\n", more=False)
