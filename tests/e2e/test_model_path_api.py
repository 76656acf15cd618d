"""The model path over HTTP (spec 3.1 replies, 4.1 proxy): request validation, the success shape,
every fault of the fake Bailian end to end with its logged call, replies in conversations, and the
per-user rate limit. The stack's BAILIAN_DEADLINE_SECONDS is 4 and the fake's `#fault:timeout`
answers after 8 s (tests/e2e/conftest.py)."""

import re
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from local.fake_bailian import ERRORS
from tests.support.gateway_answers import NOT_AUTHENTICATED
from tests.support.model_client import (
    PROXY_PATH,
    RATE_LIMITED,
    SEND_ENDPOINT,
    UNAVAILABLE,
    ApiUser,
    all_calls,
    chat_body,
    create_conversation,
    latest_call,
    messages_of,
    prompt_tokens,
    proxy,
    send,
    sign_up,
    statistics_data,
    text_part,
    text_tokens,
    unique_text,
)

pytestmark = pytest.mark.needs_handlers

REJECTED_400 = (
    "The model rejected the request (invalid_parameter_error): "
    "Injected fault (#fault:400): required parameter(s) missing or invalid."
)
REJECTED_INSPECTION = (
    "The model rejected the request (data_inspection_failed): " + ERRORS["inspection"].message
)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
VIDEO = {"type": "video_url", "video_url": {"url": "https://example.com/clip.mp4"}}


def qwen_plus_cost(usage: dict) -> str:
    """The price table's qwen-plus first tier: $0.4 in / $1.2 out per million tokens."""
    cost = (usage["prompt_tokens"] * Decimal("0.4") + usage["completion_tokens"] * Decimal("1.2")) / 1_000_000
    return f"{cost:.9f}"


