"""What the benchmark scripts share: in-process settings for a local table, counting DynamoDB
calls, timing summaries, loading a function's handler, and the result rows `python -m bench`
gathers from every script into one table."""

import json
import os
import statistics
import sys
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
        responses = parsed.get("Responses")
        if "Count" in parsed:  # Query, Scan
            self.items_read += parsed["Count"]
        elif "Item" in parsed:  # GetItem
            self.items_read += 1
        elif isinstance(responses, dict):  # BatchGetItem: {table: [items]}
            self.items_read += sum(len(items) for items in responses.values())
        elif isinstance(responses, list):  # TransactGetItems: [{"Item": ...}]
            self.items_read += sum(1 for response in responses if response.get("Item"))

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
    if unit in ("calls", "items") or (float(value).is_integer() and abs(value) >= 100):
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
