"""API Gateway's streamed routes (ResponseTransferMode: RESPONSE_STREAM) and the Lambda Web
Adapter, locally.

On AWS, LWA runs the function's handler (run.sh: uvicorn serving an ASGI app), waits for its
readiness check, and turns each invocation into an HTTP request to it, setting the
`x-amzn-request-context` (API Gateway's requestContext, the authorizer's context included) and
`x-amzn-lambda-context` (with the deadline) headers over anything the client sent; the response
streams back chunk by chunk. Here each such function's run.sh runs as its own process with the
function's environment, the gateway (after the authorizer, as for every route) forwards the
request to it the same way, and passes the chunks through as they come. A client that goes away
closes the forwarded connection, so the app sees the disconnect as it would on AWS.
"""

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
import uuid
from typing import Any
from urllib.parse import quote

import httpx
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from local.apigw_events import HttpRequest
from local.http_server import free_port
from local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, Function, Route

log = logging.getLogger("local.gateway")

READY_TIMEOUT_SECONDS = 20.0
FUNCTION_ARN_PREFIX = f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:"
REQUEST_CONTEXT_HEADER = "x-amzn-request-context"
LAMBDA_CONTEXT_HEADER = "x-amzn-lambda-context"
# Hop-by-hop headers (RFC 9110 7.6.1) and what the app's server frames itself.
_NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
    REQUEST_CONTEXT_HEADER,
    LAMBDA_CONTEXT_HEADER,
}


class WebAppUnavailable(Exception):
    """The function's web app did not start or could not be reached (API Gateway: 502)."""


class WebAppTimeout(Exception):
    """The app sent no response head within the function's timeout (API Gateway: 504)."""


class WebApp:
    """One function's run.sh process (uvicorn), started on first use like a cold start."""

    def __init__(self, function: Function, environment: dict[str, str]) -> None:
        self.function = function
        self.environment = environment
        self.port = 0
        self.process: asyncio.subprocess.Process | None = None
        self._starting = asyncio.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ensure_started(self, client: httpx.AsyncClient) -> None:
        async with self._starting:
            if self.process is not None and self.process.returncode is None:
                return
            self.port = free_port()
            self.process = await asyncio.create_subprocess_exec(
                str(self.function.code_uri / self.function.handler),
                cwd=self.function.code_uri,
                env=self._process_environment(),
                start_new_session=True,  # a terminal Ctrl-C reaches the gateway, which stops it
            )
            await self._wait_ready(client)

    def _process_environment(self) -> dict[str, str]:
        layers = os.pathsep.join(str(layer) for layer in self.function.layers)
        python_dir = os.path.dirname(sys.executable)  # run.sh's python3 is this interpreter
        return {
            **self.environment,
            "AWS_LWA_PORT": str(self.port),
            "PYTHONPATH": layers,  # run.sh puts /opt/python (the layers on AWS) first
            "PATH": f"{python_dir}{os.pathsep}{self.environment.get('PATH', '')}",
        }

    async def _wait_ready(self, client: httpx.AsyncClient) -> None:
        """LWA's readiness check: poll the path until the app answers below 500."""
        path = self.environment.get("AWS_LWA_READINESS_CHECK_PATH", "/")
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            code = self.process.returncode
            if code is not None:
                raise WebAppUnavailable(f"{self.function.logical_id}: run.sh exited with {code}")
            with contextlib.suppress(httpx.TransportError):
                response = await client.get(self.base_url + path, timeout=1.0)
                if response.status_code < 500:
                    return
            await asyncio.sleep(0.05)
        await self.stop()
        raise WebAppUnavailable(f"{self.function.logical_id}: not ready after {READY_TIMEOUT_SECONDS:.0f}s")

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(3):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def lambda_context(function: Function, request_id: str, trace_id: str | None) -> dict[str, Any]:
    """The invocation's context as LWA serializes it (the Rust runtime's Context)."""
    return {
        "request_id": request_id,
        "deadline": int(time.time() * 1000) + function.timeout * 1000,
        "invoked_function_arn": f"{FUNCTION_ARN_PREFIX}{function.logical_id}",
        "xray_trace_id": trace_id,
        "client_context": None,
        "identity": None,
        "env_config": {
            "function_name": function.logical_id,
            "memory": function.memory_size,
            "version": "$LATEST",
            "log_stream": "",
            "log_group": f"/aws/lambda/{function.logical_id}",
        },
    }


