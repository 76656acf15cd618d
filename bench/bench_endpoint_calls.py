"""Benchmark (not a test): DynamoDB calls and round trips per request for every endpoint, plus the
authorizer's in front of each protected one.

Every function in template.yaml is invoked in-process with its sample event (the same ones
as events/, built by local/sample_events.py) against Amazon's DynamoDB Local (in memory), with the
fake Bailian as the model. Calls are counted with botocore's `before-call.dynamodb` event on the
layer's one DynamoDB client, so every API call counts (GetItem, Query pages, TransactWriteItems,
BatchWriteItem ...), retries excluded. Round trips: calls whose intervals (from the call's first
event, provide-client-params, to its after-call, from any thread) overlap are one, as reads made
at once (store.concurrent_reads) are;
issue 15's targets apply to round trips, the calls are shown beside them. The functions run in a
life-cycle order on one table: register, login, create, read, send, ..., delete, logout; so the
data is small (one user, one conversation, a few messages): the cost at scale is bench_paging's
and bench_model_path's.

CPU and wall ms per request: the handler's own (the calling thread's CPU, `time.thread_time`, and
its read pool's threads': the fake Bailian's server thread and DynamoDB Local's JVM are not in
it), in-process, so the local gateway's overhead is not in it either; the median of REPEAT more
calls where the request can be repeated (reads, and the writes in REPEATABLE), else that one call
(marked `1x`).

    .venv/bin/python -m bench.bench_endpoint_calls
"""

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench import spend_variants
from bench.sample_session import (
    sample_session_tokens,
    with_authorizer_spend_limits,
    with_current_password,
    with_live_tokens,
)
from bench.support import (
    CallCounter,
    ReadPoolCpu,
    Row,
    add_json_argument,
    configure_in_process,
    import_function,
    write_rows,
)
from local import fake_bailian, sample_events
from local.dynamodb_local import ensure_table
from local.stack import run_dynamodb_local
from local.template import Template

TABLE = "bench-endpoint-calls"
# Issue 15's round-trip targets (authorizer included); every other GET is a read: at most READS.
TARGETS = {"bailian_chat_completions": 3, "messages_send": 6, "auth_login": 4}
READS = 2
FAKE_KEY = "sk-bench-endpoint-calls"
# Life-cycle order; functions not named here (new ones) run after FIRST and before LAST.
FIRST = (
    "auth_register",
    "auth_login",
    "auth_refresh",
    "authorizer",
    "auth_user",
    "conversations_create",
    "conversations_list",
    "conversations_get",
    "conversations_update",
    "messages_send",
    "messages_list",
    "bailian_chat_completions",
    "history_api_calls",
    "history_statistics",
)
# The account's deletion last of all, with the sample session made again after the logout.
LAST = ("messages_delete", "conversations_delete", "auth_logout", "auth_user_delete")
REPEAT = 15
# Requests measured again with other query parameters (the sample event takes one path only).
OTHER_QUERIES = {"admin_users_list": [("no search", {"page": "1", "limit": "10"})]}
# Writes that answer the same when sent again (reads always may be).
REPEATABLE = frozenset(
    {
        "auth_login",
        "conversations_create",
        "conversations_update",
        "messages_send",
        "bailian_chat_completions",
        "v1_chat_completions",
    }
)


@dataclass
class LambdaContext:
    function_name: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def ordered(functions: list[str]) -> list[str]:
    middle = sorted(set(functions) - set(FIRST) - set(LAST))
    return [f for f in FIRST if f in functions] + middle + [f for f in LAST if f in functions]


class OperationLog:
    """The DynamoDB operations (GetItem, Query, ...) a client makes, in order."""

    def __init__(self, client) -> None:
        self.names: list[str] = []
        client.meta.events.register("before-call.dynamodb", self._record)

    def _record(self, model=None, **_kwargs) -> None:
        self.names.append(model.name if model is not None else "?")


def summarize(names: list[str]) -> str:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name}" + (f" x{n}" if n > 1 else "") for name, n in counts.items())


