"""The local gateway against what a hostile client sends (issue 9): forged X-Forwarded-For,
methods and paths API Gateway has no route for, requests uvicorn cannot parse, control characters
in logged request data, and payloads over Lambda's 6 MB limits. Over the fake app
(tests/tooling/fake_app), independent of the business code."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.gateway import build_app
from local.lambda_worker import _invoke
from local.stack import AsgiServer
from local.template import Template
from tests.support.raw_http import raw_exchange

FAKE_APP = Path(__file__).parent / "fake_app"
NOT_FOUND = {"code": 404, "message": "Resource not found", "data": None}
MALFORMED = {"message": "Bad Request"}  # the fake app has no DEFAULT_4XX: AWS's default body


@pytest.fixture(scope="module")
def server() -> Iterator[AsgiServer]:
    app = build_app(Template(FAKE_APP / "template.yaml"), overrides={}, max_workers=1)
    with AsgiServer(app) as running:
        yield running


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield http


# ------------------------------------------------------------------ the source IP (item 5)


def test_x_forwarded_for_does_not_change_the_source_ip(client):
    response = client.get("/echo/x", headers={"X-Forwarded-For": "203.0.113.66"})

    event = response.json()["event"]
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    # API Gateway appends the peer to what the client sent, as it does.
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.66, 127.0.0.1"


def test_forwarded_and_x_real_ip_headers_do_not_change_it_either(client):
    headers = {"Forwarded": "for=198.51.100.7", "X-Real-IP": "198.51.100.8", "X-Forwarded-Proto": "https"}
    event = client.get("/echo/x", headers=headers).json()["event"]

    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


# ------------------------------------------------------------------ the gateway's own answers (item 11)


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECTX", "BREW"])
def test_a_method_api_gateway_does_not_know_is_the_not_found_envelope(client, method):
    for path in ("/echo/x", "/private", "/nowhere"):  # an ANY route, a GET route, no route
        response = client.request(method, path)

        assert response.status_code == 404, (method, path)
        assert response.json() == NOT_FOUND
        assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/nowhere%0Aelse", "/echo/a%0Ab/c", "/%00", "/echo/%0D%0A/x"])
def test_a_path_with_control_characters_is_the_not_found_envelope(server, path):
    status, headers, body = raw_exchange(server, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())

    assert status == 404
    assert json.loads(body) == NOT_FOUND
    assert headers["content-type"] == "application/json"


def test_a_parameter_with_an_encoded_newline_still_reaches_the_function(client):
    event = client.get("/echo/a%0Ab").json()["event"]

    assert event["pathParameters"] == {"item_id": "a\nb"}


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /echo/x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 11_000 + b"\r\n\r\n",  # over 10 KiB
        b"GARBAGE\r\n\r\n",  # no request line
        b"GET /echo/x HTTP/1.1\r\nBad Header\r\n\r\n",  # header without a colon
        b"GET /echo/\x01x HTTP/1.1\r\nHost: x\r\n\r\n",  # raw control byte in the target
    ],
)
def test_requests_the_server_cannot_parse_get_the_templates_400(server, request_bytes):
    status, headers, body = raw_exchange(server, request_bytes)

    assert status == 400
    assert json.loads(body) == MALFORMED
    assert headers["content-type"] == "application/json"


def test_logged_request_data_has_no_raw_control_characters(server, caplog):
    caplog.set_level(logging.INFO, logger="local.gateway")
    raw_exchange(server, b"GET /nowhere%00%1b[31m%0D%0Aforged HTTP/1.1\r\nHost: x\r\n\r\n")

    lines = [record.getMessage() for record in caplog.records if "nowhere" in record.getMessage()]
    assert lines == ["GET /nowhere\\x00\\x1b[31m\\x0d\\x0aforged 404 " + lines[0].rsplit(" ", 1)[-1]]


def test_a_worker_error_log_escapes_control_characters(capfd, monkeypatch):
    def handler(event, context):
        raise ValueError(event["text"])

    request = {"event": {"text": "bad\x00\x1b\nline"}, "aws_request_id": "r", "invoked_function_arn": "a"}
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "f")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "")  # _invoke sets it, as the runtime does
    answer = _invoke(handler, {**request, "deadline_ms": 0})

    logged = capfd.readouterr().err
    assert answer["error"]["errorMessage"] == "bad\x00\x1b\nline"  # the invoker gets it as it is
    assert "[ERROR] ValueError: bad\\x00\\x1b\\x0aline" in logged
    assert "\x00" not in logged and "\x1b" not in logged


# ------------------------------------------------------------------ Lambda's payload limits (item 10)


def test_an_event_over_lambdas_6_mb_request_limit_is_413(client):
    response = client.post("/echo/x", content=b"x" * (6 * 1024 * 1024))  # under API Gateway's 10 MB

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}  # the fake app has no template response


def test_the_limit_counts_the_event_json_not_the_body(client):
    # 1.1 MB of control characters is 6.6 MB once JSON-escaped (\u0001) in the event.
    response = client.post("/echo/x", content=b"\x01" * 1_100_000)

    assert response.status_code == 413


def test_a_body_well_under_the_limit_still_passes(client):
    assert client.post("/echo/x", content=b"x" * (5 * 1024 * 1024)).status_code == 200


def test_a_response_over_lambdas_6_mb_response_limit_is_a_502(client):
    response = client.get("/broken/huge-body")

    assert response.status_code == 502
    assert response.json() == {"code": 502, "message": "Internal server error", "data": None}
