"""Request data in logs: control characters (NUL, CR, LF, ESC, ...) are written escaped, so a
path or message cannot forge log lines, hide text from a terminal or put raw NULs in a file."""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """text with control characters as \\xNN / \\uNNNN (newlines kept for tracebacks if asked)."""
    return (_CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL).sub(_escape, text)


class EscapeControlCharacters(logging.Filter):
    """Escapes the formatted message (one line, always) and the traceback (its own lines kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = printable(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            traceback_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = printable(traceback_text, keep_newlines=True)
        return True
