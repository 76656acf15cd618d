"""`make bench`: every benchmark, each in its own process (its detail printed as it finishes), then
one summary table. Ratios in the table compare numbers measured side by side in the same run.

    .venv/bin/python -m bench            # quick sizes: 2,000 conversations/messages/logged calls
    .venv/bin/python -m bench --full     # the issue's sizes: 5,000 (paging) and 20,000 (statistics)

The scripts' stderr (the local stack's and the functions' logs) goes to .local/bench-logs/.
Each script also runs alone: python -m bench.<script> --help.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.support import REPO_ROOT, Row, print_table, read_rows

LOG_DIR = REPO_ROOT / ".local" / "bench-logs"
QUICK_LARGE = 2000


def scripts(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    paging_large = 5000 if args.full else QUICK_LARGE
    statistics_large = 20_000 if args.full else QUICK_LARGE
    # Cold imports first: they are the most sensitive to load, and no DynamoDB Local runs yet.
    return [
        ("bench_cold_import", ["--runs", str(args.runs)]),
        ("bench_first_call", ["--runs", "3"]),
        ("bench_endpoint_calls", []),
        ("bench_model_path", ["--large", str(statistics_large)]),
        ("bench_paging", ["--large", str(paging_large)]),
        ("bench_streaming", []),
    ]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes (5,000 / 20,000); slower")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per cold-import median")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these (e.g. bench_paging)")
    args = parser.parse_args()
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    selected = [(name, extra) for name, extra in scripts(args) if not args.only or name in args.only]
    rows: list[Row] = []
    elapsed: dict[str, float] = {}
    failed: list[str] = []
    started_all = time.monotonic()
    print(f"bench: {len(selected)} scripts; {load()}", flush=True)
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            "bench: the machine is busy: absolute times and medians are inflated; "
            "read the ratios and minimums"
        )
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name, extra in selected:
            result_file = Path(tmp) / f"{name}.json"
            log_file = LOG_DIR / f"{name}.log"
            command = [sys.executable, "-m", f"bench.{name}", *extra, "--json", str(result_file)]
            print(f"\n=== {' '.join(['python', *command[1:-2]])}", flush=True)
            started = time.monotonic()
            with open(log_file, "w") as log:
                code = subprocess.run(command, cwd=REPO_ROOT, stderr=log, check=False).returncode
            elapsed[name] = time.monotonic() - started
            if code != 0 or not result_file.exists():
                failed.append(name)
                tail = log_file.read_text(errors="replace")[-3000:]
                print(f"!!! {name} failed (exit {code}); end of {log_file.relative_to(REPO_ROOT)}:\n{tail}")
                continue
            rows.extend(read_rows(result_file))
            print(f"--- {name}: {elapsed[name]:.0f} s", flush=True)

    total = time.monotonic() - started_all
    print(f"\n{'=' * 30} summary ({'full' if args.full else 'quick'} sizes) {'=' * 30}")
    print_table(rows)
    print(
        f"\ncold import: median (and min) of {args.runs} fresh interpreters of .local/bench-venv/bin/python"
        "\n  (Python 3.13 + boto3 only; the layer's requirements installed as sam build does;"
        " no cryptography)"
    )
    print("time per script: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in elapsed.items()))
    print(f"total {total:.0f} s; {load()}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
