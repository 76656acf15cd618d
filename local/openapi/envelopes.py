"""The envelope every response body is, as the OpenAPI document states it: the functions'
documents (Powertools: summaries, tags, status codes from the route decorators, the 200 data
schema from the handler's return type) get each answer wrapped in {"code","message","data"} here,
plus the codes API Gateway itself may answer. Docs-only: used by local.openapi_document, never
shipped in the runtime layer."""

from typing import Any

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, SERVER_ERROR

BEARER_SCHEME = "bearerAuth"
BEARER_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "The access_token from POST /api/auth/login (or /api/auth/refresh): "
    "`Authorization: Bearer <access_token>`. Checked by the API Gateway authorizer, which also "
    "checks that the session is live (logout revokes it at once). A personal API key "
    "(`Authorization: Bearer sk-bc-…`, from POST /api/keys) is accepted on "
    "POST /api/bailian/chat/completions, GET /api/history/* and /v1/* only; elsewhere it is 403.",
}
# Not in the spec: the API's own documentation, answered raw (the document, the page), public.
# What Powertools says of a 200 when the decorator states none.
POWERTOOLS_DEFAULT_DESCRIPTION = "Successful Response"
RAW_PATHS = frozenset({"/api/openapi.json", "/api/docs"})
COMPONENT_REF = "#/components/schemas/{model}"

# Answered by API Gateway itself (GatewayResponses in template.yaml), not by the functions.
GATEWAY_THROTTLED = "Request rate limit exceeded (API Gateway throttling)"
GATEWAY_TOO_LARGE = "Request body too large (Lambda's 6 MB invocation payload limit)"


# ------------------------------------------------------------------ envelopes


def data_schema_name(data: dict[str, Any]) -> str:
    """The 200 envelope's component: `<Model>Response`, or EmptyResponse when data is null."""
    ref = data.get("$ref")
    return f"{ref.rsplit('/', 1)[1]}Response" if ref else "EmptyResponse"


def error_schema_name(status: int) -> str:
    return f"Error{status}"


def envelope_schema(status: int, data: dict[str, Any], message_example: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": f"Envelope {status}",
        "properties": {
            "code": {"type": "integer", "const": status, "description": "Equals the HTTP status"},
            "message": {"type": "string", "examples": [message_example]},
            "data": data,
        },
        "required": ["code", "message", "data"],
        "additionalProperties": False,
    }


# API Gateway's own answers (GatewayResponses) also carry OpenAI's error object (issue 11).
GATEWAY_OPENAI_ERROR = {
    "type": "object",
    "description": "Only in API Gateway's own answers: the same error in OpenAI's shape, for the SDKs",
    "properties": {
        "message": {"type": "string"},
        "type": {"type": "string"},
        "param": {"type": "null"},
        "code": {"type": ["string", "null"]},
    },
}


# A 429 "Budget exceeded" (issue 12) says which limit; every other 429 has no data.
BUDGET_EXCEEDED_DATA = {
    "anyOf": [
        {"type": "null"},
        {
            "type": "object",
            "description": "Budget exceeded: the limit reached (daily, monthly, api_key_monthly)",
            "properties": {
                "limit": {"type": "string"},
                "amount": {"type": "string"},
                "currency": {"type": "string"},
            },
            "required": ["limit", "amount", "currency"],
        },
    ]
}


def error_components(codes: set[int]) -> dict[str, dict[str, Any]]:
    components = {}
    for code in sorted(codes):
        schema = envelope_schema(
            code, BUDGET_EXCEEDED_DATA if code == 429 else {"type": "null"}, _error_example(code)
        )
        schema["properties"]["error"] = GATEWAY_OPENAI_ERROR
        components[error_schema_name(code)] = schema
    return components


def _error_example(code: int) -> str:
    return {
        400: BAD_REQUEST,
        401: NOT_AUTHENTICATED,
        403: "No permission",
        404: "Resource not found",
        409: "Username already exists",
        413: "Request body too large",
        429: "Request rate limit exceeded",
        500: SERVER_ERROR,
        503: "Bailian API service unavailable",
        504: "Gateway timeout",
    }.get(code, "Error")


