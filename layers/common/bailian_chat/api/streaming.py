"""The ASGI edge of the streaming functions (Starlette behind AWS's Lambda Web Adapter).

Who is calling and how long the invocation may run come only from the headers LWA sets on every
request it forwards (it replaces any a client sent): `x-amzn-request-context` (API Gateway's
requestContext, with the authorizer's user) and `x-amzn-lambda-context` (with the deadline).

The domain stays synchronous: its iterators run in a worker thread and their items reach the
client through an asyncio queue as soon as they are produced. A client that goes away never
cancels the producer: the stream is marked, sending stops, and the iterator is drained to its
end (the domain bounds it by the deadline) before the response completes, so the model call is
logged with the upstream's exact usage and a reply is stored whole. On Lambda the invocation
must not end before that, hence no background task.
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools import Logger
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bailian_chat.auth.callers import Caller, authorized_caller
from bailian_chat.config import get_settings
from bailian_chat.errors import DomainError
from bailian_chat.usage.call_log import AFTER_MODEL_CALL_SECONDS, CallSource

if TYPE_CHECKING:  # imported where used: uvicorn, which serves these functions, has loaded it
    import asyncio  # before it imports the app, so the app's own import need not (cold start)

logger = Logger(child=True)

REQUEST_CONTEXT_HEADER = "x-amzn-request-context"
LAMBDA_CONTEXT_HEADER = "x-amzn-lambda-context"
EVENT_STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # no proxy on the path may hold chunks back
}


# ------------------------------------------------------------------ the invocation


@dataclass(frozen=True)
class Invocation:
    caller: Caller
    route: str  # the API Gateway resource path, e.g. /v1/chat/completions
    deadline: float | None  # epoch seconds at which Lambda stops the invocation

    def time_budget(self, now: float | None = None) -> float | None:
        """Seconds a model call may take: what is left, less what logging and storing need."""
        if self.deadline is None:
            return None
        remaining = self.deadline - (time.time() if now is None else now)
        return max(remaining - AFTER_MODEL_CALL_SECONDS, 0.0)

    def call_source(self, **extra: Any) -> CallSource:
        return CallSource(
            user_id=self.caller.user_id,
            client_ip=self.caller.client_ip,
            api_endpoint=self.route,
            api_key=self.caller.api_key,
            spend_limits=self.caller.spend_limits,
            time_budget=self.time_budget(),
            **extra,
        )


def _header_json(request: Request, name: str) -> dict | None:
    raw = request.headers.get(name)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def invocation(request: Request) -> Invocation:
    """The authorized caller and the deadline; Unauthorized when the request context lacks them
    (a request that did not come through API Gateway and its authorizer), Forbidden for an API key
    on a route keys may not use (auth.callers)."""
    context = _header_json(request, REQUEST_CONTEXT_HEADER) or {}
    identity = context.get("identity") or {}
    route = str(context.get("resourcePath") or request.url.path)
    caller = authorized_caller(
        context.get("authorizer"),
        str(identity.get("sourceIp") or "unknown"),
        str(context.get("httpMethod") or request.method),
        route,
    )
    lambda_context = _header_json(request, LAMBDA_CONTEXT_HEADER) or {}
    deadline_ms = lambda_context.get("deadline", lambda_context.get("deadline_ms"))
    deadline = deadline_ms / 1000 if isinstance(deadline_ms, int | float) and deadline_ms > 0 else None
    return Invocation(caller, route, deadline)


# ------------------------------------------------------------------ framing and plain answers


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse_data(value: Any) -> bytes:
    """One `data:` event (JSON has no raw newlines, so one line always suffices)."""
    return f"data: {value if isinstance(value, str) else _json(value)}\n\n".encode()


def sse_event(event: str, value: Any) -> bytes:
    return f"event: {event}\ndata: {_json(value)}\n\n".encode()


def _cors_headers() -> dict[str, str]:
    return {"Access-Control-Allow-Origin": get_settings().cors_allow_origin}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(_json(body), status, {**_cors_headers(), **(headers or {})}, "application/json")


# ------------------------------------------------------------------ the pump


class DomainStream(Protocol):
    def __iter__(self) -> Iterator[Any]: ...
    def mark_client_disconnected(self) -> None: ...
    def close(self) -> None: ...


class EventStreamResponse(Response):
    """text/event-stream from a sync domain stream.

    render(item) frames one item; render_error(exc) frames a failure after the first item (the
    stream then ends); tail is sent after a clean end. When before_first_error is given, a
    DomainError raised before the first item answers that response instead (the real status).
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        stream: DomainStream,
        render: Callable[[Any], bytes],
        render_error: Callable[[DomainError], bytes],
        *,
        tail: bytes = b"",
        before_first_error: Callable[[DomainError], Response] | None = None,
    ) -> None:
        super().__init__(status_code=200, headers={**_cors_headers(), **EVENT_STREAM_HEADERS})
        self.headers["Content-Type"] = "text/event-stream; charset=utf-8"
        del self.headers["Content-Length"]  # the body is chunked as it is produced
        self.stream = stream
        self.render = render
        self.render_error = render_error
        self.tail = tail
        self.before_first_error = before_first_error
        self.client_gone = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        producer = asyncio.create_task(asyncio.to_thread(self._produce, loop, queue))
        watcher = asyncio.create_task(self._watch_disconnect(receive))
        try:
            await self._deliver(queue, send)
        finally:
            await producer  # drained to its end: usage logged, reply stored
            watcher.cancel()
            await asyncio.to_thread(self.stream.close)

    def _produce(self, loop: "asyncio.AbstractEventLoop", queue: "asyncio.Queue") -> None:
        def put(kind: str, value: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

        try:
            for item in self.stream:
                put("item", item)
        except DomainError as exc:
            put("error", exc)
        except Exception:
            logger.exception("Stream failed")
            put("error", DomainError())
        finally:
            put("end", None)

    async def _watch_disconnect(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self._client_disconnected()
                return

    def _client_disconnected(self) -> None:
        if not self.client_gone:
            self.client_gone = True
            self.stream.mark_client_disconnected()  # a flag: safe from the event loop's thread

    async def _deliver(self, queue: "asyncio.Queue", send: Send) -> None:
        kind, value = await queue.get()
        if kind == "error" and self.before_first_error is not None:
            await self._send_whole(self.before_first_error(value), send)
            return
        await self._start(200, self.raw_headers, send)
        while kind == "item":
            await self._chunk(self.render(value), send)
            kind, value = await queue.get()
        if kind == "error":
            await self._chunk(self.render_error(value), send)
        await self._send(send, {"type": "http.response.body", "body": self.tail if kind == "end" else b""})

    async def _start(self, status: int, headers: list[tuple[bytes, bytes]], send: Send) -> None:
        await self._send(send, {"type": "http.response.start", "status": status, "headers": headers})

    async def _chunk(self, chunk: bytes, send: Send) -> None:
        await self._send(send, {"type": "http.response.body", "body": chunk, "more_body": True})

    async def _send_whole(self, response: Response, send: Send) -> None:
        await self._start(response.status_code, response.raw_headers, send)
        await self._send(send, {"type": "http.response.body", "body": response.body})

    async def _send(self, send: Send, message: dict) -> None:
        if self.client_gone:
            return
        try:
            await send(message)
        except OSError:  # the connection broke under the send
            self._client_disconnected()


async def run_sync[T](function: Callable[..., T], *args: Any) -> T:
    """A blocking domain call (DynamoDB, the upstream's first bytes) off the event loop."""
    import asyncio

    return await asyncio.to_thread(function, *args)
