"""DELETE /api/auth/user (issue 13 §3) on a moto table: the password is checked under the login
throttle; then every item of the user goes (a scan in the test finds none), their tokens and login
are refused, username and email are free again, the deployment's totals stay; a purge that runs
short of time is finished by the account_purge function from the profile's stream record."""

from types import SimpleNamespace

import pytest
from bailian_chat.auth import account_deletion
from bailian_chat.store import account_items, deployment_statistics_rows, keys
from boto3.dynamodb.types import TypeDeserializer

from tests.support import payloads
from tests.support.environment import UNIT_ENV
from tests.support.stream_records import account, rollup_change, stream_record


def not_authenticated(response) -> bool:
    """The gateway's 401 (its body also carries OpenAI's error object, for the /v1 SDKs)."""
    return response.status == 401 and response.body["message"] == "Not authenticated"


def all_items(ddb) -> list[dict]:
    items, start = [], None
    while True:
        page = ddb.scan(TableName=UNIT_ENV["TABLE_NAME"], **({"ExclusiveStartKey": start} if start else {}))
        items += [{k: TypeDeserializer().deserialize(v) for k, v in item.items()} for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if start is None:
            return items


def items_of(ddb, user_id: int, registration: dict) -> list[dict]:
    """Every item that names the user: by id in a key or an owner attribute, or by username/email."""
    marks = (f"USER#{user_id}#", f"RATE#{user_id}", f"user:{user_id}#")
    names = (registration["username"].lower(), registration["email"].lower())
    found = []
    for item in all_items(ddb):
        key_text = " ".join(str(item.get(k, "")) for k in ("PK", "SK", "GSI1PK", "GSI2PK"))
        if (
            f"USER#{user_id}" == item["PK"]
            or any(mark in key_text + "#" for mark in marks)
            or item.get("user_id") == user_id
            or item.get("owner_id") == user_id
            or any(name in key_text.lower() for name in names)
        ):
            found.append(item)
    return found


@pytest.fixture
def busy_user(gateway, sign_in):
    """A user with two sessions, conversations with messages, two API keys (one revoked), audit
    items and a failed login."""
    user = sign_in()
    created = [gateway.request("POST", "/api/keys", {"name": n}, token=user.access_token) for n in ("a", "b")]
    assert [c.status for c in created] == [200, 200]
    revoked = gateway.request(
        "DELETE", f"/api/keys/{created[1].body['data']['key_id']}", token=user.access_token
    )
    assert revoked.status == 200, revoked
    live_key = created[0].body["data"]["key"]
    assert gateway.request("GET", "/api/history/api-calls", token=live_key).status == 200
    sign_in(user.registration, source_ip="203.0.113.5")
    gateway.login(payloads.login_for(user.registration, password="a wrong password here"))
    for title in ("one", "two"):
        created = gateway.request(
            "POST", "/api/conversations", {"title": title, "model_name": "qwen-plus"}, token=user.access_token
        )
        conversation_id = created.body["data"]["conversation_id"]
        for text in ("hello", "again"):
            sent = gateway.request(
                "POST",
                f"/api/conversations/{conversation_id}/messages",
                {"content": [{"type": "text", "text": text}], "generate": False},
                token=user.access_token,
            )
            assert sent.status == 200, sent
    return SimpleNamespace(**vars(user), keys=[live_key])


def delete(gateway, user, password: str | None = None):
    body = {"password": password or user.registration["password"]}
    return gateway.request("DELETE", "/api/auth/user", body, token=user.access_token)


def test_deletion_removes_every_item_and_access(gateway, busy_user, ddb, register):
    assert items_of(ddb, busy_user.user_id, busy_user.registration)  # the fixture left some

    response = delete(gateway, busy_user)

    assert response.status == 200, response
    assert response.body == {"code": 200, "message": "Deletion successful", "data": None}
    assert items_of(ddb, busy_user.user_id, busy_user.registration) == []
    assert not_authenticated(gateway.current_user(busy_user.access_token))
    assert gateway.refresh({"refresh_token": busy_user.refresh_token}).status == 401
    assert gateway.request("GET", "/api/history/api-calls", token=busy_user.keys[0]).status == 401
    assert gateway.login(payloads.login_for(busy_user.registration)).status == 401
    again = gateway.register(busy_user.registration)  # username and email are free again
    assert again.status == 200 and again.body["data"]["user_id"] != busy_user.user_id


def test_a_wrong_password_changes_nothing_and_counts_toward_the_throttle(gateway, sign_in, unit_env):
    unit_env(LOGIN_MAX_FAILURES="2")  # before the login, whose window the attempts then share
    signed_in = sign_in()
    for _ in range(2):
        wrong = delete(gateway, signed_in, "not my password")
        assert wrong.status == 400 and wrong.body["message"] == "password: is incorrect"
    assert gateway.current_user(signed_in.access_token).status == 200
    locked = delete(gateway, signed_in)
    assert locked.status == 429


def test_the_body_must_carry_the_password(gateway, signed_in):
    for body in ({}, {"password": ""}, {"password": 5}):
        response = gateway.request("DELETE", "/api/auth/user", body, token=signed_in.access_token)
        assert response.status == 400 and "password" in response.body["message"], response
    assert gateway.request("DELETE", "/api/auth/user", {"password": "x"}).status == 401


def test_the_deployments_totals_stay_and_the_users_ranking_rows_go(
    gateway, sign_in, load_function, lambda_context, ddb
):
    user, other = sign_in(), sign_in()
    aggregate = load_function("usage_aggregator").handler
    records = [
        account("INSERT", user.user_id),
        rollup_change(user.user_id, "qwen-plus", None, {"calls": 1, "tokens": 40}),
        rollup_change(other.user_id, "qwen-plus", None, {"calls": 1, "tokens": 2}),
    ]
    aggregate({"Records": records}, lambda_context)
    # the user's own rollup row, as the call's transaction would have left it
    pk, sk = keys.daily_rollup(user.user_id, "2026-03-01", "qwen-plus")
    ddb.put_item(
        TableName=UNIT_ENV["TABLE_NAME"],
        Item={
            "PK": {"S": pk},
            "SK": {"S": sk},
            "date": {"S": "2026-03-01"},
            "model_name": {"S": "qwen-plus"},
            "tokens": {"N": "40"},
        },
    )

    assert delete(gateway, user).status == 200

    rows = deployment_statistics_rows.statistics_rows("2026-03-01", "2026-03-01")
    assert sum(row["tokens"] for row in rows.daily) == 42
    assert {int(r["user_id"]) for r in rows.ranking} == {other.user_id}
    aggregate({"Records": [account("REMOVE", user.user_id)]}, lambda_context)
    # 1 created - 1 deleted (the other was never streamed)
    assert deployment_statistics_rows.statistics_rows("2026-03-01", "2026-03-01").total_users == 0


def test_a_purge_out_of_time_is_finished_by_the_stream_continuation(
    gateway, busy_user, ddb, load_function, lambda_context, get_item
):
    calls = iter([60_000, 60_000, 0])  # two batches, then the request's time is up

    finished = account_deletion.delete_account(
        busy_user.user_id, "198.51.100.1", busy_user.registration["password"], lambda: next(calls, 0)
    )

    assert finished is False
    assert not_authenticated(gateway.current_user(busy_user.access_token))
    left = items_of(ddb, busy_user.user_id, busy_user.registration)
    assert left  # stopped half-way: the profile (marked) and more are still there
    profile = get_item(keys.user(busy_user.user_id))
    assert profile["deleting_at"]

    new_image = {k: v for k, v in profile.items() if k not in ("PK", "SK")}
    record = stream_record("MODIFY", *keys.user(busy_user.user_id), new_image, {})
    answer = load_function("account_purge").handler({"Records": [record]}, lambda_context)

    assert answer == {"batchItemFailures": []}
    assert items_of(ddb, busy_user.user_id, busy_user.registration) == []


def test_the_last_active_admin_cannot_delete_their_account(gateway, sign_in, put_attribute, get_item):
    admin = sign_in()
    account_items.change_account(get_item(keys.user(admin.user_id)), {"role": "admin"})
    refused = delete(gateway, admin)
    assert refused.status == 409 and "last active admin" in refused.body["message"]
    second = sign_in()
    account_items.change_account(get_item(keys.user(second.user_id)), {"role": "admin"})
    assert delete(gateway, admin).status == 200
    assert get_item(keys.active_admins())["value"] == 1