# Request bodies as the spec shows them: Swagger UI's "Try it out" starts from these, and
# schemathesis' examples phase sends them (positive requests that reach the 200 answers).
REQUEST_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/auth/register"): {
        "username": "example_user",
        "email": "user@example.com",
        "password": "correct horse battery",
        "nickname": "Example",
    },
    ("POST", "/api/auth/login"): {"username": "example_user", "password": "correct horse battery"},
    ("POST", "/api/auth/refresh"): {"refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."},
    ("POST", "/api/conversations"): {"title": "New Conversation", "model_name": "qwen-vl-max-latest"},
    ("PUT", "/api/conversations/{conversation_id}"): {"title": "Updated Conversation Title"},
    ("POST", "/api/keys"): {
        "name": "Jupyter notebook",
        "models": ["qwen-plus"],
        "rate_limit_per_minute": 30,
        "monthly_budget": "25.00",
    },
    ("POST", "/api/conversations/{conversation_id}/messages"): {
        "content": [{"type": "text", "text": "Hello, please introduce yourself"}]
    },
    ("POST", "/api/bailian/chat/completions"): {
        "model": "qwen-vl-max-latest",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Who are you?"}]}],
        "temperature": 0.7,
        "max_tokens": 256,
    },
}
REQUEST_EXAMPLES.update(
    {
        ("PUT", "/api/auth/user"): {"nickname": "Example", "avatar_url": "https://example.com/me.png"},
        ("PUT", "/api/auth/password"): {
            "current_password": "correct horse battery",
            "new_password": "correct horse battery staple",
        },
        ("PUT", "/api/admin/users/{user_id}"): {"status": 0},
        ("DELETE", "/api/auth/user"): {"password": "correct horse battery"},
    }
)
TAGS = [
    {"name": "auth", "description": "Registration, login, tokens (spec section 1)"},
    {"name": "conversations", "description": "Conversation management (spec section 2)"},
    {"name": "messages", "description": "Messages and model replies (spec section 3)"},
    {"name": "bailian", "description": "The Bailian (Qwen) model proxy (spec section 4)"},
    {"name": "history", "description": "API-call history and statistics (spec section 5)"},
    {"name": "keys", "description": "Personal API keys (sk-bc-…) for scripts and SDKs"},
    {"name": "usage", "description": "Model prices and spend limits"},
    {"name": "docs", "description": "This document and its Swagger UI (public)"},
    {"name": "account", "description": "The signed-in user's profile, password and sessions"},
    {"name": "admin", "description": "User administration (admins only)"},
]


def _json_content(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": COMPONENT_REF.format(model=schema_name)}}}


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying (when the API knows)",
        "required": False,
        "schema": {"type": "integer"},
    }
}


def _described(response: dict[str, Any]) -> dict[str, Any]:
    """Powertools states its own 500 for a response that fails its model (create_app's
    response_validation_error_http_code); to the caller that is the spec's 500 like any other."""
    if response.get("description") == "Response Validation Error":
        return {**response, "description": SERVER_ERROR}
    return response


def enveloped_responses(
    responses: dict[str, Any], *, has_body: bool
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The operation's responses as Powertools generated them (codes and descriptions from the
    route decorator's `responses`, the 200 schema from the handler's return type), each in the
    envelope, plus API Gateway's own 429 and 413; and the 200 envelope component they reference."""
    declared = {int(code): _described(response) for code, response in responses.items() if code != "422"}
    if 200 not in declared or declared[200].get("description") == POWERTOOLS_DEFAULT_DESCRIPTION:
        raise ValueError("declares no responses: give its decorator responses=answers(...)")
    # Powertools titles a return type that is no model (`-> None`) "Return": not a name to show.
    data = {
        key: value
        for key, value in declared[200]["content"]["application/json"]["schema"].items()
        if key != "title"
    }
    codes = {code: response["description"] for code, response in declared.items()}
    codes.setdefault(429, GATEWAY_THROTTLED)
    if has_body:
        codes.setdefault(413, GATEWAY_TOO_LARGE)
    enveloped: dict[str, Any] = {}
    for code, description in sorted(codes.items()):
        schema_name = data_schema_name(data) if code == 200 else error_schema_name(code)
        enveloped[str(code)] = {"description": description, "content": _json_content(schema_name)}
        if code == 429:
            enveloped[str(code)]["headers"] = RETRY_AFTER
    return enveloped, {data_schema_name(data): envelope_schema(200, data, codes[200])}


def raw_responses(responses: dict[str, Any]) -> dict[str, Any]:
    """The docs operations' responses (the document or the page itself at 200, not an envelope)
    with API Gateway's 429."""
    declared = {code: _described(response) for code, response in responses.items() if code != "422"}
    declared.setdefault("429", {"description": GATEWAY_THROTTLED})
    for code, response in declared.items():
        if code != "200":
            response["content"] = _json_content(error_schema_name(int(code)))
        if code == "429":
            response["headers"] = RETRY_AFTER
    return dict(sorted(declared.items()))
