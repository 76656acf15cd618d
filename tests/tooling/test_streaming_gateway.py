"""The local gateway's streamed routes (RESPONSE_STREAM behind the Lambda Web Adapter) over a tiny
fake app (tests/tooling/fake_streaming_app): the authorizer first, LWA's context headers set over what
the client sent, chunks passed through as they are written, and a client's disconnect reaching
the app. Independent of the real business code and of DynamoDB."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.function_env import local_overrides
from local.gateway import build_app
from local.stack import AsgiServer
from local.template import Template

FAKE_APP = Path(__file__).parent / "fake_streaming_app"


@pytest.fixture(scope="module")
def marker_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stream-markers")


@pytest.fixture(scope="module")
def server(marker_dir) -> Iterator[AsgiServer]:
    overrides = local_overrides(
        dynamodb_endpoint="http://127.0.0.1:9", table_name="fake-table", jwt_secret="fake-secret"
    )
    template = Template(FAKE_APP / "template.yaml", parameters={"MarkerDir": str(marker_dir)})
    with AsgiServer(build_app(template, overrides=overrides)) as running:
        yield running


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield http


ALLOW = {"Authorization": "Bearer allow"}


def events(text: str) -> list[dict]:
    return [json.loads(block.removeprefix("data: ")) for block in text.strip().split("\n\n") if block]


def wait_for(path: Path, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never written"
        time.sleep(0.05)
    return json.loads(path.read_text())


def test_the_authorizer_runs_first(client):
    for headers in ({}, {"Authorization": "Bearer nobody"}):
        response = client.post("/stream/2", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": 401, "message": "Not authenticated", "data": None}


def test_the_app_gets_the_request_and_lwas_context_headers(client):
    spoofed = json.dumps({"authorizer": {"user_id": "1", "session_id": "evil"}})
    response = client.post(
        "/stream/2?gap_ms=0&x=1",
        headers={**ALLOW, "x-amzn-request-context": spoofed, "X-Custom": "yes"},
        content=b'{"hello": "world"}',
    )
    assert response.status_code == 200
    assert response.headers["x-app"] == "stream"
    assert response.headers["x-amzn-requestid"]
    first, second = events(response.text)
    assert (first["method"], first["path"], first["query"]) == ("POST", "/stream/2", "gap_ms=0&x=1")
    assert first["body"] == '{"hello": "world"}'
    headers = first["headers"]
    assert headers["x-custom"] == "yes" and headers["authorization"] == "Bearer allow"
    assert headers["x-forwarded-for"] == "127.0.0.1"  # what API Gateway adds, as in the event
    context = json.loads(headers["x-amzn-request-context"])  # the gateway's, never the client's
    assert context["authorizer"]["user_id"] == "42" and context["authorizer"]["session_id"] == "s-1"
    assert context["resourcePath"] == "/stream/{count}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    lambda_context = json.loads(headers["x-amzn-lambda-context"])
    assert lambda_context["invoked_function_arn"].endswith(":function:StreamFunction")
    assert 0 < lambda_context["deadline"] / 1000 - time.time() <= 10  # the function's Timeout
    assert second["index"] == 1


def test_chunks_arrive_as_they_are_written(client):
    gap_ms, count = 150, 5
    arrivals = []
    with client.stream("POST", f"/stream/{count}?gap_ms={gap_ms}", headers=ALLOW) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.monotonic())
    assert len(arrivals) == count
    spread = arrivals[-1] - arrivals[0]
    assert spread >= (count - 1) * gap_ms / 1000 * 0.8  # not all at once at the end


def test_a_client_that_goes_away_closes_the_apps_connection(client, marker_dir):
    headers = {**ALLOW, "x-test-id": "gone"}
    with client.stream("POST", "/stream/50?gap_ms=100", headers=headers) as response:
        assert response.status_code == 200
        next(response.iter_lines())  # the first chunk, then hang up
    seen = wait_for(marker_dir / "gone.json")
    assert seen["disconnected"] is True
    assert seen["sent"] < 50


def test_a_client_that_stays_gets_everything(client, marker_dir):
    response = client.post("/stream/3", headers={**ALLOW, "x-test-id": "stays"})
    assert len(events(response.text)) == 3
    assert wait_for(marker_dir / "stays.json") == {"disconnected": False, "sent": 3}
