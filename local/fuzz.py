"""`make fuzz`: schemathesis over every operation of the OpenAPI document, against the local stack.

    python -m local.fuzz [--max-examples 30] [--seed 20240601] [--workers 2] [--phases ...]

Starts a LocalStack (in-memory DynamoDB Local, fake Bailian, a rate limit high enough never to
trip, a short model deadline), registers and logs in a fresh fuzz user (plus a few conversations
and messages of its own and of another user, so ids hit 200 and 403 as well as 404), and runs
`schemathesis run` on the committed document (functions/docs/openapi.json) with these checks:

    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance

Protected operations carry the fuzz user's bearer token (local/fuzz_hooks.py); register, login and
refresh get generated bodies. A bounded number of examples per operation and a fixed seed keep
the run deterministic and a few minutes long on two cores. Exits non-zero on any failure.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

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
PHASES = ("examples", "coverage", "fuzzing")
FUZZ_ENV_VARS = {
    "Parameters": {
        "RATE_LIMIT_PER_MINUTE": "100000",  # the per-user model-call limit must not answer 429s
        "BAILIAN_DEADLINE_SECONDS": "3",  # a generated "#fault:timeout" costs seconds, not 25
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
    parser.add_argument("--max-examples", type=int, default=30, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20240601, help="schemathesis/hypothesis seed")
    parser.add_argument("--workers", type=int, default=2, help="concurrent schemathesis workers")
    parser.add_argument("--phases", default=",".join(PHASES), help="schemathesis phases")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    if not DOCUMENT_PATH.exists() or DOCUMENT_PATH.read_text(encoding="utf-8") != render(build_document()):
        print(
            f"fuzz: {DOCUMENT_PATH.relative_to(REPO_ROOT)} is stale: run `{GENERATE_COMMAND}`",
            file=sys.stderr,
        )
        return 2
    print("fuzz: starting the local stack ...", flush=True)
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
        }
        command = schemathesis_command(stack.base_url, args)
        print(f"fuzz: stack at {stack.base_url}; fuzz user {username}", flush=True)
        print("fuzz: " + " ".join(command[2:]), flush=True)
        result = subprocess.run(command, env=env, cwd=REPO_ROOT, check=False)
    elapsed = time.monotonic() - started
    verdict = "no failures" if result.returncode == 0 else f"FAILED (schemathesis exit {result.returncode})"
    print(f"fuzz: {verdict} in {elapsed:.0f}s; JUnit report in {Path(REPORT_DIR).relative_to(REPO_ROOT)}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
