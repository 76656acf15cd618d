"""Personal API keys (issue 12, part 1) through the real handlers and the real authorizer (moto):
POST/GET/DELETE /api/keys, the digest-only storage, and what a key may and may not reach."""

import hashlib
import hmac
import json
import re

import pytest
from bailian_chat import clock
from bailian_chat.api import streaming
from bailian_chat.auth.callers import KEY_ROUTES_MESSAGE, KeyGrant
from bailian_chat.errors import Forbidden
from bailian_chat.store import keys
from starlette.requests import Request

from local.authorization import Verdict, decide
from tests.support import template
from tests.support.environment import UNIT_ENV
from tests.support.events import LambdaContext, api_event, authorizer_event, template_route

KEY_PATTERN = re.compile(r"^sk-bc-([1-9][0-9]*)\.[A-Za-z0-9_-]{43}$")  # user id . token_urlsafe(32)
PUBLIC_FIELDS = {
    "key_id",
    "name",
    "hint",
    "created_at",
    "expires_at",
    "last_used_at",
    "models",
    "rate_limit_per_minute",
    "monthly_budget",
    "status",
}
PROXY = "/api/bailian/chat/completions"
CALLS = "/api/history/api-calls"


@pytest.fixture
def create_key(gateway, signed_in):
    """`create_key(token=None, **body)` -> the 200 response's data (asserts 200)."""

    def _create(token: str | None = None, **body) -> dict:
        response = gateway.request(
            "POST", "/api/keys", {"name": "notebook", **body}, token=token or signed_in.access_token
        )
        assert response.status == 200, response
        return response.body["data"]

    return _create


def chat(model_name: str = "qwen-plus") -> dict:
    return {"model": model_name, "messages": [{"role": "user", "content": "hi"}]}


