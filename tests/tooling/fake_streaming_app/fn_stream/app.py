"""POST /stream/{count}?gap_ms=N: `count` chunks, N ms apart; the first one echoes what the app
received (the request, LWA's context headers, its environment). When the client goes away, or
after the last chunk, it writes what happened to $MARKER_DIR/<x-test-id>.json."""

import asyncio
import json
import os
import pathlib
import time


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/ready":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    count = int(scope["path"].rsplit("/", 1)[-1])
    query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
    gap = int(query.get("gap_ms", "0")) / 1000
    seen = {"disconnected": False, "sent": 0}

    async def watch():
        while (await receive())["type"] != "http.disconnect":
            pass
        seen["disconnected"] = True

    watcher = asyncio.create_task(watch())
    first = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "body": body.decode(),
        "headers": headers,
        "client": scope.get("client"),
        "marker": os.environ.get("MARKER_DIR"),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream"), (b"x-app", b"stream")],
        }
    )
    for index in range(count):
        if seen["disconnected"]:
            break
        payload = first if index == 0 else {"index": index, "at": time.time()}
        chunk = f"data: {json.dumps(payload)}\n\n".encode()
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        seen["sent"] += 1
        await asyncio.sleep(gap)
    await asyncio.sleep(0.2)  # let a disconnect that raced the last chunk register
    watcher.cancel()  # (after the response completes, receive() answers disconnect anyway)
    await send({"type": "http.response.body", "body": b""})
    test_id = headers.get("x-test-id")
    if test_id:
        pathlib.Path(os.environ["MARKER_DIR"], f"{test_id}.json").write_text(json.dumps(seen))
