"""Independent reads made at once: two reads of different partitions cost one round trip of
latency (still two calls). The pool is created at import (its threads start on first use) and
shared by every request of the container; botocore clients are thread-safe."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

# The calling thread and these 9: botocore's 10 pooled connections (its default
# max_pool_connections), so no read waits for a connection or opens one that is thrown away. The
# admin statistics send the most at once (a Query per statistics shard, default 8, and two more);
# reads never start reads of their own (no nesting: a read waiting on the pool from a pool thread
# could wait for ever). Public for the bench, which adds its threads' CPU to the handler's.
POOL = ThreadPoolExecutor(max_workers=9, thread_name_prefix="concurrent-read")


def read_concurrently(*reads: Callable[[], Any]) -> tuple:
    """The results of `reads`, in their order, made at the same time (the first on the calling
    thread). Returns when all have ended; if any raised, the first of them in order raises."""
    if not reads:
        return ()
    others = [POOL.submit(read) for read in reads[1:]]
    try:
        first = reads[0]()
    finally:
        wait(others)  # no read outlives the request that made it
    return (first, *(future.result() for future in others))
