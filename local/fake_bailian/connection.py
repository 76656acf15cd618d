"""What the fake does to the connection itself: drop it, or wait unless the client leaves."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Receive, Scope


def request_note(scope: Scope) -> dict[str, Any]:
    """This request's notes: the fault marker for the access line, the server's own `receive`."""
    return scope.setdefault("fake_bailian", {})


async def abort_connection(scope: Scope, receive: Receive) -> None:
    """Drop the TCP connection without writing an HTTP response.

    uvicorn answers 500 when an app raises before ``http.response.start``, so raising is not enough;
    its h11/httptools/zttp ``receive`` is a bound method of the request cycle, which holds the
    transport. Fallback for other servers: raise (the server then answers or closes as it likes).
    """
    raw_receive = request_note(scope).get("raw_receive", receive)
    cycle = getattr(raw_receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("fake_bailian: injected disconnect")
    transport.abort()
    for _ in range(100):  # let connection_lost run, so uvicorn sends nothing once we return
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0.001)


async def sleep_unless_client_leaves(receive: Receive, seconds: float) -> bool:
    """Sleep `seconds`; True if the client disconnected first (the body must already be read)."""
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    waiter: asyncio.Future[Message] | None = None
    try:
        while True:
            waiter = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done and waiter.result().get("type") == "http.disconnect":
                return True
            if sleeper in done:
                return False
    finally:
        sleeper.cancel()
        if waiter is not None and not waiter.done():
            waiter.cancel()
