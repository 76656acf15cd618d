"""Errors under /v1 in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the
real HTTP status, so the official SDKs raise their own exception classes (BadRequestError,
AuthenticationError, RateLimitError, ...) and their retries work.

The status comes from the DomainError, as for the spec's envelope (`bailian_chat.api.errors`);
only the body's shape differs."""

import json
from dataclasses import dataclass, field

from bailian_chat.errors import DomainError, RateLimited

# status -> (OpenAI error type, default code)
_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("not_found_error", None),
    409: ("invalid_request_error", "conflict"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("api_error", None),
    502: ("api_error", "bad_gateway"),
    503: ("api_error", "service_unavailable"),
    504: ("api_error", "timeout"),
}


def error_type(status: int) -> tuple[str, str | None]:
    if status in _ERROR_TYPES:
        return _ERROR_TYPES[status]
    return ("invalid_request_error", None) if status < 500 else ("api_error", None)


def error_object(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict:
    """The inner `error` object; `code` defaults to the status's usual one."""
    kind, default_code = error_type(status)
    return {"message": message, "type": kind, "param": param, "code": code or default_code}


@dataclass(frozen=True)
class OpenAIError:
    """An error answer: status, headers and the `{"error": {...}}` body."""

    status: int
    error: dict
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> dict:
        return {"error": self.error}

    def json(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


def from_domain_error(exc: DomainError) -> OpenAIError:
    param = getattr(exc, "param", None)  # BadRequest names the offending field
    headers = {}
    if isinstance(exc, RateLimited) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    error = error_object(exc.status_code, exc.message, param=param, code=getattr(exc, "openai_code", None))
    if getattr(exc, "openai_type", None):  # e.g. a spend limit: insufficient_quota, not retried
        error["type"] = exc.openai_type
        headers["x-should-retry"] = "false"
    return OpenAIError(exc.status_code, error, headers)


def from_status(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> OpenAIError:
    return OpenAIError(status, error_object(status, message, param=param, code=code))


INTERNAL_ERROR = from_status(500, "Server internal error")


def register_openai_error_handlers(app) -> None:
    """For a Powertools resolver under /v1: every error in OpenAI's shape (replaces the envelope
    handlers `create_app` registered)."""
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response, content_types
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

    from bailian_chat.api.request_body import validation_message

    def answer(error: OpenAIError) -> Response:
        headers = error.headers or None
        return Response(error.status, content_types.APPLICATION_JSON, error.json(), headers=headers)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError):
        return answer(from_domain_error(exc))

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError):
        return answer(from_status(400, validation_message(list(exc.errors()))))

    @app.not_found
    def _not_found(exc: NotFoundError):
        return answer(from_status(404, "Resource not found"))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception):
        Logger(child=True).exception("Unhandled error")
        return answer(INTERNAL_ERROR)
