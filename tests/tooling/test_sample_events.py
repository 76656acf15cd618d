"""events/: one sample API Gateway event per function in template.yaml, kept valid.

Given the data the samples refer to (local/sample_events.py: user 1 = SAMPLE_USER with session
SAMPLE_SESSION_ID, conversation 1, message 1, API key 1) in a fresh moto table and the fake Bailian as the
model, every function's handler answers its committed event with a well-formed proxy response:
the envelope, its status equal to `code`, and 200. The two events that need a live token (the
authorizer's Authorization header, the refresh body) carry placeholders; the test puts real
tokens in their place, and also checks that the events as committed are refused with 401.
The files must also be exactly what the generator makes from the current template.
"""

import asyncio
import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from bailian_chat.auth import api_keys, service, tokens
from bailian_chat.auth.api_key_models import CreateApiKeyRequest
from bailian_chat.auth.models import RegisterRequest
from bailian_chat.chat import conversations, messages
from bailian_chat.content import TextPart
from bailian_chat.store import session_items

from local import fake_bailian, sample_events
from local.sample_events import (
    ACCESS_TOKEN_PLACEHOLDER,
    EVENTS_DIR,
    REFRESH_TOKEN_PLACEHOLDER,
    SAMPLE_API_KEY_ID,
    SAMPLE_CONVERSATION_ID,
    SAMPLE_MESSAGE_ID,
    SAMPLE_SESSION_ID,
    SAMPLE_USER,
    SAMPLE_USER_ID,
)
from local.streaming_proxy import forwarded_headers
from local.template import Template
from tests.support import template
from tests.support.events import HandlerResponse, LambdaContext

FAKE_KEY = "sk-unit-sample-events-0123456789"
AUTHORIZER = template.authorizer_function()
FUNCTIONS = sorted(function.code_uri.name for function in template.get().functions.values())
# Web apps behind the Lambda Web Adapter (the streamed routes) have no Python handler: LWA turns
# the same event into an HTTP request to the app, which the last test here does.
WEB_APPS = {f.code_uri.name: f for f in template.get().functions.values() if f.web_adapter}
HANDLERS = [name for name in FUNCTIONS if name not in WEB_APPS]
# The docs function (GET /api/openapi.json) answers the OpenAPI document itself, not the envelope;
# GET /v1/models answers OpenAI's list shape.
UNENVELOPED = {"docs", "v1_models"}
STREAM_CONSUMERS = {"usage_aggregator", "account_purge"}  # fed by the table's stream, not by a route


@pytest.fixture(scope="module")
def fake_model() -> Iterator[fake_bailian.FakeBailianServer]:
    with fake_bailian.serve("127.0.0.1", 0, FAKE_KEY, timeout_delay_seconds=5.0, access_log=False) as server:
        yield server


@pytest.fixture
def model_env(fake_model, unit_env) -> None:
    unit_env(BAILIAN_BASE_URL=fake_model.base_url, DASHSCOPE_API_KEY=FAKE_KEY)


