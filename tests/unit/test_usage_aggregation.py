"""The usage aggregator (functions/usage_aggregator) on a moto table, fed synthetic DynamoDB stream
records shaped like the real ones (moto's streams are too partial to drive it): rollup changes add
their difference into the deployment's daily and ranking rows, account creations and deletions
move the account count, a redelivered record counts once, a deleted user's ranking rows are never
written, and GET /api/admin/statistics reads it all back for admins only."""

from bailian_chat.store import deployment_rollup_items, deployment_statistics_rows, keys, rollup_items
from bailian_chat.usage import aggregation

from tests.support.stream_records import DAY, account, batches, calls_of, rollup_change, stream_record


def summed(rows: list[dict]) -> dict:
    """The rows' counters added up (a day and model's count is the sum of its shards' rows)."""
    total: dict = {}
    for row in rows:
        for name in aggregation.COUNTED:
            if name in row:
                total[name] = total.get(name, 0) + row[name]
    return total


def daily(model: str, day: str = DAY) -> dict:
    rows = deployment_statistics_rows.statistics_rows(day, day).daily
    return summed([row for row in rows if row["model_name"] == model])


def ranking(day: str = DAY) -> dict[tuple[int, str], dict]:
    rows = deployment_statistics_rows.statistics_rows(day, day).ranking
    pairs = {(int(row["user_id"]), row["model_name"]) for row in rows}
    return {
        pair: summed([row for row in rows if (int(row["user_id"]), row["model_name"]) == pair])
        for pair in pairs
    }


def user_total() -> int:
    return deployment_statistics_rows.statistics_rows(DAY, DAY).total_users


def test_rollup_changes_add_their_difference_once_per_record(users, aggregate):
    users(1, 2)
    first = rollup_change(1, "qwen-plus", None, {"calls": 1, "tokens": 30})
    second = rollup_change(1, "qwen-plus", {"calls": 1, "tokens": 30}, {"calls": 2, "tokens": 100})
    other = rollup_change(2, "qwen-plus", None, {"conversations": 1, "messages": 1})

    assert aggregate(first, second, other) == {"batchItemFailures": []}
    assert aggregate(second, first) == {"batchItemFailures": []}  # redelivered: counted once

    row = daily("qwen-plus")
    assert (row["calls"], row["tokens"], row["conversations"], row["messages"]) == (2, 100, 1, 1)
    assert ranking()[(1, "qwen-plus")]["tokens"] == 100
    assert ranking()[(2, "qwen-plus")]["messages"] == 1


def test_a_batch_mixing_new_and_redelivered_records_counts_only_the_new(users, aggregate):
    users(1)
    old = rollup_change(1, "qwen-max", None, {"calls": 1, "tokens": 10})
    aggregate(old)
    new = rollup_change(1, "qwen-max", {"calls": 1, "tokens": 10}, {"calls": 2, "tokens": 25})

    assert aggregate(old, new) == {"batchItemFailures": []}
    assert daily("qwen-max")["tokens"] == 25


def test_accounts_created_and_deleted_move_the_account_count(aggregate):
    aggregate(account("INSERT", 1), account("INSERT", 2), account("INSERT", 3))
    aggregate(account("REMOVE", 2))
    assert user_total() == 2


def test_a_deleted_users_activity_counts_in_the_totals_but_writes_no_ranking_row(
    users, aggregate, put_attribute
):
    users(1, 2)
    put_attribute(keys.user(2), "deleting_at", 1)
    late = rollup_change(2, "qwen-plus", None, {"calls": 1, "tokens": 7})
    gone = rollup_change(3, "qwen-plus", None, {"calls": 1, "tokens": 5})  # no profile at all
    live = rollup_change(1, "qwen-plus", None, {"calls": 1, "tokens": 1})

    assert aggregate(late, gone, live) == {"batchItemFailures": []}
    assert daily("qwen-plus")["tokens"] == 13
    assert set(ranking()) == {(1, "qwen-plus")}


def test_other_items_are_ignored(aggregate):
    message = stream_record("INSERT", "CONV#1", "MSG#0000000000000001", {"role": "user"}, None)
    login = stream_record("MODIFY", *keys.user(1), {"last_login_at": "x"}, {})
    labels = {"date": DAY, "model_name": "qwen-plus", "item_type": rollup_items.USER_DAILY, "tokens": 5}
    per_key = stream_record("INSERT", "USER#1#KEY#7#DAILY", f"{DAY}#qwen-plus", labels, None)
    assert aggregate(message, login, per_key) == {"batchItemFailures": []}
    assert deployment_statistics_rows.statistics_rows("0001-01-01", "9999-12-31").daily == []
    assert user_total() == 0


