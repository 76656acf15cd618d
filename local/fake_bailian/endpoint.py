"""The fake as an ASGI app: POST /compatible-mode/v1/chat/completions, GET /health, an access log."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from local.fake_bailian.completion import complete
from local.fake_bailian.connection import abort_connection, request_note, sleep_unless_client_leaves
from local.fake_bailian.errors import ERRORS, INVALID, ErrorSpec, InvalidRequest, error_response
from local.fake_bailian.faults import FaultCounter, StreamFaults, find_fault, find_stream_faults
from local.fake_bailian.request import dumps, request_key, validate
from local.fake_bailian.streaming import StreamPlan, send_stream, stream_chunks

CHAT_PATH = "/compatible-mode/v1/chat/completions"
BASE_PATH = "/compatible-mode/v1"


def _new_request_id() -> str:
    return str(uuid.uuid4())


class ChatCompletions:
    """Raw ASGI endpoint for POST /compatible-mode/v1/chat/completions."""

    def __init__(self, api_key: str, timeout_delay_seconds: float, counter: FaultCounter) -> None:
        self._auth = f"Bearer {api_key}"
        self.timeout_delay_seconds = timeout_delay_seconds
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        request_id = _new_request_id()
        note = request_note(scope)
        if request.headers.get("authorization") != self._auth:
            await error_response(ERRORS["401"], request_id)(scope, receive, send)
            return
        try:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidRequest(f"{INVALID}the request body is not valid JSON") from exc
            req = validate(body)
        except InvalidRequest as exc:
            spec = ErrorSpec(400, exc.code, "invalid_request_error", exc.message)
            await error_response(spec, request_id)(scope, receive, send)
            return

        fault = find_fault(req.messages)
        if fault is not None:
            fail, served = True, 0
            if fault.times is not None:
                fail, served = self.counter.should_fail(request_key(req.model, req.messages), fault.times)
            note["fault"] = fault.marker + (f" ({served}/{fault.times})" if fault.times is not None else "")
            if not fail:
                note["fault"] += " passed"
            elif fault.kind == "disconnect":
                await abort_connection(scope, receive)
                return
            elif fault.kind == "malformed":
                broken = f'{{"id":"chatcmpl-{request_id}","object":"chat.completion","choices":[{{"mess'
                response = Response(
                    broken, media_type="application/json", headers={"x-request-id": request_id}
                )
                await response(scope, receive, send)
                return
            elif fault.kind == "timeout":
                if await sleep_unless_client_leaves(receive, self.timeout_delay_seconds):
                    note["fault"] += " client left"
                    return
            else:
                await error_response(ERRORS[fault.kind], request_id)(scope, receive, send)
                return

        completion = complete(req)
        created = int(time.time())
        completion_id = f"chatcmpl-{request_id}"
        headers = {"x-request-id": request_id}
        if req.stream:
            chunks = stream_chunks(req, completion, completion_id, created)
            faults = find_stream_faults(req.messages)
            if faults is not None:
                note["fault"] = (note.get("fault", "") + " " + faults.markers).strip()
            stream = StreamPlan(
                chunks,
                faults or StreamFaults(),
                completion.prompt_tokens,
                request_id,
                self.timeout_delay_seconds,
            )
            await send_stream(scope, receive, send, stream)
            return
        body = {
            "choices": [
                {
                    "message": completion.message,
                    "finish_reason": completion.finish_reason,
                    "index": 0,
                    "logprobs": None,
                }
            ],
            "object": "chat.completion",
            "usage": completion.usage,
            "created": created,
            "system_fingerprint": None,
            "model": req.model,
            "id": completion_id,
        }
        response = Response(dumps(body), media_type="application/json", headers=headers)
        await response(scope, receive, send)


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class AccessLog:
    """Pure ASGI middleware: one line per HTTP request; stashes the server's own `receive`."""

    def __init__(self, app: ASGIApp, sink: Callable[[str], None] | None) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        note = request_note(scope)
        note["raw_receive"] = receive
        status: list[int] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if self.sink is not None:
                line = f"fake-bailian {scope['method']} {scope['path']} {status[0] if status else '-'}"
                if note.get("fault"):
                    line += f" fault={note['fault']}"
                self.sink(line)


def _print_line(line: str) -> None:
    print(line, flush=True)


def create_app(api_key: str, *, timeout_delay_seconds: float = 35.0, access_log: bool = True) -> Starlette:
    """The fake as an ASGI app. `app.state.fault_counter` holds this instance's x<N> counters."""
    if not api_key:
        raise ValueError("api_key must be non-empty")
    counter = FaultCounter()
    chat = ChatCompletions(api_key, timeout_delay_seconds, counter)
    app = Starlette(
        routes=[
            Route(CHAT_PATH, chat, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        middleware=[Middleware(AccessLog, sink=_print_line if access_log else None)],
    )
    app.state.fault_counter = counter
    return app
