"""What the OpenAPI document says about responses: the one table of status codes per operation
(the spec's codes and descriptions, plus what API Gateway itself may answer), the envelope every
response body is, and the 200 data schemas as pydantic models.

`local.openapi_document` builds the document from the functions' own resolvers (Powertools:
parameters and request bodies from the handlers' pydantic models) and decorates every operation
with `responses_for()`; the docs function serves the result (functions/docs/openapi.json).
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import models_json_schema

from bailian_chat.api.params import MAX_ID

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
COMPONENT_REF = "#/components/schemas/{model}"

# ------------------------------------------------------------------ 200 data schemas

Timestamp = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2023-01-01T00:00:00Z"]})
]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date", "examples": ["2023-01-01"]})]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0)]
Money = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]+\.[0-9]{9}$",
            "description": "A decimal amount in the price table's currency, exact to 1e-9",
            "examples": ["0.000123400"],
        }
    ),
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Data):
    user_id: Id
    username: str
    email: str
    nickname: str | None
    avatar_url: str | None
    phone: str | None
    status: int = Field(description="1 active, 0 disabled")
    role: Literal["user", "admin"] = Field(description="admin: may use /api/admin/*")


class RegisteredUser(User):
    created_at: Timestamp


class CurrentUser(User):
    created_at: Timestamp
    last_login_at: Timestamp | None


class LoginData(_Data):
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Access token lifetime in seconds")
    user: User


class RefreshData(_Data):
    access_token: str
    expires_in: int = Field(description="Access token lifetime in seconds")
    refresh_token: str = Field(
        description="The rotated refresh token; the one presented is spent "
        "(presented again within 10 s, it gets this same token)"
    )


class Conversation(_Data):
    conversation_id: Id
    title: str
    model_name: str
    status: int
    created_at: Timestamp
    updated_at: Timestamp


class Pagination(_Data):
    current_page: Annotated[int, Field(ge=1)]
    per_page: Annotated[int, Field(ge=1, le=100)]
    total: Count
    total_pages: Count


class ConversationPage(_Data):
    conversations: list[Conversation]
    pagination: Pagination


class Url(_Data):
    url: str


class TextContent(_Data):
    type: Literal["text"]
    text: str


class ImageUrlContent(_Data):
    type: Literal["image_url"]
    image_url: Url


class VideoUrlContent(_Data):
    type: Literal["video_url"]
    video_url: Url


ContentItem = Annotated[TextContent | ImageUrlContent | VideoUrlContent, Field(discriminator="type")]


class Message(_Data):
    message_id: Id
    conversation_id: Id
    user_id: Annotated[int, Field(ge=0, description="The sender; 0 for the assistant")]
    role: Literal["user", "assistant"]
    content_type: Literal["text", "multimodal"]
    content: list[ContentItem]
    status: int
    created_at: Timestamp


class ReplyError(_Data):
    code: int = Field(
        description="What the model call failed with: 400, 429 or 503; 404 if the conversation was"
        " deleted meanwhile, 500 for an unexpected failure"
    )
    message: str


class SentMessage(Message):
    reply: Message | None = Field(description="The assistant's stored reply (null when not generated)")
    reply_error: ReplyError | None = Field(description="Why there is no reply, when the model failed")


class MessagePage(_Data):
    messages: list[Message]
    pagination: Pagination


class AssistantMessage(_Data):
    role: Literal["assistant"]
    content: list[TextContent]


class Choice(_Data):
    index: Count
    message: AssistantMessage
    finish_reason: str | None


class Usage(_Data):
    prompt_tokens: Count
    completion_tokens: Count
    total_tokens: Count


class ChatCompletion(_Data):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class ApiCall(_Data):
    id: Id
    user_id: Id
    api_key_id: Id | None = Field(description="The API key the call was made with; null for an access token")
    conversation_id: Id | None
    message_id: Id | None
    model_name: str
    api_endpoint: str
    status_code: int
    request_tokens: Count
    response_tokens: Count
    total_tokens: Count
    call_duration: Count = Field(description="Milliseconds")
    client_ip: str
    client_disconnected: bool = Field(
        description="True when the caller went away before a streamed answer ended; the call was "
        "still read to its end, so its tokens are the upstream's exact usage"
    )
    cost: Money | None = Field(
        description="The call's cost, fixed when it was made from the upstream's usage and the price "
        "table then (0 without usage); null for calls logged before costs were recorded"
    )
    created_at: Timestamp


class ApiCallPage(_Data):
    api_calls: list[ApiCall]
    pagination: Pagination


class ApiKey(_Data):
    key_id: Id
    name: str
    hint: str = Field(description="The secret's prefix and last 4 characters, e.g. sk-bc-…1a2b")
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None = Field(description="To the minute (written at most once a minute)")
    models: list[str] | None = Field(description="Models the key may call; null: every configured model")
    rate_limit_per_minute: Annotated[int, Field(ge=1)] | None = Field(
        description="The key's own limit on model calls; null: only the user's limit applies"
    )
    monthly_budget: str | None = Field(
        description="Spend limit per UTC calendar month, a decimal string in the price table's currency"
    )
    status: Literal["active", "revoked", "expired"]


class CreatedApiKey(ApiKey):
    key: str = Field(
        description="The secret, `sk-bc-` + 43 url-safe characters: shown this once, never again"
    )


class ApiKeyPage(_Data):
    api_keys: list[ApiKey]
    pagination: Pagination


class ModelStatistics(_Data):
    model_name: str
    conversation_count: Count
    message_count: Count
    token_count: Count
    cost: Money


class DailyStatistics(_Data):
    date: Day
    conversation_count: Count
    message_count: Count
    token_count: Count
    cost: Money


class Statistics(_Data):
    total_conversations: Count
    total_messages: Count
    total_tokens: Count
    total_cost: Money = Field(description="The sum of the calls' costs (5.1's `cost`), exactly")
    currency: str = Field(description="The price table's currency, e.g. USD")
    model_statistics: list[ModelStatistics]
    daily_statistics: list[DailyStatistics]


class PriceTier(_Data):
    max_input_tokens: int | None = Field(
        description="The tier applies up to this many prompt tokens; null: no bound"
    )
    input: str = Field(description="Price per million prompt tokens")
    output: str = Field(description="Price per million completion tokens")
    thinking_output: str = Field(description="Price per million completion tokens in thinking mode")


class Pricing(_Data):
    currency: str
    unit: Literal["per_million_tokens"]
    tiers: list[PriceTier] = Field(description="Chosen by the call's prompt tokens, first that fits")


class ModelCapabilities(_Data):
    image: bool
    video: bool
    tools: bool
    thinking: Literal["none", "optional", "always"]
    max_output_tokens: Annotated[int, Field(ge=1)]


class PricedModel(_Data):
    model_name: str
    capabilities: ModelCapabilities
    pricing: Pricing | None = Field(
        description="null: the price table has no price for it (its calls cost 0)"
    )


class ModelList(_Data):
    currency: str
    price_source: str
    prices_as_of: Day
    models: list[PricedModel]


class SpendPeriod(_Data):
    limit: Money | None = Field(
        description="The limit that applies (the lower of yours and the deployment's)"
    )
    spent: Money
    reserved: Money = Field(description="Held by calls in progress (released when they end)")


class SpendToday(SpendPeriod):
    date: Day


class SpendThisMonth(SpendPeriod):
    month: str = Field(examples=["2026-12"])


class Budget(_Data):
    currency: str
    daily_limit: Money | None = Field(description="Your own daily limit; null: none of your own")
    monthly_limit: Money | None = Field(description="Your own monthly limit; null: none of your own")
    deployment_daily_limit: Money | None
    deployment_monthly_limit: Money | None
    today: SpendToday
    this_month: SpendThisMonth


# ------------------------------------------------------------------ the status codes, in one place

SERVER_ERROR = "Server internal error"
BAD_REQUEST = "Request parameter error"
NOT_AUTHENTICATED = "Not authenticated"
# Answered by API Gateway itself (GatewayResponses in template.yaml), not by the functions.
GATEWAY_THROTTLED = "Request rate limit exceeded (API Gateway throttling)"
GATEWAY_TOO_LARGE = "Request body too large (Lambda's 6 MB invocation payload limit)"
GATEWAY_TIMEOUT = "Gateway timeout (API Gateway's 29 s integration limit)"


@dataclass(frozen=True)
class Operation:
    """One route of the spec: its summary, its status codes with the spec's descriptions, and
    the schema of `data` in its 200 answer (None: data is null)."""

    summary: str
    tag: str
    data: type[BaseModel] | None
    codes: dict[int, str]
    content_type: str = "application/json"


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/api/auth/register"): Operation(
        "1.1 User registration",
        "auth",
        RegisteredUser,
        {
            200: "Registration successful",
            400: BAD_REQUEST,
            409: "Username or email already exists",
            500: SERVER_ERROR,
        },
    ),
    ("POST", "/api/auth/login"): Operation(
        "1.2 User login",
        "auth",
        LoginData,
        {
            200: "Login successful",
            400: BAD_REQUEST,
            401: "Username or password incorrect",
            403: "User account has been disabled",
            500: SERVER_ERROR,
        },
    ),
    ("POST", "/api/auth/logout"): Operation(
        "1.3 User logout",
        "auth",
        None,
        {
            200: "Logout successful",
            401: NOT_AUTHENTICATED,
            500: SERVER_ERROR,
        },
    ),
    ("POST", "/api/auth/refresh"): Operation(
        "1.4 Refresh token",
        "auth",
        RefreshData,
        {
            200: "Token refresh successful",
            400: BAD_REQUEST,
            401: "Refresh token is invalid or expired",
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/auth/user"): Operation(
        "1.5 Get current user information",
        "auth",
        CurrentUser,
        {
            200: "Retrieval successful",
            401: NOT_AUTHENTICATED,
            500: SERVER_ERROR,
        },
    ),
    ("POST", "/api/conversations"): Operation(
        "2.1 Create conversation",
        "conversations",
        Conversation,
        {
            200: "Creation successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/conversations"): Operation(
        "2.2 Get conversation list",
        "conversations",
        ConversationPage,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/conversations/{conversation_id}"): Operation(
        "2.3 Get conversation details",
        "conversations",
        Conversation,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to access this conversation",
            404: "Conversation does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("PUT", "/api/conversations/{conversation_id}"): Operation(
        "2.4 Update conversation",
        "conversations",
        Conversation,
        {
            200: "Update successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to modify this conversation",
            404: "Conversation does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("DELETE", "/api/conversations/{conversation_id}"): Operation(
        "2.5 Delete conversation",
        "conversations",
        None,
        {
            200: "Deletion successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to delete this conversation",
            404: "Conversation does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("POST", "/api/conversations/{conversation_id}/messages"): Operation(
        "3.1 Send message",
        "messages",
        SentMessage,
        {
            200: "Send successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to send messages in this conversation",
            404: "Conversation does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/conversations/{conversation_id}/messages"): Operation(
        "3.2 Get message history",
        "messages",
        MessagePage,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to access messages in this conversation",
            404: "Conversation does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("DELETE", "/api/messages/{message_id}"): Operation(
        "3.3 Delete message",
        "messages",
        None,
        {
            200: "Deletion successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to delete this message",
            404: "Message does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("POST", "/api/bailian/chat/completions"): Operation(
        "4.1 Call AI model",
        "bailian",
        ChatCompletion,
        {
            200: "Request successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            429: "Request rate limit exceeded",
            500: SERVER_ERROR,
            503: "Bailian API service unavailable",
        },
    ),
    ("GET", "/api/history/api-calls"): Operation(
        "5.1 Query API call history",
        "history",
        ApiCallPage,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/history/conversations/statistics"): Operation(
        "5.2 Query conversation history statistics",
        "history",
        Statistics,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            500: SERVER_ERROR,
        },
    ),
}

# Not in the spec: personal API keys (issue 12). Access token only: a key on these is 403.
KEY_ONLY_BY_TOKEN = "This route takes an access token; an API key is refused here"
KEY_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/api/keys"): Operation(
        "Create a personal API key (its secret is shown once)",
        "keys",
        CreatedApiKey,
        {
            200: "Creation successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: KEY_ONLY_BY_TOKEN,
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/keys"): Operation(
        "List your API keys (never their secrets)",
        "keys",
        ApiKeyPage,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: KEY_ONLY_BY_TOKEN,
            500: SERVER_ERROR,
        },
    ),
    ("DELETE", "/api/keys/{key_id}"): Operation(
        "Revoke an API key (the next request with it is 401)",
        "keys",
        None,
        {
            200: "Deletion successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: KEY_ONLY_BY_TOKEN,
            404: "API key does not exist (or is not yours)",
            500: SERVER_ERROR,
        },
    ),
}

# Not in the spec: prices and spend limits (issue 12).
BUDGET_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/models"): Operation(
        "The configured models, their capabilities and prices (public)",
        "usage",
        ModelList,
        {200: "Retrieval successful", 500: SERVER_ERROR},
    ),
    ("GET", "/api/usage/budget"): Operation(
        "Your spend limits, and what you spent and hold reserved today and this month",
        "usage",
        Budget,
        {200: "Retrieval successful", 401: NOT_AUTHENTICATED, 403: KEY_ONLY_BY_TOKEN, 500: SERVER_ERROR},
    ),
    ("PUT", "/api/usage/budget"): Operation(
        "Set your own daily and monthly spend limits (null: none of your own)",
        "usage",
        Budget,
        {
            200: "Update successful",
            400: BAD_REQUEST + " (or a limit above the deployment's)",
            401: NOT_AUTHENTICATED,
            403: KEY_ONLY_BY_TOKEN,
            500: SERVER_ERROR,
        },
    ),
}

# Not in the spec: the API's own documentation (public; 200 is the document or the page itself,
# not an envelope).
DOCS_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/openapi.json"): Operation(
        "This OpenAPI document", "docs", None, {200: "The OpenAPI 3.1 document", 500: SERVER_ERROR}
    ),
    ("GET", "/api/docs"): Operation(
        "Swagger UI for this document",
        "docs",
        None,
        {200: "The Swagger UI page", 500: SERVER_ERROR},
        content_type="text/html",
    ),
}

# Codes beyond the spec's own that the deployed API answers: login's failed-attempt throttle (429
# with Retry-After, DESIGN.md section 5) and API Gateway's own responses.
EXTRA_CODES: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/api/auth/login"): {
        429: "Too many failed login attempts for this account from this client (Retry-After), "
        "or API Gateway throttling",
    },
    ("POST", "/api/conversations/{conversation_id}/messages"): {504: GATEWAY_TIMEOUT},
    ("POST", "/api/bailian/chat/completions"): {
        403: "An API key used a model outside its allow-list",
        429: "Request rate limit exceeded (the user's or the API key's own; Retry-After), or "
        "\"Budget exceeded\" (a spend limit: the user's daily or monthly, or the API key's monthly_budget)",
        504: GATEWAY_TIMEOUT,
    },
}
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
TAGS = [
    {"name": "auth", "description": "Registration, login, tokens (spec section 1)"},
    {"name": "conversations", "description": "Conversation management (spec section 2)"},
    {"name": "messages", "description": "Messages and model replies (spec section 3)"},
    {"name": "bailian", "description": "The Bailian (Qwen) model proxy (spec section 4)"},
    {"name": "history", "description": "API-call history and statistics (spec section 5)"},
    {"name": "keys", "description": "Personal API keys (sk-bc-…) for scripts and SDKs"},
    {"name": "usage", "description": "Model prices and spend limits"},
    {"name": "docs", "description": "This document and its Swagger UI (public)"},
]
SPEC_OPERATIONS = frozenset(OPERATIONS)


def operation(method: str, path: str) -> Operation:
    key = (method.upper(), path)
    found = (
        OPERATIONS.get(key)
        or KEY_OPERATIONS.get(key)
        or BUDGET_OPERATIONS.get(key)
        or ACCOUNT_OPERATIONS.get(key)
        or DOCS_OPERATIONS.get(key)
    )
    if found is None:
        raise KeyError(
            f"{method.upper()} {path} has no status codes: add it to OPERATIONS in "
            "layers/common/bailian_chat/api/openapi.py"
        )
    return found


def status_codes(method: str, path: str, *, has_body: bool) -> dict[int, str]:
    """Every status code the operation may answer, with its description."""
    key = (method.upper(), path)
    codes = dict(operation(method, path).codes)
    codes.setdefault(429, GATEWAY_THROTTLED)
    if has_body:
        codes.setdefault(413, GATEWAY_TOO_LARGE)
    codes.update(EXTRA_CODES.get(key, {}))
    return dict(sorted(codes.items()))


# ------------------------------------------------------------------ envelopes


def data_schema_name(model: type[BaseModel] | None) -> str:
    return f"{model.__name__}Response" if model is not None else "EmptyResponse"


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


def response_components(operations: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The envelope schemas (and the data models they reference) the given operations use."""
    models: dict[str, type[BaseModel]] = {}
    components: dict[str, dict[str, Any]] = {}
    for method, path in operations:
        op = operation(method, path)
        if (method, path) in DOCS_OPERATIONS:
            continue
        name = data_schema_name(op.data)
        if op.data is not None:
            models[op.data.__name__] = op.data
            data: dict[str, Any] = {"$ref": COMPONENT_REF.format(model=op.data.__name__)}
        else:
            data = {"type": "null"}
        components[name] = envelope_schema(200, data, op.codes[200])
    _, definitions = models_json_schema(
        [(model, "serialization") for model in models.values()], ref_template=COMPONENT_REF
    )
    components.update(definitions.get("$defs", {}))
    return components


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


