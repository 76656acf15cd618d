"""What the benchmark scripts share: in-process settings for a local table, counting DynamoDB
calls, and timing summaries."""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for path in (str(REPO_ROOT / "layers" / "common"), str(REPO_ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)


def configure_in_process(endpoint: str, table_name: str, **extra: str) -> None:
    """Settings for calling the layer's services directly against DynamoDB Local."""
    os.environ.update(
        TABLE_NAME=table_name,
        DYNAMODB_ENDPOINT=endpoint,
        JWT_SECRET="bench-secret-" + "x" * 32,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        POWERTOOLS_LOG_LEVEL="ERROR",
        POWERTOOLS_METRICS_DISABLED="true",
        **extra,
    )


class CallCounter:
    """Counts DynamoDB API calls, and the items they returned, made through a boto3 client."""

    def __init__(self, client) -> None:
        self.calls = 0
        self.items_read = 0
        client.meta.events.register("before-call.dynamodb", self._count_call)
        client.meta.events.register("after-call.dynamodb", self._count_items)

    def _count_call(self, **_kwargs) -> None:
        self.calls += 1

    def _count_items(self, parsed=None, **_kwargs) -> None:
        parsed = parsed or {}
        self.items_read += parsed.get("Count", 1 if "Item" in parsed else 0)

    def snapshot(self) -> tuple[int, int]:
        return self.calls, self.items_read


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_ms(request: Callable[[], object]) -> float:
    started = time.perf_counter()
    request()
    return (time.perf_counter() - started) * 1000


def measure(label: str, request: Callable[[], object], counter: CallCounter, repeat: int) -> dict:
    """Median time of `repeat` runs after a warm-up, and the DynamoDB calls/items of one run."""
    request()
    timings, calls, items = [], 0, 0
    for _ in range(repeat):
        calls_before, items_before = counter.snapshot()
        timings.append(time_ms(request))
        calls, items = counter.calls - calls_before, counter.items_read - items_before
    return {"label": label, "median_ms": statistics.median(timings), "calls": calls, "items": items}
