"""local.fake_bailian over real HTTP: uvicorn on a free loopback port in a thread, httpx as the client."""

import itertools
import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from local import fake_bailian
from local.fake_bailian import FakeBailianServer, serve

API_KEY = "sk-unit-fake-bailian-0123456789"
MODEL = "qwen-plus"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBailianServer]:
    server = serve("127.0.0.1", 0, API_KEY, timeout_delay_seconds=1.0, access_log=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(fake: FakeBailianServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=fake.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5.0
    ) as c:
        yield c


def unique(text: str) -> str:
    """Make a message unique per test so the per-request fault counters never collide."""
    return f"{text} [{uuid.uuid4().hex[:8]}]"


def chat(client: httpx.Client, content, **extra) -> httpx.Response:
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}
    return client.post("/chat/completions", json=body)


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def sse_events(response: httpx.Response) -> list[str]:
    assert response.text.endswith("\n\n")
    events = response.text.split("\n\n")[:-1]
    assert all(event.startswith("data: ") for event in events), events
    return [event.removeprefix("data: ") for event in events]


def assert_error(response: httpx.Response, status: int, code: str, type_: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "id", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["type"] == type_
    assert body["error"]["param"] is None
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    uuid.UUID(body["request_id"])
    assert body["id"] == f"chatcmpl-{body['request_id']}"
    return body


# ---------------------------------------------------------------- success


def test_health(fake: FakeBailianServer) -> None:
    response = httpx.get(fake.url + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_success_shape_and_usage(client: httpx.Client) -> None:
    before = int(time.time())
    response = chat(
        client,
        "What is the capital of France?",
        temperature=0.7,
        max_tokens=100,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == MODEL
    assert body["system_fingerprint"] is None
    assert before <= body["created"] <= int(time.time())
    assert body["id"] == f"chatcmpl-{response.headers['x-request-id']}"
    [choice] = body["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert isinstance(content, str)
    assert content == "Echo: What is the capital of France?"
    usage = body["usage"]
    assert usage["prompt_tokens"] == 4 + tokens("What is the capital of France?")
    assert usage["completion_tokens"] == tokens(content)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_same_input_same_reply_and_usage(client: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": [{"type": "text", "text": "second question"}]},
    ]
    first = client.post("/chat/completions", json={"model": MODEL, "messages": messages}).json()
    second = client.post("/chat/completions", json={"model": MODEL, "messages": messages}).json()
    assert first["choices"] == second["choices"]
    assert first["usage"] == second["usage"]
    assert first["choices"][0]["message"]["content"] == "Echo: second question"
    expected_prompt = sum(
        4 + tokens(t) for t in ("You are terse.", "first question", "first answer", "second question")
    )
    assert first["usage"]["prompt_tokens"] == expected_prompt
    assert first["id"] != second["id"]


def test_images_and_videos_are_counted(client: httpx.Client) -> None:
    parts = [
        {"type": "text", "text": "Describe these"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
    ]
    body = chat(client, parts).json()
    content = body["choices"][0]["message"]["content"]
    assert content == "Echo: Describe these [images: 2, videos: 1]"
    assert body["usage"]["prompt_tokens"] == 4 + tokens("Describe these") + 2 * 256 + 1024


def test_small_max_tokens_truncates_with_finish_reason_length(client: httpx.Client) -> None:
    text = "a fairly long question that produces a reply longer than two tokens"
    body = chat(client, text, max_tokens=2).json()
    [choice] = body["choices"]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == ("Echo: " + text)[:8]
    assert body["usage"]["completion_tokens"] == 2
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 2


# ---------------------------------------------------------------- streaming


def test_stream_with_include_usage(client: httpx.Client) -> None:
    text = "stream me a reply please"
    plain = chat(client, text).json()
    response = chat(client, text, stream=True, stream_options={"include_usage": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["id"] == f"chatcmpl-{response.headers['x-request-id']}"
    assert all(c["model"] == MODEL for c in chunks)

    *choice_chunks, usage_chunk = chunks
    assert choice_chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in c["choices"][0]["delta"] for c in choice_chunks[1:])
    assert [c["choices"][0]["finish_reason"] for c in choice_chunks] == [None] * (len(choice_chunks) - 1) + [
        "stop"
    ]
    assert len(choice_chunks) > 3  # role, several pieces, finish
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in choice_chunks)
    assert streamed == plain["choices"][0]["message"]["content"]
    assert all(c["usage"] is None for c in choice_chunks)

    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == plain["usage"]


def test_stream_without_include_usage_has_no_usage_chunk(client: httpx.Client) -> None:
    for extra in ({}, {"stream_options": {"include_usage": False}}):
        response = chat(client, "no usage here", stream=True, **extra)
        events = sse_events(response)
        assert events[-1] == "[DONE]"
        chunks = [json.loads(event) for event in events[:-1]]
        assert all(c["choices"] for c in chunks)
        assert all(c.get("usage") is None for c in chunks)
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_stream_respects_max_tokens(client: httpx.Client) -> None:
    response = chat(
        client, "cut this one short", stream=True, max_tokens=1, stream_options={"include_usage": True}
    )
    chunks = [json.loads(event) for event in sse_events(response)[:-1]]
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1]) == "Echo"
    assert chunks[-1]["usage"]["completion_tokens"] == 1


# ---------------------------------------------------------------- auth and validation


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sk-wrong"},
        {"Authorization": API_KEY},
        {"Authorization": f"bearer{API_KEY}"},
    ],
    ids=["missing", "wrong-key", "no-scheme", "malformed"],
)
def test_bad_key_is_401(fake: FakeBailianServer, headers: dict) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(fake.chat_url, json=body, headers=headers)
    assert_error(response, 401, "invalid_api_key", "invalid_request_error")
    assert API_KEY not in response.text


def test_auth_is_checked_before_validation(fake: FakeBailianServer) -> None:
    response = httpx.post(fake.chat_url, content=b"not json", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "invalid_request_error"),
        ({"model": 7, "messages": [{"role": "user", "content": "hi"}]}, "invalid_request_error"),
        ({"model": MODEL}, "invalid_parameter_error"),
        ({"model": MODEL, "messages": []}, "invalid_parameter_error"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "hi"}]}, "invalid_parameter_error"),
        ({"model": MODEL, "messages": [{"role": "user"}]}, "invalid_parameter_error"),
        ({"model": MODEL, "messages": [{"role": "user", "content": []}]}, "invalid_parameter_error"),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "audio", "audio": "x"}]}]},
            "invalid_parameter_error",
        ),
        (
            {
                "model": MODEL,
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "invalid_parameter_error",
        ),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "temperature": 2},
            "invalid_parameter_error",
        ),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "temperature": -0.1},
            "invalid_parameter_error",
        ),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0},
            "invalid_parameter_error",
        ),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5},
            "invalid_parameter_error",
        ),
        (
            {"model": "qwen-vl-max", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8193},
            "invalid_parameter_error",
        ),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": "yes"},
            "invalid_parameter_error",
        ),
        ([1, 2, 3], "invalid_parameter_error"),
    ],
)
def test_invalid_request_is_400(client: httpx.Client, body, code: str) -> None:
    response = client.post("/chat/completions", json=body)
    assert_error(response, 400, code, "invalid_request_error")


