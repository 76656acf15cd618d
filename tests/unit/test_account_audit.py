"""The audit trail (issue 13 §4) on a moto table: security events become items the user reads with
GET /api/auth/audit (newest first, paged) and admins read with GET /api/admin/users/{id}/audit,
plus a structured log line; they expire after AUDIT_RETENTION_DAYS; nothing secret is in either."""

import json

import pytest
from bailian_chat import clock
from bailian_chat.auth import audit
from bailian_chat.store import keys

from tests.support import payloads
from tests.support.environment import UNIT_ENV

AUDIT = "/api/auth/audit"


@pytest.fixture
def wait(monkeypatch):
    offset = [0]
    real_now = clock.now_epoch
    monkeypatch.setattr(clock, "now_epoch", lambda: real_now() + offset[0])
    return lambda seconds: offset.__setitem__(0, offset[0] + seconds)


def trail(gateway, token: str, query: str = "") -> dict:
    response = gateway.request("GET", AUDIT + query, token=token)
    assert response.status == 200, response
    return response.body["data"]


def events(gateway, token: str) -> list[str]:
    return [e["event"] for e in trail(gateway, token, "?limit=100")["audit_events"]]


def audit_items(ddb, user_id: int) -> list[dict]:
    response = ddb.query(
        TableName=UNIT_ENV["TABLE_NAME"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}, ":prefix": {"S": "AUDIT#"}},
    )
    return response["Items"]


def test_login_success_and_failures_are_in_the_trail_newest_first(gateway, register, sign_in):
    registration = register()
    wrong = gateway.login(payloads.login_for(registration, password="not the password at all"))
    assert wrong.status == 401
    user = sign_in(registration)

    data = trail(gateway, user.access_token)
    assert [e["event"] for e in data["audit_events"]] == ["login_succeeded", "login_failed"]
    newest = data["audit_events"][0]
    assert newest["details"] == {"session_id": user.session_id}
    assert newest["client_ip"] and newest["created_at"].endswith("Z")
    assert data["pagination"] == {"current_page": 1, "per_page": 10, "total": 2, "total_pages": 1}
    second_page = trail(gateway, user.access_token, "?page=2&limit=1")["audit_events"]
    assert [e["event"] for e in second_page] == ["login_failed"]


def test_a_lockout_is_audited(gateway, register, sign_in, unit_env):
    unit_env(LOGIN_MAX_FAILURES="2")
    registration = register()
    for _ in range(2):
        gateway.login(payloads.login_for(registration, password="wrong password again"))
    assert gateway.login(payloads.login_for(registration)).status == 429
    user = sign_in(registration, source_ip="203.0.113.99")  # another IP is not locked out
    assert events(gateway, user.access_token)[1:] == ["locked_out", "login_failed", "login_failed"]


def test_logout_session_end_and_password_change_are_audited(gateway, sign_in):
    first = sign_in()
    second = sign_in(first.registration)
    assert (
        gateway.request("DELETE", f"/api/auth/sessions/{second.session_id}", token=first.access_token).status
        == 200
    )
    wrong = gateway.request(
        "PUT",
        "/api/auth/password",
        {"current_password": "definitely not it", "new_password": "another good passphrase"},
        token=first.access_token,
    )
    assert wrong.status == 400
    changed = gateway.request(
        "PUT",
        "/api/auth/password",
        {"current_password": first.registration["password"], "new_password": "another good passphrase"},
        token=first.access_token,
    )
    assert changed.status == 200, changed
    fresh = changed.body["data"]["access_token"]
    assert events(gateway, fresh)[:3] == ["password_changed", "password_check_failed", "session_ended"]
    gateway.logout(fresh)
    third = sign_in({**first.registration, "password": "another good passphrase"})
    assert events(gateway, third.access_token)[:2] == ["login_succeeded", "session_ended"]


def test_refresh_token_reuse_is_audited(gateway, signed_in, wait):
    rotated = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]
    wait(60)
    assert gateway.refresh({"refresh_token": signed_in.refresh_token}).status == 401
    del rotated  # the session is revoked now: read the trail through a new login
    again = gateway.login(payloads.login_for(signed_in.registration)).body["data"]["access_token"]
    assert "refresh_token_reuse" in events(gateway, again)


def test_items_expire_after_the_retention_and_hold_no_secret(
    gateway, register, sign_in, ddb, unit_env, monkeypatch
):
    unit_env(AUDIT_RETENTION_DAYS="30")
    lines: list[str] = []
    monkeypatch.setattr(
        audit.logger, "info", lambda message, extra: lines.append(json.dumps({message: extra}))
    )
    registration = register()
    gateway.login(payloads.login_for(registration, password="wrong secret passphrase"))
    user = sign_in(registration)
    (newest, older) = sorted(audit_items(ddb, user.user_id), key=lambda i: i["SK"]["S"], reverse=True)
    expires = int(newest["expires_at"]["N"])
    assert abs(expires - (clock.now_epoch() + 30 * 86_400)) < 60
    stored = json.dumps([newest, older])
    logged = "\n".join(lines)
    assert '"audit_event": "login_failed"' in logged and '"audit_event": "login_succeeded"' in logged
    for secret in (
        registration["password"],
        "wrong secret passphrase",
        user.access_token,
        user.refresh_token,
    ):
        assert secret not in stored and secret not in logged


def test_admins_read_any_users_trail_and_their_changes_are_in_it(gateway, sign_in, put_attribute):
    admin, user = sign_in(), sign_in()
    put_attribute(keys.user(admin.user_id), "role", "admin")
    changed = gateway.request(
        "PUT", f"/api/admin/users/{user.user_id}", {"status": 0}, token=admin.access_token
    )
    assert changed.status == 200, changed

    response = gateway.request("GET", f"/api/admin/users/{user.user_id}/audit", token=admin.access_token)
    assert response.status == 200, response
    latest = response.body["data"]["audit_events"][0]
    assert latest["event"] == "user_changed_by_admin"
    assert latest["details"] == {"admin_id": admin.user_id, "changes": {"status": 0}}

    refused = gateway.request("GET", f"/api/admin/users/{admin.user_id}/audit", token=sign_in().access_token)
    assert refused.status == 403
    missing = gateway.request("GET", "/api/admin/users/999999/audit", token=admin.access_token)
    assert missing.status == 404 and missing.body["message"] == "User does not exist"
    bad = gateway.request("GET", f"/api/admin/users/{user.user_id}/audit?limit=0", token=admin.access_token)
    assert bad.status == 400 and "limit" in bad.body["message"]


def test_api_keys_created_and_revoked_are_audited_without_their_secret(gateway, signed_in, ddb):
    created = gateway.request("POST", "/api/keys", {"name": "notebook"}, token=signed_in.access_token)
    key_id, secret = created.body["data"]["key_id"], created.body["data"]["key"]
    assert gateway.request("DELETE", f"/api/keys/{key_id}", token=signed_in.access_token).status == 200

    latest = trail(gateway, signed_in.access_token)["audit_events"][:2]
    assert [(e["event"], e["details"]["key_id"]) for e in latest] == [
        ("api_key_revoked", key_id),
        ("api_key_created", key_id),
    ]
    assert secret not in json.dumps(audit_items(ddb, signed_in.user_id))
