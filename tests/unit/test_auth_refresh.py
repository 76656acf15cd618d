"""POST /api/auth/refresh (spec 1.4): rotation, reuse detection and every way a refresh token can
be invalid."""

import pytest
from bailian_chat import clock
from bailian_chat.auth import service, tokens
from bailian_chat.store import keys

from tests.support.environment import JWT_SECRET
from tests.support.gateway_answers import NOT_AUTHENTICATED
from tests.support.tokens import claims_of, each_forgery, forge

BAD_REFRESH = {"code": 401, "message": "Refresh token is invalid or expired", "data": None}
KEY = JWT_SECRET
GRACE = service.REFRESH_GRACE_SECONDS


@pytest.fixture
def wait(monkeypatch):
    """`wait(seconds)`: the service's clock moves on that far, and only then (it stands still
    otherwise, so a slow machine can't push a test past the grace period; JWT expiry keeps real time)."""
    offset = [0]
    start = clock.now_epoch()
    monkeypatch.setattr(clock, "now_epoch", lambda: start + offset[0])

    def _wait(seconds: int) -> None:
        offset[0] += seconds

    return _wait


def test_refresh_returns_a_new_access_token_and_a_rotated_refresh_token(gateway, signed_in):
    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert response.status == 200
    assert response.body["code"] == 200
    assert response.body["message"] == "Token refresh successful"
    data = response.body["data"]
    assert list(data) == ["access_token", "expires_in", "refresh_token"]  # spec 1.4's, then the new token
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


def test_refresh_with_an_already_rotated_token_returns_401(gateway, signed_in, wait):
    gateway.refresh({"refresh_token": signed_in.refresh_token})
    wait(GRACE)

    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_refresh_token_reuse_revokes_the_whole_session(gateway, signed_in, wait):
    rotated = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]
    wait(GRACE)

    reuse = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert reuse.status == 401
    assert gateway.refresh({"refresh_token": rotated["refresh_token"]}).body == BAD_REFRESH
    assert gateway.current_user(rotated["access_token"]).body == NOT_AUTHENTICATED
    assert gateway.current_user(signed_in.access_token).body == NOT_AUTHENTICATED


def test_refresh_token_reuse_leaves_the_users_other_sessions_alone(gateway, sign_in, register, wait):
    user = register()
    victim, other = sign_in(user), sign_in(user)
    gateway.refresh({"refresh_token": victim.refresh_token})
    wait(GRACE)

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


@each_forgery
def test_refresh_with_a_forged_refresh_token_returns_401(gateway, signed_in, forgery):
    token = forgery(claims_of(signed_in.refresh_token))

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


# ----------------------------------------------------------------------------- grace period (issue 9, item 2)


def refresh_data(gateway, token: str) -> dict:
    response = gateway.refresh({"refresh_token": token})
    assert response.status == 200, response
    return response.body["data"]


def test_the_just_rotated_token_presented_again_gets_the_same_rotation_not_a_revocation(gateway, signed_in):
    first = refresh_data(gateway, signed_in.refresh_token)

    again = refresh_data(gateway, signed_in.refresh_token)

    assert again["refresh_token"] == first["refresh_token"]  # one rotation: the same token
    assert gateway.current_user(first["access_token"]).status == 200
    assert gateway.current_user(again["access_token"]).status == 200
    assert gateway.refresh({"refresh_token": first["refresh_token"]}).status == 200


def test_a_grace_answer_does_not_outlive_the_rotation_it_repeats(gateway, signed_in, wait):
    first = refresh_data(gateway, signed_in.refresh_token)
    wait(GRACE - 1)

    again = refresh_data(gateway, signed_in.refresh_token)

    assert claims_of(again["access_token"])["exp"] == claims_of(first["access_token"])["exp"]
    assert again["expires_in"] == first["expires_in"] - (GRACE - 1)
    assert claims_of(again["refresh_token"]) == claims_of(first["refresh_token"])


def test_the_rotated_token_after_the_grace_period_is_theft_even_after_grace_answers(gateway, signed_in, wait):
    first = refresh_data(gateway, signed_in.refresh_token)
    refresh_data(gateway, signed_in.refresh_token)
    wait(GRACE)

    third = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert third.body == BAD_REFRESH
    assert gateway.refresh({"refresh_token": first["refresh_token"]}).body == BAD_REFRESH
    assert gateway.current_user(first["access_token"]).body == NOT_AUTHENTICATED


def test_only_the_last_rotated_token_has_a_grace_period(gateway, signed_in):
    second = refresh_data(gateway, signed_in.refresh_token)
    third = refresh_data(gateway, second["refresh_token"])

    older = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert older.body == BAD_REFRESH
    assert gateway.current_user(third["access_token"]).body == NOT_AUTHENTICATED  # revoked


def test_no_grace_after_logout(gateway, signed_in):
    first = refresh_data(gateway, signed_in.refresh_token)
    gateway.logout(first["access_token"])

    assert gateway.refresh({"refresh_token": signed_in.refresh_token}).body == BAD_REFRESH


@pytest.fixture
def refresh_in_flight(gateway, monkeypatch):
    """`refresh_in_flight(token)` -> the outcome holder: that refresh runs between the next refresh's
    read of the session and its rotation (as a parallel request would), and its response is kept."""

    def arm(token: str) -> list:
        responses = []
        real_new_token_id = tokens.new_token_id

        def new_token_id_after_a_parallel_refresh():
            if not responses:
                responses.append(None)
                responses[0] = gateway.refresh({"refresh_token": token})
            return real_new_token_id()

        monkeypatch.setattr(tokens, "new_token_id", new_token_id_after_a_parallel_refresh)
        return responses

    return arm


def test_two_parallel_refreshes_with_one_token_both_succeed_with_the_same_rotation(
    gateway, signed_in, refresh_in_flight
):
    parallel = refresh_in_flight(signed_in.refresh_token)

    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert parallel[0].status == 200, parallel[0]
    assert response.status == 200, response
    assert response.body["data"]["refresh_token"] == parallel[0].body["data"]["refresh_token"]
    assert gateway.current_user(response.body["data"]["access_token"]).status == 200


def test_a_refresh_makes_2_dynamodb_calls_and_a_repeat_in_the_grace_period_1(
    gateway, signed_in, dynamodb_calls
):
    refresh_data(gateway, signed_in.refresh_token)
    rotation = list(dynamodb_calls)
    dynamodb_calls.clear()

    refresh_data(gateway, signed_in.refresh_token)

    assert rotation == ["BatchGetItem", "UpdateItem"]
    assert dynamodb_calls == ["BatchGetItem"]


def test_the_loser_of_a_refresh_race_makes_2_dynamodb_calls(
    gateway, signed_in, refresh_in_flight, dynamodb_calls
):
    parallel = refresh_in_flight(signed_in.refresh_token)

    assert gateway.refresh({"refresh_token": signed_in.refresh_token}).status == 200

    assert parallel[0].status == 200
    assert len(dynamodb_calls) == 4  # each: BatchGetItem + UpdateItem (the loser's fails, returning the item)