def test_a_failed_write_reports_the_chunk_start_for_the_stream_to_retry(users, aggregate, monkeypatch):
    users(1)
    records = [
        rollup_change(1, "qwen-plus", None, {"calls": 1}, day=f"2026-03-{d:02d}") for d in range(1, 26)
    ]

    def fail_second_chunk(deltas, now, skip_users=frozenset()):
        if records[aggregation.CHUNK]["eventID"] in deltas.event_ids:
            raise RuntimeError("throttled")
        return real_write(deltas, now, skip_users)

    real_write = deployment_rollup_items.write_batch
    monkeypatch.setattr(deployment_rollup_items, "write_batch", fail_second_chunk)
    answer = aggregate(*records)
    assert answer == {"batchItemFailures": [{"itemIdentifier": records[20]["dynamodb"]["SequenceNumber"]}]}
    assert daily("qwen-plus", "2026-03-20")["calls"] == 1  # the first chunk is kept
    assert daily("qwen-plus", "2026-03-21") == {}


# ---------------------------------------------------------------- GET /api/admin/statistics


def test_admin_statistics_shape_and_top_users(gateway, sign_in, put_attribute, aggregate):
    admin, user = sign_in(), sign_in()
    put_attribute(keys.user(admin.user_id), "role", "admin")
    aggregate(
        account("INSERT", admin.user_id),
        account("INSERT", user.user_id),
        rollup_change(user.user_id, "qwen-plus", None, {"calls": 2, "tokens": 300, "conversations": 1}),
        rollup_change(admin.user_id, "qwen-max", None, {"calls": 1, "tokens": 20, "messages": 2}),
        rollup_change(admin.user_id, "qwen-plus", None, {"calls": 1, "tokens": 5}, day="2026-03-02"),
    )
    response = gateway.request("GET", "/api/admin/statistics", token=admin.access_token)
    assert response.status == 200, response
    data = response.body["data"]
    assert (data["total_tokens"], data["total_conversations"], data["total_messages"]) == (325, 1, 2)
    assert data["total_users"] == 2 and data["active_users"] == 2
    assert [(u["user_id"], u["tokens"]) for u in data["top_users"]] == [
        (user.user_id, 300),
        (admin.user_id, 25),
    ]
    assert data["top_users"][0]["username"] == user.registration["username"]
    assert [d["date"] for d in data["daily_statistics"]] == [DAY, "2026-03-02"]

    one_day = gateway.request(
        "GET",
        "/api/admin/statistics?start_date=2026-03-02&end_date=2026-03-02&model_name=qwen-plus",
        token=admin.access_token,
    ).body["data"]
    assert one_day["total_tokens"] == 5 and one_day["active_users"] == 1
    assert [u["user_id"] for u in one_day["top_users"]] == [admin.user_id]


def test_admin_statistics_refuse_users_and_bad_dates(gateway, sign_in, put_attribute):
    admin, user = sign_in(), sign_in()
    put_attribute(keys.user(admin.user_id), "role", "admin")
    refused = gateway.request("GET", "/api/admin/statistics", token=user.access_token)
    assert refused.status == 403 and refused.body["data"] is None
    bad = gateway.request("GET", "/api/admin/statistics?start_date=2026-13-01", token=admin.access_token)
    assert bad.status == 400 and "start_date" in bad.body["message"]
    assert gateway.request("GET", "/api/admin/statistics").status == 401


def test_admin_statistics_read_one_round_trip_whatever_the_days_and_calls(
    users, aggregate, dynamodb_calls, statistics_read_rounds
):
    from bailian_chat.usage.dates import date_range
    from bailian_chat.usage.deployment_statistics import deployment_statistics

    users(1, 2)
    days = ("2026-03-01", "2026-03-02", "2026-03-04")
    records = [record for day in days for record in calls_of(range(1, 3), day, per_user=15, tokens=10)]
    for batch in batches(records):  # 30 calls a day: one rollup change each
        aggregate(*batch)
    dynamodb_calls.clear()

    data = deployment_statistics(date_range(None, None), None)

    assert data["total_tokens"] == 900 and data["active_users"] == 2
    assert [u["username"] for u in data["top_users"]] == ["user1", "user2"]  # from the rows
    shards = deployment_rollup_items.shard_count()
    assert shards == 8
    # One round trip: a Query per shard, one of the rows from before the sharding, the count.
    assert [n for n in statistics_read_rounds if n] == [shards + 2]
    assert sorted(dynamodb_calls) == ["GetItem"] + ["Query"] * (shards + 1)
