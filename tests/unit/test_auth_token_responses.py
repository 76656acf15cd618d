"""bailian_chat.auth.token_responses (login, refresh, password change) and access.authorizer_context:
the use cases the auth handlers and the authorizer make their one call to."""

import pytest
from bailian_chat.auth import access, api_keys, service, token_responses
from bailian_chat.auth.account_models import PasswordChange
from bailian_chat.auth.api_key_models import CreateApiKeyRequest
from bailian_chat.auth.models import LoginRequest, RefreshRequest, RegisterRequest
from bailian_chat.auth.tokens import ACCESS, REFRESH, verify
from bailian_chat.errors import Unauthorized

from tests.support import payloads

IP = "198.51.100.7"


@pytest.fixture
def account(table) -> dict:
    body = payloads.registration("tokens")
    return {**body, "user_id": service.register(RegisterRequest.model_validate(body))["user_id"]}


def login(account: dict) -> dict:
    request = LoginRequest(username=account["username"], password=account["password"])
    return token_responses.login_response(request, IP, "pytest")


def test_login_answers_the_token_pair_then_the_user_in_the_specs_order(account):
    data = login(account)

    assert list(data) == ["access_token", "refresh_token", "expires_in", "user"]
    assert data["expires_in"] == 3600
    assert data["user"]["user_id"] == account["user_id"]
    assert verify(data["access_token"], ACCESS).user_id == account["user_id"]
    assert verify(data["refresh_token"], REFRESH).user_id == account["user_id"]


def test_refresh_answers_specs_two_fields_then_the_new_refresh_token(account):
    signed_in = login(account)

    data = token_responses.refresh_response(RefreshRequest(refresh_token=signed_in["refresh_token"]))

    assert set(data) == {"access_token", "expires_in", "refresh_token"}  # the order is RefreshData's
    assert data["refresh_token"] != signed_in["refresh_token"]
    assert (
        verify(data["access_token"], ACCESS).session_id
        == verify(signed_in["access_token"], ACCESS).session_id
    )


def test_a_password_change_answers_a_fresh_pair_for_the_same_session(account):
    signed_in = login(account)
    claims = verify(signed_in["access_token"], ACCESS)
    change = PasswordChange(current_password=account["password"], new_password="another-Passw0rd")

    data = token_responses.password_change_response(claims.user_id, claims.session_id, IP, change)

    assert list(data) == ["access_token", "refresh_token", "expires_in"]
    assert verify(data["refresh_token"], REFRESH).session_id == claims.session_id


def test_the_authorizer_context_of_an_access_token_names_the_session_role_and_limits(account):
    signed_in = login(account)

    user_id, context = access.authorizer_context(signed_in["access_token"])

    assert user_id == account["user_id"]
    assert context == {
        "auth_type": "access_token",
        "session_id": verify(signed_in["access_token"], ACCESS).session_id,
        "role": "user",
        "spend_limits": "{}",  # read in the same batch (none set): the model call needs no read
    }


def test_the_authorizer_context_of_an_api_key_carries_its_grant(account):
    key = api_keys.create(account["user_id"], CreateApiKeyRequest(name="script"))

    user_id, context = access.authorizer_context(key["key"])

    assert user_id == account["user_id"]
    assert context["auth_type"] == "api_key"
    assert context["api_key_id"] == str(key["key_id"])
    assert context["spend_limits"] == "{}"


@pytest.mark.parametrize("credential", ["not-a-token", "sk-bc-not-a-live-key"])
def test_the_authorizer_context_of_anything_else_is_unauthorized(table, credential):
    with pytest.raises(Unauthorized):
        access.authorizer_context(credential)
