"""The response envelope every endpoint answers with: {"code", "message", "data"}."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types


def envelope(status_code: int, message: str, data: Any = None, headers: dict | None = None) -> Response:
    body = json.dumps({"code": status_code, "message": message, "data": data}, separators=(",", ":"))
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )


def ok(message: str, data: Any = None) -> Response:
    return envelope(200, message, data)
