"""New ids without a round trip: time-ordered 53-bit integers (exact in JavaScript, as the spec's
integer ids must be), in place of a counter item every write would go through.

An id is the milliseconds since EPOCH_MS shifted left by RANDOM_BITS, or'ed with random bits
(from the OS: containers restored from one snapshot must not draw the same ones); within a
process ids only grow. Ids of different containers can still meet, so every id is written with a
conditional put on an item keyed by the id alone (attribute_not_exists): a collision cancels the
write (IdTaken) and it is written again with a new id, so an id is never reused. Ids issued before
this scheme (a counter from 1) are far below any of these, so id order stays time order.
"""

import secrets
import threading
import time
from collections.abc import Callable

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
RANDOM_BITS = 12  # 4,096 ids per millisecond before two draws of one millisecond must meet
MAX_ID = 2**53 - 1  # Number.MAX_SAFE_INTEGER: 2**41 ms after EPOCH_MS is in 2095
ATTEMPTS = 5

_lock = threading.Lock()
_last = 0


class IdTaken(Exception):
    """The write's id is another item's already (nothing was written)."""


def new_id(kind: str) -> int:
    """A new id; `kind` (user, conversation, message, api_key, api_call) only matters to a
    sequential stand-in (sample data with fixed ids patches this function)."""
    global _last
    elapsed_ms = time.time_ns() // 1_000_000 - EPOCH_MS
    candidate = (elapsed_ms << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
    with _lock:
        _last = max(candidate, _last + 1)
        if _last > MAX_ID:
            raise OverflowError("ids beyond 2**53 - 1: move EPOCH_MS")
        return _last


def write_with_new_id[T](kind: str, write: Callable[[int], T]) -> T:
    """`write(id)` with a new id, again with another one while it raises IdTaken."""
    for attempt in range(ATTEMPTS):
        try:
            return write(new_id(kind))
        except IdTaken:
            if attempt + 1 == ATTEMPTS:
                raise
    raise AssertionError("unreachable")
