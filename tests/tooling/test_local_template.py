"""local/template.py: the one reader of template.yaml (and of the e2e fake app's template)."""

import json
import textwrap
from pathlib import Path

import pytest

from local.dynamodb_local import create_table_request
from local.template import INTRINSIC_METHODS, REPO_ROOT, Template, TemplateError, load_yaml

FAKE_APP_TEMPLATE = REPO_ROOT / "tests" / "tooling" / "fake_app" / "template.yaml"


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(resource_values={"Table": "local-table"})


def write_template(tmp_path: Path, body: str) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return Template(path)


# ------------------------------------------------------------------ YAML and intrinsics


def test_short_tags_load_as_long_form_intrinsics(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "A: !Ref X\nB: !GetAtt Res.Arn\nC: !Sub 'x-${Y}'\nD: !If [Cond, 1, 2]\n"
        "E: !Equals [!Ref X, a]\nF: !Select [0, [a, b]]\nG: !Join ['-', [a, b]]\n"
    )

    loaded = load_yaml(path)

    assert loaded["A"] == {"Ref": "X"}
    assert loaded["B"] == {"Fn::GetAtt": ["Res", "Arn"]}
    assert loaded["C"] == {"Fn::Sub": "x-${Y}"}
    assert loaded["D"] == {"Fn::If": ["Cond", 1, 2]}
    assert loaded["E"] == {"Fn::Equals": [{"Ref": "X"}, "a"]}
    assert loaded["F"] == {"Fn::Select": [0, ["a", "b"]]}
    assert loaded["G"] == {"Fn::Join": ["-", ["a", "b"]]}


def test_intrinsics_resolve_against_parameters_conditions_and_local_resources(tmp_path):
    template = write_template(
        tmp_path,
        """
        Parameters:
          Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
          NotProd: !Not [!Equals [!Ref Stage, prod]]
        Resources:
          Table: {Type: AWS::DynamoDB::Table}
          Fn: {Type: AWS::Serverless::Function}
        """,
    )
    resolve = template.resolve

    assert resolve({"Fn::If": ["IsProd", 1, 2]}) == 2
    assert template.condition("NotProd") is True
    assert resolve({"Fn::Sub": "api-${Stage}-${AWS::Region}-${Table.Arn}"}) == (
        "api-dev-us-east-1-arn:aws:dynamodb:us-east-1:123456789012:Table"
    )
    assert resolve({"Ref": "Table"}) == "Table"  # no local stand-in: the logical id
    assert resolve({"Fn::GetAtt": ["Table", "Arn"]}) == "arn:aws:dynamodb:us-east-1:123456789012:Table"
    assert resolve({"Fn::GetAtt": ["Fn", "Arn"]}).startswith("arn:aws:lambda:")
    assert resolve({"Keep": 1, "Drop": {"Ref": "AWS::NoValue"}}) == {"Keep": 1}