def test_invalid_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/chat/completions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    body = assert_error(response, 400, "invalid_parameter_error", "invalid_request_error")
    assert "InvalidParameter" in body["error"]["message"]


def test_boundary_values_are_accepted(client: httpx.Client) -> None:
    response = chat(client, "edge", temperature=0, max_tokens=1)
    assert response.status_code == 200
    response = chat(client, "edge", temperature=1.99)
    assert response.status_code == 200


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("marker", "status", "code", "type_"),
    [
        ("400", 400, "invalid_parameter_error", "invalid_request_error"),
        ("inspection", 400, "data_inspection_failed", "data_inspection_failed"),
        ("arrearage", 400, "Arrearage", "Arrearage"),
        ("401", 401, "invalid_api_key", "invalid_request_error"),
        ("429", 429, "limit_requests", "limit_requests"),
        ("quota", 429, "insufficient_quota", "insufficient_quota"),
        ("500", 500, "internal_error", "internal_error"),
        ("503", 503, "ModelUnavailable", "ModelUnavailable"),
    ],
)
def test_error_faults(client: httpx.Client, marker: str, status: int, code: str, type_: str) -> None:
    content = f"please fail #fault:{marker} now"
    for _ in range(2):  # without xN a marker fails every time
        response = chat(client, content)
        assert_error(response, status, code, type_)
        if status == 429:
            assert response.headers["retry-after"] == "1"
        else:
            assert "retry-after" not in response.headers


