"""HTTP/1.1 over a plain socket, for requests no client library would send as they are."""

import socket

from local.stack import AsgiServer


def raw_exchange(server: AsgiServer | str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends the bytes and reads one response (Content-Length framed, or until the server closes);
    returns status, headers (lower-case names) and body."""
    host, port = (server.host, server.port) if isinstance(server, AsgiServer) else _address(server)
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while (chunk := sock.recv(65536)) and not _complete(answer := answer + chunk):
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, headers = _parse_head(head)
    return int(status_line.split()[1]), headers, body


def _parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    return status_line, {
        name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)
    }


def _complete(answer: bytes) -> bool:
    head, separator, body = answer.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = _parse_head(head)[1].get("content-length")
    return length is not None and len(body) >= int(length)


def _address(base_url: str) -> tuple[str, int]:
    host, _, port = base_url.removeprefix("http://").rstrip("/").rpartition(":")
    return host, int(port)
