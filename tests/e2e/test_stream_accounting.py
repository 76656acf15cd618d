"""Exact accounting of streamed calls over HTTP (issue 11, section 3): a client that goes away after
the first chunk still leaves the upstream's exact usage in the call history and the statistics,
marked `client_disconnected`, and a conversation reply stored whole. The accounting finishes after
the client left, so the tests poll for it (bounded)."""

import httpx
import pytest

from tests.support.model_client import (
    all_calls,
    create_conversation,
    messages_of,
    prompt_tokens,
    sign_up,
    statistics_data,
    text_part,
    text_tokens,
)
from tests.support.openai_api import (
    MODEL,
    SLOW_MARKER,
    STREAM_SEND_ENDPOINT,
    V1_CHAT_PATH,
    echo,
    fresh,
    poll,
    read_events,
    stream_send,
    usage_for,
    user_says,
    v1_stream,
)

pytestmark = pytest.mark.needs_handlers

# Long enough that the stream is still running when the client leaves after the first chunk.
LONG_TEXT = "Please write a long answer about rivers, mountains and the sea. "


def logged_calls(api: httpx.Client, user) -> list[dict]:
    return all_calls(api, user)[0]


def test_a_v1_client_leaving_after_the_first_chunk_still_logs_the_exact_usage(api):
    user = sign_up(api, "leaver")
    text = fresh(LONG_TEXT + SLOW_MARKER.format(ms=100))
    messages = user_says(text)

    with v1_stream(api, user, {"model": MODEL, "messages": messages}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        first = next(read_events(response.iter_lines()))
        assert first.data["object"] == "chat.completion.chunk"
    # Leaving the block closed the connection after one chunk of many.

    [call] = poll(lambda: logged_calls(api, user))
    usage = usage_for(messages, echo(text))
    assert call["api_endpoint"] == V1_CHAT_PATH
    assert call["status_code"] == 200
    assert call["client_disconnected"] is True
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
        usage["total_tokens"],
    )
    stats = statistics_data(api, user)
    assert stats["total_tokens"] == usage["total_tokens"]
    [by_model] = stats["model_statistics"]
    assert by_model["model_name"] == MODEL


def test_a_v1_client_reading_to_the_end_is_not_marked_disconnected(api):
    user = sign_up(api, "stayer")
    text = fresh("short")

    with v1_stream(api, user, {"model": MODEL, "messages": user_says(text)}) as response:
        events = list(read_events(response.iter_lines()))

    assert events[-1].data == "[DONE]"
    [call] = logged_calls(api, user)
    assert call["client_disconnected"] is False


def stream_body(text: str) -> dict:
    return {"content": [text_part(text)]}


def test_the_conversation_stream_sends_message_deltas_and_the_stored_reply(api):
    user = sign_up(api, "streamer")
    cid = create_conversation(api, user, MODEL)["conversation_id"]
    text = fresh("Hello, please introduce yourself")

    with stream_send(api, user, cid, stream_body(text)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(read_events(response.iter_lines()))

    names = [event.event for event in events]
    assert names[0] == "message"
    assert names[-1] == "reply"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    stored_user, reply = events[0].data, events[-1].data
    assert stored_user["role"] == "user"
    assert stored_user["content"] == [text_part(text)]
    assert "".join(event.data.get("text", "") for event in events[1:-1]) == echo(text)
    assert reply["role"] == "assistant"
    assert reply["content"] == [text_part(echo(text))]
    usage = {
        "prompt_tokens": prompt_tokens([("user", [text_part(text)])]),
        "completion_tokens": text_tokens(echo(text)),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    assert {key: reply["usage"][key] for key in usage} == usage
    reply_item = {key: value for key, value in reply.items() if key != "usage"}
    assert messages_of(api, user, cid)["messages"] == [stored_user, reply_item]
    [call] = logged_calls(api, user)
    assert (call["api_endpoint"], call["conversation_id"], call["message_id"]) == (
        STREAM_SEND_ENDPOINT,
        cid,
        stored_user["message_id"],
    )
    assert call["client_disconnected"] is False


def test_a_conversation_client_leaving_after_the_first_delta_still_gets_the_whole_reply_stored(api):
    user = sign_up(api, "leaver")
    cid = create_conversation(api, user, MODEL)["conversation_id"]
    text = fresh(LONG_TEXT + SLOW_MARKER.format(ms=100))

    with stream_send(api, user, cid, stream_body(text)) as response:
        assert response.status_code == 200, response.read()
        events = read_events(response.iter_lines())
        stored_user = next(events)
        assert stored_user.event == "message"
        assert next(events).event == "delta"
    # The client is gone; the reply is still being written upstream.

    def whole_history() -> list[dict]:
        stored = messages_of(api, user, cid)["messages"]
        return stored if len(stored) == 2 else []

    stored = poll(whole_history)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[0] == stored_user.data
    assert stored[1]["content"] == [text_part(echo(text))]
    [call] = poll(lambda: logged_calls(api, user))
    prompt = prompt_tokens([("user", [text_part(text)])])
    completion = text_tokens(echo(text))
    assert call["api_endpoint"] == STREAM_SEND_ENDPOINT
    assert call["status_code"] == 200
    assert call["client_disconnected"] is True
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == (
        prompt,
        completion,
        prompt + completion,
    )
    stats = statistics_data(api, user)
    assert stats["total_tokens"] == prompt + completion
    assert (stats["total_conversations"], stats["total_messages"]) == (1, 2)


def test_a_conversation_stream_that_fails_ends_with_an_error_event_and_keeps_the_message(api):
    user = sign_up(api, "streamer")
    cid = create_conversation(api, user, MODEL)["conversation_id"]
    text = fresh("please #fault:400")

    with stream_send(api, user, cid, stream_body(text)) as response:
        events = list(read_events(response.iter_lines()))

    assert [event.event for event in events] == ["message", "error"]
    assert events[1].data["code"] == 400
    assert events[1].data["message"]
    assert [m["message_id"] for m in messages_of(api, user, cid)["messages"]] == [
        events[0].data["message_id"]
    ]
