"""The deployment's statistics spread over STATS_SHARDS partitions (store/deployment_rollup_items.py):
exact whatever the chunking (the shards' rows sum to the calls, a redelivered record counts once),
the ranking rows in their user's shard with the name, rows written before the sharding read and
deleted with the new ones, and a lowered shard count losing nothing."""

import pytest
from bailian_chat.store import (
    deployment_rollup_items,
    deployment_statistics_rows,
    keys,
    transactions,
)
from bailian_chat.usage import aggregation
from bailian_chat.usage.dates import DateRange
from bailian_chat.usage.deployment_statistics import deployment_statistics

from tests.support.environment import UNIT_ENV
from tests.support.stream_records import DAY, account, batches, calls_of, rollup_change, typed

OTHER_DAY = "2026-03-02"


@pytest.fixture
def fresh_shard_record(monkeypatch):
    """This test's table has no shard count recorded yet, whatever earlier tests' container did."""
    monkeypatch.setattr(deployment_rollup_items, "_recorded", set())


def test_the_shards_rows_sum_to_the_calls_and_a_redelivery_in_other_chunks_adds_nothing(
    users, aggregate, ddb, fresh_shard_record
):
    users(*range(1, 17))
    records = calls_of(range(1, 17), DAY)  # 48 calls: chunks of 20, 20 and 8
    for batch in batches(records):
        assert aggregate(*batch) == {"batchItemFailures": []}
    for batch in batches(records[::-1], 30):  # redelivered, chunked otherwise: other shards
        assert aggregate(*batch) == {"batchItemFailures": []}

    rows = deployment_statistics_rows.statistics_rows(DAY, DAY)
    chunk_shards = {
        deployment_rollup_items.chunk_shard([records[start]["eventID"]], 8)
        for start in range(0, len(records), aggregation.CHUNK)
    }
    assert {row["PK"] for row in rows.daily} == {keys.deployment_shard(s) for s in chunk_shards}
    assert sum(row["calls"] for row in rows.daily) == 48
    assert sum(row["tokens"] for row in rows.daily) == 48 * 7
    assert {(row["user_id"], row["calls"], row["tokens"]) for row in rows.ranking} == {
        (user, 3, 21) for user in range(1, 17)
    }
    for row in rows.ranking:  # in the user's shard, with the name
        assert row["PK"] == keys.deployment_shard(row["user_id"] % 8)
        assert row["username"] == f"user{row['user_id']}"


def test_a_chunk_stays_within_the_transactions_100_actions_and_writes_its_daily_rows_to_one_shard(
    users, aggregate, monkeypatch
):
    users(*range(1, 21))
    models = ["qwen-plus", "qwen-max", "qwen-turbo", "qwen-flash"]
    records = [  # 20 users, 20 distinct (day, model): every kind of row at its most
        rollup_change(user, models[user % 4], None, {"calls": 1}, day=f"2026-03-{user % 5 + 1:02d}")
        for user in range(1, 21)
    ]
    written: list[list] = []
    write = transactions.write
    monkeypatch.setattr(transactions, "write", lambda actions: written.append(actions) or write(actions))

    assert aggregate(*records, account("INSERT", 99)) == {"batchItemFailures": []}

    sizes = [len(actions) for actions in written]
    assert sizes == [20 + 20 + 20 + 20, 1 + 1]  # markers, checks, daily, ranking; then the account's
    daily_partitions = {
        action["Update"]["Key"]["PK"]["S"]
        for name, action in written[0]
        if name == "count" and "#D#" in action["Update"]["Key"]["SK"]["S"]
    }
    assert len(daily_partitions) == 1


def put_legacy_rows(ddb, day: str, user_rows: dict[int, dict], accounts: int) -> None:
    """What the aggregator wrote before the sharding: STATS#DAILY, STATS#USERS#<day> (no names)."""
    table = UNIT_ENV["TABLE_NAME"]
    total = {
        "calls": sum(r["calls"] for r in user_rows.values()),
        "tokens": sum(r["tokens"] for r in user_rows.values()),
    }
    pk, sk = keys.deployment_daily(day, "qwen-plus")
    ddb.put_item(
        TableName=table, Item=typed({"PK": pk, "SK": sk, "date": day, "model_name": "qwen-plus", **total})
    )
    for user, counts in user_rows.items():
        pk, sk = keys.deployment_user_day(day, user, "qwen-plus")
        labels = {"date": day, "user_id": user, "model_name": "qwen-plus"}
        ddb.put_item(TableName=table, Item=typed({"PK": pk, "SK": sk, **labels, **counts}))
    pk, sk = keys.deployment_user_total()
    ddb.put_item(TableName=table, Item=typed({"PK": pk, "SK": sk, "count": accounts}))


