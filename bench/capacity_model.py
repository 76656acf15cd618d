"""The capacity model of docs/capacity.md: writes per second per item and partition at a given rate of
model calls, from the code's own constants, against DynamoDB's per-partition limits.

    .venv/bin/python -m bench.capacity_model [--rate 1000 10000] [--users 100000]

    .venv/bin/python -m bench.capacity_model --shards 46    # what 10,000 calls/s need

Write units (WCU) are per 1 KB written; a write inside TransactWriteItems costs twice. Sizes are
upper bounds of the items as written today (checked in tests/unit/test_capacity_model.py). The
per-user items are bounded by the rate limit, whatever the spread of calls over users; the
deployment-wide items by the usage aggregator's batching and its STATS_SHARDS partitions.
"""

import argparse
import math
from dataclasses import dataclass

import bench.support  # noqa: F401  (first: it puts the layer on sys.path)

# isort: split
from bailian_chat.config import DEFAULT_STATS_SHARDS, load_settings
from bailian_chat.store import rate_limit_items
from bailian_chat.usage import aggregation, rate_limit

from local.template import Template

PARTITION_WCU = 1000  # per partition (and so per item), per second
TRANSACTION_FACTOR = 2  # TransactWriteItems writes cost two write units each
# Keep every partition under half its limit: headroom for bursts (adaptive capacity absorbs
# short ones, not a sustained overload of one item).
HEADROOM = 0.5
_DEFAULTS = load_settings({"TABLE_NAME": "t", "JWT_SECRET": "x" * 32})
MODELS = len(_DEFAULTS.allowed_models)
DEFAULT_RATE_LIMIT_PER_MINUTE = _DEFAULTS.rate_limit_per_minute


def aggregator_batch_size() -> int:
    """The usage aggregator's stream BatchSize, as template.yaml sets it (local/template.py reads it)."""
    return next(
        consumer.batch_size
        for consumer in Template().stream_consumers
        if consumer.function.logical_id == "UsageAggregatorFunction"
    )


def rate_window_wcu() -> int:
    """A RATE#<subject> item holds at most BUCKETS_PER_ITEM counters `s<n>` (<= 3 digits, values
    <= 7 bytes) and its key and TTL: one update rewrites all of it."""
    size = 60 + rate_limit_items.BUCKETS_PER_ITEM * (4 + 7)
    return math.ceil(size / 1024)


@dataclass(frozen=True)
class Load:
    item: str
    partition: str
    wcu_per_second: float
    kept_under_by: str

    @property
    def share(self) -> float:
        return self.wcu_per_second / PARTITION_WCU


def per_user_loads(rate_limit_per_minute: int) -> list[Load]:
    """One user's partitions at their rate limit (the most one user can cause)."""
    per_second = rate_limit_per_minute / 60
    # A call's 31 window buckets span two RATE items in (window - 1) of BUCKETS_PER_ITEM buckets:
    # then the update is a two-item transaction.
    spans_two = (rate_limit.WINDOW_BUCKETS - 1) / rate_limit_items.BUCKETS_PER_ITEM
    rate_wcu = rate_window_wcu() * ((1 - spans_two) + spans_two * TRANSACTION_FACTOR)
    tx = TRANSACTION_FACTOR
    return [
        Load("rate-limit window", "RATE#<user>", per_second * rate_wcu, "the rate limit itself"),
        # The call item, its rollup and the spend settlement: one transaction (items < 1 KB).
        Load("call log item", "USER#<id>#CALLS (+ GSI2 per model)", per_second * tx, "the rate limit"),
        Load("daily rollup", "USER#<id>#DAILY", per_second * tx, "the rate limit"),
        # Reserve (ADD to the day and month items) and settle (ADD again): both transactional.
        Load("spend periods (day, month)", "USER#<id>#SPEND", per_second * 2 * 2 * tx, "the rate limit"),
        Load("spend reservation", "USER#<id>#RESERVATIONS", per_second * 2 * tx, "the rate limit"),
    ]


def deployment_loads(
    calls_per_second: float, models_per_chunk: int, shards: int = DEFAULT_STATS_SHARDS
) -> list[Load]:
    """The aggregator's rows, written off the request path: one transaction per CHUNK records. A
    chunk's daily rows (one ADD per model in it) go to one shard, the chunk's; a ranking row to its
    user's shard: with 100,000 users nearly every record of a chunk is its own (user, model), so the
    ranking takes one transactional write per call. Users and chunks spread evenly over the shards
    (ids' low bits are random, chunks hashed by their first record)."""
    transactions = calls_per_second / aggregation.CHUNK
    tx = TRANSACTION_FACTOR
    per_user = DEFAULT_RATE_LIMIT_PER_MINUTE / 60 * tx
    per_shard = statistics_writes(calls_per_second, models_per_chunk) / shards
    return [
        Load("daily row (day, model, shard)", "STATS#SHARD#<s>", transactions * tx / shards,
             "one ADD per CHUNK records, chunks over the shards"),
        Load("ranking row (day, user, model)", "STATS#SHARD#<user mod N>", per_user,
             "the user's rate limit"),
        Load("one statistics shard", "STATS#SHARD#<s>", per_shard, "STATS_SHARDS partitions"),
        Load("account count and shard counts", "STATS#TOTALS", 0.0,
             "registrations, and once per aggregator container"),
        Load("aggregation markers", "AGG#<event id>", 0.0, "one partition per record"),
    ]  # fmt: skip


def statistics_writes(calls_per_second: float, models_per_chunk: int) -> float:
    """WCU/s of every statistics row together (what the shards share): per CHUNK records one ADD
    per model of the chunk to the daily rows, and one ranking row per call, all transactional."""
    daily = calls_per_second / aggregation.CHUNK * min(aggregation.CHUNK, models_per_chunk)
    return (daily + calls_per_second) * TRANSACTION_FACTOR


def shards_needed(wcu_per_second: float) -> int:
    """Write shards that keep each under HEADROOM of a partition's limit."""
    return max(1, math.ceil(wcu_per_second / (PARTITION_WCU * HEADROOM)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, nargs="+", default=[1000, 10_000])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--models-per-chunk", type=int, default=3)
    parser.add_argument("--shards", type=int, default=DEFAULT_STATS_SHARDS, help="STATS_SHARDS")
    args = parser.parse_args()
    limit = DEFAULT_RATE_LIMIT_PER_MINUTE
    print(f"per user at the rate limit ({limit}/min), whatever the rate or the number of users:")
    for load in per_user_loads(limit):
        print(f"  {load.item:<36} {load.partition:<36} {load.wcu_per_second:7.1f} WCU/s  {load.share:6.2%}")
    batch = aggregator_batch_size()
    print(
        f"(aggregator: CHUNK {aggregation.CHUNK}, stream BatchSize {batch}, {MODELS} models, "
        f"STATS_SHARDS {args.shards})"
    )
    for rate in args.rate:
        print(f"\n{rate:,.0f} model calls/s over {args.users:,} users ({rate / args.users:.3f}/s each):")
        for load in deployment_loads(rate, args.models_per_chunk, args.shards):
            verdict = "ok" if load.wcu_per_second <= PARTITION_WCU * HEADROOM else "over half a partition"
            print(
                f"  {load.item:<36} {load.partition:<26} {load.wcu_per_second:9.1f} WCU/s "
                f"{load.share:8.1%}  {verdict}"
            )
        together = statistics_writes(rate, args.models_per_chunk)
        print(f"  all statistics rows together: {together:,.1f} WCU/s, shared by the shards")
        print(f"  STATS_SHARDS needed at this rate: {shards_needed(together)}")


if __name__ == "__main__":
    main()
