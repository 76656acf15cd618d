"""Prices and spend limits over real HTTP (local gateway + authorizer + functions + DynamoDB Local
+ the fake Bailian): GET /api/models without a token, the budget routes, 429 "Budget exceeded" on
an envelope route, and on /v1 through the official OpenAI SDK with an API key: a stream billed to
the key, then RateLimitError with code budget_exceeded once the key's monthly_budget is spent."""

import time
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal

import httpx
import openai
import pytest

from tests.support.chat_client import User, new_user

MODEL = "qwen-plus"


@pytest.fixture(scope="module")
def http(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        yield client


@pytest.fixture
def user(http) -> User:
    return new_user(http, "budget")


def budget(http: httpx.Client, user: User) -> dict:
    response = http.get("/api/usage/budget", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def proxy_call(http: httpx.Client, user: User, text: str = "Hi") -> httpx.Response:
    body = {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
    return http.post("/api/bailian/chat/completions", json=body, headers=user.headers)


def settled(http: httpx.Client, user: User, timeout: float = 30.0) -> dict:
    """The budget once no reservation is open (a stream settles when it ends, after the client)."""
    deadline = time.monotonic() + timeout
    while True:
        data = budget(http, user)
        if data["today"]["reserved"] == "0.000000000" or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


def test_models_and_their_prices_are_public(http):
    response = http.get("/api/models")  # no Authorization header

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["message"]) == (200, "Retrieval successful")
    models = {model["model_name"]: model for model in body["data"]["models"]}
    assert models[MODEL]["pricing"]["currency"] == "USD"
    assert models[MODEL]["pricing"]["tiers"][0]["input"] == "0.4"


def test_a_user_sets_a_limit_and_the_next_call_past_it_is_429_budget_exceeded(http, user):
    assert proxy_call(http, user).status_code == 200
    spent = Decimal(budget(http, user)["today"]["spent"])
    assert spent > 0

    limit = spent.quantize(Decimal("0.000001"), ROUND_DOWN)  # limits take 6 decimal places
    put = http.put("/api/usage/budget", json={"daily_limit": str(limit)}, headers=user.headers)
    assert put.status_code == 200, put.text
    assert put.json()["message"] == "Update successful"
    refused = proxy_call(http, user)

    assert refused.status_code == 429, refused.text
    assert refused.json() == {
        "code": 429,
        "message": "Budget exceeded",
        "data": {"limit": "daily", "amount": f"{limit:.9f}", "currency": "USD"},
    }
    after = budget(http, user)
    assert after["today"]["spent"] == f"{spent:.9f}" and after["daily_limit"] == f"{limit:.9f}"


def test_the_budget_routes_refuse_api_keys_and_bad_amounts(http, user):
    bad = http.put("/api/usage/budget", json={"monthly_limit": "-3"}, headers=user.headers)
    assert bad.status_code == 400 and bad.json()["message"].startswith("monthly_limit:")
    anonymous = http.get("/api/usage/budget")
    assert anonymous.status_code == 401


def test_the_openai_sdk_streams_with_a_key_billed_to_it_until_its_budget_is_spent(http, stack, user):
    created = http.post("/api/keys", json={"name": "sdk", "monthly_budget": "0.0001"}, headers=user.headers)
    assert created.status_code == 200, created.text
    key = created.json()["data"]
    sdk = openai.OpenAI(api_key=key["key"], base_url=f"{stack.base_url}/v1", max_retries=0)

    chunks = list(
        sdk.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "bill me"}],
            max_tokens=16,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None

    spent = Decimal(settled(http, user)["this_month"]["spent"])
    calls = http.get(
        "/api/history/api-calls", params={"api_key_id": key["key_id"]}, headers=user.headers
    ).json()["data"]["api_calls"]
    assert [call["api_key_id"] for call in calls] == [key["key_id"]]
    assert Decimal(calls[0]["cost"]) == spent > 0

    with pytest.raises(openai.RateLimitError) as refused:  # 16 more tokens no longer fit 0.0001
        sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x" * 400}], max_tokens=100, stream=True
        )
    assert refused.value.status_code == 429
    assert refused.value.code == "budget_exceeded"
    assert refused.value.type == "insufficient_quota"
