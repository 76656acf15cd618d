"""Resolver factory and Lambda entry point shared by every endpoint function."""

import json
import math
import typing

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from bailian_chat import warm_start
from bailian_chat.api.envelope import envelope_middleware, to_json
from bailian_chat.api.errors import register_error_handlers
from bailian_chat.auth.callers import Caller, authorized_caller
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest, Forbidden

logger = Logger()


# No request of this API needs more; beyond them a body is an attack, not data.
MAX_BODY_DEPTH = 32  # nesting of arrays and objects (the deepest body of the spec has 6)
MAX_NUMBER_CHARS = 100  # a number's literal (Python refuses int literals over 4,300 digits)
TOO_DEEP = f"Request body is nested too deeply (at most {MAX_BODY_DEPTH} levels of arrays and objects)"
TOO_LONG = f"Request body has a number that is too long (at most {MAX_NUMBER_CHARS} characters)"


def json_object(text: str) -> dict:
    """The request body's JSON, which must be a reasonable object: not nested deeper than
    MAX_BODY_DEPTH, numbers short and finite (no NaN/Infinity), text valid Unicode. (Powertools
    would otherwise unwrap a `[{...}]` body to its first element, a form-data convenience a JSON
    API must not have.)"""
    try:  # malformed JSON raises JSONDecodeError here and becomes Powertools' json_invalid
        body = json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except RecursionError as exc:  # thousands of nested arrays: deeper than the parser's stack
        raise BadRequest(TOO_DEEP) from exc
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    if _depth(body) > MAX_BODY_DEPTH:
        raise BadRequest(TOO_DEEP)
    try:  # JSON may escape lone UTF-16 surrogates ("\ud800"), which no store or hash can take
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise BadRequest("Request body must be valid Unicode text (no lone surrogates)") from exc
    return body


def _json_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise BadRequest(TOO_LONG)
    return int(literal)


def _json_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise BadRequest(TOO_LONG)
    value = float(literal)
    if math.isinf(value):  # 1e400
        raise BadRequest("Request body has a number out of range")
    return value


def _json_constant(name: str):
    raise BadRequest(f"Request body must be standard JSON ({name} is not a JSON number)")


def _depth(value) -> int:
    """Nesting depth of arrays and objects (1 for a flat object), without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        node, depth = level.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            level.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def create_app(*, enveloped: bool = True) -> APIGatewayRestResolver:
    """The function's resolver. `enveloped`: what the handlers return goes in the envelope (False
    for the OpenAI-compatible routes, which answer OpenAI's own shapes). A response that fails its
    declared model is a 500, never the caller's 400."""
    settings = get_settings()
    cors = CORSConfig(
        allow_origin=settings.cors_allow_origin,
        allow_headers=["Authorization"],
        max_age=600,
    )
    app = APIGatewayRestResolver(
        enable_validation=True,
        response_validation_error_http_code=500,
        cors=cors,
        json_body_deserializer=json_object,
        serializer=to_json,
    )
    register_error_handlers(app)
    if enveloped:
        app.use([envelope_middleware])
    return app


def lambda_handler(app: APIGatewayRestResolver):
    """The function's handler: logs with the API Gateway request id as correlation id. Called at
    init (module level): the clients the function imported are primed then (warm_start), and so
    are its routes."""
    warm_start.prime(lambda: _prepare_routes(app))

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    def handler(event: dict, context) -> dict:
        return app.resolve(event, context)

    return handler


def _prepare_routes(app: APIGatewayRestResolver) -> None:
    """What a route's first request would otherwise do, done at init: Powertools' validators of its
    parameters and answer, and the pydantic models its handler reads and answers built, with the
    models they nest (the domain builds those too). They are defer_build: a model a function
    never reads or answers is never built."""
    models: dict[type[BaseModel], None] = {}
    for route in app._static_routes + app._dynamic_routes:  # Powertools has no public list
        _ = route.dependant, route.body_field
        for hint in typing.get_type_hints(route.func, include_extras=True).values():
            _collect_models(hint, models)
    for model in models:
        model.model_rebuild()


def _collect_models(hint, models: dict[type[BaseModel], None]) -> None:
    """The pydantic models a type hint names (inside Annotated, list[...], X | None, ...) and,
    recursively, those their fields name, into `models` (insertion-ordered, each once)."""
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        if hint not in models:
            models[hint] = None
            for field in hint.model_fields.values():
                _collect_models(field.annotation, models)
        return
    for argument in typing.get_args(hint):
        _collect_models(argument, models)


def caller(app: APIGatewayRestResolver) -> Caller:
    """The authenticated caller, as the authorizer put it in the request context (403 for an API
    key on a route keys may not use)."""
    event = app.current_event
    authorizer = event.request_context.authorizer
    return authorized_caller(authorizer, client_ip(app), event.http_method, event.resource)


ADMIN_ONLY = "Admin access required"


def require_admin(app: APIGatewayRestResolver) -> Caller:
    """The caller, if an admin signed in with an access token (the authorizer read the role with the
    session, this very request); Forbidden for anyone else and for any API key."""
    identity = caller(app)
    if identity.role != "admin" or identity.api_key is not None:
        raise Forbidden(ADMIN_ONLY)
    return identity


def user_agent(app: APIGatewayRestResolver) -> str | None:
    return app.current_event.headers.get("user-agent") or app.current_event.headers.get("User-Agent")


def client_ip(app: APIGatewayRestResolver) -> str:
    return app.current_event.request_context.identity.source_ip or "unknown"


# What a model-calling function needs after the call: the log transaction and storing the reply.
AFTER_MODEL_CALL_SECONDS = 3.0


def model_call_source(app: APIGatewayRestResolver):
    """Who is calling the model, through which route (for the call log), and how long the call may
    take so that the invocation still ends inside its own timeout."""
    from bailian_chat.usage.model_calls import CallSource  # only the model-calling functions need it

    identity = caller(app)
    return CallSource(
        user_id=identity.user_id,
        client_ip=identity.client_ip,
        api_endpoint=app.current_event.resource,
        api_key=identity.api_key,
        spend_limits=identity.spend_limits,
        time_budget=app.lambda_context.get_remaining_time_in_millis() / 1000 - AFTER_MODEL_CALL_SECONDS,
    )
