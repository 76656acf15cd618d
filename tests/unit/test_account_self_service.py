"""Self-service (issue 13 section 3): PUT /api/auth/user, PUT /api/auth/password,
GET /api/auth/sessions, DELETE /api/auth/sessions/{session_id}."""

import pytest
from bailian_chat.store import keys

from tests.support.payloads import login_for
from tests.support.tokens import claims_of

NEW_PASSWORD = "a brand new passphrase"


def put_profile(gateway, token, body):
    return gateway.request("PUT", "/api/auth/user", body, token=token)


def change_password(gateway, token, current, new=NEW_PASSWORD, source_ip="198.51.100.7"):
    body = {"current_password": current, "new_password": new}
    return gateway.request("PUT", "/api/auth/password", body, token=token, source_ip=source_ip)


def assert_400(response, message_start):
    assert response.status == 400, response
    assert response.body["data"] is None
    assert response.body["message"].startswith(message_start), response.body["message"]


# ------------------------------------------------------------------ PUT /api/auth/user


def test_profile_update_sets_the_fields_and_answers_the_current_user_shape(gateway, signed_in):
    body = {"nickname": "  Neo  ", "avatar_url": "https://example.com/neo.png", "phone": "+86 138-0013-8000"}

    response = put_profile(gateway, signed_in.access_token, body)

    assert response.status == 200, response
    assert response.body["message"] == "Update successful"
    data = response.body["data"]
    assert data == gateway.current_user(signed_in.access_token).body["data"]
    assert data["nickname"] == "Neo"
    assert data["avatar_url"] == "https://example.com/neo.png"
    assert data["phone"] == "+86 138-0013-8000"
    assert data["role"] == "user"
    assert {"created_at", "last_login_at"} <= set(data)


def test_profile_update_leaves_absent_fields_and_clears_null_ones(gateway, register, sign_in):
    session = sign_in(register(nickname="Old", phone="+8613800138000"))

    data = put_profile(gateway, session.access_token, {"phone": None}).body["data"]

    assert data["nickname"] == "Old"
    assert data["phone"] is None


def test_profile_update_with_nothing_to_change_is_400(gateway, signed_in):
    assert_400(put_profile(gateway, signed_in.access_token, {}), "Request body must set at least one of")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"avatar_url": "ftp://example.com/a.png"}, "avatar_url"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "https://example.com/" + "a" * 2048}, "avatar_url"),
        ({"nickname": "bad\x00name"}, "nickname"),
        ({"nickname": "n" * 65}, "nickname"),
        ({"phone": "call me"}, "phone"),
        ({"phone": 13800138000}, "phone"),
    ],
)
def test_profile_update_refuses_bad_fields_naming_them(gateway, signed_in, body, field):
    assert_400(put_profile(gateway, signed_in.access_token, body), f"{field}:")


def test_profile_update_needs_a_token(gateway):
    assert gateway.request("PUT", "/api/auth/user", {"nickname": "x"}).status == 401


# ------------------------------------------------------------------ PUT /api/auth/password


def test_password_change_ends_other_sessions_and_answers_fresh_tokens_for_this_one(
    gateway, register, sign_in
):
    user = register()
    this, other = sign_in(user), sign_in(user)

    response = change_password(gateway, this.access_token, user["password"])

    assert response.status == 200, response
    assert response.body["message"] == "Password changed"
    fresh = response.body["data"]
    assert set(fresh) == {"access_token", "refresh_token", "expires_in"}
    assert claims_of(fresh["access_token"])["sid"] == this.session_id  # the same session goes on
    assert gateway.current_user(fresh["access_token"]).status == 200
    assert gateway.current_user(other.access_token).status == 401  # at once, on its next request
    assert gateway.refresh({"refresh_token": other.refresh_token}).status == 401
    assert gateway.refresh({"refresh_token": fresh["refresh_token"]}).status == 200
    assert gateway.login(login_for(user)).status == 401
    assert gateway.login(login_for(user, password=NEW_PASSWORD)).status == 200
    # The refresh token from before the change is spent (presenting it is reuse: the session ends).
    assert gateway.refresh({"refresh_token": this.refresh_token}).status == 401


def test_a_wrong_current_password_changes_nothing(gateway, register, sign_in, get_item):
    user = register()
    this, other = sign_in(user), sign_in(user)
    hash_before = get_item(keys.user(user["user_id"]))["password_hash"]

    response = change_password(gateway, this.access_token, "not the password")

    assert_400(response, "current_password: is incorrect")
    assert get_item(keys.user(user["user_id"]))["password_hash"] == hash_before
    assert gateway.current_user(other.access_token).status == 200
    assert gateway.login(login_for(user)).status == 200


