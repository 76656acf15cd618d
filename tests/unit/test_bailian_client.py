"""bailian_chat.bailian: the DashScope compatible-mode client (retries, deadline, error mapping) and
the message conversion both ways.

Most tests run the real client against the fake Bailian (local/fake_bailian/) on a free loopback
port; the fake is wrapped so that every request it receives is recorded *when it arrives* (before
any answer), so request counts are exact without waiting. Status codes the fake cannot produce
(403, 404, 502, 504, custom Retry-After) use an httpx.MockTransport with a fake clock, which also
makes the backoff schedule exact.
"""

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from bailian_chat.bailian import client
from bailian_chat.bailian.wire import reply_content, to_upstream
from bailian_chat.chat import completions
from bailian_chat.chat.models import ChatCompletionRequest
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest, RateLimited, UpstreamStreamError, UpstreamUnavailable
from bailian_chat.usage.model_calls import CallSource

from local import fake_bailian

API_KEY = "sk-unit-bailian-client-0123456789"
MODEL = "qwen-plus"
UNAVAILABLE = "Bailian API service unavailable"
RATE_LIMITED = "Request rate limit exceeded"
MOCK_BASE_URL = "https://bailian.test/compatible-mode/v1"


@dataclass
class Received:
    authorization: str | None
    body: dict


@dataclass
class RecordingFake:
    server: fake_bailian.FakeBailianServer
    received: list[Received] = field(default_factory=list)


def _recording_endpoint(received: list[Received]) -> type:
    class RecordingChatCompletions(fake_bailian.ChatCompletions):
        """The fake's endpoint, recording each request (headers and JSON body) as it arrives."""

        async def __call__(self, scope, receive, send) -> None:
            messages = []
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
            raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            received.append(Received(headers.get("authorization"), json.loads(raw)))
            replay = iter(messages)

            async def replayed() -> dict:
                return next(replay, None) or await receive()

            await super().__call__(scope, replayed, send)

    return RecordingChatCompletions


@pytest.fixture(scope="module")
def recording_fake() -> Iterator[RecordingFake]:
    received: list[Received] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fake_bailian.endpoint, "ChatCompletions", _recording_endpoint(received))
        server = fake_bailian.serve("127.0.0.1", 0, API_KEY, timeout_delay_seconds=5.0, access_log=False)
    try:
        yield RecordingFake(server, received)
    finally:
        server.stop()


@pytest.fixture
def fake(recording_fake: RecordingFake, unit_env) -> RecordingFake:
    """The fake, with this test's requests only, and the settings pointing at it (2 s deadline)."""
    recording_fake.received.clear()
    unit_env(
        BAILIAN_BASE_URL=recording_fake.server.base_url,
        DASHSCOPE_API_KEY=API_KEY,
        BAILIAN_DEADLINE_SECONDS="2",
        BAILIAN_MAX_ATTEMPTS="3",
    )
    return recording_fake


def user_text(text: str) -> list[dict]:
    """One user message (plain string content, as to_upstream sends text) made unique per test, so
    the fake's per-request `x<N>` fault counters never collide."""
    return [{"role": "user", "content": f"{text} [{uuid.uuid4().hex[:8]}]"}]