def _json_content(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": COMPONENT_REF.format(model=schema_name)}}}


def responses_for(method: str, path: str, *, has_body: bool) -> dict[str, dict[str, Any]]:
    """The operation's `responses`: every code, each with the envelope schema (for the docs
    operations, 200 is the document or the page itself)."""
    op = operation(method, path)
    responses: dict[str, dict[str, Any]] = {}
    for code, description in status_codes(method, path, has_body=has_body).items():
        if code == 200 and (method.upper(), path) in DOCS_OPERATIONS:
            schema = (
                {"type": "object", "required": ["openapi", "info", "paths"]}
                if op.content_type == "application/json"
                else {"type": "string"}
            )
            content = {op.content_type: {"schema": schema}}
        else:
            content = _json_content(data_schema_name(op.data) if code == 200 else error_schema_name(code))
        response: dict[str, Any] = {"description": description, "content": content}
        if code == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying (when the API knows)",
                    "required": False,
                    "schema": {"type": "integer"},
                }
            }
        responses[str(code)] = response
    return responses


# The account routes beyond the spec (issue 13), described in their own module.
from bailian_chat.api.openapi_accounts import ACCOUNT_EXAMPLES, ACCOUNT_OPERATIONS, ACCOUNT_TAGS  # noqa: E402

REQUEST_EXAMPLES.update(ACCOUNT_EXAMPLES)
TAGS.extend(ACCOUNT_TAGS)

# Deployment statistics, account deletion and the audit trail (issue 13 part 2), in their own module.
from bailian_chat.api.openapi_lifecycle import LIFECYCLE_OPERATIONS  # noqa: E402

ACCOUNT_OPERATIONS.update(LIFECYCLE_OPERATIONS)
REQUEST_EXAMPLES[("DELETE", "/api/auth/user")] = {"password": "correct horse battery"}
