"""What the benchmark scripts share: in-process settings for a local table, counting DynamoDB
calls, timing summaries, loading a function's handler, and the result rows `python -m bench`
gathers from every script into one table."""

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

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
        API_KEY_DIGEST_SECRET="bench-api-key-digest-" + "x" * 32,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        POWERTOOLS_LOG_LEVEL="ERROR",
        POWERTOOLS_METRICS_DISABLED="true",
        **extra,
    )


class CallCounter:
    """Counts DynamoDB API calls, the items they returned and the round trips they took, made
    through a botocore client. Each call's interval runs from the client method's call (botocore's
    first event, `provide-client-params`) to its `after-call` (or `after-call-error`): calls whose
    intervals overlap (reads made at once, from any thread) are one round trip. Thread-safe."""

    _STARTED = "bench_call_started"  # in the call's own request context

    def __init__(self, client) -> None:
        self.calls = 0
        self.items_read = 0
        self.intervals: list[tuple[float, float]] = []  # (start, end), in the order calls ended
        self._lock = threading.Lock()
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._start_call)
        events.register("before-call.dynamodb", self._count_call)
        events.register("after-call.dynamodb", self._end_call)
        events.register("after-call-error.dynamodb", self._end_call)

    def _start_call(self, context=None, **_kwargs) -> None:
        if context is not None:
            context[self._STARTED] = time.perf_counter()

    def _count_call(self, **_kwargs) -> None:
        with self._lock:
            self.calls += 1

    def _end_call(self, context=None, parsed=None, **_kwargs) -> None:
        ended = time.perf_counter()
        started = (context or {}).pop(self._STARTED, ended)
        with self._lock:
            self.intervals.append((started, ended))
            self.items_read += items_in(parsed or {})

    def snapshot(self) -> tuple[int, int]:
        return self.calls, self.items_read

    def mark(self) -> int:
        """Where the calls from now on begin, for `round_trips_since` (no call in flight)."""
        with self._lock:
            return len(self.intervals)

    def round_trips_since(self, mark: int) -> int:
        with self._lock:
            return round_trips(self.intervals[mark:])


class ReadPoolCpu:
    """The CPU seconds the layer's read pool (store.concurrent_reads) spends, its threads' own: with
    the calling thread's `time.thread_time`, a handler's whole CPU."""

    def __init__(self) -> None:
        from bailian_chat.store import concurrent_reads

        self.seconds = 0.0
        self._lock = threading.Lock()
        pool = concurrent_reads.POOL
        submit = pool.submit

        def timed_submit(read, *args, **kwargs):
            def timed():
                started = time.thread_time()
                try:
                    return read(*args, **kwargs)
                finally:
                    with self._lock:
                        self.seconds += time.thread_time() - started

            return submit(timed)

        pool.submit = timed_submit


def items_in(parsed: dict) -> int:
    """The items a call's parsed response returned."""
    responses = parsed.get("Responses")
    if "Count" in parsed:  # Query, Scan
        return parsed["Count"]
    if "Item" in parsed:  # GetItem
        return 1
    if isinstance(responses, dict):  # BatchGetItem: {table: [items]}
        return sum(len(items) for items in responses.values())
    if isinstance(responses, list):  # TransactGetItems: [{"Item": ...}]
        return sum(1 for response in responses if response.get("Item"))
    return 0


def round_trips(intervals: Iterable[tuple[float, float]]) -> int:
    """How many round trips calls of these (start, end) intervals took: overlapping intervals
    merged, one round trip per merged group."""
    count, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            count += 1
            reach = end
        else:
            reach = max(reach, end)
    return count


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


def import_function(name: str) -> ModuleType:
    """functions/<name>/app.py as a fresh module."""
    from local.functions import import_handler_module

    return import_handler_module(REPO_ROOT / "functions" / name / "app.py", prefix="bench_function")


# ---------------------------------------------------------------- results for the summary table


@dataclass(frozen=True)
class Row:
    """One number of the summary table, optionally next to what it is compared with (measured in
    the same run): ratio = value / baseline_value."""

    area: str
    measurement: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline_value in (None, 0):
            return None
        return self.value / self.baseline_value


def add_json_argument(parser) -> None:
    parser.add_argument(
        "--json", type=Path, help="also write the result rows here (used by `python -m bench`)"
    )


def write_rows(path: Path | None, rows: Iterable[Row]) -> None:
    if path is not None:
        path.write_text(json.dumps([asdict(row) for row in rows], indent=1))


def read_rows(path: Path) -> list[Row]:
    return [Row(**row) for row in json.loads(path.read_text())]


def format_value(value: float, unit: str) -> str:
    if unit in ("calls", "trips", "items") or (float(value).is_integer() and abs(value) >= 100):
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"


def print_table(rows: list[Row]) -> None:
    """Aligned: area | measurement | value unit | compared with | ratio | note."""
    cells = []
    for row in rows:
        baseline = ""
        if row.baseline:
            baseline = row.baseline
            if row.baseline_value is not None:
                baseline += f" = {format_value(row.baseline_value, row.unit)} {row.unit}"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        cells.append(
            (
                row.area,
                row.measurement,
                format_value(row.value, row.unit),
                row.unit,
                baseline,
                ratio,
                row.note,
            )
        )
    headers = ("area", "measurement", "value", "unit", "compared with (same run)", "ratio", "note")
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    right = {2, 5}

    def line(values) -> str:
        parts = [
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    previous_area = None
    for cell in cells:
        if previous_area is not None and cell[0] != previous_area:
            print()
        print(line(cell if cell[0] != previous_area else ("", *cell[1:])))
        previous_area = cell[0]
