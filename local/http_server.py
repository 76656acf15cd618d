"""The local gateway as an ASGI app, and its uvicorn settings: the TCP peer is the source IP, and
even the answers uvicorn gives itself (a malformed request line, an unfinished oversized head) are
the template's gateway response, as everything API Gateway answers."""

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

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