def run(
    counter: CallCounter, operations: OperationLog, template: Template, pool_cpu: ReadPoolCpu
) -> list[dict]:
    events = sample_events.function_events(template)
    authorizer_dir = next(
        template.functions[a.function_id].code_uri.name for a in template.authorizers.values()
    )
    routes = {route.function.code_uri.name: route for route in template.routes}
    modules = {
        name: import_function(name) for name in events if not getattr(routes.get(name), "streaming", False)
    }
    live: dict[str, str] = {}
    results = []

    def invoke(name: str, event: dict) -> tuple[Any, dict]:
        """The handler's result and what it cost: DynamoDB calls, items read, operations, ms."""
        calls, items = counter.snapshot()
        mark = counter.mark()
        operations.names.clear()
        started, cpu = time.perf_counter(), time.thread_time() + pool_cpu.seconds
        result = modules[name].handler(event, LambdaContext(function_name=name))
        cost = {
            "ms": (time.perf_counter() - started) * 1000,
            "cpu": (time.thread_time() + pool_cpu.seconds - cpu) * 1000,
            "handler": counter.calls - calls,
            "trips": counter.round_trips_since(mark),
            "items": counter.items_read - items,
            "operations": summarize(operations.names),
        }
        return result, cost

    def record(name: str, label: str, cost: dict, authorizer: tuple[int, int] = (0, 0)) -> None:
        """A result row: the function's cost and, in front of it, the authorizer's calls and trips."""
        calls, trips = authorizer
        row = {"function": name, "label": label, "authorizer": calls, "authorizer_trips": trips}
        results.append(row | cost)

    variants: list = []
    password = sample_events.SAMPLE_USER["password"]

    def measure_variants() -> list:  # while the sample session is live (before the logout)
        auth_event = with_live_tokens(events[authorizer_dir], live)
        return spend_variants.run(invoke, authorizer_dir, events, auth_event, sample_events.SAMPLE_USER_ID)

    for name in ordered(list(events)):
        if name == LAST[0]:
            variants = measure_variants()
        if name != authorizer_dir and name not in routes:
            print(f"(skipped {name}: no API route, invoked by a stream or a schedule)")
            continue
        if name in routes and routes[name].streaming:
            # An ASGI app behind the Lambda Web Adapter, not a handler: its route is streamed and
            # its cost is the model call's (bench_streaming, and stream_model's unit tests).
            print(f"(skipped {name}: a streaming ASGI function, no Lambda handler to invoke)")
            continue
        if name != "auth_register" and not live:
            live.update(sample_session_tokens())  # user 1 exists once auth_register ran
        if name == LAST[-1]:  # after the logout: a new session
            live.update(sample_session_tokens("bench-session-after-logout"))
        event = with_current_password(with_live_tokens(events[name], live), password)
        if name == authorizer_dir:
            result, cost = invoke(name, event)
            assert result["principalId"] == str(sample_events.SAMPLE_USER_ID), result
            label = "the authorizer alone (REQUEST event)"
            record(name, label, cost | repeated(invoke, name, event))
            continue
        authorizer_calls = authorizer_trips = 0
        if routes[name].auth_required:
            answer, authorizer_cost = invoke(authorizer_dir, with_live_tokens(events[authorizer_dir], live))
            authorizer_calls, authorizer_trips = authorizer_cost["handler"], authorizer_cost["trips"]
            event = with_authorizer_spend_limits(event, answer)
        result, cost = invoke(name, event)
        if name == "auth_password" and result["statusCode"] == 200:
            password = json.loads(event["body"])["new_password"]
        if result["statusCode"] != 200:
            raise SystemExit(
                f"{name}: its sample event answered {result['statusCode']}: {result.get('body')}"
            )
        label = f"{event['httpMethod']} {event['resource']}"
        repeat = event["httpMethod"] == "GET" or name in REPEATABLE
        authorizer = (authorizer_calls, authorizer_trips)
        record(name, label, cost | (repeated(invoke, name, event) if repeat else {}), authorizer)
        for suffix, query in OTHER_QUERIES.get(name, []):
            other = {
                **event,
                "queryStringParameters": query,
                "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
            }
            _, cost = invoke(name, other)
            record(name, f"{label} ({suffix})", cost | repeated(invoke, name, other), authorizer)
    return results, variants


