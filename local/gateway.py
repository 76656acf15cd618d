"""A local API Gateway (REST API) for template.yaml, as an ASGI app served by uvicorn.

Routes, the Lambda authorizer, GatewayResponses, CORS and each function's environment come from
template.yaml; the handlers run in worker processes (local.lambda_pool) the way Lambda runs them.
"""

import asyncio
import base64
import binascii
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from local.apigw_events import HttpRequest, authorizer_event, proxy_event
from local.authorization import AuthorizerDecision, Verdict, decide, unauthorized_error
from local.function_env import LocalOverrides, warn_about_env_vars
from local.http_server import GatewayApp, gateway_server_config
from local.lambda_pool import (
    DEFAULT_MAX_WORKERS,
    InvocationError,
    InvocationTimeout,
    LambdaPools,
    RequestTooLarge,
)
from local.log_text import EscapeControlCharacters
from local.streaming_proxy import StreamingProxy, WebAppTimeout, WebAppUnavailable
from local.template import GatewayResponse, Route, Template

log = logging.getLogger("local.gateway")
log.addFilter(EscapeControlCharacters())  # paths and errors carry request data

# What a REST API method (and ANY) can be; anything else (TRACE, PROPFIND, ...) matches no method.
API_GATEWAY_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
BROKEN_INTEGRATION_BODY = '{"code":502,"message":"Internal server error","data":null}'

# Gateway response types: (default status, x-amzn-ErrorType, default message).
_RESPONSE_TYPES = {
    "UNAUTHORIZED": (401, "UnauthorizedException", "Unauthorized"),
    "ACCESS_DENIED": (403, "AccessDeniedException", "User is not authorized to access this resource"),
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    ),
    "AUTHORIZER_FAILURE": (500, "AuthorizerConfigurationException", None),
    "INTEGRATION_TIMEOUT": (504, "InternalServerErrorException", "Endpoint request timed out"),
    "REQUEST_TOO_LARGE": (413, "RequestTooLargeException", "Request Too Long"),
    "API_CONFIGURATION_ERROR": (500, "InternalServerErrorException", "Internal server error"),
    "DEFAULT_4XX": (400, "BadRequestException", "Bad Request"),
}
# API Gateway's quota on the request line plus header values, in bytes.
MAX_REQUEST_HEAD_BYTES = 10240


# ------------------------------------------------------------------ routing


@dataclass(frozen=True)
class Resource:
    """One API Gateway resource path and the methods defined on it."""

    path: str
    pattern: re.Pattern[str]
    parameter_names: tuple[str, ...]
    methods: dict[str, Route]

    def route_for(self, method: str) -> Route | None:
        if method not in API_GATEWAY_METHODS:
            return None
        return self.methods.get(method) or self.methods.get("ANY")


def _compile_resource_path(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []
    parts = []
    for segment in path.strip("/").split("/") if path != "/" else []:
        match = re.fullmatch(r"\{([^}+]+)(\+?)\}", segment)
        if match:
            names.append(match.group(1))
            # {name+} is greedy; group names are positional since template names may contain '-'.
            parts.append(f"(?P<p{len(names) - 1}>.+)" if match.group(2) else f"(?P<p{len(names) - 1}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts), re.DOTALL), tuple(names)  # a path may hold %0A


def _specificity(path: str) -> tuple[int, ...]:
    """Literal segments beat {param} beat {greedy+}, segment by segment, as in API Gateway."""
    return tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in path.strip("/").split("/"))


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        by_path: dict[str, dict[str, Route]] = {}
        for route in routes:
            by_path.setdefault(route.path, {})[route.method] = route
        self.resources = [
            Resource(path, *_compile_resource_path(path), methods)
            for path, methods in sorted(by_path.items(), key=lambda item: _specificity(item[0]))
        ]

    def resource_for(self, path: str) -> tuple[Resource, dict[str, str]] | None:
        for resource in self.resources:
            match = resource.pattern.fullmatch(path)
            if match:
                values = [match.group(f"p{i}") for i in range(len(resource.parameter_names))]
                return resource, dict(zip(resource.parameter_names, values, strict=True))
        return None


# ------------------------------------------------------------------ responses


class GatewayResponses:
    """The template's GatewayResponses, falling back to DEFAULT_4XX/DEFAULT_5XX then AWS defaults."""

    def __init__(self, configured: Mapping[str, GatewayResponse]) -> None:
        self.configured = configured

    def render(self, response_type: str, request_id: str) -> Response:
        default_status, error_type, message = _RESPONSE_TYPES[response_type]
        fallback = self.configured.get("DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX")
        own = self.configured.get(response_type)
        status = next((r.status_code for r in (own, fallback) if r and r.status_code), default_status)
        chosen = own or fallback
        template = (chosen.body if chosen else None) or '{"message":$context.error.messageString}'
        body = (
            template.replace("$context.error.messageString", json.dumps(message))
            .replace("$context.error.message", message or "")
            .replace("$context.requestId", request_id)
        )
        headers = {
            **(fallback.headers if fallback else {}),
            **(own.headers if own else {}),
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": error_type,
        }
        return Response(body, status, headers, media_type="application/json")


class MalformedProxyResponse(ValueError):
    pass


_PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


def http_response(result: Any, request_id: str) -> Response:
    """Translate a Lambda proxy response into HTTP, refusing what API Gateway refuses."""
    if not isinstance(result, dict) or set(result) - _PROXY_RESPONSE_KEYS:
        raise MalformedProxyResponse(f"not a proxy response object: {str(result)[:200]}")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status!r} is not an HTTP status")
    response = Response(_proxy_body(result), status)
    response.headers["x-amzn-RequestId"] = request_id
    for name, value in _proxy_headers(result):
        response.headers.append(name, value)
    if "content-type" not in response.headers:
        response.headers["Content-Type"] = "application/json"  # API Gateway's default
    return response


