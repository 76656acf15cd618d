"""POST /api/auth/refresh (spec 1.4): rotation, reuse detection and every way a refresh token can
be invalid."""

import time

import pytest
from bailian_chat.store import keys

from tests.support.environment import JWT_SECRET, OTHER_KEY
from tests.support.gateway_answers import NOT_AUTHENTICATED
from tests.support.tokens import REMOVE, claims_of, forge, unsigned

BAD_REFRESH = {"code": 401, "message": "Refresh token is invalid or expired", "data": None}
KEY = JWT_SECRET


def test_refresh_returns_a_new_access_token_and_a_rotated_refresh_token(gateway, signed_in):
    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert response.status == 200
    assert response.body["code"] == 200
    assert response.body["message"] == "Token refresh successful"
    data = response.body["data"]
    assert set(data) == {"access_token", "expires_in", "refresh_token"}
    assert data["expires_in"] == 3600
    assert data["access_token"] != signed_in.access_token
    assert data["refresh_token"] != signed_in.refresh_token


def test_refresh_keeps_the_session_user_and_lifetime(gateway, signed_in):
    data = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]

    old, new_refresh, new_access = (
        claims_of(signed_in.refresh_token),
        claims_of(data["refresh_token"]),
        claims_of(data["access_token"]),
    )
    assert new_access["sid"] == new_refresh["sid"] == old["sid"]
    assert new_access["sub"] == new_refresh["sub"] == str(signed_in.user_id)
    assert (new_access["typ"], new_refresh["typ"]) == ("access", "refresh")
    assert new_refresh["exp"] == old["exp"]
    assert new_refresh["jti"] != old["jti"]


def test_refreshed_access_token_authenticates(gateway, signed_in):
    data = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]

    response = gateway.current_user(data["access_token"])

    assert response.status == 200
    assert response.body["data"]["user_id"] == signed_in.user_id


def test_rotated_refresh_token_can_refresh_again(gateway, signed_in):
    second = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]

    third = gateway.refresh({"refresh_token": second["refresh_token"]})

    assert third.status == 200


def test_refresh_with_an_already_rotated_token_returns_401(gateway, signed_in):
    gateway.refresh({"refresh_token": signed_in.refresh_token})

    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_token_reuse_revokes_the_whole_session(gateway, signed_in):
    rotated = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]

    reuse = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert reuse.status == 401
    assert gateway.refresh({"refresh_token": rotated["refresh_token"]}).body == BAD_REFRESH
    assert gateway.current_user(rotated["access_token"]).body == NOT_AUTHENTICATED
    assert gateway.current_user(signed_in.access_token).body == NOT_AUTHENTICATED


def test_refresh_token_reuse_leaves_the_users_other_sessions_alone(gateway, sign_in, register):
    user = register()
    victim, other = sign_in(user), sign_in(user)
    gateway.refresh({"refresh_token": victim.refresh_token})

    gateway.refresh({"refresh_token": victim.refresh_token})

    assert gateway.current_user(other.access_token).status == 200
    assert gateway.refresh({"refresh_token": other.refresh_token}).status == 200


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer x"],
    ids=["word", "three-parts", "empty-claims", "bearer-prefix"],
)
def test_refresh_with_garbage_returns_401(gateway, token):
    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_an_access_token_returns_401(gateway, signed_in):
    response = gateway.refresh({"refresh_token": signed_in.access_token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_an_expired_refresh_token_returns_401(gateway, signed_in):
    expired = forge(claims_of(signed_in.refresh_token), KEY, exp=int(time.time()) - 60)

    response = gateway.refresh({"refresh_token": expired})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_a_token_signed_by_another_key_returns_401(gateway, signed_in):
    token = forge(claims_of(signed_in.refresh_token), OTHER_KEY)

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_a_token_of_another_issuer_returns_401(gateway, signed_in):
    token = forge(claims_of(signed_in.refresh_token), KEY, iss="someone-else")

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_an_unsigned_alg_none_token_returns_401(gateway, signed_in):
    token = unsigned(claims_of(signed_in.refresh_token))

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_a_token_signed_by_another_hmac_algorithm_returns_401(gateway, signed_in):
    token = forge(claims_of(signed_in.refresh_token), KEY, algorithm="HS512")

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401


@pytest.mark.parametrize("claim", ["sub", "sid", "jti", "typ", "iat", "exp", "iss"])
def test_refresh_with_a_token_missing_a_claim_returns_401(gateway, signed_in, claim):
    token = forge(claims_of(signed_in.refresh_token), KEY, **{claim: REMOVE})

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_a_well_signed_token_of_an_unknown_session_returns_401(gateway, signed_in):
    token = forge(claims_of(signed_in.refresh_token), KEY, sid="no-such-session")

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_with_a_well_signed_token_of_another_user_returns_401(gateway, signed_in, register):
    other = register()
    token = forge(claims_of(signed_in.refresh_token), KEY, sub=str(other["user_id"]))

    response = gateway.refresh({"refresh_token": token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_after_logout_returns_401(gateway, signed_in):
    gateway.logout(signed_in.access_token)

    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


@pytest.mark.parametrize(
    ("raw_body", "message"),
    [
        ("{}", "refresh_token: is required"),
        ('{"token": "x"}', "refresh_token: is required"),
        ('{"refresh_token": ', "Malformed JSON in request body"),
        ("[]", "Request body must be a JSON object"),
        ('"token"', "Request body must be a JSON object"),
        (None, "Request body must be a JSON object"),
    ],
    ids=["empty-object", "other-field", "malformed", "array", "string", "absent"],
)
def test_refresh_with_bad_body_returns_400(gateway, raw_body, message):
    response = gateway.refresh(raw_body)

    assert response.status == 400
    assert response.body == {"code": 400, "message": message, "data": None}


@pytest.mark.parametrize("value", ["", "   ", 123, True, None, {"t": "x"}, ["x"]], ids=repr)
def test_refresh_with_empty_or_non_string_token_returns_400_naming_it(gateway, value):
    response = gateway.refresh({"refresh_token": value})

    assert response.status == 400
    assert response.body["message"].startswith("refresh_token: "), response.body["message"]
    assert response.body["data"] is None


def test_refresh_with_array_wrapping_a_valid_body_returns_400(gateway, signed_in):
    response = gateway.refresh([{"refresh_token": signed_in.refresh_token}])

    assert response.status == 400, response
    assert response.body == {"code": 400, "message": "Request body must be a JSON object", "data": None}


def test_refresh_for_a_disabled_user_returns_401_and_revokes_the_session(gateway, signed_in, put_attribute):
    put_attribute(keys.user(signed_in.user_id), "status", 0)

    refused = gateway.refresh({"refresh_token": signed_in.refresh_token})
    put_attribute(keys.user(signed_in.user_id), "status", 1)
    after_reenabling = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert refused.status == 401
    assert refused.body == {"code": 401, "message": "Refresh token is invalid or expired", "data": None}
    assert after_reenabling.status == 401  # the session was revoked, not just refused once