def tokens(text: str) -> int:
    return -(-len(text) // 4)


# ---------------------------------------------------------------- success against the fake


def test_success_returns_the_reply_text_and_usage(fake):
    messages = [{"role": "user", "content": "hello there"}]
    before = int(time.time())

    completion = client.chat_completion({"model": MODEL, "messages": messages})

    assert completion.text == "Echo: hello there"
    assert completion.finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.id.startswith("chatcmpl-")
    assert before <= completion.created <= int(time.time())
    assert completion.prompt_tokens == 4 + tokens("hello there")
    assert completion.completion_tokens == tokens("Echo: hello there")
    assert completion.total_tokens == completion.prompt_tokens + completion.completion_tokens
    assert len(fake.received) == 1
    assert fake.received[0].authorization == f"Bearer {API_KEY}"
    assert fake.received[0].body == {"model": MODEL, "messages": messages}


def test_temperature_and_max_tokens_are_forwarded(fake):
    messages = [{"role": "user", "content": "a long enough question"}]

    completion = client.chat_completion(
        {"model": MODEL, "messages": messages, "temperature": 0.5, "max_tokens": 2}
    )

    assert fake.received[0].body == {
        "model": MODEL,
        "messages": messages,
        "temperature": 0.5,
        "max_tokens": 2,
    }
    assert completion.text == "Echo: a "  # cut to 4 * max_tokens characters by the fake
    assert completion.finish_reason == "length"
    assert completion.completion_tokens == 2


def test_multimodal_parts_reach_the_upstream_as_the_parts_array(fake):
    parts = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]

    completion = client.chat_completion(
        {"model": "qwen-vl-max-latest", "messages": [to_upstream("user", parts)]}
    )

    assert fake.received[0].body["messages"] == [{"role": "user", "content": parts}]
    assert completion.text == "Echo: what is this [images: 1, videos: 0]"
    assert completion.prompt_tokens == 4 + tokens("what is this") + 256


# ---------------------------------------------------------------- retries that end in success


@pytest.mark.parametrize(
    ("marker", "requests"),
    [("#fault:503x2", 3), ("#fault:500x1", 2), ("#fault:disconnectx2", 3)],
)
def test_transient_failures_are_retried_until_the_answer(fake, marker, requests):
    messages = user_text(f"retry me {marker}")

    completion = client.chat_completion({"model": MODEL, "messages": messages})

    assert completion.text == f"Echo: {messages[0]['content']}"
    assert len(fake.received) == requests
    assert all(r.body == {"model": MODEL, "messages": messages} for r in fake.received)


def test_a_429_is_retried_after_the_retry_after_delay(fake):
    started = time.monotonic()

    completion = client.chat_completion({"model": MODEL, "messages": user_text("busy #fault:429x1")})

    assert completion.text.startswith("Echo: busy #fault:429x1")
    assert len(fake.received) == 2
    assert time.monotonic() - started >= 1.0  # the fake's Retry-After: 1, not the 0-0.25 s jitter


# ---------------------------------------------------------------- failures and their mapping


@pytest.mark.parametrize(
    ("marker", "error", "message", "requests"),
    [
        # Retryable: 3 attempts (BAILIAN_MAX_ATTEMPTS) with 0-0.25 s and 0-0.5 s backoff.
        ("#fault:503", UpstreamUnavailable, UNAVAILABLE, 3),
        ("#fault:500", UpstreamUnavailable, UNAVAILABLE, 3),
        ("#fault:disconnect", UpstreamUnavailable, UNAVAILABLE, 3),
        # Retry-After: 1 twice would end past the 2 s deadline: the second 429 is final.
        ("#fault:429", RateLimited, RATE_LIMITED, 2),
        ("#fault:quota", RateLimited, RATE_LIMITED, 2),
        # Never retried.
        (
            "#fault:400",
            BadRequest,
            "The model rejected the request (invalid_parameter_error): "
            "Injected fault (#fault:400): required parameter(s) missing or invalid.",
            1,
        ),
        (
            "#fault:inspection",
            BadRequest,
            "The model rejected the request (data_inspection_failed): "
            + fake_bailian.ERRORS["inspection"].message,
            1,
        ),
        ("#fault:401", UpstreamUnavailable, UNAVAILABLE, 1),
        ("#fault:malformed", UpstreamUnavailable, UNAVAILABLE, 1),
    ],
)
def test_upstream_failures_map_to_domain_errors(fake, marker, error, message, requests):
    with pytest.raises(error) as raised:
        client.chat_completion({"model": MODEL, "messages": user_text(f"fail {marker}")})

    assert type(raised.value) is error
    assert raised.value.message == message
    assert len(fake.received) == requests


