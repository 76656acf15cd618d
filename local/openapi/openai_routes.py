"""What the OpenAPI document says about issue 11's routes: the OpenAI-compatible API under /v1 (its
own tag; OpenAI's bodies and `{"error": {...}}` errors, not the envelope) and the streamed
conversation reply (text/event-stream; errors before the stream in the envelope).

The streamed routes are ASGI apps, not Powertools resolvers, so their operations are stated here
whole; GET /v1/models is a resolver whose operations get their responses from here.
"""

from typing import Any

from pydantic import BaseModel

from local.openapi.envelopes import COMPONENT_REF, GATEWAY_THROTTLED, error_schema_name

TAG = {
    "name": "OpenAI-compatible",
    "description": "OpenAI's Chat Completions and Models contract, unwrapped, for the official SDKs "
    "(`base_url=<api>/v1`, `api_key=<access_token>`). Errors are OpenAI's "
    '`{"error": {"message", "type", "param", "code"}}` with the real status.',
}
OPENAI_TAG = TAG["name"]
STREAM_PATH = "/api/conversations/{conversation_id}/messages/stream"
ERROR_SCHEMA = "OpenAIError"
OPENAI_ERRORS = {
    400: "Invalid request (`param` names the field)",
    401: "Missing, invalid or revoked access token",
    404: "No such model",
    429: "Per-user model-call rate limit (Retry-After) or API Gateway throttling",
    500: "Server internal error",
    503: "Bailian API service unavailable",
}

# Errors before the stream starts (the user message is not stored), in the spec's envelope.
STREAM_ERRORS = {
    400: "Request parameter error (the message names the field)",
    401: "Not authenticated",
    403: "The conversation belongs to another user",
    404: "Conversation not found",
    413: "Request body too large",
    429: "Per-user model-call rate limit (Retry-After) or API Gateway throttling",
    500: "Server internal error",
}
_OPENAI_ERROR = {
    "type": "object",
    "title": "OpenAI error",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string", "examples": ["invalid_request_error"]},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
            "required": ["message", "type", "param", "code"],
        }
    },
    "required": ["error"],
}
_MODEL = {
    "type": "object",
    "title": "Model",
    "properties": {
        "id": {"type": "string", "examples": ["qwen3-max"]},
        "object": {"const": "model"},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
        "capabilities": {
            "type": "object",
            "description": "What the model accepts (an extra beside OpenAI's fields)",
            "properties": {
                "image": {"type": "boolean"},
                "video": {"type": "boolean"},
                "tools": {"type": "boolean"},
                "thinking": {"enum": ["none", "optional", "always"]},
            },
        },
        "max_output_tokens": {"type": "integer"},
    },
    "required": ["id", "object", "created", "owned_by"],
}
_MODEL_LIST = {
    "type": "object",
    "title": "Model list",
    "properties": {
        "object": {"const": "list"},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/OpenAIModel"}},
    },
    "required": ["object", "data"],
}
_CHAT_COMPLETION = {
    "type": "object",
    "title": "chat.completion",
    "description": "OpenAI's chat.completion: `choices[].message.content` is a string (null with "
    "`tool_calls`), `reasoning_content` when the model thinks; `usage` is the upstream's.",
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "chat.completion"},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "choices": {"type": "array", "items": {"type": "object"}},
        "usage": {"type": "object"},
    },
    "required": ["id", "object", "created", "model", "choices"],
}
SCHEMAS = {
    ERROR_SCHEMA: _OPENAI_ERROR,
    "OpenAIModel": _MODEL,
    "OpenAIModelList": _MODEL_LIST,
    "OpenAIChatCompletion": _CHAT_COMPLETION,
}

_SSE_CHAT = (
    "With `stream: true`: one `data: {chat.completion.chunk}` event per upstream chunk as it "
    "arrives, then `data: [DONE]`; with `stream_options.include_usage` a last chunk with empty "
    '`choices` carries `usage`. An error after the first chunk is one `data: {"error": {...}}` '
    "event, and the stream ends."
)
_SSE_REPLY = (
    "`event: message` (the stored user message, 3.1's data), then `event: delta` "
    '(`{"text"}` or `{"reasoning"}`) as the model writes, then `event: reply` (the stored '
    'assistant message with its `usage`) or `event: error` (`{"code", "message"}`; the user '
    "message stays stored). A client that disconnects does not lose the reply: it is stored whole."
)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": COMPONENT_REF.format(model=name)}


