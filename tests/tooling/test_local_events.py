"""The local gateway's pure parts: the events it builds, how it judges authorizer answers and Lambda
proxy responses, its routing and gateway responses, and each function's environment."""

import base64
import json

import pytest

from local.apigw_events import HttpRequest, authorizer_event, method_arn, proxy_event
from local.authorization import Verdict, decide, policy_allows
from local.function_env import env_vars_warnings, function_environment, local_overrides
from local.gateway import GatewayResponses, MalformedProxyResponse, RouteTable, http_response
from local.template import REPO_ROOT, Template

FAKE_APP_TEMPLATE = REPO_ROOT / "tests" / "tooling" / "fake_app" / "template.yaml"

ARN = method_arn("dev", "GET", "/api/auth/user")


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(resource_values={"Table": "local-table"})


@pytest.fixture(scope="module")
def user_route(template):
    return next(route for route in template.routes if route.path == "/api/auth/user")


def request(**overrides) -> HttpRequest:
    values = {
        "method": "GET",
        "path": "/api/auth/user",
        "query_string": "a=1&a=2&b=",
        "headers": [("host", "127.0.0.1:3000"), ("user-agent", "curl/8"), ("x-multi", "1"), ("x-multi", "2")],
        "source_ip": "203.0.113.9",
        "request_id": "11111111-2222-3333-4444-555555555555",
        "received_at": 1_700_000_000.5,
    }
    return HttpRequest(**{**values, **overrides})


# ------------------------------------------------------------------ events


def test_proxy_event_shape(user_route):
    event = proxy_event(request(), user_route, {}, "dev", {"principalId": "7", "user_id": "7"})

    assert event["resource"] == "/api/auth/user"
    assert event["path"] == "/api/auth/user"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["User-Agent"] == "curl/8"
    assert event["headers"]["X-Multi"] == "2"  # the last value, like API Gateway
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.9"
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert context["identity"]["sourceIp"] == "203.0.113.9"
    assert context["identity"]["userAgent"] == "curl/8"
    assert context["requestId"] == "11111111-2222-3333-4444-555555555555"
    assert context["path"] == "/dev/api/auth/user"
    assert context["stage"] == "dev"
    assert context["resourcePath"] == "/api/auth/user"
    assert context["requestTimeEpoch"] == 1_700_000_000_500
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["accountId"] == "123456789012"
    assert context["authorizer"] == {"principalId": "7", "user_id": "7"}


def test_proxy_event_body_text_or_base64(user_route):
    text = proxy_event(request(body=b'{"a":1}'), user_route, {}, "dev")
    binary = proxy_event(request(body=b"\x80\x81"), user_route, {}, "dev")

    assert (text["body"], text["isBase64Encoded"]) == ('{"a":1}', False)
    assert (binary["body"], binary["isBase64Encoded"]) == (base64.b64encode(b"\x80\x81").decode(), True)


def test_client_forwarded_for_is_kept_and_the_source_ip_appended(user_route):
    event = proxy_event(request(headers=[("x-forwarded-for", "10.0.0.1")]), user_route, {}, "dev")

    assert event["headers"]["X-Forwarded-For"] == "10.0.0.1, 203.0.113.9"
    assert event["requestContext"]["identity"]["sourceIp"] == "203.0.113.9"


def test_request_authorizer_event(user_route):
    event = authorizer_event(
        request(headers=[("authorization", "Bearer t")]), user_route, {}, "dev", "REQUEST"
    )

    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/api/auth/user"
    assert event["headers"]["Authorization"] == "Bearer t"
    assert event["resource"] == "/api/auth/user"
    assert event["requestContext"]["identity"]["sourceIp"] == "203.0.113.9"


def test_token_authorizer_event(user_route):
    event = authorizer_event(request(headers=[("authorization", "Bearer t")]), user_route, {}, "dev", "TOKEN")

    assert event == {"type": "TOKEN", "methodArn": ARN, "authorizationToken": "Bearer t"}


# ------------------------------------------------------------------ authorizer verdicts


def policy(effect: str, resource: str | list[str], action: str = "execute-api:Invoke") -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Action": action, "Resource": resource}],
    }


