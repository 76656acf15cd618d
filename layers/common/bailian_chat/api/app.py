"""Resolver factory and Lambda entry point shared by every endpoint function."""

import typing

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.logging import correlation_paths

from bailian_chat import warm_start
from bailian_chat.api.envelope import envelope_middleware, to_json
from bailian_chat.api.errors import register_error_handlers
from bailian_chat.api.request_body import json_object
from bailian_chat.auth.callers import ROLE_ADMIN, Caller, authorized_caller
from bailian_chat.config import get_settings
from bailian_chat.errors import Forbidden

logger = Logger()


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
    hints = []
    for route in app._static_routes + app._dynamic_routes:  # Powertools has no public list
        _ = route.dependant, route.body_field
        hints += typing.get_type_hints(route.func, include_extras=True).values()
    warm_start.build_models(hints)


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
    if identity.role != ROLE_ADMIN or identity.api_key is not None:
        raise Forbidden(ADMIN_ONLY)
    return identity


def user_agent(app: APIGatewayRestResolver) -> str | None:
    return app.current_event.headers.get("user-agent") or app.current_event.headers.get("User-Agent")


def client_ip(app: APIGatewayRestResolver) -> str:
    return app.current_event.request_context.identity.source_ip or "unknown"


def model_call_source(app: APIGatewayRestResolver):
    """Who is calling the model, through which route (for the call log), and how long the call may
    take so that the invocation still ends inside its own timeout."""
    # only the model-calling functions need these
    from bailian_chat.usage.call_log import AFTER_MODEL_CALL_SECONDS, CallSource

    identity = caller(app)
    return CallSource(
        user_id=identity.user_id,
        client_ip=identity.client_ip,
        api_endpoint=app.current_event.resource,
        api_key=identity.api_key,
        spend_limits=identity.spend_limits,
        time_budget=app.lambda_context.get_remaining_time_in_millis() / 1000 - AFTER_MODEL_CALL_SECONDS,
    )
