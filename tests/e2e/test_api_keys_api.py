"""Personal API keys over real HTTP (local gateway + the real authorizer + DynamoDB Local + the fake
Bailian): the key's lifecycle, what a key may not do, revocation holding on the very next
request, and the official openai SDK with `api_key="sk-bc-…"` (streaming included) billed to that
key in 5.1 (`api_key_id`)."""

import re
from collections.abc import Iterator

import httpx
import openai
import pytest

from local.dynamodb_local import client
from tests.support.chat_client import User, new_user

MODEL = "qwen-plus"
KEY_ROUTES_MESSAGE = (
    "API keys can be used only on /v1/*, POST /api/bailian/chat/completions and "
    "GET /api/history/*; use an access token (POST /api/auth/login) for this route"
)


@pytest.fixture(scope="module")
def http(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        yield client


@pytest.fixture
def user(http) -> User:
    """A fresh user per test: its keys and call history hold only that test's."""
    return new_user(http, "keys")


def create_key(http: httpx.Client, user: User, **body) -> dict:
    response = http.post("/api/keys", json={"name": "script", **body}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Creation successful"
    return response.json()["data"]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def calls_of_key(http: httpx.Client, user: User, key_id: int) -> dict:
    response = http.get("/api/history/api-calls", params={"api_key_id": key_id}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def sdk(stack, secret: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=secret, base_url=f"{stack.base_url}/v1", max_retries=0, timeout=60)


def test_the_key_lifecycle(http, user):
    key = create_key(http, user, models=[MODEL], rate_limit_per_minute=30, monthly_budget="12.50")
    secret = key.pop("key")
    assert re.fullmatch(r"sk-bc-[1-9][0-9]*\.[A-Za-z0-9_-]{43}", secret)

    listed = http.get("/api/keys", headers=user.headers)
    assert listed.status_code == 200
    data = listed.json()["data"]
    assert data["pagination"]["total"] == 1
    assert data["api_keys"] == [{**key, "last_used_at": None}]
    assert secret not in listed.text

    used = http.get("/api/history/api-calls", headers=bearer(secret))
    assert used.status_code == 200
    after_use = http.get("/api/keys", headers=user.headers).json()["data"]["api_keys"][0]
    assert after_use["last_used_at"] is not None

    revoked = http.delete(f"/api/keys/{key['key_id']}", headers=user.headers)
    assert revoked.status_code == 200 and revoked.json()["message"] == "Deletion successful"
    refused = http.get("/api/history/api-calls", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["message"] == "Not authenticated"
    assert http.get("/api/keys", headers=user.headers).json()["data"]["api_keys"][0]["status"] == "revoked"


def test_a_key_is_refused_outside_its_routes_and_cannot_make_keys(http, user):
    secret = create_key(http, user)["key"]

    for method, path in (
        ("POST", "/api/keys"),
        ("GET", "/api/keys"),
        ("GET", "/api/auth/user"),
        ("POST", "/api/conversations"),
        ("POST", "/api/auth/logout"),
    ):
        response = http.request(method, path, json={"name": "child"}, headers=bearer(secret))
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["message"] == KEY_ROUTES_MESSAGE


def test_someone_elses_key_id_is_404(http, user):
    key = create_key(http, user)
    stranger = new_user(http, "keys")

    response = http.delete(f"/api/keys/{key['key_id']}", headers=stranger.headers)

    assert response.status_code == 404
    assert http.get("/api/history/api-calls", headers=bearer(key["key"])).status_code == 200


def test_a_disabled_users_key_is_401(http, user, stack):
    secret = create_key(http, user)["key"]
    assert http.get("/api/history/api-calls", headers=bearer(secret)).status_code == 200

    client(stack.dynamodb_endpoint).update_item(  # an operator disables the account
        TableName=stack.table_name,
        Key={"PK": {"S": f"USER#{user.user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET #status = :disabled",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":disabled": {"N": "0"}},
    )

    assert http.get("/api/history/api-calls", headers=bearer(secret)).status_code == 401


def test_the_openai_sdk_streams_with_a_key_and_the_call_is_billed_to_it(http, user, stack):
    key = create_key(http, user)
    client = sdk(stack, key["key"])

    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Hello from a notebook"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    usage = chunks[-1].usage
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])

    assert text and usage.total_tokens > 0
    assert completion.usage.total_tokens > 0
    data = calls_of_key(http, user, key["key_id"])
    assert data["pagination"]["total"] == 2
    streamed = data["api_calls"][-1]  # oldest last
    assert streamed["api_key_id"] == key["key_id"]
    assert streamed["api_endpoint"] == "/v1/chat/completions"
    assert (streamed["request_tokens"], streamed["response_tokens"], streamed["total_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
    )
    models = client.models.list()
    assert MODEL in {m.id for m in models.data}


def test_access_token_calls_are_logged_without_a_key(http, user):
    key = create_key(http, user)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}

    with_key = http.post("/api/bailian/chat/completions", json=body, headers=bearer(key["key"]))
    with_token = http.post("/api/bailian/chat/completions", json=body, headers=user.headers)

    assert (with_key.status_code, with_token.status_code) == (200, 200)
    calls = http.get("/api/history/api-calls", headers=user.headers).json()["data"]["api_calls"]
    assert [c["api_key_id"] for c in calls] == [None, key["key_id"]]
    assert calls_of_key(http, user, key["key_id"])["pagination"]["total"] == 1


def test_the_sdk_sees_the_keys_model_allow_list_and_rate_limit(http, user, stack):
    key = create_key(http, user, models=[MODEL], rate_limit_per_minute=1)
    client = sdk(stack, key["key"])

    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model="qwen-max", messages=[{"role": "user", "content": "hi"}])
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])

    assert refused.value.status_code == 403
    assert "qwen-max" in refused.value.body["message"] and refused.value.body["param"] == "model"
    assert limited.value.response.headers.get("retry-after")
    assert calls_of_key(http, user, key["key_id"])["pagination"]["total"] == 1


def test_a_revoked_key_fails_in_the_sdk_on_the_very_next_call(http, user, stack):
    key = create_key(http, user)
    client = sdk(stack, key["key"])
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])

    assert http.delete(f"/api/keys/{key['key_id']}", headers=user.headers).status_code == 200

    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