def test_fault_marker_in_a_text_part_and_streaming(client: httpx.Client) -> None:
    parts = [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "text", "text": "look #fault:500"},
    ]
    assert_error(chat(client, parts), 500, "internal_error", "internal_error")
    assert_error(chat(client, parts, stream=True), 500, "internal_error", "internal_error")


def test_only_the_last_user_message_is_inspected(client: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "#fault:503"},
        {"role": "assistant", "content": "#fault:500"},
        {"role": "user", "content": "all good now"},
    ]
    response = client.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert response.status_code == 200
    system_marker = [{"role": "system", "content": "#fault:503"}, {"role": "user", "content": "hi"}]
    response = client.post("/chat/completions", json={"model": MODEL, "messages": system_marker})
    assert response.status_code == 200


def test_fault_x2_fails_twice_then_answers_then_resets(client: httpx.Client) -> None:
    content = unique("retry me #fault:503x2")
    statuses = [chat(client, content).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    reply = chat(client, content)  # counter was reset by the success: the same request fails again
    assert reply.status_code == 503


def test_fault_counts_are_per_distinct_request(client: httpx.Client) -> None:
    a = unique("A #fault:429x1")
    b = unique("B #fault:429x1")
    assert chat(client, a).status_code == 429
    assert chat(client, b).status_code == 429
    assert chat(client, a).status_code == 200
    assert chat(client, b).status_code == 200
    # Same text, different model: a different request.
    other_model = client.post(
        "/chat/completions", json={"model": "qwen-max", "messages": [{"role": "user", "content": a}]}
    )
    assert other_model.status_code == 429


def test_fault_counts_are_per_app_instance(fake: FakeBailianServer, client: httpx.Client) -> None:
    content = unique("instance #fault:500x1")
    assert chat(client, content).status_code == 500
    with serve("127.0.0.1", 0, API_KEY, access_log=False) as other:
        response = httpx.post(
            other.chat_url,
            json={"model": MODEL, "messages": [{"role": "user", "content": content}]},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        assert response.status_code == 500  # its own, fresh counter
    assert chat(client, content).status_code == 200


def test_fault_counter_under_concurrent_retries(fake: FakeBailianServer) -> None:
    content = unique("concurrent #fault:503x2")

    def call(_: int) -> int:
        return httpx.post(
            fake.chat_url,
            json={"model": MODEL, "messages": [{"role": "user", "content": content}]},
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = Counter(pool.map(call, range(6)))
    # 503, 503, 200 (reset), 503, 503, 200 in whatever order the lock serialises them.
    assert statuses == Counter({503: 4, 200: 2})


def test_disconnect_fault_drops_the_connection(client: httpx.Client) -> None:
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        chat(client, "bye #fault:disconnect")
    content = unique("flaky #fault:disconnectx1")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        chat(client, content)
    response = chat(client, content)  # the client's pool recovers; second try answers
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == f"Echo: {content}"


def test_malformed_fault_is_200_with_invalid_json(client: httpx.Client) -> None:
    response = chat(client, "#fault:malformed")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    content = unique("#fault:malformedx1")
    assert chat(client, content).status_code == 200
    assert chat(client, content).json()["object"] == "chat.completion"


def test_timeout_fault_trips_client_deadline(client: httpx.Client) -> None:
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": "slow #fault:timeout"}]},
            timeout=0.3,
        )
    # No wall-clock upper bound: the ReadTimeout is the client's 0.3 s; how long the fake waits
    # is checked below, by what it asks to sleep.
    assert time.monotonic() - started >= 0.3


def test_timeout_fault_answers_normally_after_the_delay(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_wait = fake_bailian.endpoint.sleep_unless_client_leaves

    async def recorded_wait(receive, seconds: float) -> bool:
        waits.append(seconds)
        return await real_wait(receive, seconds)

    monkeypatch.setattr(fake_bailian.endpoint, "sleep_unless_client_leaves", recorded_wait)
    started = time.monotonic()
    response = chat(client, "patient #fault:timeout")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "Echo: patient #fault:timeout"
    assert waits == [1.0]  # one wait of the fixture's timeout_delay_seconds, then the answer
    assert elapsed >= 1.0


# ---------------------------------------------------------------- access log


def test_access_log_one_line_per_request_without_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    with serve("127.0.0.1", 0, API_KEY) as server:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        body = {"model": MODEL, "messages": [{"role": "user", "content": f"{API_KEY} #fault:503"}]}
        assert httpx.post(server.chat_url, json=body, headers=headers).status_code == 503
        body["messages"][0]["content"] = "plain"
        assert httpx.post(server.chat_url, json=body, headers=headers).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            body["messages"][0]["content"] = "#fault:disconnect"
            httpx.post(server.chat_url, json=body, headers=headers)
        time.sleep(0.05)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("fake-bailian ")]
    path = "/compatible-mode/v1/chat/completions"
    assert lines == [
        f"fake-bailian POST {path} 503 fault=#fault:503",
        f"fake-bailian POST {path} 200",
        f"fake-bailian POST {path} - fault=#fault:disconnect",
    ]
    assert all(API_KEY not in line for line in lines)


# ---------------------------------------------------------------- thinking, tools, stream faults


def stream_chunks_of(response: httpx.Response) -> list[dict]:
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]


def deltas(chunks: list[dict], key: str) -> str:
    return "".join(c["choices"][0]["delta"].get(key) or "" for c in chunks if c["choices"])


def test_thinking_streams_reasoning_content_counted_in_usage(client: httpx.Client) -> None:
    text = "why is the sky blue"
    response = chat(client, text, enable_thinking=True, stream=True, stream_options={"include_usage": True})
    chunks = stream_chunks_of(response)
    reasoning, content = deltas(chunks, "reasoning_content"), deltas(chunks, "content")
    assert reasoning == "Thinking about: why is the sky blue"
    assert content == "Echo: why is the sky blue"
    thought = tokens(reasoning)
    assert chunks[-1]["usage"]["completion_tokens"] == thought + tokens(content)
    assert chunks[-1]["usage"]["completion_tokens_details"] == {"reasoning_tokens": thought}
    plain = chat(client, "why", enable_thinking=False).json()["choices"][0]["message"]
    assert "reasoning_content" not in plain


@pytest.mark.parametrize(
    ("model", "extra", "message"),
    [
        ("qwq-plus", {}, "only support stream mode"),
        ("qwen-plus", {"enable_thinking": True}, "enable_thinking must be set to false for non-streaming"),
    ],
)
def test_thinking_is_refused_unless_streamed(client: httpx.Client, model, extra, message) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_thinking_streams_reasoning_before_content_and_always_for_qwq(client: httpx.Client) -> None:
    body = {"model": "qwq-plus", "messages": [{"role": "user", "content": "think hard"}], "stream": True}
    chunks = stream_chunks_of(client.post("/chat/completions", json=body))
    kinds = [
        "reasoning" if c["choices"][0]["delta"].get("reasoning_content") else "content"
        for c in chunks
        if c["choices"][0]["delta"].get("reasoning_content") or c["choices"][0]["delta"].get("content")
    ]
    assert kinds == sorted(kinds, key=lambda kind: kind != "reasoning") and kinds[0] == "reasoning"
    assert deltas(chunks, "reasoning_content") == "Thinking about: think hard"
    assert deltas(chunks, "content") == "Echo: think hard"


def test_thinking_budget_cuts_the_reasoning(client: httpx.Client) -> None:
    response = chat(client, "a long question", enable_thinking=True, thinking_budget=2, stream=True)
    assert deltas(stream_chunks_of(response), "reasoning_content") == "Thinking"


WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def test_a_tool_marker_with_tools_is_a_tool_call_and_a_tool_message_is_answered(client: httpx.Client) -> None:
    text = "weather in Paris? #tool:get_weather"
    body = chat(client, text, tools=[WEATHER_TOOL]).json()
    [choice] = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {
        "name": "get_weather",
        "arguments": json.dumps({"text": text}, separators=(",", ":")),
    }
    assert body["usage"]["completion_tokens"] == tokens(call["function"]["arguments"])

    follow_up = [
        {"role": "user", "content": text},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21 C"},
    ]
    answer = client.post(
        "/chat/completions", json={"model": MODEL, "messages": follow_up, "tools": [WEATHER_TOOL]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == "Tool result: sunny, 21 C"
    assert answer.json()["choices"][0]["finish_reason"] == "stop"


def test_no_tool_call_without_tools_or_with_tool_choice_none(client: httpx.Client) -> None:
    for extra in ({}, {"tools": [WEATHER_TOOL], "tool_choice": "none"}):
        body = chat(client, "#tool:get_weather", **extra).json()
        assert body["choices"][0]["finish_reason"] == "stop"


def test_a_tool_message_needs_its_tool_call_id(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "q"}, {"role": "tool", "content": "result"}]
    response = client.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert_error(response, 400, "invalid_parameter_error", "invalid_request_error")


def test_a_streamed_tool_call_assembles_to_the_buffered_one(client: httpx.Client) -> None:
    text = "#tool:get_weather in Rome"
    buffered = chat(client, text, tools=[WEATHER_TOOL]).json()["choices"][0]["message"]["tool_calls"][0]
    chunks = stream_chunks_of(chat(client, text, tools=[WEATHER_TOOL], stream=True))
    first = chunks[0]["choices"][0]["delta"]["tool_calls"][0]
    assert (first["id"], first["function"]["name"]) == (buffered["id"], "get_weather")
    arguments = "".join(
        c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
        for c in chunks
        if c["choices"][0]["delta"].get("tool_calls")
    )
    assert arguments == buffered["function"]["arguments"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_cut_after_drops_the_connection_after_n_chunks(fake: FakeBailianServer) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "cut me #fault:cut-after:3"}],
        "stream": True,
    }
    received = []
    with (
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
        httpx.stream("POST", fake.chat_url, json=body, headers={"Authorization": f"Bearer {API_KEY}"}) as r,
    ):
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                received.append(line)
    assert len(received) == 3


