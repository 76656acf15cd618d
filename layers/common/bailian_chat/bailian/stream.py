"""A streamed completion from the upstream: its server-sent events parsed into chunk dicts."""

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
from aws_lambda_powertools import Logger

from bailian_chat.errors import UpstreamStreamError

logger = Logger(child=True)

# Error codes an upstream error event can carry, and the status each stands for (else 503).
ERROR_EVENT_STATUS = {
    "data_inspection_failed": 400,
    "invalid_parameter_error": 400,
    "limit_requests": 429,
    "insufficient_quota": 429,
}
DONE = "[DONE]"


class UpstreamStream:
    """Iterates the upstream's `chat.completion.chunk` dicts (the final usage chunk included) until
    `data: [DONE]`; raises UpstreamStreamError when the stream breaks, carries an error event or
    outlives its deadline. Each chunk is handed on as soon as its line arrives."""

    def __init__(self, response: httpx.Response, deadline: float):
        self._response = response
        self._deadline = deadline
        self._lines = response.iter_lines()
        self._finished = False
        self._lock = threading.Lock()
        self._watchdog = self._arm_watchdog()

    def _arm_watchdog(self) -> threading.Timer | None:
        """Shuts the connection down at the deadline, so a read blocked on an upstream gone silent
        ends then: the read timeout, fixed when the stream opened, could end it up to a whole
        budget later (and the deadline is what leaves time to log the call)."""
        network = self._response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if sock is None:
            return None
        timer = threading.Timer(max(0.0, self._deadline - time.monotonic()), self._shut_down, (sock,))
        timer.daemon = True
        timer.start()
        return timer

    def _shut_down(self, sock: socket.socket) -> None:
        with self._lock:
            if self._finished:
                return  # the connection may be back in the pool, serving someone else
            logger.warning("Model stream reached its deadline while waiting for the upstream")
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __iter__(self) -> Iterator[dict]:
        return self

    def __next__(self) -> dict:
        if self._finished:
            raise StopIteration
        try:
            return self._next_chunk()
        except BaseException:
            self.close()
            raise

    def _next_chunk(self) -> dict:
        while True:
            if time.monotonic() > self._deadline:
                logger.warning("Model stream outlived its deadline")
                raise UpstreamStreamError()
            try:
                line = next(self._lines)
            except StopIteration:
                logger.warning("Model stream ended without [DONE]")
                raise UpstreamStreamError() from None
            except httpx.HTTPError as exc:
                logger.warning("Model stream broke", extra={"error": type(exc).__name__})
                raise UpstreamStreamError() from exc
            data = _data_of(line)
            if data is None:
                continue
            if data == DONE:
                self.close()
                raise StopIteration
            return _chunk_of(data)

    def close(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._watchdog is not None:
                self._watchdog.cancel()
        self._response.close()


def _data_of(line: str) -> str | None:
    """The payload of a `data:` line; None for blank lines, comments and other fields."""
    if not line.startswith("data:"):
        return None
    return line[5:].strip()


def _chunk_of(data: str) -> dict:
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        logger.warning("Malformed model stream chunk")
        raise UpstreamStreamError() from exc
    if not isinstance(chunk, dict):
        raise UpstreamStreamError()
    if chunk.get("error") is not None:
        raise _error_event(chunk)
    return chunk


def _error_event(chunk: dict) -> UpstreamStreamError:
    error = chunk["error"] if isinstance(chunk["error"], dict) else {}
    status = ERROR_EVENT_STATUS.get(str(error.get("code")), 503)
    logger.warning("Model stream error event", extra={"upstream_code": error.get("code")})
    usage = chunk.get("usage") if isinstance(chunk.get("usage"), dict) else None
    if status == 400:
        return UpstreamStreamError(error.get("message") or None, status_code=400, usage=usage)
    if status == 429:
        return UpstreamStreamError("Request rate limit exceeded", status_code=429, usage=usage)
    return UpstreamStreamError(usage=usage)
