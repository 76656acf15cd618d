"""The ASGI edge of the streaming functions: the caller from LWA's headers, OpenAI error bodies,
and the thread -> queue -> client pump with its disconnect rule (the producer is drained, never
cancelled). Driven at the ASGI level with hand-made receive/send."""

import asyncio
import json
import threading
import time

import pytest
from bailian_chat.api import openai_errors
from bailian_chat.api.asgi import envelope_response, openai_error_response, parse_body, path_id
from bailian_chat.api.streaming import (
    EventStreamResponse,
    invocation,
    sse_data,
    sse_event,
)
from bailian_chat.errors import (
    BadRequest,
    DomainError,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    UpstreamUnavailable,
)
from bailian_chat.usage.call_log import AFTER_MODEL_CALL_SECONDS
from pydantic import BaseModel
from starlette.requests import Request

from tests.support.hostile_bodies import HOSTILE_BODIES


def request_with(headers: dict[str, str], path: str = "/v1/chat/completions", path_params=None) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "query_string": b"",
        "path_params": path_params or {},
    }
    return Request(scope)


REQUEST_CONTEXT = {
    "resourcePath": "/v1/chat/completions",
    "identity": {"sourceIp": "203.0.113.9"},
    "authorizer": {"user_id": "42", "session_id": "s-1", "principalId": "42"},
}


# ------------------------------------------------------------------ the caller


def test_the_caller_comes_from_the_request_context_header():
    deadline_ms = int((time.time() + 100) * 1000)
    found = invocation(
        request_with(
            {
                "x-amzn-request-context": json.dumps(REQUEST_CONTEXT),
                "x-amzn-lambda-context": json.dumps({"deadline": deadline_ms}),
            }
        )
    )
    caller = found.caller
    assert (caller.user_id, caller.session_id, caller.client_ip) == (42, "s-1", "203.0.113.9")
    assert found.route == "/v1/chat/completions"
    # 100 s before the deadline (a fixed `now`, not the wall clock): the rest less what logging needs.
    assert found.time_budget(now=deadline_ms / 1000 - 100) == 100 - AFTER_MODEL_CALL_SECONDS
    source = found.call_source()
    assert (source.user_id, source.client_ip) == (42, "203.0.113.9")
    assert source.api_endpoint == "/v1/chat/completions"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-amzn-request-context": "not json"},
        {"x-amzn-request-context": json.dumps({"identity": {"sourceIp": "1.2.3.4"}})},
        {"x-amzn-request-context": json.dumps({"authorizer": {"user_id": "x", "session_id": "s"}})},
        # anything else a client could send is never trusted
        {"authorization": "Bearer abc", "x-user-id": "42", "x-forwarded-for": "1.2.3.4"},
    ],
)
def test_no_request_context_is_unauthorized(headers):
    with pytest.raises(Unauthorized):
        invocation(request_with(headers))


def test_without_a_lambda_context_there_is_no_budget_but_the_configured_deadline():
    found = invocation(request_with({"x-amzn-request-context": json.dumps(REQUEST_CONTEXT)}))
    assert found.deadline is None and found.time_budget() is None


# ------------------------------------------------------------------ OpenAI errors


@pytest.mark.parametrize(
    ("exc", "status", "kind"),
    [
        (BadRequest("messages: is required"), 400, "invalid_request_error"),
        (Unauthorized(), 401, "authentication_error"),
        (Forbidden(), 403, "permission_error"),
        (NotFound(), 404, "not_found_error"),
        (RateLimited(retry_after=7), 429, "rate_limit_error"),
        (DomainError(), 500, "api_error"),
        (UpstreamUnavailable(), 503, "api_error"),
    ],
)
def test_domain_errors_become_openai_errors_with_the_real_status(exc, status, kind):
    error = openai_errors.from_domain_error(exc)
    assert error.status == status
    assert set(error.body["error"]) == {"message", "type", "param", "code"}
    assert error.body["error"]["type"] == kind
    assert error.body["error"]["message"] == exc.message
    response = openai_error_response(exc)
    assert response.status_code == status and json.loads(response.body) == error.body
    if status == 429:
        assert response.headers["Retry-After"] == "7"


def test_a_bad_request_names_its_param():
    exc = BadRequest("messages[0].role: must be one of system, user, assistant, tool")
    exc.param = "messages[0].role"
    assert openai_errors.from_domain_error(exc).body["error"]["param"] == "messages[0].role"


def test_the_conversation_routes_answer_the_spec_envelope():
    response = envelope_response(RateLimited(retry_after=3))
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert json.loads(response.body) == {"code": 429, "message": "Request rate limit exceeded", "data": None}


# ------------------------------------------------------------------ bodies and ids


class Body(BaseModel):
    content: str


@pytest.mark.parametrize(
    ("raw", "content_type", "message"),
    [
        (b"{", "application/json", "Malformed JSON in request body"),
        (b"[1]", "application/json", "Request body must be a JSON object"),
        (b"\xff", "application/json", "Request body must be UTF-8 encoded JSON"),
        (b"{}", "application/json", "content: is required"),
        (b'{"content": "x"}', "text/plain", "Content-Type must be application/json"),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(raw, content_type, message):
    with pytest.raises(BadRequest) as caught:
        parse_body(Body, raw, content_type)
    assert caught.value.message == message


@pytest.mark.parametrize(("body", "message"), HOSTILE_BODIES)
def test_unreasonable_json_is_400_on_the_streaming_routes_too(body, message):
    with pytest.raises(BadRequest) as caught:
        parse_body(Body, body.encode(), "application/json")
    assert caught.value.message == message


def test_a_good_body_parses():
    assert parse_body(Body, b'{"content": "hi", "extra": 1}', None).content == "hi"


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "9007199254740992", ""])
def test_path_ids_must_be_positive_integers(raw):
    with pytest.raises(BadRequest, match="conversation_id"):
        path_id(request_with({}, path_params={"conversation_id": raw}), "conversation_id")