def test_rows_from_before_the_sharding_count_with_the_new_ones(users, aggregate, ddb, statistics_read_rounds):
    """The same calls on two days: on DAY the first half was aggregated before the sharding (old
    rows), on OTHER_DAY all of it since; both days read the same."""
    users(1, 2, 3)
    first_half = {1: {"calls": 2, "tokens": 20}, 2: {"calls": 1, "tokens": 5}}
    put_legacy_rows(ddb, DAY, first_half, accounts=3)
    second_half = [
        rollup_change(1, "qwen-plus", {"calls": 2, "tokens": 20}, {"calls": 3, "tokens": 50}),
        rollup_change(3, "qwen-plus", None, {"calls": 1, "tokens": 100}),
    ]
    everything = [
        rollup_change(1, "qwen-plus", None, {"calls": 2, "tokens": 20}, day=OTHER_DAY),
        rollup_change(2, "qwen-plus", None, {"calls": 1, "tokens": 5}, day=OTHER_DAY),
        rollup_change(1, "qwen-plus", {"calls": 2, "tokens": 20}, {"calls": 3, "tokens": 50}, day=OTHER_DAY),
        rollup_change(3, "qwen-plus", None, {"calls": 1, "tokens": 100}, day=OTHER_DAY),
    ]
    aggregate(*second_half, *everything)

    old_and_new = deployment_statistics(DateRange(DAY, DAY), None)
    new_only = deployment_statistics(DateRange(OTHER_DAY, OTHER_DAY), None)

    def undated(data: dict) -> dict:
        return {**data, "daily_statistics": [{**d, "date": None} for d in data["daily_statistics"]]}

    assert undated(old_and_new) == undated(new_only)
    assert old_and_new["total_tokens"] == 155 and old_and_new["total_users"] == 3
    assert [(u["user_id"], u["username"], u["tokens"]) for u in old_and_new["top_users"]] == [
        (3, "user3", 100),
        (1, "user1", 50),
        (2, "user2", 5),  # no new row: its name read from its user item
    ]
    # DAY: the old ranking partition is a second round trip (then the name); OTHER_DAY: one.
    assert [n for n in statistics_read_rounds if n] == [10, 1, 10]


def test_a_lowered_shard_count_still_reads_and_deletes_the_rows_in_the_higher_shards(
    users, aggregate, unit_env, fresh_shard_record
):
    users(*range(1, 9))
    aggregate(*calls_of(range(1, 9), DAY)[:8])  # one call each, 8 shards: user u in shard u % 8
    unit_env(STATS_SHARDS="2")
    aggregate(*calls_of(range(1, 9), OTHER_DAY)[:8])

    assert deployment_rollup_items.shard_counts_in_use() == {2, 8}
    rows = deployment_statistics_rows.statistics_rows(DAY, OTHER_DAY)
    assert sorted((row["date"], row["user_id"]) for row in rows.ranking) == sorted(
        (day, user) for day in (DAY, OTHER_DAY) for user in range(1, 9)
    )
    assert sum(row["calls"] for row in rows.daily) == 16

    deployment_rollup_items.delete_user_rows(
        7, [(DAY, "qwen-plus"), (OTHER_DAY, "qwen-plus")], deployment_rollup_items.user_shards(7)
    )
    left = deployment_statistics_rows.statistics_rows(DAY, OTHER_DAY).ranking
    assert {row["user_id"] for row in left} == set(range(1, 7)) | {8}


def test_a_user_deleted_after_the_names_were_read_gets_no_ranking_row(
    users, aggregate, put_attribute, monkeypatch
):
    """The aggregator's read of the names says the user is live; the profile's ConditionCheck in the
    transaction still leaves their ranking row out (the totals count the activity)."""
    users(1, 2)
    stale = {user_id: {"user_id": user_id, "username": f"user{user_id}"} for user_id in (1, 2)}
    monkeypatch.setattr(aggregation.user_items, "get_users", lambda user_ids: stale)
    put_attribute(keys.user(2), "deleting_at", 1)

    records = [rollup_change(user, "qwen-plus", None, {"calls": 1, "tokens": 4}) for user in (1, 2)]
    assert aggregate(*records) == {"batchItemFailures": []}

    rows = deployment_statistics_rows.statistics_rows(DAY, DAY)
    assert sum(row["tokens"] for row in rows.daily) == 8
    assert [row["user_id"] for row in rows.ranking] == [1]
