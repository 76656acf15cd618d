"""The OpenAPI document (functions/docs/openapi.json): generated from the code, complete against
template.yaml in both directions, every spec status code with the envelope, bearer security on
exactly the protected routes, and committed up to date."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local.openapi import envelopes
from local.openapi_document import DOCUMENT_PATH, GENERATE_COMMAND, build_document, render
from local.template import REPO_ROOT, Template


def find_spec() -> Path:
    """The team's spec, in shared/ beside the repository, or beside the repository this clone was
    made from (a CI clone in /tmp: `git clone . /tmp/cc`)."""
    beside = [REPO_ROOT.parent]
    origin = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        beside.append(Path(origin).resolve().parent)
    paths = [folder / "shared" / "spec" / "api-spec.md" for folder in beside]
    return next((path for path in paths if path.exists()), paths[0])


SPEC_PATH = find_spec()
PUBLIC_ROUTES = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/api/models"),  # issue 12: list prices and capabilities, the same for everyone
}
ENVELOPE_FIELDS = {"code", "message", "data"}
# Codes beyond the spec's own that the deployed API answers (stated on the routes' decorators):
# login's failed-attempt throttle, API Gateway's timeout, an API key's model allow-list and limits.
BEYOND_SPEC = {
    ("POST", "/api/auth/login"): {429},
    ("POST", "/api/conversations/{conversation_id}/messages"): {504},
    ("POST", "/api/bailian/chat/completions"): {403, 504},
}
# The model each spec operation answers in `data` (the handler's return type).
SPEC_DATA_MODELS = {
    ("POST", "/api/auth/register"): "RegisteredUser",
    ("POST", "/api/auth/login"): "LoginData",
    ("POST", "/api/auth/refresh"): "RefreshData",
    ("GET", "/api/auth/user"): "CurrentUser",
    ("POST", "/api/conversations"): "Conversation",
    ("GET", "/api/conversations"): "ConversationPage",
    ("GET", "/api/conversations/{conversation_id}"): "Conversation",
    ("PUT", "/api/conversations/{conversation_id}"): "Conversation",
    ("POST", "/api/conversations/{conversation_id}/messages"): "SentMessage",
    ("GET", "/api/conversations/{conversation_id}/messages"): "MessagePage",
    ("POST", "/api/bailian/chat/completions"): "ChatCompletion",
    ("GET", "/api/history/api-calls"): "ApiCallPage",
    ("GET", "/api/history/conversations/statistics"): "Statistics",
}
# The spec routes whose 200 carries no data.
NULL_DATA = {
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/conversations/{conversation_id}"),
    ("DELETE", "/api/messages/{message_id}"),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


@pytest.fixture(scope="module")
def template() -> Template:
    return Template()


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_schema(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    assert set(response["content"]) == {"application/json"}, response
    return resolve(document, response["content"]["application/json"]["schema"])


def spec_status_codes() -> dict[tuple[str, str], set[int]]:
    """{(method, path): the status codes the spec lists}, read from the spec itself."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    codes = {}
    for section in re.split(r"\n### ", text)[1:]:
        method = re.search(r"\*\*HTTP Method\*\*:\s*(\w+)", section)
        path = re.search(r"\*\*URL Path\*\*:\s*`([^`]+)`", section)
        listed = section.split("**Status Code Description**:", 1)[-1].split("**Authentication", 1)[0]
        if method and path:
            codes[(method.group(1).upper(), path.group(1))] = {
                int(code) for code in re.findall(r"^- (\d{3}):", listed, re.M)
            }
    return codes


SPEC_OPERATIONS = spec_status_codes() if SPEC_PATH.exists() else {}


def declared_codes(operation: dict[str, Any]) -> set[int]:
    """The codes the route's decorator states (without what API Gateway itself may answer)."""
    gateway = {envelopes.GATEWAY_THROTTLED, envelopes.GATEWAY_TOO_LARGE}
    return {
        int(code)
        for code, response in operation["responses"].items()
        if response["description"] not in gateway
    }


# ------------------------------------------------------------------ the document and the template


def test_the_document_is_openapi_3_1_with_a_relative_server(document):
    assert document["openapi"].startswith("3.1.")
    assert document["servers"][0]["url"] == "/"
    assert "{stage}" in document["servers"][1]["url"]


def test_every_template_route_has_an_operation(document, template):
    documented = set(operations(document))
    missing = sorted({(route.method, route.path) for route in template.routes} - documented)

    assert not missing, f"routes of template.yaml without an operation (run `{GENERATE_COMMAND}`): {missing}"


def test_every_operation_is_a_route_of_the_template(document, template):
    routes = {(route.method, route.path) for route in template.routes}
    extra = sorted(set(operations(document)) - routes)

    assert not extra, f"operations with no route in template.yaml: {extra}"


def test_the_spec_operations_are_all_there(document):
    assert set(operations(document)) >= set(SPEC_OPERATIONS)
    assert len(SPEC_OPERATIONS) == 16


# ------------------------------------------------------------------ status codes and envelopes


