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
from bailian_chat.api.request_body import validation_message
from bailian_chat.errors import DomainError, RateLimited

logger = Logger(child=True)


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
