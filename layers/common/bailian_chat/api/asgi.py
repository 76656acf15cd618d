"""The Starlette app of a streaming function, its request parsing and its error answers."""

import functools
import json
from collections.abc import Awaitable, Callable, Iterable

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bailian_chat import warm_start
from bailian_chat.api import openai_errors
from bailian_chat.api.request_body import json_object, validation_message
from bailian_chat.api.streaming import json_response
from bailian_chat.errors import BadRequest, DomainError
from bailian_chat.response_models import MAX_ID

logger = Logger(child=True)

READINESS_PATH = "/healthz"  # AWS_LWA_READINESS_CHECK_PATH in template.yaml

Handler = Callable[[Request], Awaitable[Response]]
ErrorResponse = Callable[[DomainError], Response]


def openai_error_response(exc: DomainError) -> Response:
    error = openai_errors.from_domain_error(exc)
    return json_response(error.status, error.body, error.headers)


def envelope_response(exc: DomainError) -> Response:
    """The spec's envelope `{"code","message","data"}` for an error."""
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    body = {"code": exc.status_code, "message": exc.message, "data": None}
    return json_response(exc.status_code, body, headers)


def guarded(error_response: ErrorResponse) -> Callable[[Handler], Handler]:
    """DomainErrors answer in the route's error shape; anything else is a logged 500."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return error_response(exc)
            except Exception:
                logger.exception("Unhandled error")
                return error_response(DomainError())

        return wrapper

    return decorate


def create_asgi_app(
    routes: list[tuple[str, str, Handler]], request_models: Iterable[type[BaseModel]] = ()
) -> Starlette:
    """(path, method, handler) routes plus the readiness check LWA polls before the first request.
    Called at init (module level), as api.app.lambda_handler is: the clients the function imported
    are primed then, and the `request_models` its routes read are built (bailian_chat.warm_start)."""

    async def ready(_request: Request) -> Response:
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route(READINESS_PATH, ready, methods=["GET"]),
            *(Route(path, handler, methods=[method]) for path, method, handler in routes),
        ]
    )
    warm_start.prime(lambda: warm_start.build_models(request_models))
    return app


def parse_body[M: BaseModel](model: type[M], raw: bytes, content_type: str | None) -> M:
    """A JSON object body validated by model, as the Powertools functions do: 400 naming the field."""
    if content_type and not content_type.strip().lower().startswith("application/json"):
        raise BadRequest("Content-Type must be application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("Request body must be UTF-8 encoded JSON") from exc
    try:
        body = json_object(text)
    except json.JSONDecodeError as exc:
        raise BadRequest("Malformed JSON in request body") from exc
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(validation_message(list(exc.errors()))) from exc


def path_id(request: Request, name: str) -> int:
    """A positive integer id from the path (a JavaScript-safe one)."""
    raw = request.path_params.get(name, "")
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise BadRequest(f"{name}: must be a positive integer")
    return int(raw)