def test_a_persistent_429_passes_the_upstreams_retry_after_on(fake):
    with pytest.raises(RateLimited) as raised:
        client.chat_completion({"model": MODEL, "messages": user_text("busy #fault:429")})

    assert raised.value.retry_after == 1  # the fake's Retry-After: 1


def test_arrearage_is_our_billing_problem_not_a_bad_request(fake):
    """Arrearage (our account is overdue) is a 400 upstream, but not the caller's fault and not
    something they can fix: the module's own docstring maps only InvalidParameter and
    DataInspectionFailed to BadRequest, "anything else -> UpstreamUnavailable (503)". The upstream's
    billing message must not reach API users either."""
    with pytest.raises(UpstreamUnavailable) as raised:
        client.chat_completion({"model": MODEL, "messages": user_text("pay up #fault:arrearage")})

    assert raised.value.message == UNAVAILABLE
    assert len(fake.received) == 1


def test_our_own_bad_key_is_unavailable_and_never_retried(fake, unit_env):
    unit_env(DASHSCOPE_API_KEY="sk-not-the-fakes-key")

    with pytest.raises(UpstreamUnavailable) as raised:
        client.chat_completion({"model": MODEL, "messages": user_text("hello")})

    assert raised.value.message == UNAVAILABLE
    assert [r.authorization for r in fake.received] == ["Bearer sk-not-the-fakes-key"]


def test_a_timeout_is_unavailable_at_the_deadline_without_retrying(fake, unit_env):
    unit_env(BAILIAN_DEADLINE_SECONDS="0.5")
    started = time.monotonic()

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": user_text("slow #fault:timeout")})

    # Gave up at the deadline, not when the fake answers (after 5 s): the read timeout the client
    # sets is checked exactly on the virtual clock (test_a_timeout_waits_exactly_the_deadline).
    assert time.monotonic() - started >= 0.5
    assert len(fake.received) == 1


def test_connection_refused_is_unavailable(fake, unit_env):
    unit_env(BAILIAN_BASE_URL=f"http://127.0.0.1:{unused_port()}/compatible-mode/v1")

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": user_text("anyone there")})

    assert fake.received == []


def test_no_key_configured_is_unavailable_without_calling_out(fake, monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    monkeypatch.delenv("BAILIAN_API_KEY_SECRET_ARN", raising=False)
    get_settings.cache_clear()

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": user_text("hello")})

    assert fake.received == []


def unused_port() -> int:
    """A loopback port that was just bound and released: nothing listens on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- exact schedule with a mock upstream


CLOCK_START = 1000.0


class FakeClock:
    """Stands in for the client module's `time`: sleeping only advances the clock."""

    def __init__(self) -> None:
        self.now = CLOCK_START
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class MockUpstream:
    clock: FakeClock
    responses: list[httpx.Response]
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1]


@pytest.fixture
def mock_upstream(monkeypatch, unit_env) -> MockUpstream:
    """The client against scripted responses (the last one repeats), on a fake clock, with the
    backoff jitter pinned to its upper bound (so sleeps are 0.25, 0.5, 1, 2, 4, 4, ...)."""
    unit_env(
        BAILIAN_BASE_URL=MOCK_BASE_URL,
        DASHSCOPE_API_KEY=API_KEY,
        BAILIAN_DEADLINE_SECONDS="25",
        BAILIAN_MAX_ATTEMPTS="3",
    )
    upstream = MockUpstream(FakeClock(), [])
    http = httpx.Client(transport=httpx.MockTransport(upstream.handle))
    monkeypatch.setattr(client, "_http", lambda: http)
    monkeypatch.setattr(client, "time", upstream.clock)
    monkeypatch.setattr(client.random, "uniform", lambda low, high: high)
    return upstream


