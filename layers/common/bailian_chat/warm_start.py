"""Work done once per execution environment, at init, instead of in its first request: the
clients the function imported are created and primed (no connection opened, no secret read), and
the pydantic models its routes read and answer are built.

And the import itself runs with the garbage collector paused. A cold import creates some 30-50
thousand objects that live as long as the environment (modules, classes, functions, schemas);
CPython collects every 2,000 new ones and, 36-40 times per import, walks the young ones only to
find next to nothing to free: 18-20 ms of a 220-240 ms import (measured with gc.callbacks).
`bailian_chat`, the first package every function imports, pauses the collector (in a Lambda
execution environment only); `prime`, the last thing every function's module does, moves what
the import made into the permanent generation (gc.freeze: never walked again, which also
shortens the collections of the requests) and turns the collector back on. The cycles the import
left unreachable (under 1,000 objects) are frozen with the rest rather than collected: collecting
them first would walk every object the import made, the work the pause saves.

With SnapStart (prod), init runs once when a version is published and its memory is snapshotted:
the primed clients are in the snapshot. After a restore the `random` module is reseeded, so
environments restored from one snapshot do not share their retry jitter -- in the functions the
Python runtime runs; the two streaming functions run in uvicorn under the Web Adapter, where the
runtime's restore hooks do not fire, so their `random` is not reseeded. Locally and in the
tests (no AWS_LAMBDA_FUNCTION_NAME) nothing is primed.
"""

import gc
import logging
import random
import sys
import typing
from collections.abc import Callable, Iterable

from bailian_chat.config import get_settings, in_lambda_execution_environment

logger = logging.getLogger(__name__)  # not Powertools: the authorizer imports this and stays light

_collector_paused = False


def hold_collector_until_prime(was_running: bool) -> None:
    """At the start of a cold import (bailian_chat/__init__.py paused the collector): in a Lambda
    execution environment it stays paused until `prime`; elsewhere, and in the tests, it runs
    again at once, as it was."""
    global _collector_paused
    if was_running and in_lambda_execution_environment():
        _collector_paused = True
    elif was_running:
        gc.enable()


def prime(*more_steps: Callable[[], None]) -> None:
    """Creates and primes the DynamoDB and model clients and argon2, if the function imported them,
    then the function's `more_steps` (its routes' validators and models). Best effort, step by
    step: a step that fails (say, no credentials outside Lambda) leaves its work to the first
    request, as without it, and never stops the function from starting. Every function calls it
    once, at the end of its module: the collector paused for the import runs again after it."""
    try:
        if get_settings().prime_at_init:
            _run_steps((_prime_imported, *more_steps))
            _register_snapshot_hooks()
    finally:
        _resume_collector()


def build_models(hints: Iterable) -> None:
    """Builds the defer_build pydantic models the type hints name (inside Annotated, list[...],
    X | None, ...) and those their fields name: what their first validation would do."""
    from pydantic import BaseModel  # only functions with models get here (not the authorizer)

    models: dict[type[BaseModel], None] = {}  # insertion-ordered, each once

    def collect(hint) -> None:
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            if hint not in models:
                models[hint] = None
                for field in hint.model_fields.values():
                    collect(field.annotation)
            return
        for argument in typing.get_args(hint):
            collect(argument)

    for hint in hints:
        collect(hint)
    for model in models:
        model.model_rebuild()


def _resume_collector() -> None:
    global _collector_paused
    if _collector_paused:
        gc.freeze()
        gc.enable()
        _collector_paused = False


def _run_steps(steps: Iterable[Callable[[], None]]) -> None:
    for step in steps:
        try:
            step()
        except Exception:  # the first request does the same work, and reports a failure then
            logger.warning(
                "A warm-start step failed at init (%s); the first request does its work",
                getattr(step, "__name__", step),
                exc_info=True,
            )


def _prime_imported() -> None:
    if "bailian_chat.store.dynamodb" in sys.modules:
        from bailian_chat.store import dynamodb

        dynamodb.prime_client()
    if "bailian_chat.bailian.client" in sys.modules:
        from bailian_chat.bailian import client

        client.prime_client()
    if "bailian_chat.auth.passwords" in sys.modules:
        from bailian_chat.auth import passwords

        # argon2's first hash faults in its 19 MiB; later ones reuse them (about half its time).
        passwords.hash_password("warm start")


def _register_snapshot_hooks() -> None:
    try:  # the Lambda runtime's SnapStart hooks (python3.12+); absent elsewhere
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return
    register_after_restore(_reseed)


def _reseed() -> None:
    random.seed()  # from os.urandom: this environment's own jitter
