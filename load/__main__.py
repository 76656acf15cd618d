"""`make load`: a bounded locust load test of the whole API, then a consistency check of the books.

    python -m load [--users 50] [--spawn-rate 5] [--run-time 60] [--host URL] [--max-workers N] ...

Without --host it starts its own LocalStack (in-memory DynamoDB Local, fake Bailian, the local
gateway with --max-workers worker processes per function, all started before the run) on free
ports; with --host it aims at an already running stack (`make dev`, which must use the fake
Bailian for the fault markers' outcomes to hold). Locust runs headless in a subprocess (gevent
stays out of this process); see load/locustfile.py for the traffic. Every flag has a LOAD_*
environment variable.

Afterwards, for every simulated user: statistics total_tokens == the sum of total_tokens over the
user's logged calls (all pages of /api/history/api-calls), and that history's total == the model
calls the client saw answered (rate-limited ones are refused before the model and not logged).
Exit status 0 only when no request failed, the books agree and locust ended normally.
Artifacts (locust CSVs and log, the ledger, the server log) go to --output (.local/load/<time>).
"""

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from load.checks import EndpointStats, Ledger, UserCheck, UserLedger, check_user, stats_table
from load.warmup import warm_up

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Measured on the 2-core box (see README of this package's docstring in load/__init__.py).
DEFAULT_MAX_WORKERS = 6
SETUP_ALLOWANCE_SECONDS = 120  # spawning, registering (argon2id) and locust's own start and stop
CONSOLE = sys.stdout  # the report; the stack's own prints (fake Bailian access lines) go to its log


def say(*parts: object) -> None:
    print(*parts, file=CONSOLE, flush=True)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"LOAD_{name}", default)


def run_time_seconds(value: str) -> int:
    """'90', '90s', '2m', '1m30s' -> seconds."""
    text, total, number = value.strip().lower(), 0, ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in "hms" and number:
            total += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise ValueError(f"not a duration: {value!r}")
    total += int(number) if number else 0
    if total <= 0:
        raise ValueError(f"not a positive duration: {value!r}")
    return total


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--users", type=int, default=int(_env("USERS", "50")), help="simulated users (50)")
    add(
        "--spawn-rate",
        type=float,
        default=float(_env("SPAWN_RATE", "5")),
        help="users started per second (5)",
    )
    add(
        "--run-time",
        type=run_time_seconds,
        default=_env("RUN_TIME", "60"),
        help="duration: 60, 90s, 2m (60 s)",
    )
    add(
        "--host", default=_env("HOST", "") or None, help="an already running API (e.g. http://127.0.0.1:3000)"
    )
    add(
        "--max-workers",
        type=int,
        default=int(_env("MAX_WORKERS", str(DEFAULT_MAX_WORKERS))),
        help=f"own stack: worker processes per function ({DEFAULT_MAX_WORKERS})",
    )
    add("--env-vars", type=Path, default=_env("ENV_VARS", "") or None, help="own stack: SAM --env-vars file")
    add("--wait", default=_env("WAIT", "0.5,1.5"), help="think time between a user's tasks, 'min,max' s")
    add(
        "--fault-rate", type=float, default=float(_env("FAULT_RATE", "0.03")), help="model calls with a fault"
    )
    add(
        "--max-requests",
        type=int,
        default=int(_env("MAX_REQUESTS", "100000")),
        help="stop the run after this many requests (100000; 0 = no cap)",
    )
    add("--stop-timeout", type=int, default=int(_env("STOP_TIMEOUT", "30")), help="seconds to finish tasks")
    add(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        default=_env("WARMUP", "1") != "0",
        help="own stack: skip starting every function's workers before the run",
    )
    add("--seed", type=int, default=int(_env("SEED", "0")), help="random seed (0: random)")
    add("--output", type=Path, default=_env("OUTPUT", "") or None, help="artifacts directory")
    args = parser.parse_args(argv)
    if args.users < 1 or args.spawn_rate <= 0:
        parser.error("--users and --spawn-rate must be positive")
    args.output = args.output or REPO_ROOT / ".local" / "load" / time.strftime("%Y%m%d-%H%M%S")
    return args


# ------------------------------------------------------------------ the stack


