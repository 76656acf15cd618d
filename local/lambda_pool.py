"""Local Lambda instances: a pool of worker processes per function, like Lambda's execution
environments. An idle worker is reused (warm start); when all are busy a new one is spawned
(cold start) up to a per-function maximum, beyond which invocations wait their turn."""

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.function_env import LocalOverrides, function_environment
from local.lambda_worker import FRAME_HEADER, error_payload
from local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, REPO_ROOT, Function, Template

log = logging.getLogger("local.gateway")

DEFAULT_MAX_WORKERS = 4
INIT_TIMEOUT_SECONDS = 10  # Lambda's limit for the init phase (imports, module-level setup)
# Lambda's synchronous Invoke refuses a larger event: "Request must be smaller than 6291456 bytes
# for the InvokeFunction operation" (RequestEntityTooLargeException, HTTP 413).
MAX_REQUEST_PAYLOAD_BYTES = 6 * 1024 * 1024


class InvocationError(Exception):
    """The function failed: it raised, could not start, died, or answered nothing usable."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error

    @property
    def message(self) -> str:
        return str(self.error.get("errorMessage", ""))


class RequestTooLarge(Exception):
    """Lambda refused the invocation: the event is over its request payload limit."""


def invocation_payload_size(event: Any) -> int:
    """The event's size as Lambda counts it: the JSON API Gateway sends (UTF-8, not escaped)."""
    return len(json.dumps(event, ensure_ascii=False).encode())


class InvocationTimeout(Exception):
    """The function ran past its Timeout; its worker was killed."""


@dataclass(frozen=True)
class WorkerSpec:
    function: Function
    environment: dict[str, str]
    python: str = sys.executable

    def command(self) -> list[str]:
        layers = [arg for layer in self.function.layers for arg in ("--layer", str(layer))]
        return [
            self.python,
            "-m",
            "local.lambda_worker",
            "--handler",
            self.function.handler,
            "--code-dir",
            str(self.function.code_uri),
            *layers,
        ]


