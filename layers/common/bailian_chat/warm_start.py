"""Work done once per execution environment, at init, instead of in its first request: the
clients the function imported are created and primed (no connection opened, no secret read).

With SnapStart (prod), init runs once when a version is published and its memory is snapshotted:
the primed clients are in the snapshot. After a restore the `random` module is reseeded, so
environments restored from one snapshot do not share their retry jitter. Locally and in the
tests (no AWS_LAMBDA_FUNCTION_NAME) nothing is primed.
"""

import logging
import random
import sys
from collections.abc import Callable

from bailian_chat.config import get_settings

logger = logging.getLogger(__name__)  # not Powertools: the authorizer imports this and stays light


def prime(*more_steps: Callable[[], None]) -> None:
    """Creates and primes the DynamoDB and model clients and argon2, if the function imported them,
    then the function's `more_steps` (its routes' validators and models). Best effort, step by
    step: a step that fails (say, no credentials outside Lambda) leaves its work to the first
    request, as without it, and never stops the function from starting."""
    if not get_settings().prime_at_init:
        return
    for step in (_prime_imported, *more_steps):
        try:
            step()
        except Exception:  # the first request does the same work, and reports a failure then
            logger.warning(
                "A warm-start step failed at init (%s); the first request does its work",
                getattr(step, "__name__", step),
                exc_info=True,
            )
    _register_snapshot_hooks()


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