def test_the_route_decorators_state_the_spec_status_codes(document):
    # The team's spec lives in shared/ beside the repository (as on every machine and in CI).
    assert SPEC_PATH.exists(), f"the spec is not at {SPEC_PATH}: clone the repo beside shared/"
    found = operations(document)

    for key, codes in SPEC_OPERATIONS.items():
        assert declared_codes(found[key]) - BEYOND_SPEC.get(key, set()) == codes, key


@pytest.mark.parametrize("key", sorted(SPEC_OPERATIONS), ids=" ".join)
def test_every_spec_status_code_is_documented_with_the_envelope(document, key):
    responses = operations(document)[key]["responses"]

    for code in SPEC_OPERATIONS[key]:
        assert str(code) in responses, f"{key}: {code} is not documented"
    for code, response in responses.items():
        schema = json_schema(document, response)
        assert schema["type"] == "object"
        assert set(schema["required"]) == ENVELOPE_FIELDS
        assert schema["properties"]["code"] == {**schema["properties"]["code"], "const": int(code)}
        assert schema["properties"]["message"]["type"] == "string"
        assert response["description"]


@pytest.mark.parametrize("key", sorted(SPEC_OPERATIONS), ids=" ".join)
def test_200_carries_the_data_schema_and_errors_carry_null(document, key):
    responses = operations(document)[key]["responses"]

    success_data = json_schema(document, responses["200"])["properties"]["data"]
    if key in NULL_DATA:
        assert success_data == {"type": "null"}
    else:
        assert success_data == {"$ref": f"#/components/schemas/{SPEC_DATA_MODELS[key]}"}
        assert resolve(document, success_data)["type"] == "object"
    for code, response in responses.items():
        if code != "200":
            # A 429 may be "Budget exceeded", which says which limit was reached (issue 12).
            error_data = envelopes.BUDGET_EXCEEDED_DATA if code == "429" else {"type": "null"}
            assert json_schema(document, response)["properties"]["data"] == error_data


def test_protected_operations_document_401_and_everything_documents_429_and_500(document):
    for key, operation in operations(document).items():
        assert {"429", "500"} <= set(operation["responses"]), key
        if "security" in operation:
            assert "401" in operation["responses"], key


def test_the_docs_operations_answer_the_document_and_the_page_raw(document):
    found = operations(document)

    document_200 = found[("GET", "/api/openapi.json")]["responses"]["200"]["content"]
    page_200 = found[("GET", "/api/docs")]["responses"]["200"]["content"]
    assert document_200["application/json"]["schema"]["type"] == "object"
    assert page_200["text/html"]["schema"] == {"type": "string"}


def test_a_route_without_status_codes_is_refused():
    # What Powertools generates for a decorator without `responses`.
    undeclared = {
        "200": {"description": "Successful Response", "content": {"application/json": {"schema": {}}}},
        "422": {"description": "Validation Error"},
    }
    with pytest.raises(ValueError, match="responses=answers"):
        envelopes.enveloped_responses(undeclared, has_body=False)


# ------------------------------------------------------------------ security


def test_the_bearer_scheme_is_http_bearer_jwt(document):
    schemes = document["components"]["securitySchemes"]

    assert schemes == {"bearerAuth": {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}}
    assert schemes["bearerAuth"]["bearerFormat"] == "JWT"
    assert "security" not in document  # no global requirement: each operation says


def test_bearer_security_exactly_on_the_protected_routes(document, template):
    protected = {(route.method, route.path) for route in template.routes if route.auth_required}

    for key, operation in operations(document).items():
        if key in protected:
            assert operation.get("security") == [{"bearerAuth": []}], key
        else:
            assert "security" not in operation, key
    assert set(operations(document)) - protected == PUBLIC_ROUTES


# ------------------------------------------------------------------ the committed file


def test_the_committed_document_is_up_to_date(document):
    committed = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else ""

    assert committed == render(document), (
        f"{DOCUMENT_PATH.relative_to(REPO_ROOT)} is stale: run `{GENERATE_COMMAND}` and commit it"
    )


def test_every_reference_resolves(document):
    text = json.dumps(document)
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert name in document["components"]["schemas"], name


def test_the_request_bodies_come_from_the_handlers_models(document):
    register = operations(document)[("POST", "/api/auth/register")]
    body = resolve(document, register["requestBody"]["content"]["application/json"]["schema"])

    assert set(body["required"]) == {"username", "email", "password"}
    assert body["properties"]["username"]["type"] == "string"


def test_every_answer_model_refuses_fields_it_does_not_declare(document):
    # Powertools checks each answer against the handler's return model at run time; with unknown
    # fields forbidden (bailian_chat.response_models), what is answered is what is documented.
    pending = [
        json_schema(document, operation["responses"]["200"])["properties"]["data"]
        for key, operation in operations(document).items()
        if "200" in operation["responses"]
        and key[1] not in envelopes.RAW_PATHS
        and not key[1].startswith("/v1/")
        and "text/event-stream" not in operation["responses"]["200"]["content"]
    ]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if ref:
            if ref not in seen:
                seen.add(ref)
                pending.append(resolve(document, node))
            continue
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, node.get("title")
        pending.extend(
            value for key, value in node.items() if key in ("properties", "items", "anyOf", "oneOf")
        )
        pending.extend(node.get("properties", {}).values())
    assert len(seen) > 20
