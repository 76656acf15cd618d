"""POST /api/auth/logout (spec 1.3): revokes the caller's session, effective on the next request."""

import pytest

from tests.support.gateway_answers import NOT_AUTHENTICATED

BAD_REFRESH = {"code": 401, "message": "Refresh token is invalid or expired", "data": None}


def test_logout_returns_the_spec_body(gateway, signed_in):
    response = gateway.logout(signed_in.access_token)

    assert response.status == 200
    assert response.body == {"code": 200, "message": "Logout successful", "data": None}


def test_logout_makes_the_authorizer_reject_the_same_access_token(gateway, signed_in):
    gateway.logout(signed_in.access_token)

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        gateway.authorize("GET", "/api/auth/user", {"Authorization": f"Bearer {signed_in.access_token}"})


def test_logout_makes_the_next_request_with_the_same_token_401(gateway, signed_in):
    gateway.logout(signed_in.access_token)

    assert gateway.current_user(signed_in.access_token).body == NOT_AUTHENTICATED
    assert gateway.logout(signed_in.access_token).body == NOT_AUTHENTICATED


def test_logout_makes_the_sessions_refresh_token_401(gateway, signed_in):
    gateway.logout(signed_in.access_token)

    response = gateway.refresh({"refresh_token": signed_in.refresh_token})

    assert response.status == 401
    assert response.body == BAD_REFRESH


def test_logout_ends_only_the_callers_session(gateway, sign_in, register):
    user = register()
    leaving, staying = sign_in(user), sign_in(user)

    gateway.logout(leaving.access_token)

    assert gateway.current_user(staying.access_token).status == 200
    assert gateway.refresh({"refresh_token": staying.refresh_token}).status == 200


def test_logout_also_ends_access_tokens_issued_by_refresh(gateway, signed_in):
    refreshed = gateway.refresh({"refresh_token": signed_in.refresh_token}).body["data"]

    gateway.logout(signed_in.access_token)

    assert gateway.current_user(refreshed["access_token"]).status == 401
    assert gateway.refresh({"refresh_token": refreshed["refresh_token"]}).status == 401


def test_logout_without_a_token_returns_401_envelope(gateway):
    response = gateway.request("POST", "/api/auth/logout")

    assert response.status == 401
    assert response.body == NOT_AUTHENTICATED


def test_logout_with_a_refresh_token_returns_401(gateway, signed_in):
    response = gateway.logout(signed_in.refresh_token)

    assert response.status == 401
    assert gateway.current_user(signed_in.access_token).status == 200