@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        (policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:local/*"), True),
        (policy("Allow", "arn:aws:execute-api:*:*:*/dev/GET/*"), True),
        (policy("Allow", ARN), True),
        (policy("Allow", "*", action="execute-api:*"), True),
        (policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:local/dev/POST/*"), False),
        (policy("Allow", ARN, action="s3:GetObject"), False),
        (policy("Deny", "*"), False),
        ({"Statement": [*policy("Allow", "*")["Statement"], *policy("Deny", ARN)["Statement"]]}, False),
    ],
)
def test_policy_evaluation(document, allowed):
    assert policy_allows(document, ARN) is allowed


def test_allow_stringifies_the_context():
    result = {
        "principalId": "u-1",
        "policyDocument": policy("Allow", "*"),
        "context": {"user_id": 7, "admin": True, "ratio": 0.5, "name": "x", "gone": None},
    }

    decision = decide(result, ARN)

    assert decision.verdict is Verdict.ALLOW
    assert decision.principal_id == "u-1"
    assert decision.context == {"user_id": "7", "admin": "true", "ratio": "0.5", "name": "x"}
    assert decision.request_context_authorizer(3) == {
        **decision.context,
        "principalId": "u-1",
        "integrationLatency": 3,
    }


@pytest.mark.parametrize(
    ("result", "verdict"),
    [
        ({"principalId": "u", "policyDocument": policy("Deny", "*")}, Verdict.DENY),
        ({"policyDocument": policy("Allow", "*")}, Verdict.FAILURE),
        ({"principalId": "u"}, Verdict.FAILURE),
        (
            {"principalId": "u", "policyDocument": policy("Allow", "*"), "context": {"a": [1]}},
            Verdict.FAILURE,
        ),
        ("Allow", Verdict.FAILURE),
    ],
)
def test_refusals_and_failures(result, verdict):
    assert decide(result, ARN).verdict is verdict


# ------------------------------------------------------------------ proxy responses


def test_proxy_response_translation():
    response = http_response(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "Set-Cookie": "ignored"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": '{"ok":true}',
            "isBase64Encoded": False,
        },
        "req-1",
    )

    assert response.status_code == 201
    assert response.body == b'{"ok":true}'
    assert response.headers["x-one"] == "1"
    assert response.headers.getlist("set-cookie") == ["a=1", "b=2"]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-requestid"] == "req-1"


def test_base64_proxy_response_is_decoded():
    body = base64.b64encode(b"\x00\x01").decode()
    response = http_response({"statusCode": 200, "body": body, "isBase64Encoded": True}, "r")

    assert response.body == b"\x00\x01"


@pytest.mark.parametrize(
    "result",
    [
        None,
        {"body": "x"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "unexpected": 1},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
        {"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
    ],
)
def test_malformed_proxy_responses_are_refused(result):
    with pytest.raises(MalformedProxyResponse):
        http_response(result, "r")


# ------------------------------------------------------------------ routing and gateway responses


def test_routing_prefers_literal_segments_and_extracts_parameters(template):
    table = RouteTable(Template().routes)
    conversation_paths = [route.path for route in template.routes if "{" in route.path]

    assert table.resource_for("/api/auth/user")[0].path == "/api/auth/user"
    assert table.resource_for("/api/auth/nope") is None
    assert table.resource_for("/api/auth/user/extra") is None
    assert conversation_paths
    for path in conversation_paths:
        concrete = path.replace("{", "").replace("}", "")
        resource, parameters = table.resource_for(concrete)
        assert resource.path == path
        assert all(value for value in parameters.values())


def test_greedy_and_single_segment_parameters():
    table = RouteTable(Template(FAKE_APP_TEMPLATE).routes)

    assert table.resource_for("/echo/a%2Fb")[1] == {"item_id": "a%2Fb"}
    assert table.resource_for("/echo/a/b") is None
    resource, parameters = table.resource_for("/files/a/b/c.txt")
    assert (resource.path, parameters) == ("/files/{proxy+}", {"proxy": "a/b/c.txt"})
    assert resource.route_for("GET") is not None and resource.route_for("POST") is None
    assert table.resource_for("/echo/x")[0].route_for("PATCH").method == "ANY"


def test_gateway_response_fallbacks(template):
    responses = GatewayResponses(template.gateway_responses)

    unauthorized = responses.render("UNAUTHORIZED", "r-1")
    failure = responses.render("AUTHORIZER_FAILURE", "r-2")  # not configured: DEFAULT_5XX
    bare = GatewayResponses({}).render("ACCESS_DENIED", "r-3")  # nothing configured: AWS's default

    assert (unauthorized.status_code, json.loads(unauthorized.body)["code"]) == (401, 401)
    assert unauthorized.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert (failure.status_code, json.loads(failure.body)["message"]) == (500, "Server internal error")
    assert bare.status_code == 403
    assert json.loads(bare.body) == {"message": "User is not authorized to access this resource"}


# ------------------------------------------------------------------ function environment


def test_local_overrides_replace_the_secret_arn_and_point_at_dynamodb_local(template):
    overrides = local_overrides(dynamodb_endpoint="http://127.0.0.1:8000", table_name="t", jwt_secret="s")

    environment = function_environment(template.functions["AuthUserFunction"], overrides=overrides)

    assert "JWT_SECRET_ARN" not in environment
    assert environment["JWT_SECRET"] == "s"
    assert environment["TABLE_NAME"] == "t"
    assert environment["DYNAMODB_ENDPOINT"] == "http://127.0.0.1:8000"
    assert environment["AWS_DEFAULT_REGION"] == "us-east-1"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "AuthUserFunction"
    assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert environment["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert environment["RATE_LIMIT_PER_MINUTE"] == "60"


def test_env_vars_file_only_overrides_declared_variables_and_says_what_it_ignores(template):
    env_vars = {
        "Parameters": {"POWERTOOLS_LOG_LEVEL": "DEBUG", "NOT_DECLARED": "x"},
        "AuthUserFunction": {"RATE_LIMIT_PER_MINUTE": "5", "ALSO_NOT": "y"},
        "NoSuchFunction": {"A": "b"},
    }

    user = function_environment(template.functions["AuthUserFunction"], overrides={}, env_vars=env_vars)
    login = function_environment(template.functions["AuthLoginFunction"], overrides={}, env_vars=env_vars)
    warnings = "\n".join(env_vars_warnings(template, env_vars))

    assert user["POWERTOOLS_LOG_LEVEL"] == login["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    assert (user["RATE_LIMIT_PER_MINUTE"], login["RATE_LIMIT_PER_MINUTE"]) == ("5", "60")
    assert "NOT_DECLARED" not in user and "ALSO_NOT" not in user
    assert "NOT_DECLARED" in warnings and "ALSO_NOT" in warnings and "NoSuchFunction" in warnings
    assert "POWERTOOLS_LOG_LEVEL" not in warnings
