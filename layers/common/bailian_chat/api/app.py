"""Resolver factory and Lambda entry point shared by every endpoint function."""

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.logging import correlation_paths

from bailian_chat.api.errors import register_error_handlers
from bailian_chat.auth.callers import Caller, authorized_caller
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest

logger = Logger()


def json_object(text: str) -> dict:
    """The request body's JSON, which must be an object. (Powertools would otherwise unwrap a
    `[{...}]` body to its first element, a form-data convenience a JSON API must not have.)"""
    body = json.loads(text)  # malformed JSON raises here and becomes Powertools' json_invalid
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    try:  # JSON may escape lone UTF-16 surrogates ("\ud800"), which no store or hash can take
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise BadRequest("Request body must be valid Unicode text (no lone surrogates)") from exc
    return body


def create_app() -> APIGatewayRestResolver:
    settings = get_settings()
    cors = CORSConfig(
        allow_origin=settings.cors_allow_origin,
        allow_headers=["Authorization"],
        max_age=600,
    )
    app = APIGatewayRestResolver(enable_validation=True, cors=cors, json_body_deserializer=json_object)
    register_error_handlers(app)
    return app


def lambda_handler(app: APIGatewayRestResolver):
    """The function's handler: logs with the API Gateway request id as correlation id."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    def handler(event: dict, context) -> dict:
        return app.resolve(event, context)

    return handler


def caller(app: APIGatewayRestResolver) -> Caller:
    """The authenticated caller, as the authorizer put it in the request context (403 for an API
    key on a route keys may not use)."""
    event = app.current_event
    authorizer = event.request_context.authorizer
    return authorized_caller(authorizer, client_ip(app), event.http_method, event.resource)


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
        time_budget=app.lambda_context.get_remaining_time_in_millis() / 1000 - AFTER_MODEL_CALL_SECONDS,
    )