def _openai_errors(codes: list[int]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in codes:
        response: dict[str, Any] = {
            "description": OPENAI_ERRORS.get(code, GATEWAY_THROTTLED),
            "content": {"application/json": {"schema": _ref(ERROR_SCHEMA)}},
        }
        if code == 429:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": False}}
        responses[str(code)] = response
    return responses


def is_openai_path(path: str) -> bool:
    return path.startswith("/v1/")


def sse_event_schema(names: list[str] | None = None) -> dict[str, Any]:
    """One server-sent event as a client parses it: its `data` is a JSON text (a chunk, or
    `[DONE]`); `event` is one of `names` (OpenAI's stream sends none: "message")."""
    event: dict[str, Any] = {"type": "string"}
    if names:
        event["enum"] = names
    return {
        "type": "object",
        "properties": {"event": event, "data": {"type": "string"}, "id": {"type": "string"}},
        "required": ["data"],
    }


def models_responses(path: str) -> dict[str, Any]:
    """Responses of the GET /v1/models operations (a Powertools resolver)."""
    ok = _ref("OpenAIModelList") if path == "/v1/models" else _ref("OpenAIModel")
    codes = [400, 401, 404, 429, 500] if path != "/v1/models" else [401, 429, 500]
    return {
        "200": {"description": "The configured models", "content": {"application/json": {"schema": ok}}}
    } | (_openai_errors(codes))


def models_summary(path: str) -> str:
    return "List the configured models" if path == "/v1/models" else "One configured model"


def _body(
    model: type[BaseModel], example: dict[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A request body from the handler's pydantic model, and the schemas it references (their
    names prefixed, so that OpenAI's message models do not clash with the spec's)."""
    schema = model.model_json_schema(ref_template=COMPONENT_REF.format(model=prefix + "{model}"))
    definitions = {prefix + name: definition for name, definition in schema.pop("$defs", {}).items()}
    name = prefix + model.__name__
    definitions[name] = schema
    content = {"application/json": {"schema": _ref(name), "example": example}}
    return {"required": True, "content": content}, definitions


def asgi_operations(
    chat_request: type[BaseModel], stream_request: type[BaseModel]
) -> tuple[dict, dict, set[int]]:
    """(paths, schemas, envelope error codes) of the two streamed routes."""
    chat_body, chat_schemas = _body(
        chat_request,
        {"model": "qwen-plus", "messages": [{"role": "user", "content": "Hello"}], "stream": True},
        prefix="V1",
    )
    reply_body, reply_schemas = _body(
        stream_request, {"content": [{"type": "text", "text": "Hello, please introduce yourself"}]}
    )
    envelope_codes = sorted(STREAM_ERRORS)
    paths = {
        "/v1/chat/completions": {
            "post": {
                "tags": [OPENAI_TAG],
                "summary": "Chat completion (OpenAI contract; streamed with stream: true)",
                "description": _SSE_CHAT,
                "requestBody": chat_body,
                "responses": {
                    "200": {
                        "description": "chat.completion, or with `stream: true` an event stream",
                        "content": {
                            "application/json": {"schema": _ref("OpenAIChatCompletion")},
                            "text/event-stream": {"schema": sse_event_schema()},
                        },
                    },
                    **_openai_errors([400, 401, 413, 429, 500, 503]),
                },
            }
        },
        STREAM_PATH: {
            "post": {
                "tags": ["messages"],
                "summary": "Send a message and stream the reply (server-sent events)",
                "description": _SSE_REPLY,
                "parameters": [
                    {
                        "name": "conversation_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "exclusiveMinimum": 0, "maximum": 2**53 - 1},
                    }
                ],
                "requestBody": reply_body,
                "responses": {
                    "200": {
                        "description": "The event stream",
                        "content": {
                            "text/event-stream": {
                                "schema": sse_event_schema(["message", "delta", "reply", "error"])
                            }
                        },
                    },
                    **{
                        str(code): {
                            "description": STREAM_ERRORS[code],
                            "content": {"application/json": {"schema": _ref(error_schema_name(code))}},
                        }
                        for code in envelope_codes
                    },
                },
            }
        },
    }
    return paths, {**chat_schemas, **reply_schemas}, set(envelope_codes)
