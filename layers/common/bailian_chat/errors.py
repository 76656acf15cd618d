"""Domain exceptions. Raised anywhere below `api`; mapped to status codes in one place
(`bailian_chat.api.errors`)."""


class DomainError(Exception):
    status_code = 500
    default_message = "Server internal error"

    def __init__(self, message: str | None = None, *, data: dict | None = None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.data = data


class BadRequest(DomainError):
    status_code = 400
    default_message = "Request parameter error"

    def __init__(self, message: str | None = None, *, data: dict | None = None, param: str | None = None):
        super().__init__(message, data=data)
        # The request field at fault, for APIs that name it apart from the message (OpenAI's `param`).
        self.param = param


class Unauthorized(DomainError):
    status_code = 401
    default_message = "Not authenticated"


class Forbidden(DomainError):
    status_code = 403
    default_message = "No permission"


class NotFound(DomainError):
    status_code = 404
    default_message = "Resource not found"


class Conflict(DomainError):
    status_code = 409
    default_message = "Conflict"


class RateLimited(DomainError):
    status_code = 429
    default_message = "Request rate limit exceeded"

    def __init__(self, message: str | None = None, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamUnavailable(DomainError):
    status_code = 503
    default_message = "Bailian API service unavailable"


class UpstreamStreamError(DomainError):
    """A streamed completion that broke after it started: 503, or the status the upstream's error
    event stands for. `usage` is what the upstream reported before it broke, if anything."""

    status_code = 503
    default_message = "Bailian API service unavailable"

    def __init__(self, message: str | None = None, *, status_code: int = 503, usage: dict | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.usage = usage


class BudgetExceeded(RateLimited):
    """A spend limit would be crossed by the call's worst-case cost: 429 "Budget exceeded"
    (envelope); on /v1 OpenAI's `insufficient_quota` type with code `budget_exceeded`, and no
    SDK retry (waiting does not help until the period ends or the limit is raised)."""

    default_message = "Budget exceeded"
    openai_type = "insufficient_quota"
    openai_code = "budget_exceeded"

    def __init__(self, message: str | None = None, *, data: dict | None = None):
        super().__init__(message)
        self.data = data
