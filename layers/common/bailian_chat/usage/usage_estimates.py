"""A streamed call's usage when the upstream never reported it: the connection dropped, the
deadline cut a silent stream, or the stream was closed before its usage chunk. The upstream has
still read the prompt and written what arrived, so logging zero would make a broken stream free
(LiteLLM's loss on disconnects). The estimate is ~4 UTF-8 bytes per token (close to Qwen's
tokenizer for English and for Chinese, 3 bytes a character at ~1.4 characters a token), counts
text only (images and video add nothing: an estimate that errs low, never billing what may not
have been used), and never fewer completion tokens than content chunks received (each carries one
token at least)."""

import json
import math

BYTES_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4  # role and separators around each message


def prompt_tokens(payload: dict) -> int:
    """The prompt's estimated tokens: each message's text and tool calls, and the tool definitions."""
    total = 0
    for message in payload.get("messages") or ():
        total += TOKENS_PER_MESSAGE + text_tokens(_message_text(message))
    if payload.get("tools"):
        total += text_tokens(json.dumps(payload["tools"], ensure_ascii=False))
    return total


def completion_tokens(received: str, chunks: int) -> int:
    """The estimated tokens of what arrived: its text, or its chunk count when that is more."""
    return max(text_tokens(received), chunks)


def text_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8", "surrogatepass")) / BYTES_PER_TOKEN)


def _message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        parts = [content]
    else:
        parts = [part.get("text") or "" for part in content or () if isinstance(part, dict)]
    for call in message.get("tool_calls") or ():
        function = (call.get("function") if isinstance(call, dict) else None) or {}
        parts += [str(function.get("name") or ""), str(function.get("arguments") or "")]
    return "".join(parts)
