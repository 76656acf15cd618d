"""Benchmark (not a test): what a cold start's first call costs over a warm one, in-process.

Each function runs in a fresh interpreter (the Lambda-like one of bench_cold_import: Python 3.13 +
boto3, the layer as `make build` ships it, byte-compiled): `import app` (the init phase, timed),
then its sample event once (the first call) and WARM_CALLS more times (warm), against DynamoDB
Local and the fake Bailian. Reported: init ms, first-call wall and CPU ms, the warm median, and
first - warm (the issue's target: <= 40 ms). Both endpoints are plain HTTP here, so the TLS
handshakes of a real first call (DynamoDB, DashScope) are not in these figures; the SSL context
httpx builds is.

    .venv/bin/python -m bench.bench_first_call [--runs 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench import bench_cold_import as cold
from bench.sample_session import sample_session_tokens, with_live_tokens
from bench.support import Row, add_json_argument, configure_in_process, write_rows
from local import fake_bailian, sample_events
from local.dynamodb_local import ensure_table
from local.function_env import lambda_like_environment
from local.stack import run_dynamodb_local
from local.template import Template

TABLE = "bench-first-call"
FAKE_KEY = "sk-bench-first-call"
TARGET_MS = 40
WARM_CALLS = 10
# One per kind: the authorizer, a public write (argon2), a read, the model proxy, a static list.
FUNCTIONS = ("authorizer", "auth_login", "conversations_list", "bailian_chat_completions", "v1_models")
# Set to a Python script to run it as the child instead (it gets the event file and the count).
PROFILE_VARIABLE = "BENCH_FIRST_CALL_CHILD"
CHILD = """
import json, os, sys, time
started = time.perf_counter(); cpu = time.process_time()
import app
init = {"wall": (time.perf_counter() - started) * 1000, "cpu": (time.process_time() - cpu) * 1000}
event = json.load(open(sys.argv[1]))
class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]; function_version = "$LATEST"
    memory_limit_in_mb = 512; aws_request_id = "bench"; invoked_function_arn = "arn:aws:lambda:bench"
    def get_remaining_time_in_millis(self): return 10_000
def call():
    wall, cpu = time.perf_counter(), time.process_time()
    result = app.handler(event, Context())
    status = result.get("statusCode", 200) if isinstance(result, dict) else 200
    return {"wall": (time.perf_counter() - wall) * 1000, "cpu": (time.process_time() - cpu) * 1000,
            "status": status}