class Worker:
    """One worker process = one Lambda execution environment, serving one invocation at a time."""

    def __init__(self, process: asyncio.subprocess.Process, function: Function) -> None:
        self.process = process
        self.function = function
        self._pipe_closed = False

    @classmethod
    async def start(cls, spec: WorkerSpec) -> "Worker":
        process = await asyncio.create_subprocess_exec(
            *spec.command(),
            cwd=REPO_ROOT,  # so `-m local.lambda_worker` resolves; the worker then enters CodeUri
            env=spec.environment,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,  # a terminal Ctrl-C reaches the gateway, which stops workers
        )
        worker = cls(process, spec.function)
        try:
            async with asyncio.timeout(INIT_TIMEOUT_SECONDS):
                ready = await worker._receive()
        except TimeoutError:
            await worker.kill()
            raise InvocationError(error_payload("Runtime.InitTimeout", "init phase timed out")) from None
        except InvocationError:
            await worker.kill()
            raise
        if not ready.get("ready"):
            await worker.kill()
            raise InvocationError(ready.get("error") or error_payload("Runtime.Unknown", "bad init"))
        return worker

    async def invoke(self, event: dict[str, Any]) -> Any:
        timeout = self.function.timeout
        await self._send(
            {
                "event": event,
                "aws_request_id": str(uuid.uuid4()),  # each invocation has its own, as in Lambda
                "invoked_function_arn": self.function_arn,
                "deadline_ms": int(time.time() * 1000) + timeout * 1000,
                "trace_id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}",
            }
        )
        try:
            async with asyncio.timeout(timeout):
                answer = await self._receive()
        except TimeoutError:
            await self.kill()  # Lambda stops a timed-out environment; the next call cold-starts
            raise InvocationTimeout(f"{self.function.logical_id} timed out after {timeout}s") from None
        if not answer.get("ok"):
            raise InvocationError(answer["error"])
        return answer["result"]

    async def _send(self, message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(FRAME_HEADER.pack(len(payload)) + payload)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise self._died() from error

    async def _receive(self) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            (size,) = FRAME_HEADER.unpack(await stdout.readexactly(FRAME_HEADER.size))
            return json.loads(await stdout.readexactly(size))
        except asyncio.IncompleteReadError as error:
            raise self._died() from error

    def _died(self) -> InvocationError:
        self._pipe_closed = True
        code = self.process.returncode
        message = f"the worker process exited{'' if code is None else f' with {code}'} before answering"
        return InvocationError(error_payload("Runtime.ExitError", message))

    @property
    def alive(self) -> bool:
        return not self._pipe_closed and self.process.returncode is None

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function.logical_id}"

    async def stop(self, grace_seconds: float = 1.0) -> None:
        """Close the pipe (the worker exits on EOF); kill it if it does not."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(grace_seconds):
                await self.process.wait()
        except TimeoutError:
            await self.kill()

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # the handler's children too
        await self.process.wait()


class FunctionPool:
    """The workers of one function."""

    def __init__(self, spec: WorkerSpec, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        self.spec = spec
        self.max_workers = max_workers
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        self._spawning = 0
        self._changed = asyncio.Condition()

    @property
    def size(self) -> int:
        return len(self._workers)

    async def invoke(self, event: dict[str, Any]) -> Any:
        worker = await self._acquire()
        try:
            result = await worker.invoke(event)
        except InvocationError:
            # Like Lambda's Python runtime, a raised error leaves the environment warm.
            await (self._release(worker) if worker.alive else self._discard(worker))
            raise
        except BaseException:  # timed out (already killed) or the client went away mid-call
            await self._discard(worker)
            raise
        await self._release(worker)
        return result

    async def prewarm(self) -> None:
        await self._release(await self._acquire())

    async def _acquire(self) -> Worker:
        async with self._changed:
            while not self._idle and len(self._workers) + self._spawning >= self.max_workers:
                await self._changed.wait()
            if self._idle:
                return self._idle.pop()
            self._spawning += 1
        worker = None
        try:
            worker = await Worker.start(self.spec)  # a cold start, outside the lock
            return worker
        finally:
            async with self._changed:
                self._spawning -= 1
                if worker is not None:
                    self._workers.add(worker)
                self._changed.notify()

    async def _release(self, worker: Worker) -> None:
        async with self._changed:
            self._idle.append(worker)
            self._changed.notify()

    async def _discard(self, worker: Worker) -> None:
        await worker.kill()
        async with self._changed:
            self._workers.discard(worker)
            self._changed.notify()

    async def close(self) -> None:
        workers, self._workers, self._idle = list(self._workers), set(), []
        await asyncio.gather(*(worker.stop() for worker in workers))


class LambdaPools:
    """Every function of the template, each with its own pool and resolved environment."""

    def __init__(
        self,
        template: Template,
        *,
        overrides: LocalOverrides,
        env_vars: Mapping[str, Mapping[str, str]] | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        python: str = sys.executable,
    ) -> None:
        self.pools = {
            function_id: FunctionPool(
                WorkerSpec(
                    function, function_environment(function, overrides=overrides, env_vars=env_vars), python
                ),
                max_workers,
            )
            for function_id, function in template.functions.items()
        }
        # Streaming functions run as web apps (local.streaming_proxy), which prewarms them itself.
        self.web_apps = {fid for fid, function in template.functions.items() if function.streams_response}

    async def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        size = invocation_payload_size(event)
        if size > MAX_REQUEST_PAYLOAD_BYTES:
            limit = MAX_REQUEST_PAYLOAD_BYTES
            raise RequestTooLarge(f"{function_id}: the {size}-byte event is over Lambda's {limit}-byte limit")
        return await self.pools[function_id].invoke(event)

    async def prewarm(self) -> None:
        handlers = [function_id for function_id in self.pools if function_id not in self.web_apps]
        results = await asyncio.gather(
            *(self.pools[function_id].prewarm() for function_id in handlers), return_exceptions=True
        )
        for function_id, result in zip(handlers, results, strict=True):
            if isinstance(result, Exception):
                log.warning("pre-warm %s failed: %s", function_id, result)

    async def close(self) -> None:
        await asyncio.gather(*(pool.close() for pool in self.pools.values()))

    def environment(self, function_id: str) -> dict[str, str]:
        return self.pools[function_id].spec.environment
