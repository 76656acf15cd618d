"""Request bodies of the conversation and message endpoints."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from bailian_chat.chat.model_catalog import configured_models, model_spec
from bailian_chat.config import DEFAULT_MODELS
from bailian_chat.content import Content, MessageText
from bailian_chat.request_models import StrictBody, documented
from bailian_chat.text_rules import visible_line

MAX_TITLE_CHARS = 200


def _title(value: str | None) -> str | None:
    if value is None:
        return None
    value = visible_line(value)
    if value is None:  # blank, or only zero-width, format or filler characters
        raise ValueError("must not be empty")
    if len(value) > MAX_TITLE_CHARS:
        raise ValueError(f"must be at most {MAX_TITLE_CHARS} characters")
    return value


def _configured_model(value: str) -> str:
    if model_spec(value) is None:
        raise ValueError(f"must be one of: {', '.join(spec.name for spec in configured_models())}")
    return value


Title = Annotated[
    str | None,
    documented(minLength=1, maxLength=MAX_TITLE_CHARS),
    AfterValidator(_title),
]
ModelName = Annotated[
    str,
    Field(max_length=64),
    documented(enum=list(DEFAULT_MODELS)),  # the default ALLOWED_MODELS
    AfterValidator(_configured_model),
]


class CreateConversationRequest(StrictBody):
    model_name: ModelName
    title: Title = None


class UpdateConversationRequest(StrictBody):
    title: Title = None


class SendMessageRequest(StrictBody):
    content: Content


class SendMessageOptions(SendMessageRequest):
    """Send-message body: the spec's `content`, plus `generate` (default true) to ask the model."""

    generate: bool = True


class ChatMessage(StrictBody):
    role: Literal["user", "assistant", "system"]
    content: Content | MessageText


STREAMING_ROUTE = "POST /v1/chat/completions"


def _not_streamed(value: bool) -> bool:
    if value:
        raise ValueError(f"streaming is not supported here; use {STREAMING_ROUTE}")
    return value


class ChatCompletionRequest(StrictBody):
    model: ModelName
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=100)]
    temperature: Annotated[float, Field(ge=0, le=2)] = 1.0  # the spec's default
    max_tokens: Annotated[int, Field(ge=1, le=8192)] | None = None
    # Not the spec's: a client asking to stream is told where streaming is (it used to be dropped).
    stream: Annotated[
        bool,
        Field(description=f"Only false: streamed completions are served by {STREAMING_ROUTE}"),
        documented(enum=[False]),
        AfterValidator(_not_streamed),
    ] = False