first = call()
warm = [call() for _ in range(int(sys.argv[2]))]
print(json.dumps({"init": init, "first": first, "warm": warm}))
"""


def local_environment(function, endpoint: str, fake_url: str) -> dict[str, str]:
    env = lambda_like_environment(function)
    env.update(
        DYNAMODB_ENDPOINT=endpoint,
        JWT_ISSUER="bailian-chat-api",  # the issuer of the parent's tokens (the default)
        JWT_SECRET_ARN="",
        API_KEY_DIGEST_SECRET_ARN="",
        BAILIAN_API_KEY_SECRET_ARN="",
        JWT_SECRET="bench-secret-" + "x" * 32,
        API_KEY_DIGEST_SECRET="bench-api-key-digest-" + "x" * 32,
        BAILIAN_BASE_URL=fake_url,
        DASHSCOPE_API_KEY=FAKE_KEY,
        RATE_LIMIT_PER_MINUTE="1000000",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        POWERTOOLS_LOG_LEVEL="ERROR",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    return env


def seed(template: Template) -> dict[str, dict]:
    """The sample user, their live session and the sample events with its tokens."""
    from bailian_chat.auth import service
    from bailian_chat.auth.models import RegisterRequest

    with sample_events.sequential_ids():  # the sample events carry user 1
        service.register(RegisterRequest(**sample_events.SAMPLE_USER))
    live = sample_session_tokens()
    events = sample_events.function_events(template)
    return {name: with_live_tokens(events[name], live) for name in FUNCTIONS}


def run_child(python: Path, root: Path, name: str, env: dict, event_file: Path) -> dict:
    env = {**env, "PYTHONPATH": f"{root / 'functions' / name}:{root / 'opt' / 'python'}"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [str(python), "-c", os.environ.get(PROFILE_VARIABLE) or CHILD, str(event_file), str(WARM_CALLS)],
        env=env,
        cwd=root / "functions" / name,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stderr[-3000:]}")
    if os.environ.get(PROFILE_VARIABLE):  # another child's output (e.g. a cProfile run), shown as is
        print(result.stdout, result.stderr[-2000:])
        raise SystemExit(0)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    statuses = {measured["first"]["status"], *(w["status"] for w in measured["warm"])}
    if not statuses <= {200}:
        raise SystemExit(f"{name}: its sample event answered {statuses}: {result.stderr[-2000:]}")
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh interpreters per function (median)")
    add_json_argument(parser)
    args = parser.parse_args()
    python = cold.ensure_interpreter()
    layer_packages = cold.ensure_layer_packages(python)
    template = Template(resource_values={"Table": TABLE})
    functions = {f.code_uri.name: f for f in template.functions.values()}
    samples: dict[str, list[dict]] = {name: [] for name in FUNCTIONS}
    with (
        tempfile.TemporaryDirectory(prefix="bench-first-call-") as tmp,
        run_dynamodb_local() as dynamodb_local,
        fake_bailian.serve(api_key=FAKE_KEY, access_log=False) as fake,
    ):
        # the cache of every function, as make build ships it; only that copy
        root = cold.stage_artifacts(
            Path(tmp), layer_packages, python, list(functions.values()), wanted=("make build",)
        )["make build"]
        ensure_table(dynamodb_local.endpoint, TABLE)
        configure_in_process(dynamodb_local.endpoint, TABLE)
        events = seed(template)
        for _ in range(args.runs):  # interleaved: every function sees the same machine load
            for name in FUNCTIONS:
                event_file = Path(tmp) / f"{name}.json"
                event_file.write_text(json.dumps(events[name]))
                env = local_environment(functions[name], dynamodb_local.endpoint, fake.base_url)
                samples[name].append(run_child(python, root, name, env, event_file))
    write_rows(args.json, report(samples, args.runs))


def report(samples: dict[str, list[dict]], runs: int) -> list[Row]:
    print(f"\nfirst call vs warm, median of {runs} fresh interpreters ({WARM_CALLS} warm calls each), ms")
    print("(extra: first - warm wall ms, the target; cpu: the same in CPU ms, which load does not inflate)")
    columns = f"{'init':>7} {'first':>7} {'first cpu':>9} {'warm':>6} {'warm cpu':>8} {'extra':>7} {'cpu':>6}"
    print(f"{'function':<26} {columns}")
    rows = []
    for name, runs_of in samples.items():
        init = statistics.median(r["init"]["wall"] for r in runs_of)
        first = statistics.median(r["first"]["wall"] for r in runs_of)
        first_cpu = statistics.median(r["first"]["cpu"] for r in runs_of)
        warm = statistics.median(statistics.median(w["wall"] for w in r["warm"]) for r in runs_of)
        warm_cpu = statistics.median(statistics.median(w["cpu"] for w in r["warm"]) for r in runs_of)
        extra, extra_cpu = first - warm, first_cpu - warm_cpu
        mark = "ok" if extra <= TARGET_MS else f"> {TARGET_MS}"
        print(
            f"{name:<26} {init:>7.1f} {first:>7.1f} {first_cpu:>9.1f} {warm:>6.1f} {warm_cpu:>8.1f} "
            f"{extra:>+7.1f} {extra_cpu:>+6.1f} {mark}"
        )
        rows.append(
            Row("first call", f"{name}: first call - warm", round(extra, 1), "ms", "target", TARGET_MS,
                note=f"CPU {extra_cpu:+.1f} ms; first {first:.0f} ms, warm {warm:.1f} ms; init {init:.0f} ms")
        )  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