@dataclass
class TimingOutUpstream:
    clock: FakeClock
    read_timeouts: list[float] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Waits the whole read timeout (on the virtual clock), then times out, like a silent upstream."""
        timeout = request.extensions["timeout"]["read"]
        self.read_timeouts.append(timeout)
        self.clock.now += timeout
        raise httpx.ReadTimeout("timed out", request=request)


@pytest.fixture
def timing_out_upstream(mock_upstream, monkeypatch) -> TimingOutUpstream:
    """An upstream that never answers, on the mock upstream's virtual clock."""
    upstream = TimingOutUpstream(mock_upstream.clock)
    http = httpx.Client(transport=httpx.MockTransport(upstream.handle))
    monkeypatch.setattr(client, "_http", lambda: http)
    return upstream


def test_a_timeout_waits_exactly_the_deadline_and_is_not_retried(timing_out_upstream, unit_env):
    unit_env(BAILIAN_DEADLINE_SECONDS="0.5")

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": user_text("slow")})

    assert timing_out_upstream.read_timeouts == [pytest.approx(0.5)]
    assert timing_out_upstream.clock.sleeps == []


def test_a_retry_after_beyond_the_deadline_fails_at_once(mock_upstream, unit_env):
    unit_env(BAILIAN_DEADLINE_SECONDS="0.6")
    mock_upstream.responses = [error_response(429, "limit_requests", headers={"Retry-After": "1"})]

    with pytest.raises(RateLimited):
        client.chat_completion({"model": MODEL, "messages": user_text("busy")})

    assert mock_upstream.clock.sleeps == []  # no sleep that the deadline cannot afford
    assert len(mock_upstream.requests) == 1


def completion_body(content, **overrides) -> dict:
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_700_000_123,
        "model": MODEL,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
        **overrides,
    }


def error_response(status: int, code: str = "some_code", headers: dict | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"upstream says {status}", "type": code}, "request_id": "r"}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_auth_and_not_found_answers_are_never_retried(mock_upstream, status):
    mock_upstream.responses = [error_response(status)]

    with pytest.raises(UpstreamUnavailable) as raised:
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert raised.value.message == UNAVAILABLE
    assert len(mock_upstream.requests) == 1
    assert mock_upstream.clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_with_exponential_backoff_then_unavailable(mock_upstream, status):
    mock_upstream.responses = [error_response(status)]

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert len(mock_upstream.requests) == 3
    assert mock_upstream.clock.sleeps == [0.25, 0.5]


def test_backoff_doubles_up_to_its_cap(mock_upstream, unit_env):
    unit_env(BAILIAN_MAX_ATTEMPTS="7", BAILIAN_DEADLINE_SECONDS="100")
    mock_upstream.responses = [error_response(503)]

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert len(mock_upstream.requests) == 7
    assert mock_upstream.clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]


def test_retries_stop_when_the_deadline_cannot_fit_another_attempt(mock_upstream, unit_env):
    unit_env(BAILIAN_MAX_ATTEMPTS="10", BAILIAN_DEADLINE_SECONDS="2")
    mock_upstream.responses = [error_response(503)]

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    # The 4th attempt starts at 1.75 s; sleeping 2.0 more plus a 0.2 s attempt would pass 2 s.
    assert mock_upstream.clock.sleeps == [0.25, 0.5, 1.0]
    assert len(mock_upstream.requests) == 4


def test_retry_after_is_honoured_when_longer_than_the_backoff(mock_upstream):
    mock_upstream.responses = [
        error_response(429, "limit_requests", headers={"Retry-After": "3"}),
        httpx.Response(200, json=completion_body("fine now")),
    ]

    completion = client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert completion.text == "fine now"
    assert mock_upstream.clock.sleeps == [3.0]
    assert len(mock_upstream.requests) == 2


def test_persistent_429_is_rate_limited(mock_upstream):
    mock_upstream.responses = [error_response(429, "limit_requests")]

    with pytest.raises(RateLimited) as raised:
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert raised.value.message == RATE_LIMITED
    assert len(mock_upstream.requests) == 3
    assert mock_upstream.clock.sleeps == [0.25, 0.5]


