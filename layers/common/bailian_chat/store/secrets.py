"""Secrets Manager reads, cached per process for a few minutes (so a rotation is picked up)."""

import functools
import threading
import time

from bailian_chat.store.dynamodb import aws_client

SECRET_CACHE_SECONDS = 300
_cache: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


@functools.cache
def _secrets_manager():
    return aws_client("secretsmanager")


def get_secret(arn: str) -> str:
    with _lock:
        cached = _cache.get(arn)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    value = _secrets_manager().get_secret_value(SecretId=arn)["SecretString"]
    with _lock:
        _cache[arn] = (time.monotonic() + SECRET_CACHE_SECONDS, value)
    return value