def _intrinsic_names(node) -> set[str]:
    if isinstance(node, dict):
        names = {key for key in node if len(node) == 1 and (key == "Ref" or key.startswith("Fn::"))}
        return names.union(*(_intrinsic_names(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_intrinsic_names(value) for value in node))
    return set()


@pytest.mark.parametrize("path", [REPO_ROOT / "template.yaml", FAKE_APP_TEMPLATE], ids=["app", "fake_app"])
def test_the_reader_evaluates_exactly_the_intrinsics_the_templates_use(path):
    used = _intrinsic_names(load_yaml(path))

    assert used <= set(INTRINSIC_METHODS)
    if path == REPO_ROOT / "template.yaml":
        assert used == set(INTRINSIC_METHODS)  # nothing evaluated that the template never uses


@pytest.mark.parametrize(
    "node",
    [
        {"Fn::Select": [0, ["a", "b"]]},
        {"Fn::Join": ["-", ["a", "b"]]},
        {"Fn::FindInMap": ["M", "a", "b"]},
        {"Fn::ImportValue": "x"},
        {"Condition": "IsProd"},
    ],
)
def test_an_intrinsic_the_template_does_not_use_fails_loudly(tmp_path, node):
    template = write_template(tmp_path, "Resources: {}\n")
    name = next(iter(node))

    with pytest.raises(TemplateError, match=f"{name} is not supported by the local stack.*Fn::Sub"):
        template.resolve({"Nested": [node]})


def test_the_list_form_of_sub_fails_loudly(tmp_path):
    template = write_template(tmp_path, "Resources: {}\n")

    with pytest.raises(TemplateError, match="Fn::Sub: only the string form"):
        template.resolve({"Fn::Sub": ["${A}", {"A": "x"}]})


def test_parameter_overrides_are_validated(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("Parameters:\n  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n")

    assert Template(path, parameters={"Stage": "prod"}).parameters["Stage"] == "prod"
    with pytest.raises(TemplateError, match="not one of"):
        Template(path, parameters={"Stage": "qa"})
    with pytest.raises(TemplateError, match="unknown template parameters"):
        Template(path, parameters={"Nope": "x"})


def test_unknown_ref_is_an_error(tmp_path):
    template = write_template(tmp_path, "Resources: {}\n")

    with pytest.raises(TemplateError, match="Missing"):
        template.resolve({"Ref": "Missing"})


# ------------------------------------------------------------------ the real template


def test_every_api_event_becomes_a_route_with_its_function(template):
    routes = {(route.method, route.path): route for route in template.routes}

    user = routes[("GET", "/api/auth/user")]
    assert user.function_id == "AuthUserFunction"
    assert user.function.code_uri == REPO_ROOT / "functions" / "auth_user"
    assert user.function.handler == "app.handler"
    assert user.function.timeout == 10
    assert len(routes) == len(template.routes)  # no method+path declared twice
    for route in template.routes:
        assert route.function.code_uri.is_dir(), route
        # the spec's routes under /api, the OpenAI-compatible ones (issue 11) under /v1
        assert route.path.startswith(("/api/", "/v1/")), route


def test_a_streaming_route_needs_a_streaming_function(tmp_path):
    body = """
        Resources:
          Api:
            Type: AWS::Serverless::Api
            Properties: {StageName: dev}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: .
              Handler: app.handler
              Events:
                Stream:
                  Type: Api
                  Properties:
                    {RestApiId: !Ref Api, Path: /s, Method: post, ResponseTransferMode: RESPONSE_STREAM}
    """
    with pytest.raises(TemplateError, match="RESPONSE_STREAM route needs a function that streams"):
        write_template(tmp_path, body).routes  # noqa: B018


def test_gateway_responses_carry_the_envelope_and_an_openai_error(template):
    for response_type, response in template.gateway_responses.items():
        body = json.loads(response.body)
        assert body["code"] == response.status_code and body["data"] is None, response_type
        assert set(body["error"]) == {"message", "type", "param", "code"}, response_type
        assert body["error"]["message"] == body["message"], response_type
    assert template.gateway_responses["THROTTLED"].headers["Retry-After"] == "1"


def test_default_authorizer_applies_unless_the_event_opts_out(template):
    required = {(route.method, route.path): route.auth_required for route in template.routes}

    assert required[("GET", "/api/auth/user")] is True
    assert required[("POST", "/api/auth/logout")] is True
    assert required[("POST", "/api/auth/register")] is False
    assert required[("POST", "/api/auth/login")] is False
    assert required[("POST", "/api/auth/refresh")] is False


def test_the_authorizer_is_the_request_authorizer_function(template):
    (authorizer,) = template.authorizers.values()

    assert authorizer.function_id == "AuthorizerFunction"
    assert authorizer.payload_type == "REQUEST"
    assert authorizer.identity_headers == ("Authorization",)
    assert template.functions["AuthorizerFunction"].timeout == 5
    assert template.functions["AuthorizerFunction"].memory_size == 256


def test_function_environment_merges_globals_and_resolves_intrinsics(template):
    environment = template.functions["AuthUserFunction"].environment

    assert environment["RATE_LIMIT_PER_MINUTE"] == "60"  # a Number parameter's default, as text
    assert environment["TABLE_NAME"] == "local-table"
    assert environment["JWT_ISSUER"] == "bailian-chat-api-dev"
    assert environment["CORS_ALLOW_ORIGIN"] == "http://localhost:5173"
    assert all(isinstance(value, str) for value in environment.values())


def test_functions_get_the_template_layer_directory(template):
    assert template.functions["AuthUserFunction"].layers == (REPO_ROOT / "layers" / "common",)


def test_parameters_flow_into_environment_and_conditions():
    prod = Template(parameters={"Stage": "prod"})

    assert prod.stage == "prod"
    assert prod.functions["AuthLoginFunction"].environment["JWT_ISSUER"] == "bailian-chat-api-prod"
    method_settings = prod.resolve(prod.api_properties["MethodSettings"])
    assert method_settings[0]["ThrottlingBurstLimit"] == 200  # !If [IsProd, 200, 50]


def test_gateway_responses(template):
    responses = template.gateway_responses

    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized.status_code == 401
    # the spec's envelope, plus (issue 11) OpenAI's error object beside it for the SDKs on /v1
    assert json.loads(unauthorized.body) == {
        "code": 401,
        "message": "Not authenticated",
        "data": None,
        "error": {
            "message": "Not authenticated",
            "type": "authentication_error",
            "param": None,
            "code": "invalid_api_key",
        },
    }
    assert unauthorized.headers == {"Access-Control-Allow-Origin": "http://localhost:5173"}
    assert responses["MISSING_AUTHENTICATION_TOKEN"].status_code == 404
    assert responses["DEFAULT_5XX"].status_code == 500


def test_cors_settings_lose_sams_quotes(template):
    cors = template.cors

    assert cors is not None
    assert cors.preflight_headers() == {
        "Access-Control-Allow-Origin": "http://localhost:5173",
        "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type,Authorization",
        "Access-Control-Max-Age": "600",
    }


def test_table_definition_and_its_create_table_request(template):
    table = template.table

    assert table is not None and table.logical_id == "Table"
    assert table.properties["KeySchema"][0] == {"AttributeName": "PK", "KeyType": "HASH"}
    assert table.properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    request = create_table_request("local-table", table.properties)
    assert request["TableName"] == "local-table"
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert {index["IndexName"] for index in request["GlobalSecondaryIndexes"]} >= {"GSI1", "GSI2"}
    for unsupported in ("PointInTimeRecoverySpecification", "SSESpecification", "TimeToLiveSpecification"):
        assert unsupported not in request


# ------------------------------------------------------------------ the fake app's template


def test_fake_app_routes_cover_any_greedy_and_per_function_settings():
    fake = Template(FAKE_APP_TEMPLATE)
    routes = {(route.method, route.path): route for route in fake.routes}

    assert routes[("ANY", "/echo/{item_id}")].auth_required is False
    assert routes[("GET", "/files/{proxy+}")].auth_required is False
    assert routes[("GET", "/private")].authorizer == "FakeAuthorizer"
    assert routes[("GET", "/broken/{mode}")].function.timeout == 1
    assert fake.functions["EchoFunction"].environment["OWN_SETTING"] == "own"
    assert fake.functions["EchoFunction"].environment["GREETING"] == "hello"
    assert fake.stage == "test"
    assert fake.table is None


def test_dev_jwt_secret_is_created_owner_only_and_then_reused(tmp_path):
    from local.dev import dev_jwt_secret

    path = tmp_path / ".local" / "jwt-secret"

    first = dev_jwt_secret(path)

    assert len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert dev_jwt_secret(path) == first
