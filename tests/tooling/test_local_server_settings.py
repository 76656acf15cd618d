"""The local gateway's server settings and log escaping (issue 9, items 5 and 11), without a server."""

import logging
import sys

from local.http_server import gateway_server_config
from local.log_text import EscapeControlCharacters, printable


def test_the_gateway_server_never_takes_the_client_address_from_headers():
    config = gateway_server_config(object())

    assert config.proxy_headers is False
    assert not config.forwarded_allow_ips  # trusts no proxy, not even 127.0.0.1


def test_printable_escapes_every_control_character():
    assert printable("a\x00b\x1b[31m\r\n\x7f\x85\u2028z") == "a\\x00b\\x1b[31m\\x0d\\x0a\\x7f\\x85\\u2028z"
    assert printable("line\nnext\x00", keep_newlines=True) == "line\nnext\\x00"
    assert printable("héllo 😀 中文") == "héllo 😀 中文"


def test_the_filter_escapes_the_message_and_the_traceback():
    try:
        raise ValueError("bad\x00value")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, "f", 1, "path %s", ("/a\nb",), sys.exc_info()
        )

    EscapeControlCharacters().filter(record)

    assert record.getMessage() == "path /a\\x0ab"
    assert "bad\\x00value" in logging.Formatter().format(record)
    assert "\x00" not in logging.Formatter().format(record)
