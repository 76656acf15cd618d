"""Issue 9 over the real template and handlers: a client cannot choose its source IP (login
throttle, call log), and every answer the local gateway gives itself is the spec's envelope."""

import httpx
import pytest

from tests.support.chat_client import ChatApi, new_user, text_content
from tests.support.gateway_answers import RESOURCE_NOT_FOUND, gateway_answer
from tests.support.payloads import login_for, registration
from tests.support.raw_http import raw_exchange

pytestmark = pytest.mark.needs_handlers

NOT_FOUND = RESOURCE_NOT_FOUND
BAD_REQUEST = gateway_answer(400, "Request parameter error", "invalid_request_error")
TOO_LARGE = gateway_answer(413, "Request body too large", "invalid_request_error", "request_too_large")
FORGED = ["203.0.113.1", "203.0.113.2", "198.51.100.3", "10.0.0.4", "192.0.2.5", "192.0.2.6"]


def test_a_forged_x_forwarded_for_does_not_reset_the_login_throttle(api: httpx.Client):
    body = registration(prefix="xff")
    assert api.post("/api/auth/register", json=body).status_code == 200
    wrong = {"username": body["username"], "password": "not the password"}

    failures = [api.post("/api/auth/login", json=wrong, headers={"X-Forwarded-For": ip}) for ip in FORGED[:5]]
    locked = api.post("/api/auth/login", json=login_for(body), headers={"X-Forwarded-For": FORGED[5]})

    assert [response.status_code for response in failures] == [401] * 5
    assert locked.status_code == 429


def test_the_call_log_stores_the_peer_not_a_forged_x_forwarded_for(api: httpx.Client):
    user = new_user(api, "xfflog")
    chat = ChatApi(api, user)
    conversation = chat.create_ok()
    forged = {**user.headers, "X-Forwarded-For": "203.0.113.99"}
    sent = api.post(
        f"/api/conversations/{conversation['conversation_id']}/messages",
        json={"content": text_content("hello")},
        headers=forged,
    )
    assert sent.status_code == 200, sent.text

    calls = api.get("/api/history/api-calls", headers=forged).json()["data"]["api_calls"]

    assert [call["client_ip"] for call in calls] == ["127.0.0.1"]


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT"])
def test_an_unknown_method_on_a_known_resource_is_the_404_envelope(stack, method):
    request = f"{method} /api/conversations HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    status, headers, body = raw_exchange(stack.base_url, request)

    assert (status, httpx.Response(200, content=body).json()) == (404, NOT_FOUND)
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/conversations%0A", "/api/%00", "/api/messages/1%0D%0AX:%20y"])
def test_a_path_with_control_characters_is_the_404_envelope(stack, path):
    status, _, body = raw_exchange(stack.base_url, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())

    assert (status, httpx.Response(200, content=body).json()) == (404, NOT_FOUND)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/docs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 11_000 + b"\r\n\r\n",
        b"NOT A REQUEST\r\n\r\n",
        b"GET /api/docs HTTP/1.1\r\nno colon here\r\n\r\n",
    ],
)
def test_a_request_the_server_cannot_take_is_the_400_envelope(stack, request_bytes):
    status, headers, body = raw_exchange(stack.base_url, request_bytes)

    assert (status, httpx.Response(200, content=body).json()) == (400, BAD_REQUEST)
    assert headers["content-type"] == "application/json"


def test_a_body_over_lambdas_6_mb_limit_is_the_413_envelope(api: httpx.Client):
    response = api.post(
        "/api/auth/login",
        content=b'{"username":"' + b"a" * (6 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json() == TOO_LARGE
