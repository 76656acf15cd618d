"""uvicorn for everything local: the one harness that serves an ASGI app from a background thread
on a socket bound up front (the local gateway and the fake Bailian both run in it), and the
gateway's app and settings: the TCP peer is the source IP, and even the answers uvicorn gives
itself (a malformed request line, an unfinished oversized head) are the template's gateway
response, as everything API Gateway answers."""

import socket
import threading
import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Self

import h11
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from local.gateway import Gateway


class GatewayApp:
    """The ASGI app: every HTTP request reaches the gateway, whatever its method or path (API
    Gateway, not a web framework, decides what is unknown); the lifespan starts and stops it."""

    def __init__(self, gateway: "Gateway", *, prewarm: bool = False) -> None:
        self.gateway = gateway
        self.prewarm = prewarm
        self.state = SimpleNamespace(gateway=gateway)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            response = await self.gateway.handle(Request(scope, receive))
            await response(scope, receive, send)

    def malformed_request_response(self) -> Response:
        return self.gateway.malformed_request_response()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        await self.gateway.start(prewarm=self.prewarm)
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await self.gateway.close()
        await send({"type": "lifespan.shutdown.complete"})


class GatewayResponseH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, answering a request it cannot parse the way the app says."""

    def send_400_response(self, msg: str) -> None:
        app: GatewayApp = self.app  # type: ignore[assignment]
        response = app.malformed_request_response()
        headers = [*response.raw_headers, (b"connection", b"close")]
        for event in (
            h11.Response(status_code=response.status_code, headers=headers),
            h11.Data(data=response.body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def gateway_server_config(app: GatewayApp, **options: Any) -> uvicorn.Config:
    """uvicorn.Config for the gateway. proxy_headers=False: uvicorn would otherwise replace the
    peer address with whatever X-Forwarded-For a local client sends (it trusts 127.0.0.1 by
    default), and that address is requestContext.identity.sourceIp - the login throttle's and the
    call log's client IP. API Gateway takes sourceIp from the connection, never from a header."""
    return uvicorn.Config(
        app,
        proxy_headers=False,
        forwarded_allow_ips="",
        http=GatewayResponseH11Protocol,
        ws="none",  # API Gateway REST has no WebSocket upgrade: an Upgrade request is plain HTTP
        access_log=False,  # the gateway writes its own, token-free access line
        lifespan="on",
        h11_max_incomplete_event_size=16 * 1024,  # a head this long that has not ended yet: 400
        **options,
    )


class PortInUseError(RuntimeError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0 = any free port), bound now so nothing can take it."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it keep-alive responses stall ~40 ms (Nagle + delayed ACK).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PortInUseError(
            f"cannot listen on {host}:{port}: {error.strerror} (is another stack running?)"
        ) from error
    sock.listen(128)
    return sock


def free_port(host: str = "127.0.0.1", port: int = 0) -> int:
    """A port nothing listens on now (for servers we cannot hand a bound socket, like java)."""
    with bind_socket(host, port) as sock:
        return sock.getsockname()[1]


class AsgiServer:
    """uvicorn serving an ASGI app from a daemon thread, on a socket bound up front.

    config: uvicorn's settings for `app`; the gateway's (gateway_server_config) unless given.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sock: socket.socket | None = None,
        config: uvicorn.Config | None = None,
    ) -> None:
        self.app = app
        self.socket = sock or bind_socket(host, port)
        self.host, self.port = self.socket.getsockname()[:2]
        if config is None:
            config = gateway_server_config(
                app,
                log_config=None,  # keep the host's logging setup (dev console, pytest capture)
                timeout_graceful_shutdown=5,
            )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name=f"uvicorn:{self.port}"
        )
        self.thread.daemon = True

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client takes as its base URL."""
        return self.url

    def start(self, timeout: float = 30.0) -> Self:
        """Starts the thread (once: `with` on a started server just enters) and waits for uvicorn."""
        if self.thread.ident is not None:
            return self
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful shutdown (uvicorn's timeout_graceful_shutdown), forced after half of timeout."""
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout / 2)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout / 2)
        self.socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
