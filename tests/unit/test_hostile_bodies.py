"""Request bodies that are JSON but not a reasonable JSON object (issue 9, item 1): a number of
thousands of digits (Python refuses int literals over 4,300 digits), arrays nested ~20,000 deep
(RecursionError), NaN/Infinity, 1e400. Every route that takes a body answers 400 with a message,
never a 500; login and register included."""

import base64

import pytest

from tests.support import payloads
from tests.support.hostile_bodies import DEEP, HOSTILE_BODIES, HUGE_NUMBER

# Every route that reads a JSON body (logout takes none); an id that need not exist: the body is
# refused before the handler runs.
BODY_ROUTES = [
    ("POST", "/api/auth/register", False),
    ("POST", "/api/auth/login", False),
    ("POST", "/api/auth/refresh", False),
    ("POST", "/api/conversations", True),
    ("PUT", "/api/conversations/1", True),
    ("POST", "/api/conversations/1/messages", True),
    ("POST", "/api/bailian/chat/completions", True),
    ("POST", "/api/keys", True),
    ("PUT", "/api/auth/user", True),
    ("PUT", "/api/auth/password", True),
    ("DELETE", "/api/auth/user", True),
    ("PUT", "/api/usage/budget", True),
    ("PUT", "/api/admin/users/1", True),  # refused before the role check: the body is read first
]


@pytest.mark.parametrize(("body", "message"), HOSTILE_BODIES)
@pytest.mark.parametrize(("method", "path", "protected"), BODY_ROUTES)
def test_an_unreasonable_json_body_is_400_on_every_body_route(
    gateway, signed_in, method, path, protected, body, message
):
    token = signed_in.access_token if protected else None

    response = gateway.request(method, path, body, token=token)

    assert response.status == 400, response
    assert response.body == {"code": 400, "message": message, "data": None}


def test_a_body_at_the_depth_limit_is_read(gateway):
    nested = "[" * 31 + "]" * 31  # 32 levels with the object around it
    body = '{"extra": ' + nested + ', "username": "nobody_here", "password": "wrong password"}'

    response = gateway.login(body)

    assert response.status == 401, response


def test_long_but_reasonable_numbers_are_still_numbers(gateway, signed_in):
    body = (
        '{"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}], '
        '"temperature": 0.50000000000000000000000000000000000000000000000000000000000000000000000000001,'
        ' "max_tokens": ' + "9" * 100 + "}"
    )

    response = gateway.request("POST", "/api/bailian/chat/completions", body, token=signed_in.access_token)

    assert response.status == 400, response
    assert response.body["message"].startswith("max_tokens: "), response.body


def token_with_header(header: str) -> str:
    encoded = base64.urlsafe_b64encode(header.encode()).rstrip(b"=").decode()
    return f"{encoded}.e30.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "header",
    ['{"alg": "HS256", "kid": ' + HUGE_NUMBER + "}", "[" * DEEP + "]" * DEEP],
    ids=["5000-digit-number", "20000-deep-arrays"],
)
def test_a_token_with_a_hostile_header_is_401_at_the_authorizer_and_at_refresh(gateway, table, header):
    """PyJWT parses the header before it checks the signature: its errors must stay 401s."""
    token = token_with_header(header)

    assert gateway.current_user(token).status == 401
    refreshed = gateway.refresh({"refresh_token": token})
    assert refreshed.status in (400, 401), refreshed  # 400: longer than the field's 4096 characters


def test_registration_still_works(gateway):
    assert gateway.register(payloads.registration()).status == 200
