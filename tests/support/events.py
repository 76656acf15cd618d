"""API Gateway REST proxy events and REQUEST-authorizer events for invoking handlers in-process,
built by the local stack's own event builders (local/apigw_events.py) so there is one copy of
what API Gateway sends; plus a Lambda context stub and a parsed view of a proxy response."""

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.apigw_events import HttpRequest, proxy_event
from local.apigw_events import authorizer_event as build_authorizer_event
from local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, Route
from tests.support import template

DEFAULT_SOURCE_IP = "198.51.100.7"


def template_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The template route serving `method path` (a query string ignored), and the path parameters
    it captures."""
    path = path.partition("?")[0]
    for route in template.get().routes:
        if route.method not in (method.upper(), "ANY"):
            continue
        pattern = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
        match = re.fullmatch(pattern, path)
        if match:
            return route, match.groupdict()
    raise LookupError(f"template.yaml has no route for {method} {path}")


def http_request(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    query_string: str = "",
) -> HttpRequest:
    """`path` may end in a raw (URL-encoded) query string: "/api/x?page=2". `body` may be a str
    (sent verbatim) or any JSON value (serialised); None means no body."""
    if "?" in path:
        path, _, query_string = path.partition("?")
    if body is None:
        raw = b""
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body).encode()
    all_headers = {"Host": "localhost", "User-Agent": "pytest", **(headers or {})}
    if raw and not any(name.lower() == "content-type" for name in all_headers):
        all_headers["Content-Type"] = "application/json"
    return HttpRequest(
        method=method.upper(),
        path=path,
        query_string=query_string,
        headers=list(all_headers.items()),
        body=raw,
        source_ip=source_ip,
    )


def api_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event for a route declared in template.yaml (`path` may end
    in a query string)."""
    path, _, query_string = path.partition("?")
    route, path_parameters = template_route(method, path)
    request = http_request(method, path, body, headers, source_ip, query_string)
    return proxy_event(request, route, path_parameters, template.get().stage, authorizer)


def authorizer_event(
    method: str, path: str, headers: dict[str, str] | None = None, source_ip: str = DEFAULT_SOURCE_IP
) -> dict[str, Any]:
    """The event the API's REQUEST authorizer receives for a call to `method path`."""
    route, path_parameters = template_route(method, path)
    request = http_request(method, path, None, headers, source_ip)
    authorizer = template.get().authorizer_for(route)
    payload_type = authorizer.payload_type if authorizer else "REQUEST"
    return build_authorizer_event(request, route, path_parameters, template.get().stage, payload_type)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class LambdaContext:
    """Just enough of the Lambda context object for Powertools' Logger and the resolver."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2024/01/01/[$LATEST]test"
    remaining_ms: int = 10_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass(frozen=True)
class HandlerResponse:
    """A proxy-integration result, with the body parsed and header names lower-cased."""

    status: int
    body: Any
    headers: dict[str, str]

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> "HandlerResponse":
        headers = {name.lower(): value for name, value in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.setdefault(name.lower(), ", ".join(values))
        raw = result.get("body")
        return cls(status=result["statusCode"], body=json.loads(raw) if raw else raw, headers=headers)