def repeated(invoke, name: str, event: dict) -> dict:
    """The medians of REPEAT more calls, every column from the same calls (the first one paid for
    first uses; round trips depend on timing: reads made at once overlap unless a thread waits)."""
    costs = [invoke(name, event)[1] for _ in range(REPEAT)]
    columns = ("ms", "cpu", "handler", "trips", "items")
    medians = {column: statistics.median(c[column] for c in costs) for column in columns}
    whole = ("handler", "trips", "items")
    return {**{c: round(v) if c in whole else v for c, v in medians.items()}, "runs": REPEAT}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_json_argument(parser)
    args = parser.parse_args()

    with (
        run_dynamodb_local() as dynamodb_local,
        fake_bailian.serve(api_key=FAKE_KEY, access_log=False) as fake,
    ):
        ensure_table(dynamodb_local.endpoint, TABLE)
        configure_in_process(
            dynamodb_local.endpoint,
            TABLE,
            BAILIAN_BASE_URL=fake.base_url,
            DASHSCOPE_API_KEY=FAKE_KEY,
            RATE_LIMIT_PER_MINUTE="1000000",
        )
        from bailian_chat.store import dynamodb

        client = dynamodb.client()
        template = Template(resource_values={"Table": TABLE})
        with sample_events.sequential_ids():  # the sample events carry user 1, conversation 1, ...
            results, variants = run(CallCounter(client), OperationLog(client), template, ReadPoolCpu())

    width = max(len(r["label"]) for r in results)
    heading = (
        f"{'handler':>8} {'authorizer':>11} {'calls':>6} {'trips':>6} {'target':>7} {'items':>6} "
        f"{'cpu ms':>7} {'wall ms':>7} {'runs':>4}  function: operations"
    )
    print(f"\n{'request':<{width}} {heading}")
    rows, trip_rows, cpu_rows = [], [], []
    for r in results:
        total = r["handler"] + r["authorizer"]
        trips = r["trips"] + r["authorizer_trips"]
        runs = f"{r.get('runs', 1)}x"
        target = round_trip_target(r)
        mark = "" if target is None else f"<={target}" + (" !" if trips > target else "")
        counts = f"{r['handler']:>8} {r['authorizer']:>11} {total:>6} {trips:>6} {mark:>7} {r['items']:>6}"
        timing = f"{r['cpu']:>7.1f} {r['ms']:>7.1f} {runs:>4}"
        print(f"{r['label']:<{width}} {counts} {timing}  {r['function']}: {r['operations'] or '-'}")
        operations = f" ({r['operations']})" if r["operations"] else ""
        note = f"handler {r['handler']}{operations} + authorizer {r['authorizer']}"
        rows.append(Row("DynamoDB calls/request", r["label"], total, "calls", note=note))
        within = "" if target is None else f"; issue 15's target <= {target}"
        trip_note = f"handler {r['trips']} + authorizer {r['authorizer_trips']}; {total} calls{within}"
        trip_rows.append(Row("DynamoDB round trips/request", r["label"], trips, "trips", note=trip_note))
        cpu_rows.append(
            Row("handler CPU/request (in-process)", r["label"], round(r["cpu"], 2), "ms",
                note=f"wall {r['ms']:.1f} ms; {'median of ' + runs if r.get('runs') else 'one call'}")
        )  # fmt: skip
    print(
        "(handler, authorizer, calls: DynamoDB API calls of one request; trips: its round trips, calls"
        " made at once counted once; target: issue 15's for round trips, ! when over; cpu/wall ms: the"
        f" handler in-process, median of {REPEAT} repeated calls, or the one call where a request"
        " cannot be repeated: 1x)"
    )
    rows += trip_rows + cpu_rows
    rows += print_variants(variants)
    write_rows(args.json, rows)


def round_trip_target(result: dict) -> int | None:
    """Issue 15's most round trips for the request (None: no target)."""
    if result["function"] in TARGETS:
        return TARGETS[result["function"]]
    return READS if result["label"].startswith("GET ") else None


def print_variants(variants: list[tuple[str, dict]]) -> list[Row]:
    """The proxied call before issue 12 and with keys and budgets: DynamoDB calls (made one after
    the other: each is a round trip) and handler ms."""
    width = max(len(label) for label, _ in variants)
    print(f"\nPOST /api/bailian/chat/completions, {spend_variants.RUNS} calls each (median handler ms)")
    print(
        f"{'variant':<{width}} {'handler':>8} {'authorizer':>11} {'total':>6} {'ms':>7}  handler operations"
    )
    rows = []
    base = {"access": None, "key": None}
    for label, r in variants:
        total = r["handler"] + r["authorizer"]
        counts = f"{r['handler']:>8} {r['authorizer']:>11} {total:>6} {r['ms']:>7.1f}"
        print(f"{label:<{width}} {counts}  {r['operations']}")
        kind = "key" if "key" in label else "access"
        if label.startswith("before"):
            base[kind] = (label, total, r["ms"])
            rows.append(Row("Proxied call (issue 12)", f"{label}: DynamoDB calls", total, "calls"))
            rows.append(Row("Proxied call (issue 12)", f"{label}: handler ms", round(r["ms"], 1), "ms"))
            continue
        baseline, base_total, base_ms = base[kind]
        rows.append(
            Row("Proxied call (issue 12)", f"{label}: DynamoDB calls", total, "calls", baseline, base_total)
        )
        rows.append(
            Row(
                "Proxied call (issue 12)",
                f"{label}: handler ms",
                round(r["ms"], 1),
                "ms",
                baseline,
                round(base_ms, 1),
            )
        )
    return rows


if __name__ == "__main__":
    main()