def test_transport_errors_are_retried(mock_upstream, monkeypatch):
    calls = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        if len(calls) == 2:
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return httpx.Response(200, json=completion_body("third time"))

    http = httpx.Client(transport=httpx.MockTransport(flaky))
    monkeypatch.setattr(client, "_http", lambda: http)

    completion = client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert completion.text == "third time"
    assert len(calls) == 3
    assert mock_upstream.clock.sleeps == [0.25, 0.5]


@pytest.mark.parametrize(("sent", "forwarded"), [(2.0, 1.99), (1.995, 1.99), (1.99, 1.99), (0.0, 0.0)])
def test_temperature_2_is_sent_as_a_value_the_upstream_takes(fake, sent, forwarded):
    """The spec allows 0-2, the upstream [0.0, 2.0): the fake, like the real one, answers 2.0 with a 400."""
    messages = [{"role": "user", "content": "hot"}]

    completion = client.chat_completion({"model": MODEL, "messages": messages, "temperature": sent})

    assert fake.received[0].body["temperature"] == forwarded
    assert completion.text == "Echo: hot"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            {
                "code": "invalid_parameter_error",
                "message": "<400> InternalError.Algo.InvalidParameter: Bad x",
            },
            "The model rejected the request (invalid_parameter_error): Bad x",
        ),
        (
            {"code": "InvalidParameter", "message": "  Range of\n max_tokens should be [1, 8192]  "},
            "The model rejected the request (InvalidParameter): Range of max_tokens should be [1, 8192]",
        ),
        ({"code": "invalid_parameter_error"}, "The model rejected the request (invalid_parameter_error)"),
        (
            {"message": "<400> InternalError.Algo: " + "y" * 400},
            "The model rejected the request: " + "y" * 300,
        ),
        ({"code": "x", "message": {"not": "text"}}, "The model rejected the request (x)"),
    ],
)
def test_an_upstream_400_is_a_sentence_of_ours_with_its_code(mock_upstream, error, message):
    mock_upstream.responses = [httpx.Response(400, json={"error": error})]

    with pytest.raises(BadRequest) as raised:
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert raised.value.message == message


def test_a_400_without_an_error_body_is_a_generic_bad_request(mock_upstream):
    mock_upstream.responses = [httpx.Response(400, text="<html>bad</html>")]

    with pytest.raises(BadRequest) as raised:
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert raised.value.message == "Request parameter error"
    assert len(mock_upstream.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"id": "x", "choices": []},
        {"id": "x"},
        {"choices": [{"message": {"content": 7}}]},
        ["not", "an object"],
    ],
)
def test_a_200_with_an_unusable_body_is_unavailable(mock_upstream, body):
    mock_upstream.responses = [httpx.Response(200, json=body)]

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert len(mock_upstream.requests) == 1


def test_content_given_as_parts_is_read_as_plain_text(mock_upstream):
    parts = [{"type": "text", "text": "first "}, {"type": "text", "text": "second"}]
    mock_upstream.responses = [httpx.Response(200, json=completion_body(parts))]

    completion = client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    assert completion.text == "first second"
    assert (completion.prompt_tokens, completion.completion_tokens, completion.total_tokens) == (9, 12, 21)
    assert completion.created == 1_700_000_123


