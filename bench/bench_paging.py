"""Benchmark (not a test): does page 1 cost the same whatever the size of the collection?

Against Amazon's DynamoDB Local (in memory), through the real service code, it measures page 1
of a user's conversations with 10 vs 5,000 conversations and page 1 of a conversation's history
with 20 vs 5,000 messages (plus the last page, whose offset is read keys-only), side by side in
one run: median wall time and the DynamoDB calls each request makes.

    .venv/bin/python -m bench.bench_paging [--large 5000] [--repeat 25] [--json rows.json]

(`python -m bench` runs it with --large 2000 unless given --full.)
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from bench.support import CallCounter, Row, add_json_argument, configure_in_process, measure, write_rows
from local.dynamodb_local import ensure_table
from local.stack import run_dynamodb_local

TABLE = "bench-paging"


def seed(large: int):
    from bailian_chat.chat import conversations, messages
    from bailian_chat.content import TextPart

    small_user, large_user = 1, 2
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: conversations.create(small_user, "qwen-plus", f"c{i}"), range(10)))
        list(pool.map(lambda i: conversations.create(large_user, "qwen-plus", f"c{i}"), range(large)))
        small_conv = conversations.create(small_user, "qwen-plus", "small history")["conversation_id"]
        large_conv = conversations.create(large_user, "qwen-plus", "large history")["conversation_id"]
        part = [TextPart(type="text", text="hello there")]
        list(pool.map(lambda _: messages.send(small_user, small_conv, part), range(20)))
        list(pool.map(lambda _: messages.send(large_user, large_conv, part), range(large)))
    return small_user, large_user, small_conv, large_conv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=25)
    add_json_argument(parser)
    args = parser.parse_args()

    with run_dynamodb_local() as dynamodb_local:
        configure_in_process(dynamodb_local.endpoint, TABLE)
        ensure_table(dynamodb_local.endpoint, TABLE)
        from bailian_chat.chat import conversations, messages
        from bailian_chat.paging import PageRequest
        from bailian_chat.store import dynamodb

        started = time.perf_counter()
        small_user, large_user, small_conv, large_conv = seed(args.large)
        print(
            f"seeded 10 + {args.large} conversations and 20 + {args.large} messages "
            f"in {time.perf_counter() - started:.1f} s"
        )
        counter = CallCounter(dynamodb.client())
        last_page = -(-args.large // 20)
        rows = [
            measure(
                "conversations page 1 (10 total)",
                lambda: conversations.list_page(small_user, PageRequest(1, 10), None),
                counter,
                args.repeat,
            ),
            measure(
                f"conversations page 1 ({args.large} total)",
                lambda: conversations.list_page(large_user, PageRequest(1, 10), None),
                counter,
                args.repeat,
            ),
            measure(
                "history page 1 (20 messages)",
                lambda: messages.history(small_user, small_conv, PageRequest(1, 20)),
                counter,
                args.repeat,
            ),
            measure(
                f"history page 1 ({args.large} messages)",
                lambda: messages.history(large_user, large_conv, PageRequest(1, 20)),
                counter,
                args.repeat,
            ),
            measure(
                f"history page {last_page} ({args.large} messages)",
                lambda: messages.history(large_user, large_conv, PageRequest(last_page, 20)),
                counter,
                max(3, args.repeat // 5),
            ),
        ]
    print(f"\n{'request':<42} {'median ms':>10} {'DynamoDB calls':>15}")
    for row in rows:
        print(f"{row['label']:<42} {row['median_ms']:>10.2f} {row['calls']:>15}")
    pairs = (("conversations page 1", rows[0], rows[1]), ("history page 1", rows[2], rows[3]))
    for name, small, large in pairs:
        ratio = large["median_ms"] / small["median_ms"]
        print(f"ratio large/small, {name:<21} {ratio:.2f}x time, {large['calls']}/{small['calls']} calls")
    write_rows(args.json, summary_rows(rows, args.large))


def summary_rows(rows: list[dict], large: int) -> list[Row]:
    """Each large-collection request next to its small counterpart (medians, same run)."""
    small_conv, large_conv, small_hist, large_hist, last_page = rows

    def row(measurement: str, subject: dict, baseline: str, base: dict) -> Row:
        note = f"{subject['calls']} vs {base['calls']} DynamoDB calls"
        return Row("paging", measurement, subject["median_ms"], "ms", baseline, base["median_ms"], note)

    return [
        row(f"conversations page 1, {large:,} total", large_conv, "same, 10 total", small_conv),
        row(f"history page 1, {large:,} messages", large_hist, "same, 20 messages", small_hist),
        row(f"history last page, {large:,} messages", last_page, f"page 1 of {large:,}", large_hist),
    ]


if __name__ == "__main__":
    main()