# ------------------------------------------------------------------ the pump


class ScriptedStream:
    """A domain stream: yields items (each after `gap` seconds), optionally raising at the end;
    records what the edge did to it."""

    def __init__(self, items, *, error: Exception | None = None, gap: float = 0.0):
        self.items = list(items)
        self.error = error
        self.gap = gap
        self.produced: list = []
        self.disconnected = False
        self.closed = 0
        self.thread: str | None = None

    def __iter__(self):
        self.thread = threading.current_thread().name
        for item in self.items:
            time.sleep(self.gap)
            self.produced.append(item)
            yield item
        if self.error is not None:
            raise self.error

    def mark_client_disconnected(self):
        self.disconnected = True

    def close(self):
        self.closed += 1


class Client:
    """ASGI receive/send: records messages, and can go away after n body chunks."""

    def __init__(self, disconnect_after_chunks: int | None = None):
        self.messages: list[dict] = []
        self.disconnect_after = disconnect_after_chunks
        self.gone = asyncio.Event()

    async def receive(self):
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.messages.append(message)
        chunks = [m for m in self.messages if m.get("body")]
        if self.disconnect_after is not None and len(chunks) >= self.disconnect_after:
            self.gone.set()

    @property
    def status(self) -> int:
        return self.messages[0]["status"]

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def respond(response, client: Client) -> None:
    async def run():
        await response({"type": "http"}, client.receive, client.send)

    asyncio.run(run())


def openai_stream_response(stream):
    return EventStreamResponse(
        stream,
        sse_data,
        lambda exc: sse_data(openai_errors.from_domain_error(exc).body),
        tail=sse_data("[DONE]"),
        before_first_error=openai_error_response,
    )


def test_items_are_framed_as_sse_and_end_with_the_tail():
    stream = ScriptedStream([{"n": 1}, {"n": 2}])
    client = Client()
    respond(openai_stream_response(stream), client)
    assert client.status == 200
    assert client.headers["content-type"].startswith("text/event-stream")
    assert client.headers["cache-control"] == "no-cache" and client.headers["x-accel-buffering"] == "no"
    assert "content-length" not in client.headers
    assert client.body == b'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n'
    assert stream.closed == 1 and not stream.disconnected
    assert stream.thread != threading.main_thread().name  # the sync domain runs off the event loop


def test_each_item_is_sent_as_its_own_chunk_as_soon_as_it_is_produced():
    stream = ScriptedStream(["a", "b", "c"], gap=0.05)
    client = Client()
    respond(EventStreamResponse(stream, lambda item: item.encode(), lambda exc: b""), client)
    assert [m["body"] for m in client.messages[1:4]] == [b"a", b"b", b"c"]
    assert all(m.get("more_body") for m in client.messages[1:4])


def test_an_error_before_the_first_item_answers_its_real_status():
    stream = ScriptedStream([], error=RateLimited(retry_after=5))
    client = Client()
    respond(openai_stream_response(stream), client)
    assert client.status == 429 and client.headers["retry-after"] == "5"
    assert json.loads(client.body)["error"]["type"] == "rate_limit_error"
    assert stream.closed == 1


def test_an_error_after_the_first_item_is_one_error_event_and_the_stream_ends():
    stream = ScriptedStream([{"n": 1}], error=UpstreamUnavailable("Upstream stream broke"))
    client = Client()
    respond(openai_stream_response(stream), client)
    assert client.status == 200
    events = client.body.decode().split("\n\n")
    assert events[0] == 'data: {"n":1}'
    assert json.loads(events[1].removeprefix("data: ")) == {
        "error": {
            "message": "Upstream stream broke",
            "type": "api_error",
            "param": None,
            "code": "service_unavailable",
        }
    }
    assert "[DONE]" not in client.body.decode()


def test_an_unexpected_failure_midway_is_a_500_error_event():
    stream = ScriptedStream([{"n": 1}], error=RuntimeError("boom"))
    client = Client()
    respond(openai_stream_response(stream), client)
    assert b'"type":"api_error"' in client.body and b"boom" not in client.body


def test_a_client_that_disconnects_after_the_first_chunk_leaves_the_producer_drained():
    items = [{"n": i} for i in range(6)]
    stream = ScriptedStream(items, gap=0.02)
    client = Client(disconnect_after_chunks=1)
    respond(openai_stream_response(stream), client)
    assert stream.disconnected  # marked, so the call is logged as cut short by the client
    assert stream.produced == items  # never cancelled: read to its end for the exact usage
    assert stream.closed == 1
    sent = [m for m in client.messages if m.get("body")]
    assert len(sent) < len(items)  # sending stopped once the client was gone


def test_named_events_for_the_conversation_stream():
    stream = ScriptedStream([("message", {"id": 1}), ("delta", {"text": "hé"}), ("reply", {"id": 2})])
    client = Client()
    respond(EventStreamResponse(stream, lambda item: sse_event(*item), lambda exc: b""), client)
    assert client.body.decode() == (
        'event: message\ndata: {"id":1}\n\n'
        'event: delta\ndata: {"text":"hé"}\n\n'
        'event: reply\ndata: {"id":2}\n\n'
    )
