"""One local Lambda instance: `python -m local.lambda_worker --handler app.handler --code-dir DIR
[--layer DIR ...]`.

Imports the handler once (the cold start), then serves one invocation at a time over the pipes it
was started with. Handlers print their logs to stdout, so the protocol moves off fd 1 first: the
worker keeps private duplicates of fds 0/1 for the protocol and points fd 1 at stderr (the
gateway's console). Messages are length-prefixed JSON frames. Standard library only (and
local.log_text, which is too): it starts fast.
"""

import argparse
import importlib
import json
import os
import struct
import sys
import time
import traceback
from typing import Any, BinaryIO

from local.log_text import printable

FRAME_HEADER = struct.Struct(">I")
# Lambda fails an invocation whose serialized result is larger (API Gateway then answers 502).
MAX_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100


def write_frame(stream: BinaryIO, message: dict[str, Any]) -> None:
    payload = json.dumps(message).encode()
    stream.write(FRAME_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None when the other side closed the pipe."""
    header = stream.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        return None
    (size,) = FRAME_HEADER.unpack(header)
    return json.loads(stream.read(size))


def error_payload(error_type: str, message: str, stack: list[str] | None = None) -> dict[str, Any]:
    """Lambda's error shape: what an invoker (API Gateway, the authorizer check) gets back."""
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}


def handler_error_payload(error: BaseException) -> dict[str, Any]:
    handler_frames = error.__traceback__.tb_next if error.__traceback__ else None  # skip _invoke's frame
    stack = traceback.format_list(traceback.extract_tb(handler_frames))
    return error_payload(type(error).__name__, str(error), stack)


class LambdaContext:
    """The context object the Python runtime passes to handlers (static parts from the env)."""

    def __init__(self, aws_request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]  # a str, as in Lambda
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(message)


def _take_protocol_pipes() -> tuple[BinaryIO, BinaryIO]:
    # Buffered both ways: an unbuffered pipe read returns at most 64 KiB (cutting large events
    # short) and an unbuffered write may be partial.
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")  # write_frame flushes each frame
    os.dup2(2, 1)  # handler output (print, Powertools Logger) goes to the gateway's console
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return protocol_in, protocol_out


def _enter_task_root(code_dir: str, layers: list[str]) -> None:
    """sys.path as Lambda has it: the function's code (/var/task), then layers (/opt/python)."""
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
        del sys.path[0]  # the repo root `python -m` added; handlers must not import from it
    sys.modules.pop("local", None)
    sys.path[0:0] = [code_dir, *layers]
    os.chdir(code_dir)


def _load_handler(handler: str) -> Any:
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as error:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise _InitError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return function


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.payload = error_payload(error_type, message, traceback.format_exc().splitlines())


def _invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(
        request["aws_request_id"], request["invoked_function_arn"], request["deadline_ms"]
    )
    os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
    try:
        result = handler(request["event"], context)
        size = runtime_payload_size(result)  # Lambda serializes the result; fail here the way it does
    except Exception as error:
        payload = handler_error_payload(error)
        if isinstance(error, TypeError) and "JSON serializable" in str(error):
            payload["errorType"] = "Runtime.MarshalError"
        # Lambda writes unhandled errors to the function's log (request data escaped here).
        print(printable(f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"), file=sys.stderr)
        lines = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
        print(printable("".join(lines), keep_newlines=True), end="", file=sys.stderr)
        return {"ok": False, "error": payload}
    if size > MAX_RESPONSE_PAYLOAD_BYTES:
        limit = MAX_RESPONSE_PAYLOAD_BYTES
        message = f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
        print(f"[ERROR] Function.ResponseSizeTooLarge: {message} ({size} bytes)", file=sys.stderr)
        return {"ok": False, "error": error_payload("Function.ResponseSizeTooLarge", message)}
    return {"ok": True, "result": result}


def runtime_payload_size(result: Any) -> int:
    """The result's size as the Python 3.12+ runtime sends it: json.dumps without ASCII escapes."""
    return len(json.dumps(result, ensure_ascii=False).encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--code-dir", required=True)
    parser.add_argument("--layer", action="append", default=[])
    args = parser.parse_args(argv)

    protocol_in, protocol_out = _take_protocol_pipes()
    _enter_task_root(args.code_dir, args.layer)
    try:
        handler = _load_handler(args.handler)
    except _InitError as error:
        print(f"[ERROR] {error.payload['errorType']}: {error}", file=sys.stderr)
        write_frame(protocol_out, {"ok": False, "error": error.payload})
        return 1
    write_frame(protocol_out, {"ok": True, "ready": True})
    while (request := read_frame(protocol_in)) is not None:
        write_frame(protocol_out, _invoke(handler, request))
    return 0


if __name__ == "__main__":
    sys.exit(main())
