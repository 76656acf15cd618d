"""The REQUEST authorizer (functions/authorizer): an Allow policy with the caller in its context for
a valid access token of a live session, `Exception("Unauthorized")` (API Gateway's 401) otherwise."""

import time

import pytest
from bailian_chat.store import keys

from tests.support.environment import JWT_SECRET
from tests.support.events import LambdaContext, authorizer_event
from tests.support.tokens import claims_of, each_forgery, forge

PATH = "/api/auth/user"


@pytest.fixture
def authorizer(load_function):
    module = load_function("authorizer")

    def _authorize(headers: dict[str, str] | None, method: str = "GET", path: str = PATH) -> dict:
        return module.handler(
            authorizer_event(method, path, headers), LambdaContext(function_name="authorizer")
        )

    return _authorize


def assert_unauthorized(authorizer, headers) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$") as raised:
        authorizer(headers)
    assert type(raised.value) is Exception, "API Gateway answers 401 only for a plain 'Unauthorized' failure"


def test_authorizer_allows_a_valid_access_token_with_the_caller_in_the_context(authorizer, signed_in):
    result = authorizer({"Authorization": f"Bearer {signed_in.access_token}"})

    assert result["principalId"] == str(signed_in.user_id)
    assert result["context"] == {
        "user_id": str(signed_in.user_id),
        "session_id": signed_in.session_id,
        "auth_type": "access_token",  # issue 12: the context says which credential it was
        "role": "user",  # issue 13: the role read with the session
        "spend_limits": "{}",  # issue 15: read in the same batch, so a model call need not
    }
    assert result["policyDocument"]["Version"] == "2012-10-17"
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"


def test_authorizer_policy_covers_every_route_of_the_stage(authorizer, signed_in):
    event_arn = authorizer_event("GET", PATH)["methodArn"]

    result = authorizer({"Authorization": f"Bearer {signed_in.access_token}"})

    api_arn, stage = event_arn.split("/")[0], event_arn.split("/")[1]
    assert result["policyDocument"]["Statement"][0]["Resource"] == f"{api_arn}/{stage}/*/*"


@pytest.mark.parametrize("header", ["authorization", "AUTHORIZATION"])
def test_authorizer_reads_the_header_name_case_insensitively(authorizer, signed_in, header):
    result = authorizer({header: f"Bearer {signed_in.access_token}"})

    assert result["context"]["user_id"] == str(signed_in.user_id)


def test_authorizer_accepts_the_bearer_scheme_case_insensitively(authorizer, signed_in):
    result = authorizer({"Authorization": f"bearer {signed_in.access_token}"})

    assert result["principalId"] == str(signed_in.user_id)


def test_authorizer_without_authorization_header_raises_unauthorized(authorizer, table):
    assert_unauthorized(authorizer, {})


@pytest.mark.parametrize(
    "value", ["", "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "Token abc", "abc"]
)
def test_authorizer_with_malformed_authorization_raises_unauthorized(authorizer, table, value):
    assert_unauthorized(authorizer, {"Authorization": value})


def test_authorizer_with_token_without_scheme_raises_unauthorized(authorizer, signed_in):
    assert_unauthorized(authorizer, {"Authorization": signed_in.access_token})


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30."])
def test_authorizer_with_garbage_token_raises_unauthorized(authorizer, table, token):
    assert_unauthorized(authorizer, {"Authorization": f"Bearer {token}"})


@each_forgery
def test_authorizer_with_a_forged_token_raises_unauthorized(authorizer, signed_in, forgery):
    token = forgery(claims_of(signed_in.access_token))

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {token}"})


def test_authorizer_with_refresh_token_raises_unauthorized(authorizer, signed_in):
    assert_unauthorized(authorizer, {"Authorization": f"Bearer {signed_in.refresh_token}"})


def test_authorizer_with_non_numeric_subject_raises_unauthorized(authorizer, signed_in):
    token = forge(claims_of(signed_in.access_token), JWT_SECRET, sub="admin")

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {token}"})


def test_authorizer_with_token_of_revoked_session_raises_unauthorized(authorizer, signed_in, put_attribute):
    put_attribute(keys.session(signed_in.session_id), "revoked", True)

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {signed_in.access_token}"})


def test_authorizer_with_token_of_expired_session_raises_unauthorized(authorizer, signed_in, put_attribute):
    put_attribute(keys.session(signed_in.session_id), "expires_at", int(time.time()) - 1)

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {signed_in.access_token}"})


def test_authorizer_with_token_of_unknown_session_raises_unauthorized(authorizer, signed_in):
    token = forge(claims_of(signed_in.access_token), JWT_SECRET, sid="no-such-session")

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {token}"})


def test_authorizer_with_subject_not_owning_the_session_raises_unauthorized(authorizer, sign_in):
    alice, bob = sign_in(), sign_in()
    token = forge(claims_of(alice.access_token), JWT_SECRET, sub=str(bob.user_id))

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {token}"})


def test_authorizer_after_logout_raises_unauthorized(authorizer, gateway, signed_in):
    gateway.logout(signed_in.access_token)

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {signed_in.access_token}"})


def test_authorizer_refuses_a_disabled_users_token_at_once(authorizer, signed_in, put_attribute):
    put_attribute(keys.user(signed_in.user_id), "status", 0)

    assert_unauthorized(authorizer, {"Authorization": f"Bearer {signed_in.access_token}"})
