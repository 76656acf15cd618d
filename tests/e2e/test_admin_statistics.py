"""GET /api/admin/statistics over HTTP on the local stack: the table's stream feeds the usage
aggregator locally too (local/stream_poller.py), so a user's conversation, message and model calls
show up in the deployment-wide figures within a bounded wait; non-admins are refused."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from local.dynamodb_local import client
from tests.support.chat_client import ChatApi, User, assert_error, new_user, success_data
from tests.support.model_client import chat_body, proxy

STATISTICS = "/api/admin/statistics"
STREAM_WAIT_SECONDS = 60  # a bound on waiting for the aggregator, not a performance assertion


def make_admin(stack, user: User) -> None:
    client(stack.dynamodb_endpoint).update_item(
        TableName=stack.table_name,
        Key={"PK": {"S": f"USER#{user.user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET #role = :admin",
        ExpressionAttributeNames={"#role": "role"},
        ExpressionAttributeValues={":admin": {"S": "admin"}},
    )


def wait_for(read: Callable[[], dict], done: Callable[[dict], bool]) -> dict:
    deadline = time.monotonic() + STREAM_WAIT_SECONDS
    while True:
        data = read()
        if done(data):
            return data
        if time.monotonic() > deadline:
            pytest.fail(f"the deployment statistics never got there: {data}")
        time.sleep(0.25)


@pytest.fixture
def admin(api, stack) -> User:
    user = new_user(api, "admin")
    make_admin(stack, user)
    return user


def admin_statistics(api: httpx.Client, admin: User, **params) -> dict:
    return success_data(api.get(STATISTICS, params=params, headers=admin.headers), "Retrieval successful")


def test_a_users_activity_reaches_the_deployment_statistics(api, admin):
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    before = admin_statistics(api, admin, start_date=today, end_date=today)
    user = new_user(api, "ranked")
    chat = ChatApi(api, user)
    conversation = chat.create_ok(model_name="qwen-turbo")
    chat.send_ok(conversation["conversation_id"], "hello there", generate=True)
    called = proxy(api, user, chat_body("hi", model="qwen-turbo"))
    assert called.status_code == 200, called.text
    own = success_data(
        api.get(
            "/api/history/conversations/statistics", params={"model_name": "qwen-turbo"}, headers=user.headers
        ),
        "Retrieval successful",
    )
    tokens = own["total_tokens"]
    assert tokens > 0

    def ranked(data: dict) -> dict | None:
        return next((u for u in data["top_users"] if u["user_id"] == user.user_id), None)

    after = wait_for(
        lambda: admin_statistics(api, admin, start_date=today, end_date=today, model_name="qwen-turbo"),
        # Both rows, not just the ranking: the statistics read the daily and ranking rows with
        # separate queries, so one answer can show the ranking after a batch and the total before.
        lambda data: (ranked(data) or {}).get("tokens") == tokens and data["total_tokens"] >= tokens,
    )
    assert ranked(after)["username"] == user.username
    assert after["total_tokens"] >= tokens
    assert after["total_messages"] >= own["total_messages"] >= 2  # the user's message and the reply
    assert after["total_conversations"] >= 1
    assert any(m["model_name"] == "qwen-turbo" for m in after["model_statistics"])
    assert [d["date"] for d in after["daily_statistics"]] == [today]

    everything = wait_for(
        lambda: admin_statistics(api, admin, start_date=today, end_date=today),
        lambda data: data["total_users"] >= before["total_users"] + 1,
    )
    assert everything["total_tokens"] >= before["total_tokens"] + tokens
    assert everything["active_users"] >= 1


def test_admin_statistics_are_for_admins_only(api, admin, stack):
    user = new_user(api, "plain")
    assert_error(api.get(STATISTICS, headers=user.headers), 403, "Admin access required")
    assert api.get(STATISTICS).status_code == 401
    bad = api.get(STATISTICS, params={"start_date": "2026-02-30"}, headers=admin.headers)
    assert bad.status_code == 400 and "start_date" in bad.json()["message"]