@contextlib.contextmanager
def server_output_to(log_path: Path) -> Iterator[None]:
    """The stack's logs (gateway logging, and the workers' stderr, which they inherit as fd 2) go
    to a file instead of the console, and so do prints to sys.stdout (the fake Bailian's access
    lines); the report goes to CONSOLE."""
    sys.stderr.flush()
    saved = os.dup(2)
    # A plain stream, not a FileHandler: uvicorn's logging.config.dictConfig closes every handler.
    with log_path.open("a", encoding="utf-8", buffering=1) as log_stream:
        os.dup2(log_stream.fileno(), 2)
        handler = logging.StreamHandler(log_stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        stdout, sys.stdout = sys.stdout, log_stream
        try:
            yield
        finally:
            sys.stdout = stdout
            root.removeHandler(handler)
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def target(args: argparse.Namespace) -> Iterator[str]:
    """The base URL to load: --host, or an own LocalStack for the duration."""
    if args.host:
        yield args.host.rstrip("/")
        return
    from local.stack import LocalStack  # only here: `--host` runs need no java

    with server_output_to(args.output / "server.log"):
        started = time.monotonic()
        stack = LocalStack(max_workers=args.max_workers, prewarm=True, env_vars=args.env_vars)
        with stack:
            say(
                f"stack: {stack.base_url} (DynamoDB Local in memory, fake Bailian, "
                f"{args.max_workers} workers per function) up in {time.monotonic() - started:.1f}s",
            )
            if args.warmup:
                started = time.monotonic()
                warm_up(stack.base_url, args.max_workers)
                elapsed = time.monotonic() - started
                say(f"warm-up: {args.max_workers} workers of every function started in {elapsed:.1f}s")
            yield stack.base_url


# ------------------------------------------------------------------ locust


def run_locust(args: argparse.Namespace, host: str, ledger_path: Path) -> tuple[int, float]:
    """Locust headless in its own process group; returns (exit code, seconds)."""
    prefix = args.output / "locust"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.run_time}s",
        "--stop-timeout",
        str(args.stop_timeout),
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--logfile",
        str(args.output / "locust.log"),
    ]
    env = {
        **os.environ,
        "CI": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "LOAD_LEDGER": str(ledger_path),
        "LOAD_WAIT": args.wait,
        "LOAD_FAULT_RATE": str(args.fault_rate),
        "LOAD_MAX_REQUESTS": str(args.max_requests),
        "LOAD_SEED": str(args.seed),
    }
    deadline = args.run_time + args.stop_timeout + SETUP_ALLOWANCE_SECONDS
    started = time.monotonic()
    with (args.output / "locust.out").open("wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            say(f"locust did not stop within {deadline}s: killing it")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = -9
        except BaseException:  # Ctrl-C or SIGTERM: stop locust too, then the stack
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            raise
    return code, time.monotonic() - started


# ------------------------------------------------------------------ the books


def _data(http: httpx.Client, path: str, token: str, **params) -> dict:
    response = http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()["data"]


def _token(http: httpx.Client, user: UserLedger) -> str:
    """The user's last access token if still good (a user may end logged out), else a fresh login."""
    if user.access_token:
        probe = http.get("/api/auth/user", headers={"Authorization": f"Bearer {user.access_token}"})
        if probe.status_code == 200:
            return user.access_token
    login = http.post("/api/auth/login", json={"username": user.username, "password": user.password})
    login.raise_for_status()
    return login.json()["data"]["access_token"]


def check_books(host: str, user: UserLedger) -> UserCheck:
    with httpx.Client(base_url=host, timeout=60) as http:
        try:
            token = _token(http, user)
            first = _data(http, "/api/history/api-calls", token, page=1, limit=100)
            calls, total = list(first["api_calls"]), first["pagination"]["total"]
            for page in range(2, first["pagination"]["total_pages"] + 1):
                calls.extend(_data(http, "/api/history/api-calls", token, page=page, limit=100)["api_calls"])
            statistics = _data(http, "/api/history/conversations/statistics", token)
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as error:
            return UserCheck(user.username, [f"could not read the books: {error!r}"], 0, 0)
    return check_user(user, calls, total, statistics)


def verify(host: str, ledger: Ledger) -> list[UserCheck]:
    users = [user for user in ledger.users if user.user_id is not None]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda user: check_books(host, user), users))


# ------------------------------------------------------------------ the report


