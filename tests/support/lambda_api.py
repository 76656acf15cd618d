"""An in-process stand-in for API Gateway over the real handlers, for unit tests.

Routes, the authorizer and the gateway responses come from template.yaml; protected routes go
through the real REQUEST authorizer first and its answer is judged the way API Gateway does
(local/authorization.py): "Unauthorized" -> the UNAUTHORIZED gateway response (401), a policy
that does not allow the call -> ACCESS_DENIED (403), an allow -> its context lands in
`requestContext.authorizer`. Anything else the authorizer raises fails the test.
"""

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

from local.authorization import Verdict, decide, unauthorized_error
from tests.support import template
from tests.support.events import (
    DEFAULT_SOURCE_IP,
    HandlerResponse,
    LambdaContext,
    api_event,
    authorizer_event,
    bearer,
    template_route,
)


class InProcessGateway:
    def __init__(self, load_function: Callable[[str], ModuleType]):
        self._load_function = load_function
        self._modules: dict[str, ModuleType] = {}
        self._authorizer = template.authorizer_function()
        self._routes = {(route.method, route.path): route for route in template.routes()}

    def _route(self, method: str, path: str) -> template.Route:
        """The template route serving `method path` (path parameters filled in or not)."""
        found, _ = template_route(method, path)
        return self._routes[(found.method, found.path)]

    def function(self, name: str) -> ModuleType:
        if name not in self._modules:
            self._modules[name] = self._load_function(name)
        return self._modules[name]

    def authorize(self, method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
        """The authorizer's raw result for this request; raises what the authorizer raises."""
        return self._run_authorizer(authorizer_event(method, path, headers))

    def _run_authorizer(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.function(self._authorizer).handler(event, LambdaContext(function_name="authorizer"))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        source_ip: str = DEFAULT_SOURCE_IP,
    ) -> HandlerResponse:
        route = self._route(method, path.partition("?")[0])
        all_headers = {**(bearer(token) if token is not None else {}), **(headers or {})}
        authorizer_context = None
        if route.protected:
            event = authorizer_event(method, path.partition("?")[0], all_headers)
            try:
                result = self._run_authorizer(event)
            except Exception as exc:
                if not unauthorized_error(str(exc)):
                    raise
                return _gateway_response("UNAUTHORIZED")
            decision = decide(result, event["methodArn"])
            if decision.verdict is Verdict.DENY:
                return _gateway_response("ACCESS_DENIED")
            assert decision.verdict is Verdict.ALLOW, decision.reason
            authorizer_context = decision.request_context_authorizer(latency_ms=0)
        event = api_event(method, path, body, all_headers, authorizer_context, source_ip)
        result = self.function(route.function).handler(event, LambdaContext(function_name=route.function))
        return HandlerResponse.from_result(result)

    # The auth endpoints, by name.

    def register(self, body: Any) -> HandlerResponse:
        return self.request("POST", "/api/auth/register", body)

    def login(self, body: Any, source_ip: str = DEFAULT_SOURCE_IP) -> HandlerResponse:
        return self.request("POST", "/api/auth/login", body, source_ip=source_ip)

    def refresh(self, body: Any) -> HandlerResponse:
        return self.request("POST", "/api/auth/refresh", body)

    def logout(self, token: str) -> HandlerResponse:
        return self.request("POST", "/api/auth/logout", token=token)

    def current_user(self, token: str) -> HandlerResponse:
        return self.request("GET", "/api/auth/user", token=token)


def _gateway_response(response_type: str) -> HandlerResponse:
    return HandlerResponse(
        status=template.gateway_status(response_type),
        body=json.loads(json.dumps(template.gateway_response_body(response_type))),
        headers={"content-type": "application/json"},
    )
