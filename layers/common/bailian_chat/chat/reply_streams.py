"""The streamed conversation reply (`POST /api/conversations/{id}/messages/stream`): the user's
message is stored first, then the model's answer streams as it is written and is stored whole,
even when the client went away meanwhile (the edge keeps draining)."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated

from aws_lambda_powertools import Logger
from pydantic import Field

from bailian_chat.bailian.wire import to_upstream
from bailian_chat.chat.conversations import owned_conversation
from bailian_chat.chat.messages import store_message, store_reply
from bailian_chat.chat.model_catalog import check_content_fits, model_spec
from bailian_chat.chat.models import SendMessageRequest
from bailian_chat.chat.replies import context_messages
from bailian_chat.content import content_type_of, dump_parts
from bailian_chat.errors import BadRequest, DomainError
from bailian_chat.usage.model_calls import CallSource, ModelStream, stream_model

logger = Logger(child=True)
Event = tuple[str, dict]


class StreamSendRequest(SendMessageRequest):
    """Spec 3.1's body, plus optional sampling and thinking settings for this answer."""

    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    enable_thinking: bool | None = None


def start(
    source: CallSource, user_id: int, conversation_id: int, request: StreamSendRequest
) -> "ReplyStream":
    """Checks the conversation (403/404) and what its model accepts (400), stores the user's
    message and returns the stream of events answering it. Raises only before the message is stored."""
    conversation = owned_conversation(
        user_id, conversation_id, "No permission to send messages in this conversation"
    )
    model = conversation["model_name"]
    parts = dump_parts(request.content)
    check_content_fits(model, [to_upstream("user", parts)])
    _check_options(model, request)
    message = store_message(conversation, "user", user_id, content_type_of(request.content), parts)
    source = replace(source, conversation_id=conversation_id, message_id=message["message_id"])
    options = {
        name: value
        for name in ("temperature", "max_tokens", "enable_thinking")
        if (value := getattr(request, name)) is not None
    }
    return ReplyStream(source, conversation, message, options)


def _check_options(model: str, request: StreamSendRequest) -> None:
    spec = model_spec(model)
    if spec is None:
        return
    if request.enable_thinking and spec.thinking == "none":
        raise BadRequest(f"enable_thinking: model {model} does not think", param="enable_thinking")
    if request.max_tokens is not None and request.max_tokens > spec.max_output_tokens:
        limit = spec.max_output_tokens
        raise BadRequest(f"max_tokens: must be at most {limit} for model {model}", param="max_tokens")


class ReplyStream:
    """`(event, data)` tuples: ("message", the stored user message), ("delta", {"text"} or
    {"reasoning"}) as the model writes, then exactly one of ("reply", the stored assistant message
    with its "usage") or ("error", {"code", "message"}). Nothing raises out of it."""

    def __init__(self, source: CallSource, conversation: dict, message: dict, options: dict):
        self.message = message
        self._source = source
        self._conversation = conversation
        self._options = options
        self._model_stream: ModelStream | None = None
        self._client_disconnected = False
        self._events = self._run()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return next(self._events)

    def mark_client_disconnected(self) -> None:
        """The client went away: the caller keeps draining, so the reply is still stored whole."""
        self._client_disconnected = True
        if self._model_stream is not None:
            self._model_stream.mark_client_disconnected()

    def close(self) -> None:
        """Stops where it is (drains nothing); the model call is logged if it was not yet."""
        self._events.close()

    def _run(self) -> Iterator[Event]:
        yield "message", self.message
        try:
            yield from self._answer()
        except DomainError as exc:  # includes NotFound: the conversation was deleted meanwhile
            yield "error", {"code": exc.status_code, "message": exc.message}
        except Exception:
            # The user's message is stored: the failure is an event, never a broken stream.
            logger.exception("Streamed reply failed")
            yield "error", {"code": 500, "message": "Server internal error"}
        finally:
            if self._model_stream is not None:
                self._model_stream.close()

    def _answer(self) -> Iterator[Event]:
        conversation = self._conversation
        context = context_messages(conversation["conversation_id"], self.message["message_id"])
        payload = {"model": conversation["model_name"], "messages": context, **self._options}
        self._model_stream = model_stream = stream_model(self._source, payload)
        if self._client_disconnected:
            model_stream.mark_client_disconnected()
        for chunk in model_stream:
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                if delta.get("reasoning_content"):
                    yield "delta", {"reasoning": delta["reasoning_content"]}
                if delta.get("content"):
                    yield "delta", {"text": delta["content"]}
        reply = store_reply(conversation, model_stream.text)
        usage = model_stream.usage
        yield (
            "reply",
            {
                **reply,
                "usage": {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "total_tokens": usage.total_tokens,
                },
            },
        )
