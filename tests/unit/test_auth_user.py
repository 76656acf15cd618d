"""GET /api/auth/user (spec 1.5)."""

import json

from bailian_chat.store import keys

from tests.support.gateway_answers import NOT_AUTHENTICATED
from tests.support.user_shape import CURRENT_USER_FIELDS, ISO_SECONDS_Z


def test_current_user_returns_the_profile_in_the_spec_shape(gateway, register, sign_in):
    user = register(nickname="Nick", phone="+8613800138000")
    session = sign_in(user)

    response = gateway.current_user(session.access_token)

    assert response.status == 200
    assert response.body["code"] == 200
    assert response.body["message"] == "Retrieval successful"
    data = response.body["data"]
    assert set(data) == CURRENT_USER_FIELDS
    assert data["user_id"] == user["user_id"]
    assert data["username"] == user["username"]
    assert data["email"] == user["email"]
    assert data["nickname"] == "Nick"
    assert data["avatar_url"] is None
    assert data["phone"] == "+8613800138000"
    assert data["status"] == 1
    assert data["role"] == "user"
    assert ISO_SECONDS_Z.match(data["created_at"])
    assert ISO_SECONDS_Z.match(data["last_login_at"])
    assert data["created_at"] <= data["last_login_at"]


def test_current_user_shows_the_latest_login(gateway, signed_in, put_attribute):
    put_attribute(keys.user(signed_in.user_id), "last_login_at", "2020-01-01T00:00:00Z")

    data = gateway.current_user(signed_in.access_token).body["data"]

    assert data["last_login_at"] == "2020-01-01T00:00:00Z"


def test_current_user_never_returns_secrets(gateway, signed_in):
    response = gateway.current_user(signed_in.access_token)

    raw = json.dumps(response.body)
    assert "password" not in raw
    assert "$argon2" not in raw
    assert signed_in.registration["password"] not in raw
    assert signed_in.access_token not in raw


def test_current_user_is_the_tokens_user_not_another(gateway, sign_in):
    alice, bob = sign_in(), sign_in()

    assert gateway.current_user(alice.access_token).body["data"]["user_id"] == alice.user_id
    assert gateway.current_user(bob.access_token).body["data"]["user_id"] == bob.user_id


def test_current_user_without_a_token_returns_401_envelope(gateway):
    response = gateway.request("GET", "/api/auth/user")

    assert response.status == 401
    assert response.body == NOT_AUTHENTICATED


def test_current_user_with_garbage_token_returns_401_envelope(gateway):
    response = gateway.current_user("garbage")

    assert response.status == 401
    assert response.body == NOT_AUTHENTICATED
