"""Every setting bailian_chat/config.py reads is a deploy-time choice declared in template.yaml.

The variable names come from parsing config.py, so a new setting fails here until the template
declares it (a Parameter where an operator chooses it, a fixed value where not).
"""

import ast
import json
from pathlib import Path

import pytest
from bailian_chat import config
from bailian_chat.config import DEFAULT_MODELS, load_settings

from local.template import Template
from tests.support import iam

CONFIG_PATH = Path(config.__file__)
# Lambda sets these itself and refuses them in a function's environment.
LAMBDA_RESERVED = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME"}
# Only the functions that call the model need these (and only they may read the key secret).
MODEL_CALL_VARIABLES = {
    "BAILIAN_API_KEY_SECRET_ARN",
    "BAILIAN_DEADLINE_SECONDS",
    "BAILIAN_STREAM_DEADLINE_SECONDS",
}
# Read by Powertools itself (Logger, Metrics), not by config.py.
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE"}
# Read by pydantic itself: no plugin is used, so the first model built looks for none.
PYDANTIC_VARIABLES = {"PYDANTIC_DISABLE_PLUGINS"}
API_GATEWAY_TIMEOUT_SECONDS = 29  # buffered integrations
STREAMING_INTEGRATION_TIMEOUT_SECONDS = 900  # RESPONSE_STREAM integrations: up to 15 minutes


def config_reads(source: str) -> set[str]:
    """Names config.py reads: env.get("NAME") and helpers given the environment (_positive(env, "NAME"))."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_env_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_name(func.value, "env")
        is_helper = len(node.args) > 1 and _is_name(node.args[0], "env")
        arg = node.args[0] if is_env_get and node.args else node.args[1] if is_helper else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            names.add(arg.value)
    return names


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(resource_values={"Table": "table"})


@pytest.fixture(scope="module")
def read_variables() -> set[str]:
    return config_reads(CONFIG_PATH.read_text(encoding="utf-8"))


def model_calling_functions(template: Template) -> list[str]:
    """Functions granted the model key secret: the ones that call the model."""
    return [
        logical_id
        for logical_id, resource in template.resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
        and "BailianApiKeySecretArn" in json.dumps((resource.get("Properties") or {}).get("Policies"))
    ]


def test_the_parser_finds_config_reads_of_both_forms(read_variables):
    assert {"TABLE_NAME", "JWT_SECRET", "ALLOWED_MODELS"} <= read_variables  # env.get(...)
    assert {"ACCESS_TOKEN_TTL_SECONDS", "BAILIAN_MAX_ATTEMPTS", "REPLY_HISTORY_CHARS"} <= read_variables
    assert {"DAILY_SPEND_LIMIT", "MONTHLY_SPEND_LIMIT"} <= read_variables  # _spend_limit(env, ...)
    assert read_variables >= MODEL_CALL_VARIABLES
    sample = 'def f(env):\n    env.get("A")\n    _positive(env, "B", 1)\n    other.get("C")\n'
    assert config_reads(sample) == {"A", "B"}


def test_every_setting_is_declared_for_every_function(template, read_variables):
    everywhere = read_variables - LAMBDA_RESERVED - MODEL_CALL_VARIABLES

    missing = {
        logical_id: sorted(everywhere - set(function.environment))
        for logical_id, function in template.functions.items()
        if everywhere - set(function.environment)
    }

    assert missing == {}


def test_every_declared_variable_is_read(template, read_variables):
    """The reverse: a variable nothing reads (STAGE was one) is a setting that silently does nothing."""
    declared = set(template.raw["Globals"]["Function"]["Environment"]["Variables"])

    assert declared - read_variables - POWERTOOLS_VARIABLES - PYDANTIC_VARIABLES == set()


def test_model_calling_functions_declare_the_key_secret_and_a_deadline_inside_api_gateways(template):
    functions = model_calling_functions(template)

    assert {"MessagesSendFunction", "BailianChatCompletionsFunction"} <= set(functions)
    for logical_id in functions:
        function = template.functions[logical_id]
        assert set(function.environment) >= MODEL_CALL_VARIABLES, logical_id
        deadline = float(function.environment["BAILIAN_DEADLINE_SECONDS"])
        stream_deadline = float(function.environment["BAILIAN_STREAM_DEADLINE_SECONDS"])
        limit = (
            STREAMING_INTEGRATION_TIMEOUT_SECONDS
            if function.streams_response
            else API_GATEWAY_TIMEOUT_SECONDS
        )
        assert max(deadline, stream_deadline) < function.timeout < limit, logical_id


def test_operator_choices_are_parameters_and_their_defaults_are_valid_settings(template):
    environment = template.functions["MessagesSendFunction"].environment
    raw_globals = template.raw["Globals"]["Function"]["Environment"]["Variables"]

    for name in ("ALLOWED_MODELS", "ACCESS_TOKEN_TTL_SECONDS", "LOGIN_MAX_FAILURES", "BAILIAN_MAX_ATTEMPTS"):
        assert set(raw_globals[name]) == {"Ref"}, name  # a template parameter
    settings = load_settings(environment)  # the deployed defaults load without a ConfigError
    assert settings.allowed_models == DEFAULT_MODELS
    assert settings.jwt_secret is None and settings.dynamodb_endpoint is None
    assert settings.bailian_api_key is None  # empty local-only variables mean unset in AWS


def failed_rules(template: Template) -> list[str]:
    failures = []
    for name, rule in (template.raw.get("Rules") or {}).items():
        if "RuleCondition" in rule and not template.resolve(rule["RuleCondition"]):
            continue
        if not all(template.resolve(assertion["Assert"]) for assertion in rule["Assertions"]):
            failures.append(name)
    return failures


def test_prod_without_the_model_key_secret_fails_at_deploy_time():
    arn = "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:bailian/api-key-AbCdEf"
    origin = {"AllowedOrigin": "https://app.example.com"}

    assert failed_rules(Template(parameters={"Stage": "prod", **origin})) == ["BailianKeyRequiredInProd"]
    assert failed_rules(Template(parameters={"Stage": "prod", "BailianApiKeySecretArn": arn, **origin})) == []
    assert failed_rules(Template(parameters={"Stage": "dev"})) == []


@pytest.mark.parametrize(
    ("streaming", "twin"),
    [("v1_chat_completions", "bailian_chat_completions"), ("conversations_messages_stream", "messages_send")],
)
def test_a_streaming_function_has_its_buffered_twins_dynamodb_grants(streaming, twin):
    """The unit tests check every DynamoDB call of a handler against its policy (tests/support/iam.py);
    the ASGI functions have no handler to check, and make the same calls through the same domain
    code as their twin, so their grants must be the twin's."""
    grants = iam.dynamodb_grants()
    assert grants[streaming] == grants[twin]
