"""bailian_chat.auth.callers.authorized_caller: the caller from the authorizer's context."""

import pytest
from bailian_chat.auth.callers import authorized_caller
from bailian_chat.errors import Unauthorized

PROXY = ("POST", "/api/bailian/chat/completions")
TOKEN_CONTEXT = {"user_id": "7", "auth_type": "access_token", "session_id": "s", "role": "user"}
KEY_CONTEXT = {"user_id": "7", "auth_type": "api_key", "api_key_id": "3"}


@pytest.mark.parametrize("context", [TOKEN_CONTEXT, KEY_CONTEXT], ids=["access_token", "api_key"])
def test_the_spend_limits_the_authorizer_read_reach_the_caller(context):
    caller = authorized_caller({**context, "spend_limits": '{"daily_limit": "5"}'}, "203.0.113.1", *PROXY)

    assert caller.user_id == 7
    assert caller.spend_limits == {"daily_limit": "5"}


@pytest.mark.parametrize("context", [TOKEN_CONTEXT, KEY_CONTEXT], ids=["access_token", "api_key"])
def test_a_malformed_context_is_unauthorized_never_a_500(context):
    with pytest.raises(Unauthorized):
        authorized_caller({**context, "spend_limits": "{not json"}, "203.0.113.1", *PROXY)
