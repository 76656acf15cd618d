"""The one place where exceptions become status codes and envelopes."""

import binascii

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from bailian_chat.api.envelope import envelope
from bailian_chat.errors import DomainError, RateLimited

logger = Logger(child=True)


BODY_SHAPE_ERRORS = ("model_type", "missing", "model_attributes_type", "dict_type")


def _field_path(loc: tuple) -> str:
    """Dotted path of the field, without the location prefix and the union tags pydantic inserts
    (content.0.text.text -> content.0.text)."""
    if loc and loc[0] in ("body", "query", "path"):  # the location (only there: a field may be named so)
        loc = loc[1:]
    parts = [p for p in loc if not (isinstance(p, str) and "[" in p)]
    path = [part for i, part in enumerate(parts) if i == 0 or part != parts[i - 1] or isinstance(part, int)]
    return ".".join(str(part) for part in path)


def _most_telling(errors: list[dict]) -> dict:
    """The first error, unless it is a type mismatch of one branch of a union (content: a list of
    parts or a string) and another branch of that same field failed on its value: a string
    content with a NUL is "must not contain control characters", not "should be a valid list"."""
    first = errors[0]
    if not first.get("type", "").endswith("_type"):
        return first
    field = _field_path(tuple(first.get("loc", ())))
    return next(
        (
            error
            for error in errors[1:]
            if _field_path(tuple(error.get("loc", ()))).startswith(field)
            and not error.get("type", "").endswith("_type")
            and error.get("type") != "missing"
        ),
        first,
    )


def validation_message(errors: list[dict]) -> str:
    """A client-readable message that names the offending field."""
    if not errors:
        return "Request parameter error"
    error = _most_telling(errors)
    kind = error.get("type", "")
    field = _field_path(tuple(error.get("loc", ())))
    if kind == "json_invalid":
        return "Malformed JSON in request body"
    if not field:
        return (
            "Request body must be a JSON object" if kind in BODY_SHAPE_ERRORS else "Request parameter error"
        )
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if kind == "missing":
        message = "is required"
    elif kind == "union_tag_invalid":
        return f"{field}.type: must be one of {error.get('ctx', {}).get('expected_tags', '')}"
    elif kind == "union_tag_not_found":
        return f"{field}.type: is required"
    elif kind.endswith("_type") or kind == "model_attributes_type":
        message = f"has the wrong type ({message[0].lower()}{message[1:]})"
    return f"{field}: {message}"


def unreadable_body(event: APIGatewayProxyEvent) -> str | None:
    """Why the request body cannot be read as JSON, if that is so. Powertools raises a plain
    ValueError for these (a base64 body that is not UTF-8; multipart/form-data without a boundary)."""
    content_type = (event.headers.get("content-type") or "").strip().lower()
    if content_type and not content_type.startswith("application/json"):
        return "Content-Type must be application/json"
    try:
        event.decoded_body  # noqa: B018 - decoding is the check
    except (UnicodeDecodeError, binascii.Error):
        return "Request body must be UTF-8 encoded JSON"
    return None


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain(exc: DomainError):
        headers = (
            {"Retry-After": str(exc.retry_after)}
            if isinstance(exc, RateLimited) and exc.retry_after
            else None
        )
        return envelope(exc.status_code, exc.message, exc.data, headers=headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError):
        return envelope(400, validation_message(list(exc.errors())))

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType):
        return envelope(400, "Content-Type must be application/json")

    @app.not_found
    def _not_found(exc: NotFoundError):
        return envelope(404, "Resource not found")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception):
        logger.exception("Unhandled error")
        return envelope(500, "Server internal error")

    @app.exception_handler(ValueError)
    def _value_error(exc: ValueError):
        problem = unreadable_body(app.current_event)
        return envelope(400, problem) if problem else _unexpected(exc)
