"""Reading the deployment's statistics rows of a range of days (GET /api/admin/statistics).

One round trip, its calls sent together: a Query per shard (the range's daily and ranking rows
both, keys.deployment_shard), a Query of the daily rows written before the sharding, and a GetItem
of the account count (which also names the shard counts ever used). A second round trip only for
rows written before the sharding (one ranking partition per day that has any) or into shards
above today's count (STATS_SHARDS lowered since)."""

from collections.abc import Callable
from dataclasses import dataclass

from bailian_chat.store import deployment_rollup_items, dynamodb, keys, queries
from bailian_chat.store.concurrent_reads import read_concurrently


@dataclass(frozen=True)
class StatisticsRows:
    daily: list[dict]  # counts per (day, model): several rows each (shards), to be summed
    ranking: list[dict]  # counts per (day, user, model), with `username` where written since
    total_users: int


def statistics_rows(start_day: str, end_day: str) -> StatisticsRows:
    current = deployment_rollup_items.shard_count()
    first: list[Callable[[], list[dict]]] = [_shard_reader(s, start_day, end_day) for s in range(current)]
    *sharded, legacy_daily, totals = read_concurrently(
        *first, lambda: _legacy_daily_rows(start_day, end_day), _totals
    )
    recorded = set(totals.get(deployment_rollup_items.SHARD_COUNTS, ()))
    counts = deployment_rollup_items.shard_counts_in_use(recorded)
    later = [_shard_reader(s, start_day, end_day) for s in range(current, max(counts))]
    later += [_legacy_ranking_reader(day) for day in sorted({row["date"] for row in legacy_daily})]
    rows = [row for part in (*sharded, *read_concurrently(*later)) for row in part]
    return StatisticsRows(
        daily=[row for row in rows if "user_id" not in row] + legacy_daily,
        ranking=[row for row in rows if "user_id" in row],
        total_users=int(totals.get("count", 0)),
    )


def _shard_reader(shard: int, start_day: str, end_day: str) -> Callable[[], list[dict]]:
    return lambda: _range_rows(keys.deployment_shard(shard), start_day, end_day)


def _legacy_daily_rows(start_day: str, end_day: str) -> list[dict]:
    return _range_rows(keys.DEPLOYMENT_DAILY, start_day, end_day)


def _range_rows(pk: str, start_day: str, end_day: str) -> list[dict]:
    start, end = keys.deployment_range(start_day, end_day)
    return queries.query_all(
        "PK = :pk AND SK BETWEEN :start AND :end", {":pk": pk, ":start": start, ":end": end}
    )


def _legacy_ranking_reader(day: str) -> Callable[[], list[dict]]:
    pk, _ = keys.deployment_user_day(day, 0, "")
    return lambda: queries.query_all("PK = :pk", {":pk": pk})


def _totals() -> dict:
    return dynamodb.get_item(*keys.deployment_user_total()) or {}
