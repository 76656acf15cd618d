"""Benchmark (not a test) of the model path, side by side in one run:

1. p50/p95 latency of a proxied call (POST /api/bailian/chat/completions through the local gateway:
   authorizer, rate limit, the call, its log item and rollup) vs the same request sent straight to
   the fake Bailian: the overhead we add; with 1 client (interleaved) and with --clients at once
   (requests per second and p50, side by side).
2. DynamoDB calls per proxied call (authorizer + handler, counted in-process on the same code).
3. Statistics latency and items read with 100 vs 20,000 logged calls.

    .venv/bin/python -m bench.bench_model_path [--calls 100] [--clients 8] [--large 20000] [--json rows.json]

(`python -m bench` runs it with --large 2000 unless given --full.)
"""

import argparse
import contextlib
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.support import (
    CallCounter,
    Row,
    add_json_argument,
    configure_in_process,
    measure,
    percentile,
    time_ms,
    write_rows,
)
from local import fake_bailian
from local.dynamodb_local import ensure_table
from local.stack import LocalStack, run_dynamodb_local

MODELS = ("qwen-plus", "qwen-max", "qwen-vl-max-latest")
DAYS = 30
PROMPT = {"model": "qwen-plus", "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}
FAKE_KEY = "sk-bench-fake"
BENCH_ENV = {"Parameters": {"RATE_LIMIT_PER_MINUTE": "1000000"}}


def login(api: httpx.Client) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    credentials = {"username": name, "email": f"{name}@example.com", "password": "bench-password"}
    api.post("/api/auth/register", json=credentials).raise_for_status()
    response = api.post("/api/auth/login", json={"username": name, "password": "bench-password"})
    return response.json()["data"]["access_token"]


def concurrent(request, clients: int, calls: int) -> dict:
    """`clients` threads sending `calls` requests each: requests per second and p50 latency."""
    started = time.perf_counter()

    def client(_: int) -> list[float]:
        return [time_ms(request) for _ in range(calls)]

    with ThreadPoolExecutor(max_workers=clients) as pool:
        timings = [ms for batch in pool.map(client, range(clients)) for ms in batch]
    return {"rps": len(timings) / (time.perf_counter() - started), "p50": percentile(timings, 0.5)}


def serial(timings: list[float]) -> dict:
    """`concurrent`'s figures for one client sending its requests one after another."""
    return {"rps": 1000 * len(timings) / sum(timings), "p50": percentile(timings, 0.5)}


def latency_rows(calls: int, clients: int) -> list[dict]:
    # The stack's fake Bailian prints an access line per request: keep them off stdout.
    with (
        contextlib.redirect_stdout(sys.stderr),
        LocalStack(env_vars=BENCH_ENV, prewarm=True) as stack,
        httpx.Client(base_url=stack.base_url) as api,
    ):
        headers = {"Authorization": f"Bearer {login(api)}"}
        upstream = httpx.Client(headers={"Authorization": f"Bearer {stack.bailian_api_key}"})
        direct_url = f"{stack.bailian_base_url}/chat/completions"
        upstream_body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "Hi"}]}

        def proxied() -> None:
            api.post("/api/bailian/chat/completions", json=PROMPT, headers=headers).raise_for_status()

        def direct() -> None:
            upstream.post(direct_url, json=upstream_body).raise_for_status()

        for warm in (proxied, direct):
            for _ in range(5):
                warm()
        proxied_ms, direct_ms = [], []
        for _ in range(calls):  # interleaved, so both see the same machine load
            proxied_ms.append(time_ms(proxied))
            direct_ms.append(time_ms(direct))
        many = {
            "proxied": concurrent(proxied, clients, max(1, calls // clients)),
            "direct": concurrent(direct, clients, max(1, calls // clients)),
        }
        upstream.close()
    # One client is the interleaved run itself: one request after another.
    one = {name: serial(timings) for name, timings in (("proxied", proxied_ms), ("direct", direct_ms))}
    return [
        {
            "label": "proxied call via local gateway",
            "p50": percentile(proxied_ms, 0.5),
            "p95": percentile(proxied_ms, 0.95),
            "one": one["proxied"],
            "many": many["proxied"],
        },
        {
            "label": "same request straight to fake",
            "p50": percentile(direct_ms, 0.5),
            "p95": percentile(direct_ms, 0.95),
            "one": one["direct"],
            "many": many["direct"],
        },
    ]


def dynamodb_calls_per_proxied_call(endpoint: str, table: str) -> dict:
    """Counts the calls of one proxied request on the same code the functions run."""
    from bailian_chat.auth import service
    from bailian_chat.auth.access import authenticate_with_role
    from bailian_chat.auth.models import LoginRequest, RegisterRequest
    from bailian_chat.chat import completions
    from bailian_chat.chat.models import ChatCompletionRequest
    from bailian_chat.store import dynamodb
    from bailian_chat.usage.model_calls import CallSource

    service.register(RegisterRequest(username="calls", email="calls@example.com", password="bench-password"))
    tokens, user = service.login(LoginRequest(username="calls", password="bench-password"), "127.0.0.1")
    counter = CallCounter(dynamodb.client())
    _, _, limits = authenticate_with_role(tokens.access_token)
    source = CallSource(  # as API Gateway hands it on: the spend limits the authorizer read
        user_id=user["user_id"],
        client_ip="127.0.0.1",
        api_endpoint="/api/bailian/chat/completions",
        spend_limits=limits,
    )
    request = ChatCompletionRequest.model_validate(PROMPT)
    authorizer = measure("authorizer", lambda: authenticate_with_role(tokens.access_token), counter, 3)
    handler = measure("handler", lambda: completions.complete(source, request), counter, 3)
    return {"authorizer": authorizer["calls"], "handler": handler["calls"]}


def seed_calls(user_id: int, count: int) -> None:
    from bailian_chat.store import model_call_items

    def record(i: int) -> None:
        day = f"2026-10-{1 + i % DAYS:02d}"
        model = MODELS[(i // DAYS) % len(MODELS)]
        tokens = random.randint(10, 500)
        call = {
            "user_id": user_id,
            "model_name": model,
            "api_endpoint": "/api/bailian/chat/completions",
            "status_code": 200,
            "request_tokens": tokens // 2,
            "response_tokens": tokens - tokens // 2,
            "total_tokens": tokens,
            "call_duration": 100,
            "client_ip": "127.0.0.1",
            "created_at": f"{day}T12:00:00Z",
        }
        model_call_items.record_call(call, 1_790_000_000_000 + i, day)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(record, range(count)))


def statistics_rows(counter: CallCounter, large: int) -> list[dict]:
    from bailian_chat.usage import statistics
    from bailian_chat.usage.dates import date_range

    seed_calls(1001, 100)
    seed_calls(1002, large)
    everything = date_range(None, None)
    return [
        measure(
            "statistics, 100 logged calls", lambda: statistics.statistics(1001, everything, None), counter, 20
        ),
        measure(
            f"statistics, {large} logged calls",
            lambda: statistics.statistics(1002, everything, None),
            counter,
            20,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients beside the single one")
    parser.add_argument("--large", type=int, default=20_000)
    add_json_argument(parser)
    args = parser.parse_args()

    latency = latency_rows(args.calls, args.clients)
    with run_dynamodb_local() as dynamodb_local:
        table = "bench-model-path"
        ensure_table(dynamodb_local.endpoint, table)
        with fake_bailian.serve(api_key=FAKE_KEY, access_log=False) as fake:
            configure_in_process(
                dynamodb_local.endpoint,
                table,
                BAILIAN_BASE_URL=fake.base_url,
                DASHSCOPE_API_KEY=FAKE_KEY,
                RATE_LIMIT_PER_MINUTE="1000000",
            )
            per_call = dynamodb_calls_per_proxied_call(dynamodb_local.endpoint, table)
        from bailian_chat.store import dynamodb

        stats = statistics_rows(CallCounter(dynamodb.client()), args.large)

    print(f"\n{'request':<40} {'p50 ms':>8} {'p95 ms':>8}")
    for row in latency:
        print(f"{row['label']:<40} {row['p50']:>8.2f} {row['p95']:>8.2f}")
    overhead = latency[0]["p50"] - latency[1]["p50"]
    print(f"overhead we add (p50): {overhead:.2f} ms over {args.calls} interleaved calls")
    print(f"\n{'request':<40} {'1 client':>18} {f'{args.clients} clients':>18}")
    for row in latency:
        one, many = row["one"], row["many"]
        print(
            f"{row['label']:<40} {one['rps']:>6.1f} req/s {one['p50']:>5.1f} ms"
            f" {many['rps']:>6.1f} req/s {many['p50']:>5.1f} ms"
        )
    total = per_call["authorizer"] + per_call["handler"]
    print(f"\nDynamoDB calls per proxied call: {total}")
    print(f"  authorizer {per_call['authorizer']} + handler {per_call['handler']}")
    print(f"\n{'request':<40} {'median ms':>10} {'calls':>6} {'items read':>11}")
    for row in stats:
        print(f"{row['label']:<40} {row['median_ms']:>10.2f} {row['calls']:>6} {row['items']:>11}")
    print(
        f"ratio large/small statistics: {stats[1]['median_ms'] / stats[0]['median_ms']:.2f}x time, "
        f"{stats[1]['items']}/{stats[0]['items']} items"
    )
    write_rows(args.json, summary_rows(latency, per_call, stats, args))


def summary_rows(latency: list[dict], per_call: dict, stats: list[dict], args) -> list[Row]:
    proxied, direct = latency
    calls = f"{args.calls} interleaved calls each"
    return [
        Row("model path", "proxied call p50 (local gateway)", proxied["p50"], "ms",
            "straight to the fake, p50", direct["p50"],
            f"+{proxied['p50'] - direct['p50']:.1f} ms overhead; {calls}"),
        Row("model path", "proxied call p95", proxied["p95"], "ms",
            "straight to the fake, p95", direct["p95"], f"+{proxied['p95'] - direct['p95']:.1f} ms"),
        Row("model path", "proxied calls/s, 1 client", proxied["one"]["rps"], "req/s",
            "straight to the fake, 1 client", direct["one"]["rps"], f"p50 {proxied['one']['p50']:.1f} ms"),
        Row("model path", f"proxied calls/s, {args.clients} clients", proxied["many"]["rps"], "req/s",
            f"straight to the fake, {args.clients} clients", direct["many"]["rps"],
            f"p50 {proxied['many']['p50']:.1f} ms vs {direct['many']['p50']:.1f} ms"),
        Row("model path", "DynamoDB calls per proxied call", per_call["authorizer"] + per_call["handler"],
            "calls", note=f"authorizer {per_call['authorizer']} + handler {per_call['handler']}"),
        Row("model path", f"statistics, {args.large:,} logged calls", stats[1]["median_ms"], "ms",
            "same, 100 logged calls", stats[0]["median_ms"],
            f"{stats[1]['items']} vs {stats[0]['items']} items read (daily rollups)"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
