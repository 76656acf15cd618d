"""The response envelope every endpoint answers with: {"code", "message", "data"}."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

# UTF-8 JSON, not ASCII with \uXXXX escapes: an escaped 4-byte emoji is 12 bytes (14 once Lambda
# wraps the body in its own JSON), which put long histories over Lambda's 6 MB response limit.
JSON_UTF8 = "application/json; charset=utf-8"


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def envelope(status_code: int, message: str, data: Any = None, headers: dict | None = None) -> Response:
    body = to_json({"code": status_code, "message": message, "data": data})
    return Response(
        status_code=status_code,
        content_type=JSON_UTF8,
        body=body,
        headers=headers,
    )


def envelope_middleware(app, next_middleware) -> Response:
    """What a handler returned (already checked against its declared return model by Powertools)
    in the envelope, with its route's 200 description as the message. A handler that builds its
    own Response (a str body) is answered as it is."""
    route = app.context.get("_route")  # read first, as Powertools' own middlewares do
    declared = (route.responses or {}).get(200) if route else None
    response = next_middleware(app)
    if declared is None or isinstance(response.body, str | bytes):
        return response  # a Response of its own: the docs, an error handler's, Powertools' not-found
    return envelope(response.status_code, declared["description"], response.body)
