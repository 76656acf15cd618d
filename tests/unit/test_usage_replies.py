"""bailian_chat.chat.replies against the fake Bailian and a moto table: the assistant's reply goes
through the same call log and per-user rate limit as the proxy; a failed or refused reply leaves
the user's message stored and no assistant message."""

import pytest
from bailian_chat import clock
from bailian_chat.chat import conversations, message_exchange, messages, replies
from bailian_chat.chat.models import SendMessageOptions, SendMessageRequest
from bailian_chat.paging import PageRequest
from bailian_chat.usage import rate_limit
from bailian_chat.usage.dates import date_range
from bailian_chat.usage.history import api_call_page
from bailian_chat.usage.model_calls import CallSource

from tests.support.chat_client import assistant_reply

USER = 31
SEND = "/api/conversations/{conversation_id}/messages"


def tokens(text: str) -> int:
    return -(-len(text) // 4)


def source() -> CallSource:
    return CallSource(user_id=USER, client_ip="203.0.113.5", api_endpoint=SEND)


def send_and_reply(conversation_id: int, text: str) -> tuple[dict, dict | None, dict | None]:
    parts = SendMessageRequest.model_validate({"content": [{"type": "text", "text": text}]}).content
    message, conversation = messages.send(USER, conversation_id, parts)
    reply, error = replies.reply(conversation, message, source())
    return message, reply, error


def logged_calls() -> list[dict]:
    return api_call_page(USER, PageRequest(1, 100), None, date_range(None, None))["api_calls"]


def stored(conversation_id: int) -> list[dict]:
    return messages.history(USER, conversation_id, PageRequest(1, 100))["messages"]


def test_a_reply_is_stored_and_its_call_logged(upstream):
    conversation = conversations.create(USER, "qwen-plus", None)
    cid = conversation["conversation_id"]

    message, reply, error = send_and_reply(cid, "hello")

    assert error is None
    assert reply == assistant_reply(reply, cid, "Echo: hello")
    assert reply["message_id"] > message["message_id"]
    assert stored(cid) == [message, reply]
    [call] = logged_calls()
    assert (call["conversation_id"], call["message_id"], call["api_endpoint"]) == (
        cid,
        message["message_id"],
        SEND,
    )
    assert call["total_tokens"] == 4 + tokens("hello") + tokens("Echo: hello")


def test_the_reply_is_generated_from_the_conversation_so_far(upstream, unit_env):
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]
    send_and_reply(cid, "first question")

    send_and_reply(cid, "second")

    last = logged_calls()[0]
    context = ["first question", "Echo: first question", "second"]
    assert last["request_tokens"] == sum(4 + tokens(text) for text in context)


def test_the_reply_context_is_capped_by_reply_history_messages(upstream, unit_env):
    unit_env(REPLY_HISTORY_MESSAGES="2")
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]
    send_and_reply(cid, "first question")

    send_and_reply(cid, "second")

    assert logged_calls()[0]["request_tokens"] == sum(
        4 + tokens(t) for t in ["Echo: first question", "second"]
    )


@pytest.mark.parametrize(
    ("marker", "code", "message"),
    [
        ("#fault:503", 503, "Bailian API service unavailable"),
        (
            "#fault:400",
            400,
            "The model rejected the request (invalid_parameter_error): Injected fault (#fault:400): "
            "required parameter(s) missing or invalid.",
        ),
    ],
)
def test_a_failed_reply_keeps_the_message_and_is_logged(upstream, marker, code, message):
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]

    sent, reply, error = send_and_reply(cid, f"please {marker}")

    assert reply is None
    assert error == {"code": code, "message": message}
    assert stored(cid) == [sent]
    [call] = logged_calls()
    assert (call["status_code"], call["total_tokens"], call["message_id"]) == (code, 0, sent["message_id"])


