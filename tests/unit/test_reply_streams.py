"""bailian_chat.chat.reply_streams against the fake Bailian and a moto table: event order, the
reply stored whole (also when the client left and the edge drained), failures as one error event
with the user's message kept, and the checks made before anything is stored."""

import pytest
from bailian_chat.chat import conversations, messages, reply_streams
from bailian_chat.chat.reply_streams import StreamSendRequest
from bailian_chat.errors import BadRequest, Forbidden, NotFound
from bailian_chat.paging import PageRequest
from bailian_chat.usage.dates import date_range
from bailian_chat.usage.history import api_call_page
from bailian_chat.usage.model_calls import CLOSED_EARLY_STATUS, CallSource
from pydantic import ValidationError

USER, OTHER = 41, 42
STREAM = "/api/conversations/{conversation_id}/messages/stream"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}


def tokens(text: str) -> int:
    return -(-len(text) // 4)


def source() -> CallSource:
    return CallSource(user_id=USER, client_ip="203.0.113.6", api_endpoint=STREAM)


def request(*parts, **options) -> StreamSendRequest:
    content = [p if isinstance(p, dict) else {"type": "text", "text": p} for p in parts]
    return StreamSendRequest.model_validate({"content": content, **options})


def conversation(model: str = "qwen-plus") -> int:
    return conversations.create(USER, model, None)["conversation_id"]


def stored(conversation_id: int) -> list[dict]:
    return messages.history(USER, conversation_id, PageRequest(1, 100))["messages"]


def logged_calls() -> list[dict]:
    return api_call_page(USER, PageRequest(1, 100), None, date_range(None, None))["api_calls"]


def test_events_come_in_order_and_the_reply_is_stored_with_its_usage(upstream):
    conversation_id = conversation()
    stream = reply_streams.start(source(), USER, conversation_id, request("hello there"))

    events = list(stream)

    kinds = [kind for kind, _ in events]
    assert kinds[0] == "message" and kinds[-1] == "reply"
    assert set(kinds[1:-1]) == {"delta"} and len(kinds) > 3
    user_message, reply = events[0][1], events[-1][1]
    assert user_message["role"] == "user"
    assert user_message["content"] == [{"type": "text", "text": "hello there"}]
    assert "".join(data["text"] for kind, data in events if kind == "delta") == "Echo: hello there"
    prompt, answer = 4 + tokens("hello there"), tokens("Echo: hello there")
    assert reply.pop("usage") == {
        "prompt_tokens": prompt,
        "completion_tokens": answer,
        "total_tokens": prompt + answer,
    }
    assert reply["role"] == "assistant" and reply["user_id"] == 0
    assert reply["content"] == [{"type": "text", "text": "Echo: hello there"}]
    assert stored(conversation_id) == [user_message, reply]
    [call] = logged_calls()
    assert (call["api_endpoint"], call["conversation_id"], call["message_id"]) == (
        STREAM,
        conversation_id,
        user_message["message_id"],
    )
    assert (call["total_tokens"], call["client_disconnected"]) == (prompt + answer, False)


def test_the_context_includes_earlier_messages(upstream):
    conversation_id = conversation()
    list(reply_streams.start(source(), USER, conversation_id, request("first")))

    list(reply_streams.start(source(), USER, conversation_id, request("second")))

    calls = logged_calls()
    prompt = sum(4 + tokens(t) for t in ("first", "Echo: first", "second"))
    assert calls[0]["request_tokens"] == prompt


def test_a_client_that_left_after_the_first_delta_still_gets_the_whole_reply_stored(upstream):
    """The edge's part: mark the disconnect, stop sending, drain the stream to its end."""
    conversation_id = conversation()
    stream = reply_streams.start(
        source(), USER, conversation_id, request("a long enough question #fault:slow:10")
    )
    assert next(stream)[0] == "message"
    assert next(stream)[0] == "delta"

    stream.mark_client_disconnected()
    rest = list(stream)

    assert rest[-1][0] == "reply"
    text = "Echo: a long enough question #fault:slow:10"
    assert [m["content"] for m in stored(conversation_id)][1] == [{"type": "text", "text": text}]
    [call] = logged_calls()
    assert call["client_disconnected"] is True
    assert call["status_code"] == 200
    prompt = 4 + tokens("a long enough question #fault:slow:10")
    assert call["total_tokens"] == prompt + tokens(text)


def test_thinking_streams_reasoning_deltas_and_stores_only_the_answer(upstream):
    conversation_id = conversation()

    events = list(reply_streams.start(source(), USER, conversation_id, request("why", enable_thinking=True)))

    reasoning = "".join(data.get("reasoning", "") for kind, data in events if kind == "delta")
    assert reasoning == "Thinking about: why"
    assert events[-1][1]["content"] == [{"type": "text", "text": "Echo: why"}]


def test_options_reach_the_model(upstream):
    conversation_id = conversation()

    events = list(
        reply_streams.start(source(), USER, conversation_id, request("cut this short", max_tokens=1))
    )

    assert events[-1][1]["content"] == [{"type": "text", "text": "Echo"}]
    assert events[-1][1]["usage"]["completion_tokens"] == 1


@pytest.mark.parametrize(
    ("marker", "code"),
    [("#fault:400", 400), ("#fault:503", 503), ("#fault:error-after:2", 503), ("#fault:cut-after:2", 503)],
)
def test_a_failure_is_one_error_event_and_the_users_message_stays(upstream, marker, code):
    conversation_id = conversation()

    events = list(reply_streams.start(source(), USER, conversation_id, request(f"fail {marker}")))

    assert events[0][0] == "message" and events[-1][0] == "error"
    assert [kind for kind, _ in events[1:-1]] == ["delta"] * (len(events) - 2)
    assert events[-1][1]["code"] == code and events[-1][1]["message"]
    assert stored(conversation_id) == [events[0][1]]
    [call] = logged_calls()
    assert call["status_code"] == code


def test_a_rate_limited_reply_is_an_error_event_like_spec_3_1(upstream, unit_env):
    unit_env(RATE_LIMIT_PER_MINUTE="1")
    conversation_id = conversation()
    list(reply_streams.start(source(), USER, conversation_id, request("one")))

    events = list(reply_streams.start(source(), USER, conversation_id, request("two")))

    assert events[-1] == ("error", {"code": 429, "message": "Request rate limit exceeded"})
    assert len(stored(conversation_id)) == 3


def test_an_unexpected_failure_is_a_500_error_event(upstream, monkeypatch):
    conversation_id = conversation()

    def broken(*_args):
        raise RuntimeError("bug")

    monkeypatch.setattr(reply_streams, "stream_model", broken)

    events = list(reply_streams.start(source(), USER, conversation_id, request("hi")))

    assert events[-1] == ("error", {"code": 500, "message": "Server internal error"})


def test_closing_early_stops_without_storing_a_reply_and_logs_the_call(upstream):
    conversation_id = conversation()
    stream = reply_streams.start(source(), USER, conversation_id, request("stop"))
    next(stream)
    next(stream)

    stream.close()
    stream.close()

    assert list(stream) == []
    assert len(stored(conversation_id)) == 1
    [call] = logged_calls()
    assert call["status_code"] == CLOSED_EARLY_STATUS


def test_ownership_and_existence_are_checked_before_storing(upstream):
    conversation_id = conversation()

    with pytest.raises(Forbidden):
        reply_streams.start(source(), OTHER, conversation_id, request("not mine"))
    with pytest.raises(NotFound):
        reply_streams.start(source(), USER, 2**53 - 1, request("nowhere"))

    assert stored(conversation_id) == []


@pytest.mark.parametrize(
    ("model", "parts", "options", "says"),
    [
        ("qwen-plus", ["look", IMAGE], {}, "model qwen-plus does not accept images"),
        ("qwen-max", ["think"], {"enable_thinking": True}, "model qwen-max does not think"),
        ("qwen-max", ["long"], {"max_tokens": 9000}, "at most 8192 for model qwen-max"),
    ],
)
def test_what_the_model_cannot_do_is_400_before_storing(upstream, model, parts, options, says):
    conversation_id = conversation(model)

    with pytest.raises(BadRequest, match=says):
        reply_streams.start(source(), USER, conversation_id, request(*parts, **options))

    assert stored(conversation_id) == []
    assert logged_calls() == []


@pytest.mark.parametrize(
    "body",
    [
        {"content": []},
        {"content": [{"type": "text", "text": "x"}], "temperature": 3},
        {"content": [{"type": "text", "text": "x"}], "max_tokens": 0},
        {"content": [{"type": "text", "text": "x"}], "enable_thinking": "yes"},
    ],
)
def test_the_body_is_spec_3_1s_plus_the_options(body):
    with pytest.raises(ValidationError):
        StreamSendRequest.model_validate(body)
