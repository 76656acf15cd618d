"""The local gateway's mechanics over a tiny fake SAM app (tests/tooling/fake_app): the events it
builds, the authorizer verdicts, worker processes, timeouts and broken integrations. Independent
of the real business code and of DynamoDB."""

import base64
import concurrent.futures
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.function_env import local_overrides
from local.gateway import build_app
from local.stack import AsgiServer
from local.template import Template

FAKE_APP = Path(__file__).parent / "fake_app"
MAX_WORKERS = 2
ENV_VARS = {
    "Parameters": {"GREETING": "hi from env-vars", "UNDECLARED": "ignored"},
    "EchoFunction": {"OWN_SETTING": "overridden"},
}


@pytest.fixture(scope="module")
def fake_api() -> Iterator[httpx.Client]:
    os.environ["SHELL_ONLY_VARIABLE"] = "must not reach the functions"
    try:
        overrides = local_overrides(
            dynamodb_endpoint="http://127.0.0.1:9", table_name="fake-table", jwt_secret="fake-secret"
        )
        app = build_app(
            Template(FAKE_APP / "template.yaml"),
            overrides=overrides,
            env_vars=ENV_VARS,
            max_workers=MAX_WORKERS,
        )
        with AsgiServer(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
            yield client
    finally:
        del os.environ["SHELL_ONLY_VARIABLE"]


def echo(client: httpx.Client, path: str = "/echo/item-1", **kwargs) -> dict:
    response = client.request(kwargs.pop("method", "GET"), path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ the proxy event


def test_proxy_event_has_the_rest_api_v1_shape(fake_api):
    event = echo(fake_api, "/echo/item-7?tag=a&tag=b&q=x", headers={"X-Custom": "1"})["event"]

    assert event["resource"] == "/echo/{item_id}"
    assert event["path"] == "/echo/item-7"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "item-7"}
    assert event["queryStringParameters"] == {"tag": "b", "q": "x"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x"]}
    assert event["headers"]["X-Custom"] == "1"
    assert event["multiValueHeaders"]["X-Custom"] == ["1"]
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/echo/{item_id}"
    assert context["path"] == "/test/echo/item-7"
    assert context["stage"] == "test"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("python-httpx")
    assert "authorizer" not in context


def test_query_parameters_are_none_without_a_query_string(fake_api):
    event = echo(fake_api)["event"]

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_text_body_passes_as_is_and_binary_body_as_base64(fake_api):
    text = echo(fake_api, method="POST", content="héllo".encode())["event"]
    binary = echo(fake_api, method="POST", content=b"\xff\xfe\x00")["event"]

    assert (text["body"], text["isBase64Encoded"]) == ("héllo", False)
    assert (binary["body"], binary["isBase64Encoded"]) == (base64.b64encode(b"\xff\xfe\x00").decode(), True)


def test_greedy_path_parameter_takes_the_rest_of_the_path(fake_api):
    event = echo(fake_api, "/files/a/b/c.txt")["event"]

    assert event["resource"] == "/files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


# ------------------------------------------------------------------ the proxy response


def test_proxy_response_headers_and_multi_value_headers_reach_the_client(fake_api):
    response = fake_api.get("/echo/x", params={"status": "201"})

    assert response.status_code == 201
    assert response.headers["x-echo"] == "yes"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-amzn-requestid"] == response.json()["event"]["requestContext"]["requestId"]


def test_base64_proxy_body_is_decoded(fake_api):
    response = fake_api.get("/echo/x", params={"binary": "1"})

    assert response.content == b"\x89PNG\x00\xff"
    assert response.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    "mode", ["raise", "body-not-string", "no-status", "extra-key", "not-serializable", "none"]
)
def test_broken_integration_is_a_502_envelope(fake_api, mode):
    response = fake_api.get(f"/broken/{mode}")

    assert response.status_code == 502
    assert response.json() == {"code": 502, "message": "Internal server error", "data": None}


def test_missing_handler_is_a_502(fake_api):
    assert fake_api.get("/no-handler").status_code == 502


def test_timeout_answers_504_and_kills_the_worker(fake_api):
    before = fake_api.get("/broken/pid").text

    started = time.monotonic()
    response = fake_api.get("/broken/sleep")
    elapsed = time.monotonic() - started

    assert response.status_code == 504
    assert response.json() == {"code": 504, "message": "Gateway timeout", "data": None}
    assert elapsed < 5  # the function's Timeout is 1s
    after = {fake_api.get("/broken/pid").text for _ in range(MAX_WORKERS + 1)}
    assert before not in after  # the timed-out instance is gone; a fresh one answers


def test_a_worker_that_dies_is_a_502_and_is_replaced(fake_api):
    assert fake_api.get("/broken/exit").status_code == 502
    assert fake_api.get("/broken/pid").status_code == 200


# ------------------------------------------------------------------ the Lambda environment


def test_function_runs_with_its_template_environment_and_local_overrides(fake_api):
    env = echo(fake_api)["env"]

    assert env["STAGE"] == "test"
    assert env["JWT_SECRET"] == "fake-secret"
    assert env["JWT_SECRET_ARN"] is None
    assert env["TABLE_NAME"] == "fake-table"
    assert env["DYNAMODB_ENDPOINT"] == "http://127.0.0.1:9"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "EchoFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["SHELL_ONLY_VARIABLE"] is None


def test_env_vars_file_overrides_only_declared_variables(fake_api):
    env = echo(fake_api)["env"]

    assert env["GREETING"] == "hi from env-vars"
    assert env["OWN_SETTING"] == "overridden"
    assert env["UNDECLARED"] is None


def test_handler_gets_a_lambda_context(fake_api):
    context = echo(fake_api)["context"]

    assert context["function_name"] == "EchoFunction"
    assert context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"].endswith(":function:EchoFunction")
    assert len(context["aws_request_id"]) == 36
    assert 0 < context["remaining_ms"] <= 3000


def test_code_dir_comes_first_on_sys_path_then_the_layer(fake_api):
    report = echo(fake_api)

    assert report["sys_path_head"] == [str(FAKE_APP / "fn_echo"), str(FAKE_APP / "layer")]
    assert report["cwd"] == str(FAKE_APP / "fn_echo")
    assert report["layer"] == "from-the-layer"


def test_idle_workers_are_reused_and_busy_ones_make_the_pool_grow_to_its_limit(fake_api):
    first, second = echo(fake_api)["pid"], echo(fake_api)["pid"]
    assert first == second  # sequential calls: one warm instance

    with concurrent.futures.ThreadPoolExecutor(max_workers=MAX_WORKERS + 1) as pool:
        started = time.monotonic()
        calls = [pool.submit(echo, fake_api, "/echo/x?sleep=0.6") for _ in range(MAX_WORKERS + 1)]
        pids = {call.result()["pid"] for call in calls}
        elapsed = time.monotonic() - started

    assert len(pids) == MAX_WORKERS  # never more than the limit ...
    assert elapsed >= 1.2  # ... so the third call waited for a free instance


# ------------------------------------------------------------------ the authorizer


def test_allow_puts_the_stringified_context_and_principal_into_the_event(fake_api):
    event = echo(fake_api, "/private", headers={"Authorization": "Bearer allow"})["event"]

    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-42"
    assert authorizer["user_id"] == "42"
    assert authorizer["session_id"] == "s-1"
    assert authorizer["admin"] == "false"
    assert event["headers"]["Authorization"] == "Bearer allow"


@pytest.mark.parametrize(
    ("token", "status", "message"),
    [
        (None, 401, "Not authenticated"),
        ("garbage", 401, "Not authenticated"),
        ("deny", 403, "Access denied"),
        ("elsewhere", 403, "Access denied"),
        ("crash", 500, "Server internal error"),
        ("nested-context", 500, "Server internal error"),
        ("no-principal", 500, "Server internal error"),
    ],
)
def test_authorizer_verdicts_map_to_gateway_responses(fake_api, token, status, message):
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    response = fake_api.get("/private", headers=headers)

    assert response.status_code == status
    assert response.json() == {"code": status, "message": message, "data": None}


def test_public_route_does_not_need_the_authorizer(fake_api):
    event = echo(fake_api, headers={"Authorization": "Bearer garbage"})["event"]

    assert "authorizer" not in event["requestContext"]


# ------------------------------------------------------------------ routing and CORS


def test_unknown_route_and_wrong_method_are_the_missing_authentication_token_response(fake_api):
    for response in (fake_api.get("/nowhere"), fake_api.post("/private")):
        assert response.status_code == 404
        assert response.json()["message"] == "Resource not found"
        assert response.headers["access-control-allow-origin"] == "*"


def test_preflight_is_answered_without_invoking_anything(fake_api):
    response = fake_api.options("/private", headers={"Access-Control-Request-Method": "GET"})

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-max-age"] == "60"


def test_any_method_route_takes_every_method(fake_api):
    assert echo(fake_api, method="DELETE")["event"]["httpMethod"] == "DELETE"
    # An ANY route also answers OPTIONS itself (SAM adds no preflight mock there).
    assert json.loads(fake_api.options("/echo/x").text)["event"]["httpMethod"] == "OPTIONS"


def test_prewarm_starts_one_worker_per_function_and_tolerates_one_that_cannot_start(caplog):
    app = build_app(Template(FAKE_APP / "template.yaml"), overrides={}, prewarm=True)
    pools = app.state.gateway.lambdas.pools

    with AsgiServer(app):
        sizes = {function_id: pool.size for function_id, pool in pools.items()}

    assert sizes == {"AuthFunction": 1, "EchoFunction": 1, "BrokenFunction": 1, "NoHandlerFunction": 0}
    assert "pre-warm NoHandlerFunction failed" in caplog.text
    assert all(pool.size == 0 for pool in pools.values())  # stopping the server stopped the workers


def test_missing_identity_header_is_401_without_starting_the_authorizer():
    app = build_app(Template(FAKE_APP / "template.yaml"), overrides={})

    with AsgiServer(app) as server:
        response = httpx.get(f"{server.base_url}/private")
        authorizer_instances = app.state.gateway.lambdas.pools["AuthFunction"].size

    assert response.status_code == 401
    assert authorizer_instances == 0


def test_payload_over_api_gateways_limit_is_413(fake_api):
    response = fake_api.post("/echo/x", content=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}  # no template response: AWS's default