def server_errors(log_path: Path, limit: int = 8) -> tuple[int, list[str]]:
    """Tracebacks and ERROR lines in the own stack's log."""
    if not log_path.exists():
        return 0, []
    hits = [
        line.rstrip()
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        if "Traceback" in line or " ERROR " in line or "[ERROR]" in line or '"level":"ERROR"' in line
    ]
    return len(hits), [hit[:300] for hit in hits[:limit]]


def report(args, host, code, seconds, ledger, checks) -> bool:
    """Prints the summary; True when the run passed."""
    rows = [EndpointStats(**row) for row in ledger.stats]
    total = rows[-1] if rows else None
    say()
    say(stats_table(rows) if rows else "no locust stats (locust failed to run: see locust.out)")
    say()
    users_started = len(ledger.users)
    users_ok = sum(1 for user in ledger.users if user.user_id is not None)
    rate_limited = sum(user.rate_limited for user in ledger.users)
    model_calls = sum(user.model_logged for user in ledger.users)
    say(
        f"target {host}: {args.users} users (spawn {args.spawn_rate}/s, "
        f"{users_ok}/{users_started} signed in), "
        f"{args.run_time}s run, locust took {seconds:.0f}s, exit {code}"
    )
    if total:
        say(
            f"requests {total.requests}, failures {total.failures}, {total.rps:.1f} req/s; "
            f"model calls answered {model_calls}, rate-limited (429, expected) {rate_limited}"
        )
    passed = code == 0 and total is not None and total.failures == 0 and users_ok == users_started
    if ledger.errors:
        say("\nFAILURES (method endpoint: error, count):")
        for error, count in sorted(ledger.errors.items(), key=lambda item: -item[1]):
            say(f"  {error} x{count}")
        say(f"\nfirst failures in full: {args.output / 'ledger.json'} ('failures')")
        for failure in ledger.failures[:5]:
            say(
                f"  {failure['request']} body={str(failure['request_body'])[:200]}\n"
                f"    -> {failure['status']} {' '.join(failure['response'].split())[:300]}"
            )
    if ledger.exceptions:
        passed = False
        say("\nEXCEPTIONS in the locustfile:")
        for exception in ledger.exceptions[:5]:
            say("  " + exception.strip().replace("\n", "\n  "))
    bad = [check for check in checks if check.problems]
    unknown = sum(user.model_unknown for user in ledger.users)
    in_flight = [user.in_flight for user in ledger.users if user.in_flight]
    say(
        f"\nconsistency: {len(checks) - len(bad)}/{len(checks)} users' statistics and call history agree "
        f"({sum(c.logged_calls for c in checks)} logged calls, {sum(c.total_tokens for c in checks)} tokens"
        f"{f', {unknown} calls of unknown outcome allowed' if unknown else ''})"
    )
    if in_flight:
        say(f"  requests cut off when the users stopped: {', '.join(in_flight[:5])}")
    for check in bad[:20]:
        say(f"  {check.username}: " + "; ".join(check.problems))
    count, samples = server_errors(args.output / "server.log")
    if count:
        say(f"\nserver log: {count} error lines in {args.output / 'server.log'}, e.g.")
        for sample in samples:
            say(f"  {sample}")
    passed = passed and not bad and bool(checks)
    say(f"\nload test {'PASSED' if passed else 'FAILED'} (artifacts in {args.output})")
    return passed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the stack (java, workers) is stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.output.mkdir(parents=True, exist_ok=True)
    ledger_path = args.output / "ledger.json"
    began = time.monotonic()
    try:
        with target(args) as host:
            say(
                f"locust: {args.users} users, spawn {args.spawn_rate}/s, {args.run_time}s, "
                f"wait {args.wait}s, fault rate {args.fault_rate} ...",
            )
            code, seconds = run_locust(args, host, ledger_path)
            if not ledger_path.exists():
                say(f"locust wrote no ledger (exit {code}); its output: {args.output / 'locust.out'}")
                say((args.output / "locust.out").read_text(errors="replace")[-3000:])
                return 1
            ledger = Ledger.from_json(ledger_path.read_text(encoding="utf-8"))
            checks = verify(host, ledger)
    except KeyboardInterrupt:
        return 130
    passed = report(args, host, code, seconds, ledger, checks)
    say(f"total wall time {time.monotonic() - began:.0f}s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
