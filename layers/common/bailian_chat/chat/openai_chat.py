"""The OpenAI-compatible chat completions use case (`POST /v1/chat/completions`): OpenAI's request
in, OpenAI's `chat.completion` or `chat.completion.chunk`s out, unwrapped.

Every call streams from the upstream (with its exact usage), buffered answers included: thinking
models answer only when streamed, and one path means one way of logging.
"""

from collections.abc import Iterator

from bailian_chat.chat.model_catalog import check_content_fits, configured_models, model_spec
from bailian_chat.chat.openai_request import OpenAIChatRequest, parse_request
from bailian_chat.errors import BadRequest
from bailian_chat.usage.model_calls import CallSource, ModelStream, stream_model

__all__ = ["ChunkStream", "OpenAIChatRequest", "complete", "parse_request", "stream", "upstream_payload"]

# Request fields handed to the upstream as they are (when set).
PASSED_THROUGH = (
    "temperature",
    "top_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "tool_choice",
    "parallel_tool_calls",
    "enable_thinking",
    "thinking_budget",
)


def upstream_payload(request: OpenAIChatRequest) -> dict:
    """The upstream request body; BadRequest (naming the field) for what the model cannot do."""
    spec = model_spec(request.model)
    if spec is None:
        names = ", ".join(s.name for s in configured_models())
        raise BadRequest(f"model: must be one of: {names}", param="model")
    messages = [_upstream_message(message) for message in request.messages]
    check_content_fits(spec.name, messages)
    if request.tools and not spec.tools:
        raise BadRequest(f"tools: model {spec.name} does not support tools", param="tools")
    if request.enable_thinking and spec.thinking == "none":
        raise BadRequest(f"enable_thinking: model {spec.name} does not think", param="enable_thinking")
    limit = request.output_limit
    if limit is not None and limit > spec.max_output_tokens:
        field = request.output_limit_field
        raise BadRequest(
            f"{field}: must be at most {spec.max_output_tokens} for model {spec.name}", param=field
        )
    payload = {"model": spec.name, "messages": messages}
    for field in PASSED_THROUGH:
        value = getattr(request, field)
        if value is not None:
            payload[field] = value.model_dump() if hasattr(value, "model_dump") else value
    if limit is not None:
        payload["max_tokens"] = limit
    if request.response_format is not None:
        payload["response_format"] = request.response_format.model_dump(exclude_none=True)
    if request.tools:
        payload["tools"] = [tool.model_dump(exclude_none=True) for tool in request.tools]
    return payload


def _upstream_message(message) -> dict:
    role = "system" if message.role == "developer" else message.role
    upstream = {"role": role, "content": _upstream_content(message.content)}
    if getattr(message, "tool_calls", None):
        upstream["tool_calls"] = [call.model_dump() for call in message.tool_calls]
    if role == "tool":
        upstream["tool_call_id"] = message.tool_call_id
    return upstream


def _upstream_content(content) -> str | list[dict] | None:
    """Strings stay strings; text-only parts are joined into one (every model takes a string);
    parts with media go as the parts array the vision models take."""
    if content is None or isinstance(content, str):
        return content
    if all(part.type == "text" for part in content):
        return "\n".join(part.text for part in content)
    return [part.model_dump(exclude_none=True) for part in content]


def complete(source: CallSource, request: OpenAIChatRequest) -> dict:
    """A whole `chat.completion`, assembled from the upstream's stream."""
    model_stream = stream_model(source, upstream_payload(request))
    for _chunk in model_stream:
        pass
    message: dict = {"role": "assistant", "content": model_stream.text}
    if model_stream.tool_calls:
        message["content"] = model_stream.text or None
        message["tool_calls"] = model_stream.tool_calls
    if model_stream.reasoning:
        message["reasoning_content"] = model_stream.reasoning
    return {
        "id": model_stream.id,
        "object": "chat.completion",
        "created": model_stream.created,
        "model": model_stream.response_model or request.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": model_stream.finish_reason, "logprobs": None}
        ],
        "usage": model_stream.raw_usage or _usage_of(model_stream),
        "system_fingerprint": None,
    }


def _usage_of(model_stream: ModelStream) -> dict:
    usage = model_stream.usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def stream(source: CallSource, request: OpenAIChatRequest) -> "ChunkStream":
    """The upstream's chunks, open when this returns (a failure before raises a DomainError)."""
    return ChunkStream(stream_model(source, upstream_payload(request)), request.include_usage)


class ChunkStream:
    """`chat.completion.chunk` dicts ready to send as `data: <json>`: the upstream's, the usage
    chunk only when the client asked for it. A failure midway raises its DomainError from
    `__next__` (after logging the call)."""

    def __init__(self, model_stream: ModelStream, include_usage: bool):
        self._model_stream = model_stream
        self._include_usage = include_usage

    def __iter__(self) -> Iterator[dict]:
        return self

    def __next__(self) -> dict:
        while True:
            chunk = next(self._model_stream)
            if chunk.get("choices") or self._include_usage:
                return chunk

    def mark_client_disconnected(self) -> None:
        self._model_stream.mark_client_disconnected()

    def close(self) -> None:
        self._model_stream.close()
