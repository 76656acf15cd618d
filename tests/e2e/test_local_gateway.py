"""The local API gateway over the real template.yaml, driven over HTTP: what API Gateway itself
answers (GatewayResponses, the authorizer's verdicts, CORS preflight). Tests marked
needs_handlers go through the real functions too."""

import json
import uuid

import httpx
import pytest

from local.stack import LocalStack
from tests.support.gateway_answers import NOT_AUTHENTICATED, RESOURCE_NOT_FOUND


def gateway_body(stack: LocalStack, response_type: str) -> dict:
    body = stack.template.gateway_responses[response_type].body
    assert body is not None
    return json.loads(body)


def allowed_origin(stack: LocalStack) -> str:
    assert stack.template.cors is not None
    return stack.template.cors.allow_origin


def test_unknown_route_answers_the_missing_authentication_token_response(stack, api):
    response = api.get("/api/no/such/route")

    assert response.status_code == 404
    assert response.json() == RESOURCE_NOT_FOUND
    assert response.json() == gateway_body(stack, "MISSING_AUTHENTICATION_TOKEN")
    assert response.headers["access-control-allow-origin"] == allowed_origin(stack)
    assert response.headers["content-type"] == "application/json"


def test_known_path_with_a_wrong_method_is_not_found_either(api):
    response = api.delete("/api/auth/login")

    assert response.status_code == 404
    assert response.json()["message"] == "Resource not found"


def test_protected_route_without_authorization_is_401_without_calling_the_authorizer(api):
    response = api.get("/api/auth/user")

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert response.headers["x-amzn-errortype"] == "UnauthorizedException"


def test_blank_authorization_header_counts_as_missing(api):
    response = api.get("/api/auth/user", headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.json()["message"] == "Not authenticated"


@pytest.mark.needs_handlers
def test_garbage_bearer_token_is_401_from_the_authorizer(api):
    response = api.get("/api/auth/user", headers={"Authorization": "Bearer not-a-jwt"})

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_cors_preflight_is_answered_from_the_template_without_auth(stack, api):
    response = api.options(
        "/api/auth/user",
        headers={"Origin": allowed_origin(stack), "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == allowed_origin(stack)
    assert response.headers["access-control-allow-methods"] == "GET,POST,PUT,DELETE,OPTIONS"
    assert response.headers["access-control-allow-headers"] == "Content-Type,Authorization"
    assert response.headers["access-control-max-age"] == "600"
    assert "'" not in response.headers["access-control-allow-origin"]


def test_preflight_for_an_unknown_path_is_not_found(api):
    assert api.options("/api/nowhere").status_code == 404


@pytest.mark.needs_handlers
def test_a_signed_in_user_reaches_a_protected_route_through_the_authorizer(api: httpx.Client):
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    password = "Correct-horse-9-battery"
    registration = {"username": name, "email": f"{name}@example.com", "password": password}
    assert api.post("/api/auth/register", json=registration).status_code == 200
    login = api.post("/api/auth/login", json={"username": name, "password": password})
    assert login.status_code == 200, login.text

    token = login.json()["data"]["access_token"]
    response = api.get("/api/auth/user", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["username"] == name
