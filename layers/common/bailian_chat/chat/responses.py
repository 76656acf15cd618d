"""What the conversation, message and model-call endpoints answer (spec 2, 3 and 4.1): one model
per shape, returned by the use cases and declared by the handlers."""

from typing import Annotated, Literal

from pydantic import Field

from bailian_chat.content import ContentItem, TextContent
from bailian_chat.response_models import Count, Id, Pagination, ResponseModel, Timestamp


class Conversation(ResponseModel):
    conversation_id: Id
    title: str
    model_name: str
    status: int
    created_at: Timestamp
    updated_at: Timestamp


class ConversationPage(ResponseModel):
    conversations: list[Conversation]
    pagination: Pagination


class Message(ResponseModel):
    message_id: Id
    conversation_id: Id
    user_id: Annotated[int, Field(ge=0, description="The sender; 0 for the assistant")]
    role: Literal["user", "assistant"]
    content_type: Literal["text", "multimodal"]
    content: list[ContentItem]
    status: int
    created_at: Timestamp


class ReplyError(ResponseModel):
    code: int = Field(
        description="What the model call failed with: 400, 429 or 503; 404 if the conversation was"
        " deleted meanwhile, 500 for an unexpected failure"
    )
    message: str


class SentMessage(Message):
    reply: Message | None = Field(description="The assistant's stored reply (null when not generated)")
    reply_error: ReplyError | None = Field(description="Why there is no reply, when the model failed")


class MessagePage(ResponseModel):
    messages: list[Message]
    pagination: Pagination


class AssistantMessage(ResponseModel):
    role: Literal["assistant"]
    content: list[TextContent]


class Choice(ResponseModel):
    index: Count
    message: AssistantMessage
    finish_reason: str | None


class Usage(ResponseModel):
    prompt_tokens: Count
    completion_tokens: Count
    total_tokens: Count


class ChatCompletion(ResponseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