def test_a_rate_limited_reply_is_a_429_reply_error_and_no_model_call(upstream, unit_env, monkeypatch):
    unit_env(RATE_LIMIT_PER_MINUTE="1")
    monkeypatch.setattr(clock, "now_seconds", lambda: 1_700_000_050.0)  # one instant
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]
    rate_limit.pending_model_call(USER).take()  # this minute's only call

    sent, reply, error = send_and_reply(cid, "hello")

    assert reply is None
    assert error == {"code": 429, "message": "Request rate limit exceeded"}
    assert stored(cid) == [sent]
    assert logged_calls() == []


def test_the_send_use_case_counts_the_reply_in_the_messages_transaction(upstream, unit_env, monkeypatch):
    """Issue 15: the reply's rate-limit count is written with the message (one round trip fewer);
    refused, the message is still stored alone and the reply is a 429 reply_error, as before."""
    unit_env(RATE_LIMIT_PER_MINUTE="1")
    monkeypatch.setattr(clock, "now_seconds", lambda: 1_700_000_050.0)  # one instant
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]
    parts = SendMessageRequest.model_validate({"content": [{"type": "text", "text": "hi"}]}).content

    request = SendMessageOptions(content=parts)
    first = message_exchange.send_with_reply(source(), cid, request)
    second = message_exchange.send_with_reply(source(), cid, request)

    assert first["reply"] is not None and first["reply_error"] is None
    assert second["reply"] is None
    assert second["reply_error"] == {"code": 429, "message": "Request rate limit exceeded"}
    assert [m["message_id"] for m in stored(cid)] == [
        first["message_id"],
        first["reply"]["message_id"],
        second["message_id"],
    ]
    assert len(logged_calls()) == 1  # the refused reply called no model


def test_a_reply_answers_its_own_message_not_a_later_one(upstream):
    """Two sends racing in one conversation (two tabs, a double submit): message B is stored while
    A's reply is still to be generated. A's reply must come from the conversation up to A, not from
    whatever is newest, or both responses carry an answer to B and A is never answered."""
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]
    parts = SendMessageRequest.model_validate
    message_a, conversation = messages.send(
        USER, cid, parts({"content": [{"type": "text", "text": "A"}]}).content
    )
    messages.send(USER, cid, parts({"content": [{"type": "text", "text": "B"}]}).content)

    reply, error = replies.reply(conversation, message_a, source())

    assert error is None
    assert reply["content"] == [{"type": "text", "text": "Echo: A"}]
    assert logged_calls()[0]["request_tokens"] == 4 + tokens("A")


def test_an_unexpected_failure_after_the_model_answered_is_a_500_reply_error_not_a_crash(
    upstream, monkeypatch
):
    """The user's message is already stored: a 500 would invite a retry and a duplicate message."""
    cid = conversations.create(USER, "qwen-plus", None)["conversation_id"]

    def table_throttled(*_args, **_kwargs):
        raise RuntimeError("ProvisionedThroughputExceeded")

    monkeypatch.setattr(replies, "store_reply", table_throttled)
    sent, reply, error = send_and_reply(cid, "hello")

    assert reply is None
    assert error == {"code": 500, "message": "Server internal error"}
    assert stored(cid) == [sent]


def test_a_thinking_only_models_reply_is_read_from_its_stream(upstream):
    """qwq-plus answers only when streamed (the fake refuses it buffered, as upstream does): the
    spec's buffered reply reads the stream whole, stores the answer without the reasoning, and
    logs the call once with the exact usage (reasoning tokens included)."""
    cid = conversations.create(USER, "qwq-plus", None)["conversation_id"]

    _message, reply, error = send_and_reply(cid, "think")

    assert error is None
    assert reply["content"] == [{"type": "text", "text": "Echo: think"}]
    [call] = logged_calls()
    assert call["status_code"] == 200
    assert call["total_tokens"] == 4 + tokens("think") + tokens("Thinking about: think") + tokens(
        "Echo: think"
    )
