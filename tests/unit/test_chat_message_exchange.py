"""bailian_chat.chat.message_exchange.send_with_reply, the use case of POST .../messages: the
caller's message, then the model's reply unless `generate` is false; a failed reply is
`reply_error` and the message stays stored."""

import pytest
from bailian_chat.chat import conversations, message_exchange, messages
from bailian_chat.chat.models import SendMessageOptions
from bailian_chat.errors import Forbidden
from bailian_chat.paging import PageRequest
from bailian_chat.usage import history
from bailian_chat.usage.model_calls import CallSource

USER = 41
SEND = "/api/conversations/{conversation_id}/messages"


def source(user_id: int = USER) -> CallSource:
    return CallSource(user_id=user_id, client_ip="203.0.113.9", api_endpoint=SEND)


def options(text: str, **extra) -> SendMessageOptions:
    return SendMessageOptions.model_validate({"content": [{"type": "text", "text": text}], **extra})


def stored(conversation_id: int) -> list[dict]:
    return messages.history(USER, conversation_id, PageRequest(1, 100))["messages"]


@pytest.fixture
def conversation_id(upstream) -> int:
    return conversations.create(USER, "qwen-plus", None)["conversation_id"]


def test_the_message_comes_back_with_the_stored_reply(conversation_id):
    data = message_exchange.send_with_reply(source(), conversation_id, options("hello"))

    reply = data.pop("reply")
    assert data.pop("reply_error") is None
    assert (data["role"], data["user_id"], data["content"]) == (
        "user",
        USER,
        [{"type": "text", "text": "hello"}],
    )
    assert (reply["role"], reply["content"]) == ("assistant", [{"type": "text", "text": "Echo: hello"}])
    assert stored(conversation_id) == [data, reply]


def test_generate_false_stores_only_the_message_and_asks_no_model(conversation_id):
    data = message_exchange.send_with_reply(source(), conversation_id, options("quiet", generate=False))

    assert (data["reply"], data["reply_error"]) == (None, None)
    assert [m["message_id"] for m in stored(conversation_id)] == [data["message_id"]]
    assert history.api_call_history(USER, PageRequest(1, 10), None, None, None)["api_calls"] == []


def test_a_failed_reply_is_reply_error_and_the_message_stays(conversation_id):
    data = message_exchange.send_with_reply(source(), conversation_id, options("please #fault:503"))

    assert data["reply"] is None
    assert data["reply_error"] == {"code": 503, "message": "Bailian API service unavailable"}
    assert [m["message_id"] for m in stored(conversation_id)] == [data["message_id"]]


def test_someone_elses_conversation_stores_nothing(conversation_id):
    with pytest.raises(Forbidden):
        message_exchange.send_with_reply(source(user_id=USER + 1), conversation_id, options("hi"))

    assert stored(conversation_id) == []
