"""Account deletion and the audit trail over HTTP on the local stack (issue 13 §3-4). After
DELETE /api/auth/user the test scans DynamoDB Local (in the test, never on a request path) and finds
no item of the user, also once the stream's continuation and aggregator have run; the deployment's
totals keep the user's activity."""

import time

import httpx
import pytest

from local.dynamodb_local import client
from tests.e2e.test_admin_statistics import admin_statistics, make_admin, wait_for
from tests.support import payloads
from tests.support.chat_client import ChatApi, User, assert_error, new_user, success_data
from tests.support.model_client import chat_body, proxy

SETTLE_SECONDS = 2.0  # let the local stream poller hand on what the deletion wrote


def scan(stack) -> list[dict]:
    dynamodb = client(stack.dynamodb_endpoint)
    items, start = [], None
    while True:
        page = dynamodb.scan(TableName=stack.table_name, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if start is None:
            return items


def items_of(stack, user_id: int, username: str, email: str) -> list[dict]:
    """Items naming the user: their id in a key or an owner attribute, or their username/email."""
    found = []
    for item in scan(stack):
        keys_text = " ".join(item.get(k, {}).get("S", "") for k in ("PK", "SK", "GSI1PK", "GSI2PK"))
        owner = {item.get(k, {}).get("N") for k in ("user_id", "owner_id")}
        if (
            item["PK"]["S"] == f"USER#{user_id}"
            or f"USER#{user_id}#" in keys_text
            or f"RATE#{user_id}" == item["PK"]["S"]
            or f"user:{user_id}#" in keys_text
            or str(user_id) in owner
            or username.lower() in keys_text.lower()
            or email.lower() in keys_text.lower()
        ):
            found.append(item)
    return found


def register_and_login(api: httpx.Client) -> tuple[dict, dict]:
    body = payloads.registration("doomed")
    assert api.post("/api/auth/register", json=body).status_code == 200
    login = api.post("/api/auth/login", json=payloads.login_for(body))
    assert login.status_code == 200, login.text
    return body, login.json()["data"]


def test_deleting_an_account_leaves_no_item_of_it(api, stack):
    admin = new_user(api, "admin")
    make_admin(stack, admin)
    body, session = register_and_login(api)
    user = User(session["user"]["user_id"], body["username"], session["access_token"])
    api.post("/api/auth/login", json=payloads.login_for(body, password="wrong password here"))
    chat = ChatApi(api, user)
    conversation = chat.create_ok(model_name="qwen-turbo")
    chat.send_ok(conversation["conversation_id"], "hello", generate=True)
    assert proxy(api, user, chat_body("hi", model="qwen-turbo")).status_code == 200
    tokens = success_data(
        api.get("/api/history/conversations/statistics", headers=user.headers), "Retrieval successful"
    )["total_tokens"]
    ranked = wait_for(
        lambda: admin_statistics(api, admin, model_name="qwen-turbo"),
        lambda data: any(u["user_id"] == user.user_id and u["tokens"] == tokens for u in data["top_users"]),
    )
    assert items_of(stack, user.user_id, body["username"], body["email"])

    wrong = api.request("DELETE", "/api/auth/user", json={"password": "not it at all"}, headers=user.headers)
    assert_error(wrong, 400, "password: is incorrect")
    deleted = api.request(
        "DELETE", "/api/auth/user", json={"password": body["password"]}, headers=user.headers
    )
    assert deleted.json() == {"code": 200, "message": "Deletion successful", "data": None}

    assert items_of(stack, user.user_id, body["username"], body["email"]) == []
    time.sleep(SETTLE_SECONDS)  # the continuation and the aggregator see the deletion too
    assert items_of(stack, user.user_id, body["username"], body["email"]) == []
    assert api.get("/api/auth/user", headers=user.headers).status_code == 401
    assert api.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    # (a login now is a name that is no account: its throttle count is the new attempt's own item)
    assert api.post("/api/auth/login", json=payloads.login_for(body)).status_code == 401

    after = wait_for(
        lambda: admin_statistics(api, admin, model_name="qwen-turbo"),
        lambda data: all(u["user_id"] != user.user_id for u in data["top_users"]),
    )
    assert after["total_tokens"] >= ranked["total_tokens"] >= tokens  # totals keep the activity
    assert api.post("/api/auth/register", json=body).status_code == 200  # both names free again


def test_the_audit_trail_over_http(api, stack):
    body, first = register_and_login(api)
    api.post("/api/auth/login", json=payloads.login_for(body, password="wrong password here"))
    second = api.post("/api/auth/login", json=payloads.login_for(body)).json()["data"]
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert (
        api.post("/api/auth/logout", headers={"Authorization": f"Bearer {first['access_token']}"}).status_code
        == 200
    )

    trail = success_data(
        api.get("/api/auth/audit", params={"limit": 100}, headers=headers), "Retrieval successful"
    )
    events = [e["event"] for e in trail["audit_events"]]
    assert events == ["session_ended", "login_succeeded", "login_failed", "login_succeeded"]
    assert trail["pagination"]["total"] == 4
    assert all(e["client_ip"] == "127.0.0.1" for e in trail["audit_events"])

    admin = new_user(api, "admin")
    user_id = second["user"]["user_id"]
    assert_error(
        api.get(f"/api/admin/users/{user_id}/audit", headers=admin.headers), 403, "Admin access required"
    )
    make_admin(stack, admin)
    seen = success_data(
        api.get(f"/api/admin/users/{user_id}/audit", headers=admin.headers), "Retrieval successful"
    )
    assert [e["event"] for e in seen["audit_events"]] == events
    assert api.get("/api/auth/audit", params={"page": 0}, headers=headers).status_code == 400


@pytest.mark.parametrize("body", [None, {}, {"password": ""}])
def test_deletion_needs_the_password(api, body):
    _, session = register_and_login(api)
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    response = api.request("DELETE", "/api/auth/user", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert api.get("/api/auth/user", headers=headers).status_code == 200
