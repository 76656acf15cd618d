"""The uvicorn settings of the local gateway: the TCP peer is the source IP, and even the answers
uvicorn gives itself (a malformed request line, an unfinished oversized head) are the template's
gateway response, as everything API Gateway answers."""

from typing import Any, Protocol

import h11
import uvicorn
from starlette.responses import Response
from uvicorn.protocols.http.h11_impl import H11Protocol


class AnswersMalformedRequests(Protocol):
    def malformed_request_response(self) -> Response: ...


class GatewayResponseH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, answering a request it cannot parse the way the app says."""

    def send_400_response(self, msg: str) -> None:
        app: AnswersMalformedRequests = self.app  # type: ignore[assignment]
        response = app.malformed_request_response()
        headers = [*response.raw_headers, (b"connection", b"close")]
        for event in (
            h11.Response(status_code=response.status_code, headers=headers),
            h11.Data(data=response.body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def gateway_server_config(app: AnswersMalformedRequests, **options: Any) -> uvicorn.Config:
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
