"""`make fuzz`: schemathesis over every operation of the OpenAPI document, against the local stack.

    python -m local.fuzz [--max-examples 50] [--seed 20240601] [--workers 2] [--phases ...]

Starts a LocalStack (in-memory DynamoDB Local, fake Bailian, a rate limit high enough never to
trip, a short model deadline), registers and logs in a fresh fuzz user (plus a few conversations
and messages of its own and of another user, so ids hit 200 and 403 as well as 404), and runs
`schemathesis run` on the committed document (functions/docs/openapi.json), every phase
(examples: the spec's request bodies; coverage; fuzzing; stateful, over links schemathesis infers),
positive and negative data, with these checks:

    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance

Protected operations carry the fuzz user's bearer token (local/fuzz_hooks.py); register, login and
refresh get generated bodies. Logout is fuzzed too: after it revokes the session, the next 401
makes schemathesis log in again and replay that request. A bounded number of examples per
operation and a fixed seed keep the run deterministic and about a minute or two on two cores.

Prints schemathesis' report, then responses per operation by status code (how deep the generated
requests got) and the functions' unhandled exceptions, if any. The stack's own output goes to
.local/fuzz/stack.log. Exits non-zero on any failure.
"""

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import httpx

from local.openapi_document import DOCUMENT_PATH, GENERATE_COMMAND, build_document, render
from local.stack import LocalStack
from local.template import REPO_ROOT

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")
FUZZ_ENV_VARS = {
    "Parameters": {
        "RATE_LIMIT_PER_MINUTE": "100000",  # the per-user model-call limit must not answer 429s
        "BAILIAN_DEADLINE_SECONDS": "3",  # a generated "#fault:timeout" costs seconds, not 25
        # Generated wrong current passwords (PUT /api/auth/password, DELETE /api/auth/user) take
        # login attempt slots: the fuzz user's re-login after a generated logout must never lock.
        "LOGIN_MAX_FAILURES": "1000000",
    }
}
FAKE_BAILIAN_TIMEOUT_DELAY = 5.0
REPORT_DIR = REPO_ROOT / ".local" / "fuzz"


def _ok(response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.text}")
    return response.json()["data"]


