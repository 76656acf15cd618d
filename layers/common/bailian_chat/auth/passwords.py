"""argon2id password hashing (OWASP parameters: 19 MiB, 2 iterations, 1 lane)."""

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("dummy password for unknown users")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Checks a password. With no hash (unknown user) it verifies against a dummy hash, so an
    unknown account costs the same time as a known one and cannot be told apart by timing."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