def test_wrong_current_passwords_count_toward_the_login_throttle(gateway, register, sign_in, unit_env):
    unit_env(LOGIN_MAX_FAILURES="2")
    user = register()
    session = sign_in(user)

    assert change_password(gateway, session.access_token, "wrong one").status == 400
    assert change_password(gateway, session.access_token, "wrong two").status == 400
    locked = change_password(gateway, session.access_token, user["password"])

    assert locked.status == 429, locked
    assert int(locked.headers["retry-after"]) > 0
    assert gateway.login(login_for(user)).status == 429  # the same account+IP count as login's
    assert (
        change_password(gateway, session.access_token, user["password"], source_ip="203.0.113.9").status
        == 200
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"current_password": "whatever1", "new_password": "short"}, "new_password:"),
        ({"current_password": "whatever1", "new_password": "x" * 129}, "new_password:"),
        ({"new_password": NEW_PASSWORD}, "current_password: is required"),
        ({"current_password": "whatever1"}, "new_password: is required"),
        ({"current_password": "   ", "new_password": NEW_PASSWORD}, "current_password:"),
        ({"current_password": 12345678, "new_password": NEW_PASSWORD}, "current_password:"),
    ],
)
def test_password_change_refuses_bad_bodies(gateway, signed_in, body, message):
    response = gateway.request("PUT", "/api/auth/password", body, token=signed_in.access_token)
    assert_400(response, message)


def test_password_change_needs_a_token(gateway):
    body = {"current_password": "whatever1", "new_password": NEW_PASSWORD}
    assert gateway.request("PUT", "/api/auth/password", body).status == 401


# ------------------------------------------------------------------ sessions


def list_sessions(gateway, token):
    response = gateway.request("GET", "/api/auth/sessions", token=token)
    assert response.status == 200, response
    assert response.body["message"] == "Retrieval successful"
    return response.body["data"]["sessions"]


def test_sessions_lists_each_live_session_with_where_it_came_from(gateway, register, sign_in):
    user = register()
    first = sign_in(user, source_ip="203.0.113.1")
    second = sign_in(user, source_ip="203.0.113.2")
    gateway.logout(sign_in(user).access_token)  # a logged-out session is not listed

    sessions = list_sessions(gateway, second.access_token)

    by_id = {s["session_id"]: s for s in sessions}
    assert set(by_id) == {first.session_id, second.session_id}
    assert (by_id[second.session_id]["current"], by_id[first.session_id]["current"]) == (True, False)
    assert by_id[second.session_id]["client_ip"] == "203.0.113.2"
    assert by_id[first.session_id]["client_ip"] == "203.0.113.1"
    assert [s["created_at"] for s in sessions] == sorted((s["created_at"] for s in sessions), reverse=True)
    for session in sessions:
        assert set(session) == {
            "session_id",
            "created_at",
            "last_used_at",
            "client_ip",
            "user_agent",
            "current",
        }
        assert session["user_agent"] == "pytest"
        assert session["created_at"] <= session["last_used_at"]


def test_sessions_are_only_the_callers(gateway, sign_in):
    alice, bob = sign_in(), sign_in()

    assert [s["session_id"] for s in list_sessions(gateway, alice.access_token)] == [alice.session_id]
    assert [s["session_id"] for s in list_sessions(gateway, bob.access_token)] == [bob.session_id]


def test_ending_a_session_refuses_its_tokens_at_once(gateway, register, sign_in):
    user = register()
    this, other = sign_in(user), sign_in(user)

    response = gateway.request("DELETE", f"/api/auth/sessions/{other.session_id}", token=this.access_token)

    assert response.status == 200, response
    assert response.body == {"code": 200, "message": "Deletion successful", "data": None}
    assert gateway.current_user(other.access_token).status == 401
    assert gateway.refresh({"refresh_token": other.refresh_token}).status == 401
    assert [s["session_id"] for s in list_sessions(gateway, this.access_token)] == [this.session_id]
    again = gateway.request("DELETE", f"/api/auth/sessions/{other.session_id}", token=this.access_token)
    assert again.status == 404


def test_ending_the_current_session_is_a_logout(gateway, signed_in):
    path = f"/api/auth/sessions/{signed_in.session_id}"

    assert gateway.request("DELETE", path, token=signed_in.access_token).status == 200
    assert gateway.current_user(signed_in.access_token).status == 401


def test_someone_elses_or_no_session_is_404(gateway, sign_in):
    alice, bob = sign_in(), sign_in()

    for session_id in (bob.session_id, "no-such-session-00000000"):
        response = gateway.request("DELETE", f"/api/auth/sessions/{session_id}", token=alice.access_token)
        assert response.status == 404, response
        assert response.body["message"] == "Session does not exist"
    assert gateway.current_user(bob.access_token).status == 200


@pytest.mark.parametrize("session_id", ["a.b", "x" * 65, "%20"])
def test_a_malformed_session_id_is_400(gateway, signed_in, session_id):
    response = gateway.request("DELETE", f"/api/auth/sessions/{session_id}", token=signed_in.access_token)
    assert_400(response, "session_id:")


def test_sessions_routes_need_a_token(gateway):
    assert gateway.request("GET", "/api/auth/sessions").status == 401
    assert gateway.request("DELETE", "/api/auth/sessions/abc").status == 401