def seed_users(api: httpx.Client) -> tuple[str, str]:
    """The fuzz user (returned as username, password) and another user, each with a few
    conversations and messages: small ids then exist, are the fuzz user's (200) or not (403)."""
    password = secrets.token_urlsafe(18)
    users = []
    for role in ("fuzz", "other"):
        username = f"{role}-{secrets.token_hex(4)}"
        _ok(
            api.post(
                "/api/auth/register",
                json={"username": username, "email": f"{username}@example.com", "password": password},
            )
        )
        token = _ok(api.post("/api/auth/login", json={"username": username, "password": password}))
        users.append((username, token["access_token"]))
    for username, token in reversed(users):  # the other user's ids first: the fuzz user's are 2..
        headers = {"Authorization": f"Bearer {token}"}
        for title in ("first", "second"):
            conversation = _ok(
                api.post(
                    "/api/conversations", json={"model_name": "qwen-plus", "title": title}, headers=headers
                )
            )
            path = f"/api/conversations/{conversation['conversation_id']}/messages"
            text = {"content": [{"type": "text", "text": f"hello from {username}"}]}
            _ok(api.post(path, json={**text, "generate": False}, headers=headers))
            _ok(api.post(path, json=text, headers=headers))
        _ok(
            api.post(
                "/api/bailian/chat/completions",
                headers=headers,
                json={"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]},
            )
        )
    return users[0][0], password


def schemathesis_command(base_url: str, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(DOCUMENT_PATH),
        "--url",
        base_url,
        "--checks",
        ",".join(CHECKS),
        "--phases",
        args.phases,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--mode",
        "all",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(REPORT_DIR),
        "--no-color",
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.fuzz", description="Contract fuzzing with schemathesis."
    )
    parser.add_argument("--max-examples", type=int, default=50, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20240601, help="schemathesis/hypothesis seed")
    parser.add_argument("--workers", type=int, default=2, help="concurrent schemathesis workers")
    parser.add_argument("--phases", default=",".join(PHASES), help="schemathesis phases")
    return parser.parse_args(argv)


@contextlib.contextmanager
def stack_output_to(path: Path) -> Iterator[TextIO]:
    """Sends this process's stdout and stderr, and so the stack's (gateway, Lambda workers, DynamoDB
    Local, fake Bailian: they inherit them), to a log file; yields a stream to the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        with os.fdopen(os.dup(saved[0]), "w", buffering=1, encoding="utf-8") as console:
            yield console
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)


def status_summary(stats_path: Path) -> str:
    """Responses per operation by status code: how deep the generated requests got."""
    counts: dict[str, Counter[int]] = {}
    if stats_path.exists():
        for line in stats_path.read_text(encoding="utf-8").splitlines():
            label, _, status = line.rpartition("\t")
            counts.setdefault(label, Counter())[int(status)] += 1
    width = max((len(label) for label in counts), default=10)
    lines = [f"{'operation':<{width}}  requests  by status"]
    for label in sorted(counts, key=lambda text: (text.split(" ", 1)[-1], text)):
        by_status = " ".join(f"{code}:{n}" for code, n in sorted(counts[label].items()))
        lines.append(f"{label:<{width}}  {sum(counts[label].values()):>8}  {by_status}")
    return "\n".join(lines)


def server_errors(log_path: Path) -> list[str]:
    """The distinct exceptions behind the functions' 500s (their "Unhandled error" log lines)."""
    found: dict[str, None] = {}
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "Unhandled error" not in line or "{" not in line:
            continue
        try:
            record = json.loads(line[line.index("{") :])
        except ValueError:
            continue
        exception = (record.get("exception") or "").strip().splitlines()
        found[f"{record.get('function_name', '?')}: {exception[-1] if exception else '?'}"] = None
    return list(found)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    if not DOCUMENT_PATH.exists() or DOCUMENT_PATH.read_text(encoding="utf-8") != render(build_document()):
        print(
            f"fuzz: {DOCUMENT_PATH.relative_to(REPO_ROOT)} is stale: run `{GENERATE_COMMAND}`",
            file=sys.stderr,
        )
        return 2
    stack_log, stats_path = REPORT_DIR / "stack.log", REPORT_DIR / "responses.tsv"
    stats_path.unlink(missing_ok=True)
    with stack_output_to(stack_log) as console:
        console.write(
            f"fuzz: starting the local stack (its output: {stack_log.relative_to(REPO_ROOT)}) ...\n"
        )
        with LocalStack(
            env_vars=FUZZ_ENV_VARS, fake_bailian_timeout_delay=FAKE_BAILIAN_TIMEOUT_DELAY, prewarm=True
        ) as stack:
            with httpx.Client(base_url=stack.base_url, timeout=30) as api:
                username, password = seed_users(api)
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
                "SCHEMATHESIS_HOOKS": "local.fuzz_hooks",
                "FUZZ_API_URL": stack.base_url,
                "FUZZ_USERNAME": username,
                "FUZZ_PASSWORD": password,
                "FUZZ_STATS_PATH": str(stats_path),
            }
            command = schemathesis_command(stack.base_url, args)
            console.write(f"fuzz: stack at {stack.base_url}; fuzz user {username}\n")
            console.write("fuzz: schemathesis " + " ".join(command[3:]) + "\n")
            console.flush()
            result = subprocess.run(
                command, env=env, cwd=REPORT_DIR, stdout=console, stderr=console, check=False
            )
    elapsed = time.monotonic() - started
    print("\nfuzz: responses per operation\n" + status_summary(stats_path))
    errors = server_errors(stack_log)
    if errors:
        print(f"\nfuzz: the functions' unhandled errors (tracebacks in {stack_log.relative_to(REPO_ROOT)}):")
        print("\n".join(f"  {error}" for error in errors))
    verdict = "no failures" if result.returncode == 0 else f"FAILED (schemathesis exit {result.returncode})"
    print(f"\nfuzz: {verdict} in {elapsed:.0f}s (JUnit report in {REPORT_DIR.relative_to(REPO_ROOT)})")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
