"""Deployment-wide statistics items: daily counts per model, per user per day and model (the
top-users ranking) and the number of accounts. Only the usage aggregator writes them, a batch of
stream records in one transaction with a marker per record, so a redelivered record adds nothing.

The rows are spread over `stats_shards` partitions (keys.deployment_shard): a chunk's daily rows go
to the shard its first record hashes to, a user's ranking rows to the user's shard. So no item and
no partition takes more than 1/shards of the aggregator's writes (docs/capacity.md), and reading a
range of days is one Query per shard, sent together (deployment_statistics_rows.py)."""

import zlib
from dataclasses import dataclass, field

from bailian_chat.config import get_settings
from bailian_chat.store import dynamodb, keys, queries, transactions

# A marker outlives the stream's 24-hour retention: no record can come back after it expired.
MARKER_TTL_SECONDS = 2 * 24 * 3600
SHARD_COUNTS = "shard_counts"
# The (table, shard count) pairs this container has recorded in SHARD_COUNTS.
_recorded: set[tuple[str, int]] = set()


@dataclass
class BatchDeltas:
    """What one batch of records adds: counts by (day, model) and by (day, user, model)."""

    event_ids: list[str] = field(default_factory=list)
    daily: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    user_daily: dict[tuple[str, int, str], dict[str, int]] = field(default_factory=dict)
    users: int = 0
    usernames: dict[int, str] = field(default_factory=dict)  # carried on the ranking rows


class AlreadyAggregated(Exception):
    """Some of the batch's records were aggregated before (`event_ids`); nothing was written."""

    def __init__(self, event_ids: list[str], gone_users: set[int]):
        super().__init__(f"records already aggregated: {event_ids}")
        self.event_ids = event_ids
        self.gone_users = gone_users


def _add(key: tuple[str, str], counts: dict[str, int], labels: dict) -> dict:
    """ADD `counts` to the item, SET its `labels` (names through #placeholders: `date` is reserved)."""
    names = {f"#{name}": name for name in (*counts, *labels)}
    values = {f":{name}": value for name, value in (*counts.items(), *labels.items())}
    sets = ", ".join(f"#{name} = :{name}" for name in labels)
    additions = ", ".join(f"#{name} :{name}" for name in counts)
    expression = (f"SET {sets} " if sets else "") + f"ADD {additions}"
    return {
        "Update": {
            "Key": dynamodb.key(*key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": dynamodb.to_values(values),
        }
    }


def _live_user_check(user_id: int) -> dict:
    """The user still exists and is not being deleted: their ranking rows may be written."""
    return {
        "ConditionCheck": {
            "Key": dynamodb.key(*keys.user(user_id)),
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(deleting_at)",
        }
    }


def shard_count() -> int:
    return get_settings().stats_shards


def chunk_shard(event_ids: list[str], shards: int) -> int:
    """Where a chunk's daily rows go: a stable hash of its first record (crc32: Python's str hash
    differs per process), so chunks spread evenly over the shards."""
    return zlib.crc32(event_ids[0].encode()) % shards if event_ids else 0


def user_shard(user_id: int, shards: int) -> int:
    return user_id % shards  # an id's low bits are random (store/ids.py), or a counter's


def shard_counts_in_use(recorded: set[int] | None = None) -> set[int]:
    """Every shard count rows may have been written with: today's and those recorded (an operator
    may have lowered STATS_SHARDS: the higher shards still hold rows)."""
    if recorded is None:
        totals = dynamodb.get_item(*keys.deployment_user_total()) or {}
        recorded = set(totals.get(SHARD_COUNTS, ()))
    return {shard_count(), *recorded}


def _record_shard_count(shards: int) -> None:
    """Adds the shard count to the set readers and deletions look in, once per container (an ADD to
    a set: idempotent; never per chunk, the item is the deployment's one), before its first write."""
    if (dynamodb.table_name(), shards) in _recorded:
        return
    dynamodb.update_item(*keys.deployment_user_total(), f"ADD {SHARD_COUNTS} :n", {":n": {shards}})
    _recorded.add((dynamodb.table_name(), shards))


def write_batch(deltas: BatchDeltas, now: int, skip_users: set[int] = frozenset()) -> None:
    """One transaction: a marker per record (absent before) and every count's ADD. Raises
    AlreadyAggregated naming the records whose marker exists and the users who are gone (whose
    ranking rows must be left out): the caller writes the batch again without them.

    At most CHUNK markers, user checks, daily rows (all in the chunk's shard) and ranking rows
    each: within TransactWriteItems' 100 actions whatever the shard count (aggregation.CHUNK)."""
    shards = shard_count()
    daily_shard = chunk_shard(deltas.event_ids, shards)
    markers = [
        (
            f"marker {event_id}",
            transactions.put_if_absent(
                {**keys.pk_sk(keys.aggregated_record(event_id)), "expires_at": now + MARKER_TTL_SECONDS}
            ),
        )
        for event_id in deltas.event_ids
    ]
    daily = [
        _add(keys.deployment_shard_daily(daily_shard, day, model), counts, {"date": day, "model_name": model})
        for (day, model), counts in deltas.daily.items()
    ]
    user_rows = {k: v for k, v in deltas.user_daily.items() if k[1] not in skip_users}
    ranking = [
        _add(
            keys.deployment_shard_user_day(user_shard(user, shards), day, user, model),
            counts,
            {"date": day, "user_id": user, "model_name": model, **_username(deltas, user)},
        )
        for (day, user, model), counts in user_rows.items()
    ]
    checked_users = sorted({user for _, user, _ in user_rows})
    checks = [(f"user {user}", _live_user_check(user)) for user in checked_users]
    totals = [_add(keys.deployment_user_total(), {"count": deltas.users}, {})] if deltas.users else []
    counts = [("count", action) for action in (*daily, *ranking, *totals)]
    if not counts:
        return  # nothing to count (e.g. only records of users already gone)
    actions = [*markers, *checks, *counts]
    _record_shard_count(shards)
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        failed = transactions.failed(exc, actions)
        if not failed:
            raise
        done = [event_id for event_id in deltas.event_ids if f"marker {event_id}" in failed]
        gone = {user for user in checked_users if f"user {user}" in failed}
        raise AlreadyAggregated(done, gone) from exc


def _username(deltas: BatchDeltas, user_id: int) -> dict:
    name = deltas.usernames.get(user_id)
    return {"username": name} if name else {}


def user_shards(user_id: int) -> list[int]:
    """Every shard the user's ranking rows may have been written to (one per shard count used)."""
    return sorted({user_shard(user_id, count) for count in shard_counts_in_use()})


def delete_user_rows(user_id: int, day_models: list[tuple[str, str]], shards: list[int]) -> None:
    """Drops the user's ranking rows (account deletion), in `shards` (user_shards) and where they
    were before the sharding; the daily totals keep their counts."""
    pairs = [
        pair
        for day, model in day_models
        for pair in (
            keys.deployment_user_day(day, user_id, model),
            *(keys.deployment_shard_user_day(shard, day, user_id, model) for shard in shards),
        )
    ]
    queries.batch_delete([dynamodb.key(*pair) for pair in pairs])