def test_error_after_sends_an_error_event_with_the_usage_so_far(client: httpx.Client) -> None:
    text = "fail midway #fault:error-after:2"
    response = chat(client, text, stream=True, stream_options={"include_usage": True})
    assert response.status_code == 200
    events = sse_events(response)
    assert len(events) == 3 and "[DONE]" not in events
    error = json.loads(events[-1])
    assert error["error"]["code"] == "internal_error"
    sent = json.loads(events[1])["choices"][0]["delta"]["content"]
    prompt = 4 + tokens(text)
    assert error["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": tokens(sent),
        "total_tokens": prompt + tokens(sent),
    }


def test_slow_spaces_the_chunks_as_they_are_sent(fake: FakeBailianServer) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "slowly #fault:slow:100"}],
        "stream": True,
    }
    arrivals = []
    started = time.monotonic()
    with httpx.stream("POST", fake.chat_url, json=body, headers={"Authorization": f"Bearer {API_KEY}"}) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.monotonic())
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals[:-1])]  # [DONE] comes at once
    assert len(gaps) >= 3
    # Each chunk left the fake on its own, not all at the end (most gaps near 100 ms; scheduling
    # on a busy machine may bunch a pair, so not every one).
    assert sum(gap >= 0.05 for gap in gaps) >= len(gaps) / 2
    assert arrivals[-2] - started >= 0.1 * len(gaps)  # the fake slept before each later chunk
    assert arrivals[-2] - arrivals[0] >= 0.1 * len(gaps) / 2  # and the first came well before


def test_stall_after_goes_silent_after_n_chunks_then_goes_on(fake: FakeBailianServer) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "wait #fault:stall-after:2"}],
        "stream": True,
    }
    arrivals = []
    started = time.monotonic()
    with httpx.stream("POST", fake.chat_url, json=body, headers={"Authorization": f"Bearer {API_KEY}"}) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic(), line))
    assert arrivals[-1][1] == "data: [DONE]"
    assert arrivals[2][0] - started >= 1.0  # the third chunk waited the fixture's timeout_delay_seconds