def test_the_request_carries_our_key_and_goes_to_the_configured_base_url(mock_upstream):
    mock_upstream.responses = [httpx.Response(200, json=completion_body("ok"))]

    client.chat_completion({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})

    request = mock_upstream.requests[0]
    assert str(request.url) == f"{MOCK_BASE_URL}/chat/completions"
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert json.loads(request.content) == {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


# ---------------------------------------------------------------- message conversion


def test_text_only_content_goes_upstream_as_a_plain_string():
    parts = [{"type": "text", "text": "line one"}, {"type": "text", "text": "line two"}]

    assert to_upstream("user", parts) == {"role": "user", "content": "line one\nline two"}
    assert to_upstream("system", "be brief") == {"role": "system", "content": "be brief"}


def test_multimodal_content_goes_upstream_as_the_parts_array():
    parts = [
        {"type": "text", "text": "compare"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "video_url", "video_url": {"url": "https://example.com/b.mp4"}},
    ]

    assert to_upstream("user", parts) == {"role": "user", "content": parts}


def test_reply_content_is_the_specs_array_of_one_text_part():
    assert reply_content("Echo: hi") == [{"type": "text", "text": "Echo: hi"}]


def test_the_proxy_converts_both_ways(mock_upstream, table):
    """completions.complete: our request shape -> upstream (string for text, parts for media);
    the upstream's string reply -> the spec's content array."""
    mock_upstream.responses = [httpx.Response(200, json=completion_body("a string reply", model=""))]
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    request = ChatCompletionRequest.model_validate(
        {
            "model": "qwen-vl-max-latest",
            "messages": [
                {"role": "system", "content": "be brief"},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}],
                },
                {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
                {"role": "user", "content": [{"type": "text", "text": "look"}, image]},
            ],
            "temperature": 0.7,
            "max_tokens": 100,
        }
    )
    source = CallSource(user_id=42, client_ip="203.0.113.9", api_endpoint="/api/bailian/chat/completions")

    data = completions.complete(source, request)

    assert json.loads(mock_upstream.requests[0].content) == {
        "model": "qwen-vl-max-latest",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi\nthere"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "text", "text": "look"}, image]},
        ],
        "temperature": 0.7,
        "max_tokens": 100,
    }
    assert data == {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_700_000_123,
        "model": "qwen-vl-max-latest",  # the upstream sent none: the requested model
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": [{"type": "text", "text": "a string reply"}]},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }


def test_a_callers_time_budget_shorter_than_the_deadline_wins(timing_out_upstream, unit_env):
    """The Lambda invocation's remaining time caps the call, so the function still ends in time."""
    unit_env(BAILIAN_DEADLINE_SECONDS="4")

    with pytest.raises(UpstreamUnavailable):
        client.chat_completion({"model": MODEL, "messages": user_text("slow")}, time_budget=0.4)

    assert timing_out_upstream.read_timeouts == [pytest.approx(0.4)]
    assert timing_out_upstream.clock.now - CLOCK_START == pytest.approx(0.4)


# ---------------------------------------------------------------- streaming against the fake


def stream_all(payload: dict, **kwargs) -> list[dict]:
    return list(client.stream_chat_completion(payload, **kwargs))


def test_a_stream_yields_the_upstreams_chunks_and_always_asks_for_usage(fake):
    messages = [{"role": "user", "content": "stream this please"}]

    chunks = stream_all({"model": MODEL, "messages": messages, "temperature": 0.3})

    assert fake.received[0].body == {
        "model": MODEL,
        "messages": messages,
        "temperature": 0.3,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Echo: stream this please"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 4 + tokens("stream this please"),
        "completion_tokens": tokens(text),
        "total_tokens": 4 + tokens("stream this please") + tokens(text),
    }


def test_a_stream_keeps_the_callers_stream_options(fake):
    stream_all({"model": MODEL, "messages": user_text("hi"), "stream_options": {"include_usage": False}})

    assert fake.received[0].body["stream_options"] == {"include_usage": True}


def test_a_stream_carries_reasoning_and_tool_call_deltas(fake):
    chunks = stream_all({"model": "qwq-plus", "messages": [{"role": "user", "content": "ponder"}]})
    reasoning = "".join(
        c["choices"][0]["delta"].get("reasoning_content") or "" for c in chunks if c["choices"]
    )
    assert reasoning == "Thinking about: ponder"

    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    chunks = stream_all({"model": MODEL, "messages": user_text("#tool:lookup"), "tools": [tool]})
    assert chunks[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "lookup"
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_a_failure_before_the_stream_opens_is_retried_like_a_buffered_call(fake):
    messages = user_text("retry me #fault:503x2")

    chunks = stream_all({"model": MODEL, "messages": messages})

    assert len(fake.received) == 3
    assert chunks[-1]["usage"]["total_tokens"] > 0


@pytest.mark.parametrize(
    ("marker", "error", "requests"),
    [("#fault:400", BadRequest, 1), ("#fault:503", UpstreamUnavailable, 3), ("#fault:429", RateLimited, 3)],
)
def test_a_stream_that_cannot_open_raises_the_domain_error(fake, marker, error, requests):
    with pytest.raises(error):
        client.stream_chat_completion({"model": MODEL, "messages": user_text(f"no {marker}")})

    assert len(fake.received) == requests


def test_a_stream_cut_midway_raises_after_the_chunks_it_got(fake):
    stream = client.stream_chat_completion({"model": MODEL, "messages": user_text("cut #fault:cut-after:2")})
    got = [next(stream), next(stream)]

    with pytest.raises(UpstreamStreamError) as raised:
        next(stream)

    assert len(got) == 2
    assert raised.value.status_code == 503
    assert raised.value.usage is None
    assert len(fake.received) == 1  # never retried once it started


def test_an_error_event_midway_raises_with_the_usage_it_reported(fake):
    stream = client.stream_chat_completion(
        {"model": MODEL, "messages": user_text("err #fault:error-after:3")}
    )

    got = []
    with pytest.raises(UpstreamStreamError) as raised:
        for chunk in stream:
            got.append(chunk)

    assert len(got) == 3
    assert raised.value.status_code == 503
    assert raised.value.message == UNAVAILABLE
    assert raised.value.usage["prompt_tokens"] > 0
    assert raised.value.usage["total_tokens"] >= raised.value.usage["prompt_tokens"]


def test_a_trickling_stream_cannot_outlive_its_deadline(fake):
    started = time.monotonic()
    stream = client.stream_chat_completion(
        {"model": MODEL, "messages": user_text("drip #fault:slow:300")}, time_budget=0.5
    )

    with pytest.raises(UpstreamStreamError):
        list(stream)

    assert time.monotonic() - started >= 0.5


def test_a_stream_can_be_closed_early_and_iterates_no_more(fake):
    stream = client.stream_chat_completion({"model": MODEL, "messages": user_text("stop early")})
    next(stream)

    stream.close()
    stream.close()

    assert list(stream) == []


def test_the_stream_deadline_setting_is_separate_from_the_buffered_one(unit_env):
    unit_env(BAILIAN_STREAM_DEADLINE_SECONDS="120")

    assert get_settings().bailian_stream_deadline_seconds == 120.0
    assert get_settings().bailian_deadline_seconds == 25.0


def test_an_upstream_gone_silent_midway_is_cut_at_the_deadline_not_by_the_read_timeout(fake):
    """The read timeout is fixed when the stream opens (the whole budget): a read that starts
    late would end up to a budget after the deadline. The deadline shuts the connection down
    instead, so the failure is a closed connection, not a read timeout."""
    messages = user_text("quiet #fault:slow:150 #fault:stall-after:3")
    started = time.monotonic()
    stream = client.stream_chat_completion({"model": MODEL, "messages": messages}, time_budget=1.0)

    with pytest.raises(UpstreamStreamError) as raised:
        list(stream)

    assert time.monotonic() - started >= 1.0
    assert isinstance(raised.value.__cause__, httpx.HTTPError)
    assert not isinstance(raised.value.__cause__, httpx.TimeoutException)


def test_a_stream_that_ended_disarms_its_deadline(fake):
    stream = client.stream_chat_completion({"model": MODEL, "messages": user_text("quick")}, time_budget=30)

    list(stream)

    assert stream._watchdog is not None and stream._watchdog.finished.is_set()  # cancelled


def test_importing_the_client_does_not_import_httpx_command_line_or_click():
    """httpx's CLI module pulls in click (~40 ms of a cold start) when click is installed."""
    import subprocess
    import sys

    code = (
        "import sys; import bailian_chat.bailian.client; "
        "print('httpx' in sys.modules, 'click' in sys.modules)"
    )
    env = {"PYTHONPATH": "layers/common", "PATH": ""}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)

    assert shown.stdout.split() == ["True", "False"]