def digest_of(secret: str) -> str:
    return hmac.new(UNIT_ENV["API_KEY_DIGEST_SECRET"].encode(), secret.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ create


def test_create_answers_the_record_and_the_secret_once(gateway, signed_in):
    body = {"name": "  Jupyter  ", "models": ["qwen-plus", "qwen-max"], "rate_limit_per_minute": 5}
    response = gateway.request("POST", "/api/keys", body, token=signed_in.access_token)

    assert response.status == 200, response
    assert response.body["code"] == 200
    assert response.body["message"] == "Creation successful"
    data = response.body["data"]
    assert set(data) == PUBLIC_FIELDS | {"key"}
    assert KEY_PATTERN.fullmatch(data["key"])
    assert data["hint"] == f"sk-bc-…{data['key'][-4:]}"
    assert data["name"] == "Jupyter"
    assert data["models"] == ["qwen-plus", "qwen-max"]
    assert data["rate_limit_per_minute"] == 5
    assert (data["expires_at"], data["last_used_at"], data["monthly_budget"]) == (None, None, None)
    assert data["status"] == "active"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created_at"])


def test_every_key_has_its_own_secret_and_id(create_key):
    first, second = create_key(), create_key()

    assert first["key"] != second["key"]
    assert second["key_id"] > first["key_id"]


def test_expiry_is_kept_in_utc_to_the_second(create_key):
    data = create_key(expires_at="2099-06-01T12:30:45.123+02:00")

    assert data["expires_at"] == "2099-06-01T10:30:45Z"


@pytest.mark.parametrize(
    ("budget", "stored"),
    [("25.50", "25.5"), ("0", "0"), (12, "12"), (0.1, "0.1"), ("1.123456", "1.123456"), ("100", "100")],
)
def test_the_monthly_budget_is_stored_as_a_decimal_string(create_key, get_item, budget, stored):
    data = create_key(monthly_budget=budget)

    assert data["monthly_budget"] == stored
    pointer = get_item(keys.api_key_pointer(data["key_id"]))
    item = get_item(keys.api_key(pointer["digest"]))
    assert item["monthly_budget"] == stored  # a string attribute: never a float in the table


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": 5}, "name"),
        ({"name": "k", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "k", "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
        ({"name": "k", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "k", "models": []}, "models"),
        ({"name": "k", "models": ["gpt-4o"]}, "models.0"),
        ({"name": "k", "models": "qwen-plus"}, "models"),
        ({"name": "k", "rate_limit_per_minute": 0}, "rate_limit_per_minute"),
        ({"name": "k", "rate_limit_per_minute": 61}, "rate_limit_per_minute"),
        ({"name": "k", "rate_limit_per_minute": "5"}, "rate_limit_per_minute"),
        ({"name": "k", "rate_limit_per_minute": True}, "rate_limit_per_minute"),
        ({"name": "k", "monthly_budget": -1}, "monthly_budget"),
        ({"name": "k", "monthly_budget": "-1"}, "monthly_budget"),
        ({"name": "k", "monthly_budget": "1.1234567"}, "monthly_budget"),
        ({"name": "k", "monthly_budget": "1e3"}, "monthly_budget"),
        ({"name": "k", "monthly_budget": "NaN"}, "monthly_budget"),
        ({"name": "k", "monthly_budget": "ten"}, "monthly_budget"),
        ({"name": "k", "monthly_budget": True}, "monthly_budget"),
        ({"name": "k", "monthly_budget": 1e300}, "monthly_budget"),
    ],
)
def test_bad_input_is_400_naming_the_field(gateway, signed_in, body, field):
    response = gateway.request("POST", "/api/keys", body, token=signed_in.access_token)

    assert response.status == 400, response
    assert response.body["message"].startswith(f"{field}:"), response.body


def test_create_needs_a_credential(gateway):
    response = gateway.request("POST", "/api/keys", {"name": "k"})

    assert response.status == 401


# ------------------------------------------------------------------ storage


def test_only_the_keyed_digest_is_stored(create_key, ddb):
    data = create_key()
    secret = data["key"]
    random_part = secret.split(".", 1)[1]

    items = ddb.scan(TableName=UNIT_ENV["TABLE_NAME"])["Items"]
    dumped = repr(items)
    assert random_part not in dumped
    assert random_part[:16] not in dumped and random_part[-16:] not in dumped
    assert hashlib.sha256(secret.encode()).hexdigest() not in dumped  # no unkeyed hash either
    key_items = [item for item in items if item["SK"]["S"] == "APIKEY"]
    assert [item["PK"]["S"] for item in key_items] == [f"APIKEY#{digest_of(secret)}"]


# ------------------------------------------------------------------ list


def test_list_pages_the_callers_keys_without_secrets(gateway, signed_in, sign_in, create_key):
    created = [create_key(name=f"key {n}") for n in range(3)]
    other = sign_in()
    create_key(token=other.access_token, name="not yours")

    first = gateway.request("GET", "/api/keys?page=1&limit=2", token=signed_in.access_token)
    second = gateway.request("GET", "/api/keys?page=2&limit=2", token=signed_in.access_token)

    assert first.status == 200 and first.body["message"] == "Retrieval successful"
    assert first.body["data"]["pagination"] == {
        "current_page": 1,
        "per_page": 2,
        "total": 3,
        "total_pages": 2,
    }
    listed = first.body["data"]["api_keys"] + second.body["data"]["api_keys"]
    assert [k["name"] for k in listed] == ["key 0", "key 1", "key 2"]
    for key in listed:
        assert set(key) == PUBLIC_FIELDS
    dumped = repr(first.body) + repr(second.body)
    for key in created:
        assert key["key"] not in dumped and digest_of(key["key"]) not in dumped


def test_list_bad_paging_is_400(gateway, signed_in):
    response = gateway.request("GET", "/api/keys?page=0", token=signed_in.access_token)

    assert response.status == 400
    assert response.body["message"].startswith("page:")


# ------------------------------------------------------------------ revoke


def test_revoke_is_immediate_and_the_key_stays_listed_as_revoked(gateway, signed_in, create_key):
    key = create_key()
    assert gateway.request("GET", CALLS, token=key["key"]).status == 200

    response = gateway.request("DELETE", f"/api/keys/{key['key_id']}", token=signed_in.access_token)

    assert response.status == 200
    assert response.body == {"code": 200, "message": "Deletion successful", "data": None}
    assert gateway.request("GET", CALLS, token=key["key"]).status == 401
    listed = gateway.request("GET", "/api/keys", token=signed_in.access_token).body["data"]["api_keys"]
    assert [k["status"] for k in listed] == ["revoked"]
    again = gateway.request("DELETE", f"/api/keys/{key['key_id']}", token=signed_in.access_token)
    assert again.status == 200  # idempotent


def test_someone_elses_key_id_is_404_and_their_key_keeps_working(gateway, sign_in, create_key):
    owner, intruder = sign_in(), sign_in()
    key = create_key(token=owner.access_token)

    response = gateway.request("DELETE", f"/api/keys/{key['key_id']}", token=intruder.access_token)

    assert response.status == 404
    assert response.body == {"code": 404, "message": "API key does not exist", "data": None}
    assert gateway.request("GET", CALLS, token=key["key"]).status == 200


@pytest.mark.parametrize(("key_id", "status"), [("999", 404), ("0", 400), ("abc", 400)])
def test_unknown_or_malformed_key_ids(gateway, signed_in, key_id, status):
    response = gateway.request("DELETE", f"/api/keys/{key_id}", token=signed_in.access_token)

    assert response.status == status


# ------------------------------------------------------------------ the authorizer


def test_the_authorizer_passes_the_key_and_its_grant(gateway, signed_in, create_key):
    key = create_key(models=["qwen-plus"], rate_limit_per_minute=7, monthly_budget="3.5")

    result = gateway.authorize("GET", CALLS, {"Authorization": f"Bearer {key['key']}"})

    assert result["principalId"] == str(signed_in.user_id)
    assert result["context"] == {
        "user_id": str(signed_in.user_id),
        "auth_type": "api_key",
        "api_key_id": str(key["key_id"]),
        "key_models": "qwen-plus",
        "key_rate_limit": "7",
        "key_monthly_budget": "3.5",
        "spend_limits": "{}",
    }


def test_a_key_without_limits_passes_only_its_id(gateway, signed_in, create_key):
    key = create_key()

    result = gateway.authorize("GET", CALLS, {"Authorization": f"Bearer {key['key']}"})

    assert result["context"] == {
        "user_id": str(signed_in.user_id),
        "auth_type": "api_key",
        "api_key_id": str(key["key_id"]),
        "spend_limits": "{}",
    }


def test_an_expired_key_is_401(gateway, create_key, get_item, put_attribute):
    key = create_key(expires_at="2099-01-01T00:00:00Z")
    pointer = get_item(keys.api_key_pointer(key["key_id"]))
    put_attribute(keys.api_key(pointer["digest"]), "valid_until", clock.iso_from_epoch(clock.now_epoch() - 1))

    assert gateway.request("GET", CALLS, token=key["key"]).status == 401


def test_an_expired_key_is_listed_as_expired(gateway, signed_in, create_key, get_item, put_attribute):
    key = create_key(expires_at="2099-01-01T00:00:00Z")
    pointer = get_item(keys.api_key_pointer(key["key_id"]))
    put_attribute(keys.api_key(pointer["digest"]), "valid_until", "2000-01-01T00:00:00Z")

    listed = gateway.request("GET", "/api/keys", token=signed_in.access_token).body["data"]["api_keys"]

    assert listed[0]["status"] == "expired"


def test_a_disabled_users_key_is_401(gateway, signed_in, create_key, put_attribute):
    key = create_key()
    put_attribute(keys.user(signed_in.user_id), "status", 0)

    assert gateway.request("GET", CALLS, token=key["key"]).status == 401


@pytest.mark.parametrize(
    "credential",
    ["sk-bc-", "sk-bc-" + "A" * 43, "sk-bc-" + "A" * 5000, "sk-bcX"],
)
def test_an_unknown_key_is_401(gateway, signed_in, credential):
    assert gateway.request("GET", CALLS, token=credential).status == 401


def test_a_key_names_its_user_and_another_user_id_in_it_is_401(gateway, signed_in, create_key, register):
    secret = create_key()["key"]
    assert int(KEY_PATTERN.fullmatch(secret).group(1)) == signed_in.user_id
    other = register()  # a real user: the batch finds them, but the key's owner differs
    moved = secret.replace(f"sk-bc-{signed_in.user_id}.", f"sk-bc-{other['user_id']}.", 1)

    assert gateway.request("GET", CALLS, token=moved).status == 401


def test_a_key_without_a_user_id_is_still_checked_by_its_digest(gateway, signed_in, ddb):
    """Keys made before secrets named their user: the key, then its user (two reads), as before."""
    from bailian_chat.auth import api_key_secrets
    from bailian_chat.store import api_key_items

    secret = "sk-bc-" + "B" * 43
    key = {"user_id": signed_in.user_id, "name": "old", "hint": api_key_secrets.hint(secret), "models": None}
    api_key_items.create_key(api_key_secrets.digest(secret), key)

    assert gateway.request("GET", CALLS, token=secret).status == 200


def test_a_key_with_one_character_changed_is_401(gateway, create_key):
    secret = create_key()["key"]
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    assert gateway.request("GET", CALLS, token=tampered).status == 401


# Every protected route of the template, and whether a key may use it.
KEY_ROUTES = {("POST", PROXY), ("GET", CALLS), ("GET", "/api/history/conversations/statistics")}
PROTECTED = sorted((r.method, r.path) for r in template.routes() if r.protected)


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_a_key_is_403_with_a_clear_message_on_every_other_route(gateway, create_key, method, path):
    """The authorizer's policy decides (API Gateway's ACCESS_DENIED answer, before the function
    runs or reads the body); the key routes are allowed."""
    key = create_key()
    concrete = re.sub(r"\{[a-z_]+\}", "1", path)
    event = authorizer_event(method, concrete)

    result = gateway.authorize(method, concrete, {"Authorization": f"Bearer {key['key']}"})

    verdict = decide(result, event["methodArn"]).verdict
    if (method, path) in KEY_ROUTES or path.startswith("/v1/"):
        assert verdict is Verdict.ALLOW
    else:
        assert verdict is Verdict.DENY
        response = gateway.request(method, concrete, {"title": "x"}, token=key["key"])
        assert response.status == 403, response
        assert response.body["message"] == KEY_ROUTES_MESSAGE


def test_the_gateways_403_says_the_same_as_the_functions():
    body = template.gateway_response_body("ACCESS_DENIED")

    assert (body["code"], body["message"], body["data"]) == (403, KEY_ROUTES_MESSAGE, None)
    assert body["error"]["message"] == KEY_ROUTES_MESSAGE  # the /v1 clients' OpenAI error shape


def test_a_keys_policy_allows_only_the_key_routes(gateway, create_key):
    key = create_key()

    result = gateway.authorize("GET", CALLS, {"Authorization": f"Bearer {key['key']}"})

    (statement,) = result["policyDocument"]["Statement"]
    stage = authorizer_event("GET", CALLS)["methodArn"].rsplit("/GET/", 1)[0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == [
        f"{stage}/*/v1/*",
        f"{stage}/POST/api/bailian/chat/completions",
        f"{stage}/GET/api/history/*",
    ]


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/keys"), ("GET", "/api/auth/user")])
def test_the_function_refuses_a_key_context_too(load_function, method, path):
    """Defence in depth: were the authorizer's answer ever cached across routes, the function
    itself still refuses a key outside its routes."""
    route, _ = template_route(method, path)
    context = {"user_id": "1", "auth_type": "api_key", "api_key_id": "1"}
    event = api_event(method, path, {"name": "k"}, {"Authorization": "Bearer sk-bc-x"}, context)

    result = load_function(route.function.code_uri.name).handler(event, LambdaContext())

    assert result["statusCode"] == 403
    assert json.loads(result["body"])["message"] == KEY_ROUTES_MESSAGE


def test_a_key_cannot_create_list_or_revoke_keys(gateway, create_key):
    key = create_key()

    for method, path in (
        ("POST", "/api/keys"),
        ("GET", "/api/keys"),
        ("DELETE", f"/api/keys/{key['key_id']}"),
    ):
        response = gateway.request(method, path, {"name": "child"}, token=key["key"])
        assert response.status == 403, (method, path)


def test_last_used_at_is_written_at_most_once_a_minute(gateway, create_key, get_item, put_attribute):
    key = create_key()
    pointer = get_item(keys.api_key_pointer(key["key_id"]))
    item_key = keys.api_key(pointer["digest"])

    gateway.request("GET", CALLS, token=key["key"])
    first = get_item(item_key)["last_used_at"]
    recent = clock.iso_from_epoch(clock.now_epoch() - 30)
    put_attribute(item_key, "last_used_at", recent)
    gateway.request("GET", CALLS, token=key["key"])
    assert get_item(item_key)["last_used_at"] == recent  # within the minute: not rewritten
    put_attribute(item_key, "last_used_at", "2000-01-01T00:00:00Z")
    gateway.request("GET", CALLS, token=key["key"])

    assert first >= clock.iso_from_epoch(clock.now_epoch() - 5)
    assert get_item(item_key)["last_used_at"] >= first


# ------------------------------------------------------------------ model calls with a key


def test_a_key_calls_the_proxy_and_the_call_log_names_it(gateway, signed_in, create_key, model):
    key = create_key()

    with_key = gateway.request("POST", PROXY, chat(), token=key["key"])
    with_token = gateway.request("POST", PROXY, chat(), token=signed_in.access_token)

    assert (with_key.status, with_token.status) == (200, 200), (with_key, with_token)
    calls = gateway.request("GET", CALLS, token=signed_in.access_token).body["data"]["api_calls"]
    assert [c["api_key_id"] for c in calls] == [None, key["key_id"]]  # newest first
    listed = gateway.request("GET", "/api/keys", token=signed_in.access_token).body["data"]["api_keys"]
    assert listed[0]["last_used_at"] is not None


def test_the_call_history_filters_by_key(gateway, signed_in, sign_in, create_key, model):
    first, second = create_key(), create_key()
    for secret, model_name in (
        (first["key"], "qwen-plus"),
        (first["key"], "qwen-max"),
        (second["key"], "qwen-plus"),
    ):
        assert gateway.request("POST", PROXY, chat(model_name), token=secret).status == 200
    gateway.request("POST", PROXY, chat(), token=signed_in.access_token)

    def page(query: str, token: str = signed_in.access_token) -> dict:
        response = gateway.request("GET", f"{CALLS}?{query}", token=token)
        assert response.status == 200, response
        return response.body["data"]

    by_first = page(f"api_key_id={first['key_id']}")
    assert [c["model_name"] for c in by_first["api_calls"]] == ["qwen-max", "qwen-plus"]
    assert {c["api_key_id"] for c in by_first["api_calls"]} == {first["key_id"]}
    assert by_first["pagination"]["total"] == 2
    both = page(f"api_key_id={first['key_id']}&model_name=qwen-plus")
    assert [c["model_name"] for c in both["api_calls"]] == ["qwen-plus"] and both["pagination"]["total"] == 1
    second_page = page(f"api_key_id={first['key_id']}&page=2&limit=1")
    assert [c["model_name"] for c in second_page["api_calls"]] == ["qwen-plus"]
    assert page("")["pagination"]["total"] == 4
    # With the key itself, and another user filtering by this key's id: nothing of anyone else's.
    assert page(f"api_key_id={second['key_id']}", token=second["key"])["pagination"]["total"] == 1
    other = sign_in()
    assert page(f"api_key_id={first['key_id']}", token=other.access_token) == {
        "api_calls": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5"])
def test_a_bad_api_key_id_filter_is_400(gateway, signed_in, value):
    response = gateway.request("GET", f"{CALLS}?api_key_id={value}", token=signed_in.access_token)

    assert response.status == 400
    assert response.body["message"].startswith("api_key_id:")


def test_a_key_is_403_naming_a_model_outside_its_allow_list(gateway, signed_in, create_key, model):
    key = create_key(models=["qwen-plus"])

    refused = gateway.request("POST", PROXY, chat("qwen-max"), token=key["key"])
    allowed = gateway.request("POST", PROXY, chat("qwen-plus"), token=key["key"])

    assert refused.status == 403
    assert "qwen-max" in refused.body["message"] and refused.body["data"] is None
    assert allowed.status == 200
    calls = gateway.request("GET", CALLS, token=signed_in.access_token).body["data"]["api_calls"]
    assert [c["model_name"] for c in calls] == ["qwen-plus"]  # the refusal never reached the model


def test_a_keys_own_rate_limit_is_429_with_retry_after(gateway, signed_in, create_key, model):
    limited, unlimited = create_key(rate_limit_per_minute=2), create_key()

    statuses = [gateway.request("POST", PROXY, chat(), token=limited["key"]) for _ in range(3)]
    other = gateway.request("POST", PROXY, chat(), token=unlimited["key"])

    assert [r.status for r in statuses] == [200, 200, 429]
    assert statuses[2].body["message"] == "API key rate limit exceeded (2 requests per minute)"
    assert 1 <= int(statuses[2].headers["retry-after"]) <= 62
    assert other.status == 200  # the user's own limit (60) is not used up


def test_a_keys_calls_count_against_the_users_limit_too(gateway, signed_in, create_key, model, unit_env):
    unit_env(RATE_LIMIT_PER_MINUTE="2")
    key = create_key()

    first = gateway.request("POST", PROXY, chat(), token=key["key"])
    second = gateway.request("POST", PROXY, chat(), token=signed_in.access_token)
    third = gateway.request("POST", PROXY, chat(), token=key["key"])

    assert [first.status, second.status, third.status] == [200, 200, 429]
    assert third.body["message"] == "Request rate limit exceeded"


def test_a_call_the_users_limit_refuses_uses_none_of_the_keys_own_limit(
    gateway, signed_in, create_key, model, unit_env
):
    # The key's count and the user's are one write: a refusal of either counts neither.
    unit_env(RATE_LIMIT_PER_MINUTE="2")
    key = create_key(rate_limit_per_minute=2)
    assert gateway.request("POST", PROXY, chat(), token=key["key"]).status == 200
    assert gateway.request("POST", PROXY, chat(), token=signed_in.access_token).status == 200
    refused = gateway.request("POST", PROXY, chat(), token=key["key"])
    assert (refused.status, refused.body["message"]) == (429, "Request rate limit exceeded")

    unit_env(RATE_LIMIT_PER_MINUTE="60")
    statuses = [gateway.request("POST", PROXY, chat(), token=key["key"]) for _ in range(2)]

    assert [r.status for r in statuses] == [200, 429]  # the refused call took no slot of the key's 2
    assert statuses[1].body["message"] == "API key rate limit exceeded (2 requests per minute)"


def test_a_keys_own_rate_limit_holds_with_a_spend_limit_too(gateway, signed_in, create_key, model, unit_env):
    # With a spend limit both counts ride in the reservation's transaction.
    unit_env(DAILY_SPEND_LIMIT="100")
    key = create_key(rate_limit_per_minute=1)

    statuses = [gateway.request("POST", PROXY, chat(), token=key["key"]) for _ in range(2)]

    assert [r.status for r in statuses] == [200, 429]
    assert statuses[1].body["message"] == "API key rate limit exceeded (1 requests per minute)"
    assert 1 <= int(statuses[1].headers["retry-after"]) <= 62


# ------------------------------------------------------------------ the streaming edge (ASGI)


def edge_request(resource: str, method: str = "POST") -> Request:
    context = {
        "resourcePath": resource,
        "httpMethod": method,
        "identity": {"sourceIp": "203.0.113.9"},
        "authorizer": {
            "user_id": "42",
            "auth_type": "api_key",
            "api_key_id": "5",
            "key_models": "qwen-plus,qwen-max",
            "key_rate_limit": "9",
            "key_monthly_budget": "2.5",
        },
    }
    headers = [(b"x-amzn-request-context", json.dumps(context).encode())]
    scope = {"type": "http", "method": method, "path": resource, "headers": headers, "query_string": b""}
    return Request(scope)


def test_the_streaming_edge_carries_the_key_into_the_call_source():
    source = streaming.invocation(edge_request("/v1/chat/completions")).call_source()

    assert source.user_id == 42 and source.api_key_id == 5
    assert source.api_key == KeyGrant(5, ("qwen-plus", "qwen-max"), 9, "2.5")


def test_the_streaming_edge_refuses_a_key_on_the_conversation_stream():
    with pytest.raises(Forbidden, match="API keys can be used only on"):
        streaming.invocation(edge_request("/api/conversations/{conversation_id}/messages/stream"))
