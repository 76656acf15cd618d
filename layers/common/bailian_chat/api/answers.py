"""The status codes a route states on its decorator (`responses=answers(...)`), with the spec's
descriptions. The 200 description is also the message of the route's envelope (api/envelope.py),
so what the document says and what the API answers are one string."""

SERVER_ERROR = "Server internal error"
BAD_REQUEST = "Request parameter error"
NOT_AUTHENTICATED = "Not authenticated"
KEY_ONLY_BY_TOKEN = "This route takes an access token; an API key is refused here"
ADMIN_ONLY = "Admin access required (an admin's access token; API keys never)"
# Answered by API Gateway itself (GatewayResponses in template.yaml), not by the function.
GATEWAY_TIMEOUT = "Gateway timeout (API Gateway's 29 s integration limit)"


def answers(ok: str, errors: dict[int, str] | None = None) -> dict[int, dict[str, str]]:
    """`responses` of a route answering in the envelope: 200 with `ok` as its message, the given
    error codes, and 500 (any route may fail)."""
    codes = {200: ok, **(errors or {})}
    codes.setdefault(500, SERVER_ERROR)
    return {code: {"description": description} for code, description in sorted(codes.items())}
