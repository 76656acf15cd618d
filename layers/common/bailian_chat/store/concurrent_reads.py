"""Independent reads made at once: two reads of different partitions cost one round trip of
latency (still two calls). The pool is created at import (its threads start on first use) and
shared by every request of the container; botocore clients are thread-safe."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

# A request runs at most a few reads at once; reads never start reads of their own (no nesting:
# a read waiting on the pool from a pool thread could wait for ever). Public for the bench, which
# adds its threads' CPU to the handler's.
POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="concurrent-read")


def read_concurrently(*reads: Callable[[], Any]) -> tuple:
    """The results of `reads`, in their order, made at the same time (the first on the calling
    thread). Returns when all have ended; if any raised, the first of them in order raises."""
    others = [POOL.submit(read) for read in reads[1:]]
    try:
        first = reads[0]()
    finally:
        wait(others)  # no read outlives the request that made it
    return (first, *(future.result() for future in others))