def load_event(function_dir: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{function_dir}.json").read_text())


def seed_sample_data() -> dict[str, str]:
    with sample_events.sequential_ids():  # the events carry user 1, conversation 1, ...
        return _seed_sample_data()


def _seed_sample_data() -> dict[str, str]:
    """What the samples refer to, with the ids they carry; returns a live token pair of the session."""
    user = service.register(RegisterRequest.model_validate(SAMPLE_USER))
    assert user["user_id"] == SAMPLE_USER_ID
    now = int(time.time())
    refresh_jti = tokens.new_token_id()
    expires = now + 3600
    session_items.create_session(SAMPLE_SESSION_ID, SAMPLE_USER_ID, refresh_jti, now, expires)
    session_items.create_session(sample_events.SAMPLE_OTHER_SESSION_ID, SAMPLE_USER_ID, "other", now, expires)
    conversation = conversations.create(SAMPLE_USER_ID, sample_events.SAMPLE_MODEL, "Trip planning")
    assert conversation["conversation_id"] == SAMPLE_CONVERSATION_ID
    message, _ = messages.send(SAMPLE_USER_ID, SAMPLE_CONVERSATION_ID, [TextPart(type="text", text="Hi")])
    assert message["message_id"] == SAMPLE_MESSAGE_ID
    key = api_keys.create(SAMPLE_USER_ID, CreateApiKeyRequest(name="Sample"))
    assert key["key_id"] == SAMPLE_API_KEY_ID
    return {
        "access": tokens.issue(SAMPLE_USER_ID, SAMPLE_SESSION_ID, tokens.ACCESS, now + 600),
        "refresh": tokens.issue(SAMPLE_USER_ID, SAMPLE_SESSION_ID, tokens.REFRESH, expires, refresh_jti),
    }


def with_live_tokens(function_dir: str, event: dict[str, Any], live: dict[str, str]) -> dict[str, Any]:
    """The event with its token placeholder replaced (asserting the placeholder is there)."""
    event = copy.deepcopy(event)
    if function_dir == AUTHORIZER:
        bearer = f"Bearer {ACCESS_TOKEN_PLACEHOLDER}"
        assert event["headers"]["Authorization"] == bearer
        event["headers"]["Authorization"] = f"Bearer {live['access']}"
        event["multiValueHeaders"]["Authorization"] = [f"Bearer {live['access']}"]
    elif function_dir == "auth_refresh":
        assert json.loads(event["body"]) == {"refresh_token": REFRESH_TOKEN_PLACEHOLDER}
        event["body"] = json.dumps({"refresh_token": live["refresh"]})
    return event


def assert_proxy_response(function_dir: str, result: Any) -> HandlerResponse:
    assert isinstance(result, dict), result
    assert isinstance(result.get("statusCode"), int), result
    assert isinstance(result.get("body"), str), result
    assert not result.get("isBase64Encoded", False)
    response = HandlerResponse.from_result(result)
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    if function_dir not in UNENVELOPED:
        assert set(response.body) == {"code", "message", "data"}, response.body
        assert response.body["code"] == response.status
        assert isinstance(response.body["message"], str) and response.body["message"]
    return response


# ---------------------------------------------------------------- the files


def test_every_function_has_an_event_and_every_event_a_function():
    files = sorted(path.stem for path in EVENTS_DIR.glob("*.json"))
    assert files == FUNCTIONS, "run: .venv/bin/python -m local.sample_events"


def test_events_are_what_the_generator_makes_from_the_template():
    generated = sample_events.function_events(Template())
    for name, event in generated.items():
        path = EVENTS_DIR / f"{name}.json"
        assert path.read_text() == sample_events.render(event), (
            f"{path.name} is stale: run .venv/bin/python -m local.sample_events"
        )


def test_endpoint_events_match_their_template_route():
    for name in FUNCTIONS:
        event = load_event(name)
        if name == AUTHORIZER:
            assert event["type"] == "REQUEST"
            continue
        if name in STREAM_CONSUMERS:
            assert event["Records"] and event["Records"][0]["eventSource"] == "aws:dynamodb"
            continue
        routes = {(r.method, r.path): r for r in template.routes() if r.function == name}
        route = routes[(event["httpMethod"], event["resource"])]  # a route of this function
        assert event["requestContext"]["identity"]["sourceIp"]
        authorizer = event["requestContext"].get("authorizer")
        if route.protected:
            assert authorizer["user_id"] == str(SAMPLE_USER_ID)
            assert authorizer["session_id"] == SAMPLE_SESSION_ID
        else:
            assert authorizer is None


# ---------------------------------------------------------------- the handlers answer them


@pytest.mark.parametrize("function_dir", HANDLERS)
def test_handler_answers_its_sample_event(function_dir, load_function, model_env):
    live = seed_sample_data() if function_dir != "auth_register" else {}
    event = with_live_tokens(function_dir, load_event(function_dir), live)
    module = load_function(function_dir)

    result = module.handler(event, LambdaContext(function_name=function_dir))

    if function_dir == AUTHORIZER:
        assert result["principalId"] == str(SAMPLE_USER_ID)
        assert result["context"] == {
            "user_id": str(SAMPLE_USER_ID),
            "session_id": SAMPLE_SESSION_ID,
            "auth_type": "access_token",  # issue 12: the context says which credential it was
            "role": "user",  # issue 13: the role read with the session
            "spend_limits": "{}",  # issue 15: read in the same batch, so a model call need not
        }
        (statement,) = result["policyDocument"]["Statement"]
        assert statement["Effect"] == "Allow"
        return
    if function_dir in STREAM_CONSUMERS:
        assert result == {"batchItemFailures": []}
        return
    response = assert_proxy_response(function_dir, result)
    assert response.status == 200, response.body
    if function_dir == "v1_models":
        assert response.body["object"] == "list" and response.body["data"], response.body
    elif function_dir in UNENVELOPED:
        assert "openapi" in response.body
    elif function_dir == "messages_send":
        assert response.body["data"]["reply"] is not None, response.body  # the fake model answered
        assert response.body["data"]["reply_error"] is None


def test_authorizer_event_as_committed_is_unauthorized(load_function):
    seed_sample_data()
    module = load_function(AUTHORIZER)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        module.handler(load_event(AUTHORIZER), LambdaContext(function_name=AUTHORIZER))


def test_refresh_event_as_committed_is_401(load_function):
    seed_sample_data()
    module = load_function("auth_refresh")
    result = module.handler(load_event("auth_refresh"), LambdaContext(function_name="auth_refresh"))
    assert assert_proxy_response("auth_refresh", result).status == 401


@pytest.mark.parametrize("function_dir", sorted(WEB_APPS))
def test_web_app_answers_its_sample_event_as_lwa_forwards_it(function_dir, load_function, model_env):
    seed_sample_data()
    event = load_event(function_dir)
    app = load_function(function_dir).app

    async def forward() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            return await client.request(
                event["httpMethod"],
                event["path"],
                headers=forwarded_headers(event, WEB_APPS[function_dir]),
                content=(event["body"] or "").encode(),
            )

    response = asyncio.run(forward())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [block for block in response.text.split("\n\n") if block]
    if function_dir == "v1_chat_completions":
        assert blocks[-1] == "data: [DONE]"
        chunks = [json.loads(block.removeprefix("data: ")) for block in blocks[:-1]]
        assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0  # include_usage
    else:
        names = [block.split("\n", 1)[0].removeprefix("event: ") for block in blocks]
        assert names[0] == "message" and names[-1] == "reply" and "delta" in names, names
