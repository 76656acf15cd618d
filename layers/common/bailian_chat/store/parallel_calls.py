"""Independent reads sent together: one round trip of wall time for several calls (the client is
thread-safe). A pool per use: no thread outlives the request (nor is captured in a snapshot)."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# botocore's default max_pool_connections: more threads would wait for a connection anyway.
MAX_THREADS = 10


def run_together[T](calls: list[Callable[[], T]]) -> list[T]:
    """Each call's result, in order; the first failure is raised (after every call ended)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(len(calls), MAX_THREADS)) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]
