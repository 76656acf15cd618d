"""The streamed routes over real HTTP through the local stack (gateway + authorizer + the functions'
web apps + DynamoDB Local + the fake Bailian): POST /v1/chat/completions (OpenAI's contract) and
POST /api/conversations/{id}/messages/stream (SSE events), with httpx streaming: chunks arrive as
they are written, errors have the real status before the first chunk and one error event after
it, and a client that disconnects after the first chunk still leaves the call logged with the
upstream's exact usage (and the conversation reply stored whole)."""

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.chat_client import ChatApi, User, new_user, text_content

MODEL = "qwen-plus"


@pytest.fixture(scope="module")
def http(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        yield client


@pytest.fixture
def user(http) -> User:
    """A fresh user per test: its call history holds only that test's calls."""
    return new_user(http, "stream")


def chat_body(text: str, **extra) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def data_events(text: str) -> list[str]:
    return [block.removeprefix("data: ") for block in text.split("\n\n") if block.startswith("data: ")]


def named_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        if block.startswith("event: "):
            name, data = block.split("\n", 1)
            events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def api_calls(http: httpx.Client, user: User) -> list[dict]:
    response = http.get("/api/history/api-calls", params={"limit": 100}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["api_calls"]


def wait_for_calls(http: httpx.Client, user: User, count: int, timeout: float = 30.0) -> list[dict]:
    """The user's logged calls once there are `count` (the log is written when the upstream ends,
    which may be after the client has gone)."""
    deadline = time.monotonic() + timeout
    while True:
        calls = api_calls(http, user)
        if len(calls) >= count or time.monotonic() > deadline:
            return calls
        time.sleep(0.2)


# ------------------------------------------------------------------ /v1/chat/completions


def test_a_streamed_completion_is_chunks_then_usage_then_done(http, user):
    body = chat_body("Hello there", stream=True, stream_options={"include_usage": True})
    with http.stream("POST", "/v1/chat/completions", json=body, headers=user.headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        text = response.read().decode()
    events = data_events(text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == [] and usage["total_tokens"] > 0
    (call,) = wait_for_calls(http, user, 1)
    assert call["api_endpoint"] == "/v1/chat/completions" and call["status_code"] == 200
    assert call["client_disconnected"] is False
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
        usage["total_tokens"],
    )


def test_without_include_usage_there_is_no_usage_chunk(http, user):
    response = http.post("/v1/chat/completions", json=chat_body("Hi", stream=True), headers=user.headers)
    chunks = [json.loads(event) for event in data_events(response.text)[:-1]]
    assert all(chunk["choices"] for chunk in chunks)


def test_a_buffered_completion_is_the_unwrapped_chat_completion(http, user):
    response = http.post("/v1/chat/completions", json=chat_body("Hello"), headers=user.headers)
    assert response.status_code == 200, response.text
    completion = response.json()
    assert completion["object"] == "chat.completion"
    assert isinstance(completion["choices"][0]["message"]["content"], str)
    assert completion["usage"]["total_tokens"] > 0


def test_chunks_arrive_spread_over_time(http, user):
    body = chat_body("Tell me a story #fault:slow:150", stream=True)
    arrivals = []
    with http.stream("POST", "/v1/chat/completions", json=body, headers=user.headers) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 3
    # each chunk after the first waits 150 ms upstream: they arrive as written, not all at the end
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * 0.15 * 0.8


@pytest.mark.parametrize("stream", [False, True])
def test_errors_before_the_first_chunk_have_the_real_status_and_openai_shape(http, user, stream):
    unknown_model = {**chat_body("Hi", stream=stream), "model": "gpt-4o"}
    response = http.post("/v1/chat/completions", json=unknown_model, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["param"] == "model"

    upstream_down = chat_body(f"Hi (stream={stream}) #fault:503x3", stream=stream)
    response = http.post("/v1/chat/completions", json=upstream_down, headers=user.headers)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "api_error"


def test_the_gateways_401_is_readable_as_an_openai_error(http):
    response = http.post("/v1/chat/completions", json=chat_body("Hi", stream=True))
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    garbage = http.post(
        "/v1/chat/completions", json=chat_body("Hi"), headers={"Authorization": "Bearer x.y.z"}
    )
    assert garbage.status_code == 401 and garbage.json()["error"]["code"] == "invalid_api_key"


def test_an_error_after_the_first_chunk_is_one_error_event_and_the_call_is_logged(http, user):
    body = chat_body("Hello #fault:error-after:2", stream=True)
    response = http.post("/v1/chat/completions", json=body, headers=user.headers)
    assert response.status_code == 200
    events = data_events(response.text)
    assert "[DONE]" not in events
    error = json.loads(events[-1])["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert all("choices" in json.loads(event) for event in events[:-1])
    (call,) = wait_for_calls(http, user, 1)
    assert call["status_code"] >= 500 and call["total_tokens"] > 0


def test_a_client_that_disconnects_after_the_first_chunk_leaves_the_exact_usage_logged(http, user):
    text = "Write a long answer about rivers #fault:slow:100"
    whole = http.post(
        "/v1/chat/completions",
        json=chat_body(text, stream=True, stream_options={"include_usage": True}),
        headers=user.headers,
    )
    expected = json.loads(data_events(whole.text)[-2])["usage"]  # the same request, read to the end

    with http.stream(
        "POST", "/v1/chat/completions", json=chat_body(text, stream=True), headers=user.headers
    ) as r:
        assert r.status_code == 200
        next(line for line in r.iter_lines() if line.startswith("data: "))  # one chunk, then hang up

    calls = wait_for_calls(http, user, 2)
    cut_short = [call for call in calls if call["client_disconnected"]]
    assert len(cut_short) == 1, calls
    (call,) = cut_short
    assert call["status_code"] == 200
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == (
        expected["prompt_tokens"],
        expected["completion_tokens"],
        expected["total_tokens"],
    )
    statistics = http.get("/api/history/conversations/statistics", headers=user.headers).json()["data"]
    assert statistics["total_tokens"] == 2 * expected["total_tokens"]


# ------------------------------------------------------------------ the conversation stream


def stream_path(conversation_id) -> str:
    return f"/api/conversations/{conversation_id}/messages/stream"


def test_a_streamed_reply_is_message_deltas_then_the_stored_reply(http, user):
    chat = ChatApi(http, user)
    conversation = chat.create_ok(model_name=MODEL)
    body = {"content": text_content("Hello, please introduce yourself")}
    response = http.post(stream_path(conversation["conversation_id"]), json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    events = named_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "message" and names[-1] == "reply" and set(names[1:-1]) == {"delta"}
    message, reply = events[0][1], events[-1][1]
    assert message["role"] == "user" and message["content"] == body["content"]
    written = "".join(data.get("text", "") for name, data in events if name == "delta")
    assert reply["role"] == "assistant" and reply["content"] == text_content(written)
    assert reply["usage"]["total_tokens"] > 0
    stored = chat.history_ok(conversation["conversation_id"])["messages"]
    assert [m["message_id"] for m in stored] == [message["message_id"], reply["message_id"]]


def test_errors_before_the_user_message_is_stored_answer_the_envelope(http, user):
    response = http.post(stream_path(999_999), json={"content": text_content("Hi")}, headers=user.headers)
    assert response.status_code == 404
    assert response.json()["code"] == 404 and response.json()["data"] is None
    conversation = ChatApi(http, user).create_ok(model_name=MODEL)
    bad = http.post(stream_path(conversation["conversation_id"]), json={"content": []}, headers=user.headers)
    assert bad.status_code == 400 and bad.json()["message"].startswith("content")
    someone_else = new_user(http, "intruder")
    forbidden = http.post(
        stream_path(conversation["conversation_id"]),
        json={"content": text_content("Hi")},
        headers=someone_else.headers,
    )
    assert forbidden.status_code == 403


def test_a_client_that_disconnects_mid_reply_does_not_lose_it(http, user):
    chat = ChatApi(http, user)
    body = {"content": text_content("Tell me about mountains #fault:slow:100")}
    reference = chat.create_ok(model_name=MODEL)["conversation_id"]
    whole = named_events(http.post(stream_path(reference), json=body, headers=user.headers).text)
    expected_reply = whole[-1][1]

    cut = chat.create_ok(model_name=MODEL)["conversation_id"]
    with http.stream("POST", stream_path(cut), json=body, headers=user.headers) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        next(line for line in lines if line == "event: delta")  # the first delta, then hang up

    calls = wait_for_calls(http, user, 2)
    cut_call = next(call for call in calls if call["conversation_id"] == cut)
    assert cut_call["client_disconnected"] is True
    assert cut_call["total_tokens"] == expected_reply["usage"]["total_tokens"]
    stored = chat.history_ok(cut)["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["content"] == expected_reply["content"]  # stored whole
