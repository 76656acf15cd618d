"""The events API Gateway (REST API, v1) sends to Lambda: the proxy integration event and the
REQUEST/TOKEN authorizer event, built from an incoming HTTP request."""

import base64
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, Route

LOCAL_API_ID = "local"


@dataclass(frozen=True)
class HttpRequest:
    """What the gateway received, independent of the web server."""

    method: str
    path: str  # URL-decoded, without the query string
    query_string: str = ""  # raw, still URL-encoded
    headers: list[tuple[str, str]] = field(default_factory=list)  # in arrival order, repeats kept
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = field(default_factory=time.time)

    @property
    def host(self) -> str:
        return next((value for name, value in self.headers if name.lower() == "host"), "localhost")

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), as API Gateway's single-value view has it."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


def canonical_header_name(name: str) -> str:
    """The local server hands over lower-cased names; clients (curl, SAM local) send Title-Case.
    Handlers must treat names case-insensitively either way (HTTP/2 clients send lower case)."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def event_headers(request: HttpRequest) -> tuple[dict[str, str], dict[str, list[str]]]:
    """headers (last value wins) and multiValueHeaders, with the X-Forwarded-* API Gateway adds."""
    multi: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi.setdefault(canonical_header_name(name), []).append(value)
    forwarded_for = multi.get("X-Forwarded-For", [])
    multi["X-Forwarded-For"] = [", ".join([*forwarded_for, request.source_ip])]
    multi.setdefault("X-Forwarded-Proto", ["http"])
    trace_id = f"Root=1-{int(request.received_at):08x}-{request.request_id.replace('-', '')[:24]}"
    multi.setdefault("X-Amzn-Trace-Id", [trace_id])
    return {name: values[-1] for name, values in multi.items()}, multi


def query_parameters(query_string: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """queryStringParameters (last value wins) and multiValueQueryStringParameters; None when empty."""
    multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        multi.setdefault(name, []).append(value)
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


def event_body(body: bytes) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): text as is, anything that is not UTF-8 base64-encoded."""
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def method_arn(stage: str, method: str, path: str) -> str:
    api = f"arn:aws:execute-api:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{LOCAL_API_ID}"
    return f"{api}/{stage}/{method}/{path.lstrip('/')}"


def request_context(request: HttpRequest, route: Route, stage: str) -> dict[str, Any]:
    received = datetime.fromtimestamp(request.received_at, UTC)
    host = request.host
    return {
        "resourceId": secrets.token_hex(3),
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": base64.b64encode(secrets.token_bytes(12)).decode(),
        "requestTime": received.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{stage}{request.path}",
        "accountId": LOCAL_ACCOUNT_ID,
        "protocol": request.protocol,
        "stage": stage,
        "domainPrefix": host.split(".")[0],
        "requestTimeEpoch": int(request.received_at * 1000),
        "requestId": request.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("user-agent"),
            "user": None,
        },
        "domainName": host,
        "apiId": LOCAL_API_ID,
    }


def proxy_event(
    request: HttpRequest,
    route: Route,
    path_parameters: Mapping[str, str],
    stage: str,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Lambda proxy integration (REST API, payload v1) event."""
    headers, multi_value_headers = event_headers(request)
    query, multi_value_query = query_parameters(request.query_string)
    body, is_base64 = event_body(request.body)
    context = request_context(request, route, stage)
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_value_query,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def authorizer_event(
    request: HttpRequest,
    route: Route,
    path_parameters: Mapping[str, str],
    stage: str,
    payload_type: str,
    identity_header: str = "Authorization",
) -> dict[str, Any]:
    """The Lambda authorizer event: REQUEST carries the whole request, TOKEN only the token."""
    arn = method_arn(stage, request.method, request.path)
    if payload_type == "TOKEN":
        return {"type": "TOKEN", "methodArn": arn, "authorizationToken": request.header(identity_header)}
    headers, multi_value_headers = event_headers(request)
    query, multi_value_query = query_parameters(request.query_string)
    return {
        "type": "REQUEST",
        "methodArn": arn,
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": query or {},
        "multiValueQueryStringParameters": multi_value_query or {},
        "pathParameters": dict(path_parameters),
        "stageVariables": {},
        "requestContext": request_context(request, route, stage),
    }