def forwarded_headers(event: dict[str, Any], function: Function) -> list[tuple[str, str]]:
    """The event's headers (what API Gateway adds included), with LWA's two context headers set
    over anything the client sent."""
    headers = [
        (name, value)
        for name, values in (event.get("multiValueHeaders") or {}).items()
        if name.lower() not in _NOT_FORWARDED
        for value in values
    ]
    trace_id = (event.get("headers") or {}).get("X-Amzn-Trace-Id")
    headers.append((REQUEST_CONTEXT_HEADER, json.dumps(event["requestContext"])))
    headers.append((LAMBDA_CONTEXT_HEADER, json.dumps(lambda_context(function, str(uuid.uuid4()), trace_id))))
    return headers


class ProxiedStream(Response):
    """The app's response, passed through chunk by chunk; a client that goes away closes the
    connection to the app."""

    def __init__(self, upstream: httpx.Response, request_id: str, function: Function) -> None:
        super().__init__(status_code=upstream.status_code)
        self.upstream = upstream
        self.function = function
        self.raw_headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in upstream.headers.multi_items()
            if name.lower() not in _NOT_FORWARDED
        ] + [(b"x-amzn-requestid", request_id.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = asyncio.create_task(self._client_gone(receive))
        relay = asyncio.create_task(self._relay(send))
        try:
            await asyncio.wait({watcher, relay}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (watcher, relay):
                task.cancel()
            await asyncio.gather(watcher, relay, return_exceptions=True)
            await self.upstream.aclose()  # closes the connection to the app when cut short

    @staticmethod
    async def _client_gone(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    async def _relay(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async with asyncio.timeout(self.function.timeout):  # the invocation's own limit
                async for chunk in self.upstream.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (TimeoutError, httpx.HTTPError) as error:
            log.error("%s: stream ended early: %r", self.function.logical_id, error)
        await send({"type": "http.response.body", "body": b""})


class StreamingProxy:
    """The template's streaming functions, each a web app process, and the forwarding to them."""

    def __init__(self, functions: dict[str, Function], environments: dict[str, dict[str, str]]) -> None:
        self.apps = {fid: WebApp(function, environments[fid]) for fid, function in functions.items()}
        # No read timeout: a stream may pause between chunks; the relay bounds the whole.
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None), trust_env=False)

    async def forward(self, route: Route, event: dict[str, Any], request: HttpRequest) -> Response:
        """The app's response, streamed; WebAppUnavailable or WebAppTimeout when there is none."""
        app = self.apps[route.function_id]
        await app.ensure_started(self.client)
        query = f"?{request.query_string}" if request.query_string else ""
        upstream_request = self.client.build_request(
            request.method,
            f"{app.base_url}{quote(request.path)}{query}",
            headers=forwarded_headers(event, route.function),
            content=request.body,
        )
        try:
            async with asyncio.timeout(route.function.timeout):
                upstream = await self.client.send(upstream_request, stream=True)
        except TimeoutError:
            limit = route.function.timeout
            raise WebAppTimeout(f"{route.function_id} sent nothing within {limit}s") from None
        except httpx.HTTPError as error:
            raise WebAppUnavailable(f"{route.function_id}: {error!r}") from error
        return ProxiedStream(upstream, request.request_id, route.function)

    async def prewarm(self) -> None:
        for function_id, app in self.apps.items():
            try:
                await app.ensure_started(self.client)
            except WebAppUnavailable as error:
                log.warning("pre-warm %s failed: %s", function_id, error)

    async def close(self) -> None:
        await asyncio.gather(*(app.stop() for app in self.apps.values()))
        await self.client.aclose()