def _proxy_body(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    if not result.get("isBase64Encoded"):
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as error:
        raise MalformedProxyResponse("isBase64Encoded but the body is not base64") from error


def _proxy_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    pairs = [(name, value) for name, values in multi.items() for value in _header_values(name, values)]
    in_multi = {name.lower() for name in multi}
    pairs += [(n, _header_value(n, v)) for n, v in single.items() if n.lower() not in in_multi]
    return pairs


def _header_values(name: str, values: Any) -> list[str]:
    if not isinstance(values, list):
        raise MalformedProxyResponse(f"multiValueHeaders.{name} must be a list")
    return [_header_value(name, value) for value in values]


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise MalformedProxyResponse(f"header {name} has a non-scalar value")


def broken_integration_response(request_id: str) -> Response:
    """What API Gateway answers when the Lambda errored or returned a malformed proxy response."""
    return Response(
        BROKEN_INTEGRATION_BODY, 502, {"x-amzn-RequestId": request_id}, media_type="application/json"
    )


# ------------------------------------------------------------------ the gateway


class Gateway:
    """Request handling in API Gateway's order: route, CORS preflight, authorizer, integration."""

    def __init__(self, template: Template, lambdas: LambdaPools) -> None:
        self.template = template
        self.lambdas = lambdas
        self.streams = StreamingProxy(
            {fid: f for fid, f in template.functions.items() if f.streams_response},
            {fid: lambdas.environment(fid) for fid, f in template.functions.items() if f.streams_response},
        )
        self.routes = RouteTable(template.routes)
        self.responses = GatewayResponses(template.gateway_responses)

    async def start(self, *, prewarm: bool = False) -> None:
        if prewarm:
            await asyncio.gather(self.lambdas.prewarm(), self.streams.prewarm())

    async def close(self) -> None:
        await asyncio.gather(self.lambdas.close(), self.streams.close())

    def malformed_request_response(self) -> Response:
        """What a request the web server cannot even parse gets (the server asks)."""
        return self.responses.render("DEFAULT_4XX", str(uuid.uuid4()))

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        incoming = await self._incoming(request)
        try:
            response = await self._respond(incoming)
        except Exception:
            log.exception("gateway error on %s %s", incoming.method, incoming.path)
            response = self.responses.render("API_CONFIGURATION_ERROR", incoming.request_id)
        # Access log: never headers, query strings or bodies (tokens travel in them).
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.0fms", incoming.method, incoming.path, response.status_code, elapsed_ms)
        return response

    @staticmethod
    async def _incoming(request: Request) -> HttpRequest:
        scope = request.scope
        return HttpRequest(
            method=request.method,
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=await request.body(),
            source_ip=request.client.host if request.client else "127.0.0.1",
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        )

    async def _respond(self, request: HttpRequest) -> Response:
        if request_head_size(request) > MAX_REQUEST_HEAD_BYTES:
            return self.responses.render("DEFAULT_4XX", request.request_id)
        found = self.routes.resource_for(request.path)
        if found is None:
            return self.responses.render("MISSING_AUTHENTICATION_TOKEN", request.request_id)
        resource, path_parameters = found
        route = resource.route_for(request.method)
        if route is None:
            if request.method == "OPTIONS" and self.template.cors is not None:
                return Response(status_code=200, headers=self.template.cors.preflight_headers())
            return self.responses.render("MISSING_AUTHENTICATION_TOKEN", request.request_id)
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return self.responses.render("REQUEST_TOO_LARGE", request.request_id)
        authorizer_context = None
        if route.auth_required:
            decision, latency_ms = await self._authorize(request, route, path_parameters)
            if decision.verdict is not Verdict.ALLOW:
                return self.responses.render(decision.verdict.value, request.request_id)
            authorizer_context = decision.request_context_authorizer(latency_ms)
        event = proxy_event(request, route, path_parameters, self.template.stage, authorizer_context)
        if route.streaming:
            return await self._stream(route, event, request)
        return await self._integrate(route, event, request.request_id)

    async def _stream(self, route: Route, event: dict[str, Any], request: HttpRequest) -> Response:
        """A RESPONSE_STREAM route: the function's web app answers, chunks passed through."""
        try:
            return await self.streams.forward(route, event, request)
        except WebAppTimeout as error:
            log.error("%s", error)
            return self.responses.render("INTEGRATION_TIMEOUT", request.request_id)
        except WebAppUnavailable as error:
            log.error("%s", error)
            return broken_integration_response(request.request_id)

    async def _authorize(
        self, request: HttpRequest, route: Route, path_parameters: dict[str, str]
    ) -> tuple[AuthorizerDecision, int]:
        authorizer = self.template.authorizer_for(route)
        assert authorizer is not None
        # API Gateway answers 401 itself, without calling the authorizer, when an identity source is empty.
        if any(not (request.header(name) or "").strip() for name in authorizer.identity_headers):
            return AuthorizerDecision(Verdict.UNAUTHORIZED, reason="identity source missing"), 0
        token_header = authorizer.identity_headers[0] if authorizer.identity_headers else "Authorization"
        event = authorizer_event(
            request, route, path_parameters, self.template.stage, authorizer.payload_type, token_header
        )
        started = time.perf_counter()
        decision = await self._run_authorizer(authorizer.function_id, event)
        if decision.verdict is Verdict.FAILURE:
            log.error("authorizer %s failed: %s", authorizer.function_id, decision.reason)
        return decision, round((time.perf_counter() - started) * 1000)

    async def _run_authorizer(self, function_id: str, event: dict[str, Any]) -> AuthorizerDecision:
        try:
            result = await self.lambdas.invoke(function_id, event)
        except InvocationError as error:
            if unauthorized_error(error.message):
                return AuthorizerDecision(Verdict.UNAUTHORIZED)
            return AuthorizerDecision(Verdict.FAILURE, reason=str(error))
        except InvocationTimeout as error:
            return AuthorizerDecision(Verdict.FAILURE, reason=str(error))
        return decide(result, event["methodArn"])

    async def _integrate(self, route: Route, event: dict[str, Any], request_id: str) -> Response:
        try:
            result = await self.lambdas.invoke(route.function_id, event)
        except RequestTooLarge as error:
            # Lambda refused the event (HTTP 413); API Gateway answers 413 with its
            # REQUEST_TOO_LARGE response ("Request Too Long" by default).
            log.error("%s", error)
            return self.responses.render("REQUEST_TOO_LARGE", request_id)
        except InvocationTimeout as error:
            log.error("%s", error)
            return self.responses.render("INTEGRATION_TIMEOUT", request_id)
        except InvocationError as error:
            log.error("%s failed: %s", route.function_id, error)
            return broken_integration_response(request_id)
        try:
            return http_response(result, request_id)
        except MalformedProxyResponse as error:
            log.error("%s: malformed Lambda proxy response: %s", route.function_id, error)
            return broken_integration_response(request_id)


def request_head_size(request: HttpRequest) -> int:
    line = len(request.method) + len(request.path.encode()) + len(request.query_string) + 1
    return line + sum(len(value) for _, value in request.headers)


def build_app(
    template: Template,
    *,
    overrides: LocalOverrides,
    env_vars: Mapping[str, Mapping[str, str]] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    prewarm: bool = False,
) -> GatewayApp:
    """The local API Gateway as an ASGI app; its workers stop with the app's lifespan."""
    warn_about_env_vars(template, env_vars)
    lambdas = LambdaPools(template, overrides=overrides, env_vars=env_vars, max_workers=max_workers)
    return GatewayApp(Gateway(template, lambdas), prewarm=prewarm)


def serve(app: GatewayApp, *, host: str = "127.0.0.1", port: int = 3000) -> None:
    """Serve the gateway in the foreground until Ctrl-C."""
    uvicorn.Server(gateway_server_config(app, host=host, port=port, log_level="warning")).run()