@pytest.fixture(scope="module")
def http(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def validator(http) -> ApiUser:
    """One user for the requests that validation refuses (they never reach the model)."""
    return sign_up(http, "validate")


@pytest.fixture
def user(api) -> ApiUser:
    return sign_up(api)


def expected_usage(messages: list[tuple[str, list[dict] | str]], reply: str) -> dict:
    prompt, completion = prompt_tokens(messages), text_tokens(reply)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


# ---------------------------------------------------------------- 4.1 validation


def user_message(content) -> dict:
    return {"role": "user", "content": content}


def body_with(**fields) -> dict:
    return {"model": "qwen-plus", "messages": [user_message([text_part("hi")])], **fields}


BAD_BODIES = [
    pytest.param(
        body_with(model="gpt-4o"), "model: must be one of: qwen-vl-max-latest, ", id="unknown-model"
    ),
    pytest.param({"messages": [user_message("hi")]}, "model: is required", id="no-model"),
    pytest.param(body_with(model=7), "model: has the wrong type", id="model-not-a-string"),
    pytest.param({"model": "qwen-plus"}, "messages: is required", id="no-messages"),
    pytest.param(body_with(messages=[]), "messages: List should have at least 1 item", id="messages-empty"),
    pytest.param(
        body_with(messages=[user_message("hi")] * 101),
        "messages: List should have at most 100 items",
        id="messages-101",
    ),
    pytest.param(
        body_with(messages=[{"role": "tool", "content": "hi"}]),
        "messages.0.role: Input should be 'user', 'assistant' or 'system'",
        id="role",
    ),
    pytest.param(body_with(messages=[{"role": "user"}]), "messages.0.content: is required", id="no-content"),
    pytest.param(
        body_with(messages=[user_message([])]),
        "messages.0.content: List should have at least 1 item",
        id="content-empty",
    ),
    pytest.param(
        body_with(messages=[user_message([text_part("x")] * 21)]),
        "messages.0.content: List should have at most 20 items",
        id="content-21-parts",
    ),
    pytest.param(
        body_with(messages=[user_message([{"type": "audio_url", "audio_url": {"url": "https://a.b/c"}}])]),
        "messages.0.content.0.type: must be one of 'text', 'image_url', 'video_url'",
        id="part-type",
    ),
    pytest.param(
        body_with(messages=[user_message([text_part("x" * 32001)])]),
        "messages.0.content.0.text: String should have at most 32000 characters",
        id="text-32001",
    ),
    pytest.param(
        body_with(messages=[user_message([{"type": "image_url", "image_url": {"url": "ftp://a.b/c.png"}}])]),
        "messages.0.content.0.image_url.url: must be an http or https URL",
        id="image-url-scheme",
    ),
    pytest.param(
        body_with(
            messages=[
                user_message([{"type": "video_url", "video_url": {"url": "https://a.b/" + "v" * 2039}}])
            ]
        ),
        "messages.0.content.0.video_url.url: String should have at most 2048 characters",
        id="video-url-2049",
    ),
    pytest.param(
        body_with(messages=[user_message("x" * 32001)]),
        "messages.0.content: ",
        id="string-content-32001",
    ),
    pytest.param(
        body_with(temperature=-0.1), "temperature: Input should be greater than or equal to 0", id="t<0"
    ),
    pytest.param(
        body_with(temperature=2.01), "temperature: Input should be less than or equal to 2", id="t>2"
    ),
    pytest.param(body_with(temperature="1"), "temperature: has the wrong type", id="t-string"),
    pytest.param(
        body_with(max_tokens=0), "max_tokens: Input should be greater than or equal to 1", id="mt-0"
    ),
    pytest.param(
        body_with(max_tokens=8193), "max_tokens: Input should be less than or equal to 8192", id="mt-8193"
    ),
    pytest.param(body_with(max_tokens=1.5), "max_tokens: has the wrong type", id="mt-float"),
    pytest.param(body_with(max_tokens="100"), "max_tokens: has the wrong type", id="mt-string"),
    pytest.param([body_with()], "Request body must be a JSON object", id="array-body"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_a_bad_proxy_request_is_400_naming_the_field(http, validator, body, message):
    response = http.post(PROXY_PATH, json=body, headers=validator.headers)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == 400
    assert response.json()["data"] is None
    assert response.json()["message"].startswith(message), response.json()["message"]
    assert "tagged-union" not in response.json()["message"]  # pydantic's union labels are no field


def test_malformed_json_is_400(http, validator):
    response = http.post(
        PROXY_PATH,
        content=b'{"model": "qwen-plus", "messages": [',
        headers={**validator.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Malformed JSON in request body", "data": None}


def test_refused_requests_never_reach_the_model_or_the_log(http, validator):
    """Runs after the validation cases (file order): none of them was logged as a model call."""
    assert all_calls(http, validator) == ([], 0)


def test_the_proxy_requires_authentication(api):
    response = api.post(PROXY_PATH, json=body_with())

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


# ---------------------------------------------------------------- 4.1 success


def test_a_proxy_call_answers_the_spec_shape_and_is_logged(api, user):
    text = unique_text("Hello, please introduce yourself")
    before = int(time.time())

    response = proxy(api, user, chat_body(text, temperature=0.3, max_tokens=200))

    assert response.status_code == 200, response.text
    body = response.json()
    data = body["data"]
    usage = expected_usage([("user", [text_part(text)])], f"Echo: {text}")
    assert body == {
        "code": 200,
        "message": "Request successful",
        "data": {
            "id": data["id"],
            "object": "chat.completion",
            "created": data["created"],
            "model": "qwen-plus",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": [{"type": "text", "text": f"Echo: {text}"}]},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        },
    }
    assert data["id"].startswith("chatcmpl-")
    assert before <= data["created"] <= int(time.time())
    call = latest_call(api, user)
    assert call == {
        "id": call["id"],
        "user_id": user.user_id,
        "api_key_id": None,  # issue 12: an access-token call names no API key
        "conversation_id": None,
        "message_id": None,
        "model_name": "qwen-plus",
        "api_endpoint": PROXY_PATH,
        "status_code": 200,
        "request_tokens": usage["prompt_tokens"],
        "response_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
        "call_duration": call["call_duration"],
        "client_ip": "127.0.0.1",
        "client_disconnected": False,  # issue 11: a buffered call's client never leaves early
        "cost": qwen_plus_cost(usage),  # issue 12: exact, from the upstream's usage
        "created_at": call["created_at"],
    }
    assert isinstance(call["id"], int) and call["id"] > 0
    assert isinstance(call["call_duration"], int) and call["call_duration"] >= 0
    assert ISO.match(call["created_at"])


def test_plain_string_content_and_a_conversation_are_accepted(api, user):
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": [text_part("Echo: first")]},
        {"role": "user", "content": "second"},
    ]

    response = proxy(api, user, {"model": "qwen-turbo", "messages": messages})

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["choices"][0]["message"]["content"] == [{"type": "text", "text": "Echo: second"}]
    assert data["usage"] == expected_usage([(m["role"], m["content"]) for m in messages], "Echo: second")


def test_a_multimodal_request(api, user):
    content = [text_part("compare these"), IMAGE, VIDEO]

    response = proxy(api, user, {"model": "qwen-vl-max-latest", "messages": [user_message(content)]})

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    reply = "Echo: compare these [images: 1, videos: 1]"
    assert data["model"] == "qwen-vl-max-latest"
    assert data["choices"][0]["message"]["content"] == [{"type": "text", "text": reply}]
    assert data["usage"] == expected_usage([("user", content)], reply)


def test_max_tokens_cuts_the_reply(api, user):
    response = proxy(api, user, chat_body("a question that deserves a long answer", max_tokens=3))

    assert response.status_code == 200, response.text
    choice = response.json()["data"]["choices"][0]
    assert choice == {
        "index": 0,
        "message": {"role": "assistant", "content": [{"type": "text", "text": "Echo: a ques"}]},
        "finish_reason": "length",
    }
    assert response.json()["data"]["usage"]["completion_tokens"] == 3


def test_temperature_2_is_in_the_spec_range_and_answered(api, user):
    """Our API takes 0-2 inclusive (spec); the upstream (and the fake, like it) rejects exactly 2.0,
    so 2 is sent as 1.99: a valid request is answered, not a rate-limit slot spent on a 400."""
    response = proxy(api, user, chat_body("hot", temperature=2))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["choices"][0]["message"]["content"] == [
        {"type": "text", "text": "Echo: hot"}
    ]
    assert latest_call(api, user)["status_code"] == 200


@pytest.mark.parametrize("temperature", [2.0000001, -0.1, 3])
def test_temperature_outside_0_to_2_is_ours_to_refuse(api, user, temperature):
    response = proxy(api, user, chat_body("hot", temperature=temperature))

    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("temperature: ")


# ---------------------------------------------------------------- 4.1 faults end to end

FAULTS = [
    pytest.param("#fault:429", 429, RATE_LIMITED, id="429"),
    pytest.param("#fault:503", 503, UNAVAILABLE, id="503"),
    pytest.param("#fault:500", 503, UNAVAILABLE, id="500"),
    pytest.param("#fault:400", 400, REJECTED_400, id="400"),
    pytest.param("#fault:inspection", 400, REJECTED_INSPECTION, id="inspection"),
    pytest.param("#fault:arrearage", 503, UNAVAILABLE, id="arrearage"),
    pytest.param("#fault:401", 503, UNAVAILABLE, id="401-our-key"),
    pytest.param("#fault:timeout", 503, UNAVAILABLE, id="timeout"),
    pytest.param("#fault:malformed", 503, UNAVAILABLE, id="malformed"),
    pytest.param("#fault:disconnect", 503, UNAVAILABLE, id="disconnect"),
    pytest.param("#fault:503x2", 200, "Request successful", id="503x2-recovers"),
]


@pytest.mark.parametrize(("marker", "status", "message"), FAULTS)
def test_upstream_faults_end_to_end(api, user, marker, status, message):
    text = unique_text(f"please {marker}")
    started = time.monotonic()

    response = proxy(api, user, chat_body(text))

    elapsed_ms = (time.monotonic() - started) * 1000
    assert response.status_code == status, response.text
    assert response.json()["code"] == status
    assert response.json()["message"] == message
    usage = expected_usage([("user", [text_part(text)])], f"Echo: {text}")
    if status == 200:
        assert response.json()["data"]["usage"] == usage
    else:
        assert response.json()["data"] is None
        usage = dict.fromkeys(usage, 0)

    calls, total = all_calls(api, user)
    assert total == 1
    [call] = calls
    assert call == {
        "id": call["id"],
        "user_id": user.user_id,
        "api_key_id": None,  # issue 12: an access-token call names no API key
        "conversation_id": None,
        "message_id": None,
        "model_name": "qwen-plus",
        "api_endpoint": PROXY_PATH,
        "status_code": status,
        "request_tokens": usage["prompt_tokens"],
        "response_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
        "call_duration": call["call_duration"],
        "client_ip": "127.0.0.1",
        "client_disconnected": False,  # issue 11: a buffered call's client never leaves early
        "cost": qwen_plus_cost(usage),  # issue 12: exact, from the upstream's usage
        "created_at": call["created_at"],
    }
    assert 0 <= call["call_duration"] <= elapsed_ms
    if marker == "#fault:timeout":
        assert call["call_duration"] >= 3000  # it waited for the 4 s deadline, not the fake's 8 s

    # The stored data is intact and the path still works: a normal call is logged after it.
    assert proxy(api, user, chat_body(unique_text("after"))).status_code == 200
    calls, total = all_calls(api, user)
    assert total == 2
    assert calls[1] == call
    stats = statistics_data(api, user)
    assert stats["total_tokens"] == sum(c["total_tokens"] for c in calls)
    assert (stats["total_conversations"], stats["total_messages"]) == (0, 0)


# ---------------------------------------------------------------- 3.1 replies


def test_a_sent_message_gets_a_stored_reply(api, user):
    conversation = create_conversation(api, user, "qwen-plus")
    cid = conversation["conversation_id"]

    response = send(api, user, cid, [text_part("Hello, please introduce yourself")])

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["message"]) == (200, "Send successful")
    data = body["data"]
    assert data == {
        "message_id": data["message_id"],
        "conversation_id": cid,
        "user_id": user.user_id,
        "role": "user",
        "content_type": "text",
        "content": [text_part("Hello, please introduce yourself")],
        "status": 1,
        "created_at": data["created_at"],
        "reply": {
            "message_id": data["reply"]["message_id"],
            "conversation_id": cid,
            "user_id": 0,
            "role": "assistant",
            "content_type": "text",
            "content": [{"type": "text", "text": "Echo: Hello, please introduce yourself"}],
            "status": 1,
            "created_at": data["reply"]["created_at"],
        },
        "reply_error": None,
    }
    assert data["reply"]["message_id"] > data["message_id"]
    user_message_item = {k: v for k, v in data.items() if k not in ("reply", "reply_error")}
    stored = messages_of(api, user, cid)
    assert stored["messages"] == [user_message_item, data["reply"]]  # oldest first
    assert stored["pagination"]["total"] == 2

    call = latest_call(api, user)
    usage = expected_usage(
        [("user", "Hello, please introduce yourself")], "Echo: Hello, please introduce yourself"
    )
    assert call == {
        "id": call["id"],
        "user_id": user.user_id,
        "api_key_id": None,  # issue 12: an access-token call names no API key
        "conversation_id": cid,
        "message_id": data["message_id"],
        "model_name": "qwen-plus",
        "api_endpoint": SEND_ENDPOINT,
        "status_code": 200,
        "request_tokens": usage["prompt_tokens"],
        "response_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
        "call_duration": call["call_duration"],
        "client_ip": "127.0.0.1",
        "client_disconnected": False,  # issue 11: a buffered call's client never leaves early
        "cost": qwen_plus_cost(usage),  # issue 12: exact, from the upstream's usage
        "created_at": call["created_at"],
    }


def test_a_reply_is_generated_from_the_conversation_so_far(api, user):
    cid = create_conversation(api, user, "qwen-turbo")["conversation_id"]
    assert send(api, user, cid, [text_part("first")]).json()["data"]["reply"] is not None

    response = send(api, user, cid, [text_part("second")])

    assert response.json()["data"]["reply"]["content"] == [{"type": "text", "text": "Echo: second"}]
    call = latest_call(api, user)
    context = [("user", "first"), ("assistant", "Echo: first"), ("user", "second")]
    assert call["request_tokens"] == prompt_tokens(context)
    assert call["model_name"] == "qwen-turbo"
    assert [m["role"] for m in messages_of(api, user, cid)["messages"]] == ["user", "assistant"] * 2


def test_a_multimodal_message_gets_a_reply(api, user):
    cid = create_conversation(api, user, "qwen-vl-max-latest")["conversation_id"]
    content = [text_part("what is this"), IMAGE]

    response = send(api, user, cid, content)

    data = response.json()["data"]
    assert data["content_type"] == "multimodal"
    assert data["content"] == content
    assert data["reply"]["content"] == [{"type": "text", "text": "Echo: what is this [images: 1, videos: 0]"}]
    assert data["reply"]["content_type"] == "text"
    assert latest_call(api, user)["request_tokens"] == prompt_tokens([("user", content)])


REPLY_FAULTS = [
    pytest.param("#fault:429", 429, RATE_LIMITED, id="429"),
    pytest.param("#fault:503", 503, UNAVAILABLE, id="503"),
    pytest.param("#fault:400", 400, REJECTED_400, id="400"),
]


@pytest.mark.parametrize(("marker", "code", "message"), REPLY_FAULTS)
def test_a_failed_reply_keeps_the_message_and_logs_the_call(api, user, marker, code, message):
    cid = create_conversation(api, user, "qwen-plus")["conversation_id"]
    text = unique_text(f"please {marker}")

    response = send(api, user, cid, [text_part(text)])

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["reply"] is None
    assert data["reply_error"] == {"code": code, "message": message}
    assert data["content"] == [text_part(text)]
    stored = messages_of(api, user, cid)
    assert [m["message_id"] for m in stored["messages"]] == [data["message_id"]]
    assert stored["pagination"]["total"] == 1
    calls, total = all_calls(api, user)
    assert total == 1
    assert (calls[0]["conversation_id"], calls[0]["message_id"]) == (cid, data["message_id"])
    assert (calls[0]["api_endpoint"], calls[0]["status_code"]) == (SEND_ENDPOINT, code)
    assert (calls[0]["request_tokens"], calls[0]["response_tokens"], calls[0]["total_tokens"]) == (0, 0, 0)

    # The conversation is intact: the next reply sees the unanswered message too.
    follow_up = send(api, user, cid, [text_part("again")])
    assert follow_up.json()["data"]["reply"]["content"] == [{"type": "text", "text": "Echo: again"}]
    assert latest_call(api, user)["request_tokens"] == prompt_tokens([("user", text), ("user", "again")])
    assert [m["role"] for m in messages_of(api, user, cid)["messages"]] == ["user", "user", "assistant"]


def test_generate_false_stores_the_message_without_a_model_call(api, user):
    cid = create_conversation(api, user)["conversation_id"]

    response = send(api, user, cid, [text_part("just a note")], generate=False)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["reply"], data["reply_error"]) == (None, None)
    assert [m["message_id"] for m in messages_of(api, user, cid)["messages"]] == [data["message_id"]]
    assert all_calls(api, user) == ([], 0)
    assert statistics_data(api, user)["total_messages"] == 1


def test_generate_must_be_a_boolean(api, user):
    cid = create_conversation(api, user)["conversation_id"]

    response = send(api, user, cid, [text_part("hi")], generate="no")

    assert response.status_code == 400
    assert response.json()["message"].startswith("generate: has the wrong type")
    assert messages_of(api, user, cid)["pagination"]["total"] == 0


# ---------------------------------------------------------------- per-user rate limit


def test_the_per_user_rate_limit_answers_429_with_retry_after(api, user):
    """RATE_LIMIT_PER_MINUTE (60 in the stack) allows 60 model calls per user in any 60-second span
    (a sliding window, issue 9: a minute boundary no longer starts a fresh allowance). When the 61
    calls take under a minute, the 61st is refused, whatever minute boundary passed meanwhile."""
    started = time.time()
    statuses = []
    refused = None
    for _ in range(121):
        response = proxy(api, user, chat_body("count me"))
        statuses.append(response.status_code)
        if response.status_code == 429:
            refused = response
            break
    elapsed = time.time() - started

    assert refused is not None, "no 429 after 121 calls"
    assert set(statuses[:-1]) == {200}
    if elapsed < 60:
        assert len(statuses) == 61
    assert refused.json() == {"code": 429, "message": RATE_LIMITED, "data": None}
    assert 1 <= int(refused.headers["retry-after"]) <= 62  # a slot comes back 60-62 s after its call

    # A refused call is not a model call: only the answered ones are in the log.
    assert all_calls(api, user)[1] == len(statuses) - 1
