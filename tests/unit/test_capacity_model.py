"""docs/capacity.md's claims, from the code's own constants (bench/capacity_model.py): per-user
partitions stay far under a partition's write limit at the rate limit; the deployment-wide
statistics rows, spread over STATS_SHARDS partitions, stay under half a partition at the default
shard count at 1,000 calls/s and need the count the document names at 10,000; no item ever nears
the limit."""

import pytest
from bailian_chat.store import deployment_statistics_rows, dynamodb, keys, rate_limit_items
from bailian_chat.usage import aggregation, rate_limit

from bench import capacity_model as model
from local.template import Template
from tests.support.stream_records import DAY, rollup_change

HALF = model.PARTITION_WCU * model.HEADROOM


def test_every_per_user_partition_stays_under_one_percent_at_the_default_rate_limit():
    loads = model.per_user_loads(model.DEFAULT_RATE_LIMIT_PER_MINUTE)
    assert model.DEFAULT_RATE_LIMIT_PER_MINUTE == 60
    assert {load.partition for load in loads} >= {"RATE#<user>", "USER#<id>#DAILY", "USER#<id>#SPEND"}
    assert all(load.share < 0.01 for load in loads), [(load.item, load.share) for load in loads]


def test_the_rate_limit_that_would_take_a_per_user_partition_to_half_its_limit():
    busiest = max(model.per_user_loads(60), key=lambda load: load.wcu_per_second)
    ceiling = 60 * HALF / busiest.wcu_per_second
    assert 3000 < ceiling < 4000  # the document's "about 3,750/min"
    assert max(load.wcu_per_second for load in model.per_user_loads(int(ceiling))) <= HALF


def test_a_full_rate_window_item_fits_the_write_units_the_model_counts(table):
    """Every bucket of one RATE item counted up to a large limit: the item's size stays within
    rate_window_wcu() KB, as the model assumes."""
    limit = 10**6
    start = 1_700_000_160  # an item boundary (divisible by BUCKETS_PER_ITEM * BUCKET_SECONDS)
    first = start // rate_limit.BUCKET_SECONDS
    buckets = range(first, first + rate_limit_items.BUCKETS_PER_ITEM)
    for _ in range(3):
        assert rate_limit_items.take(1, buckets, rate_limit.BUCKET_SECONDS, limit) is None
    raw = dynamodb.client().get_item(
        TableName=dynamodb.table_name(),
        Key=dynamodb.key(*keys.rate_window(1, first * rate_limit.BUCKET_SECONDS)),
    )["Item"]
    size = sum(len(name) + len(str(next(iter(value.values())))) for name, value in raw.items())
    assert len(raw) >= rate_limit_items.BUCKETS_PER_ITEM
    assert size <= model.rate_window_wcu() * 1024


def test_the_aggregator_batches_as_the_model_assumes():
    assert aggregation.CHUNK == 20
    assert model.aggregator_batch_size() == 100
    assert model.aggregator_batch_size() % aggregation.CHUNK == 0


def loads_at(rate: float, shards: int = model.DEFAULT_STATS_SHARDS) -> dict[str, model.Load]:
    return {load.item: load for load in model.deployment_loads(rate, models_per_chunk=3, shards=shards)}


def test_the_default_shard_count_keeps_every_statistics_partition_under_half_at_1000_calls_per_second():
    assert model.DEFAULT_STATS_SHARDS == 8  # config.py's default, the template's too
    loads = loads_at(1000)
    assert loads["one statistics shard"].wcu_per_second == pytest.approx(287.5)  # the document's figure
    assert all(load.wcu_per_second <= HALF for load in loads.values())
    assert model.statistics_writes(1000, 3) == pytest.approx(2_300)  # the document's: what 8 shards share
    assert model.shards_needed(model.statistics_writes(1000, 3)) == 5 <= model.DEFAULT_STATS_SHARDS


def test_10000_calls_per_second_need_46_shards_and_no_item_is_ever_over_half_a_partition():
    assert model.shards_needed(model.statistics_writes(10_000, 3)) == 46
    assert loads_at(10_000)["one statistics shard"].wcu_per_second > HALF  # the default is not enough
    assert loads_at(10_000, shards=46)["one statistics shard"].wcu_per_second <= HALF
    # One (day, model)'s daily row: a transactional ADD per CHUNK records, spread over the shards:
    # 125 WCU/s at the default 8 (it was 1,000 in one item before the sharding).
    one_row = loads_at(10_000)["daily row (day, model, shard)"]
    assert one_row.wcu_per_second == pytest.approx(10_000 / aggregation.CHUNK * 2 / 8) == 125
    assert loads_at(10_000)["ranking row (day, user, model)"].wcu_per_second == 2  # the rate limit's


def test_the_template_offers_the_shard_counts_the_document_names():
    parameter = Template().raw["Parameters"]["StatsShards"]
    assert int(parameter["Default"]) == model.DEFAULT_STATS_SHARDS
    assert int(parameter["MaxValue"]) >= 46


def test_a_ranking_row_with_its_name_fits_the_write_unit_the_model_counts(users, aggregate):
    """Counters at 10**15 and the largest id: one ranking row (and the chunk's daily row) stays
    under 1 KB, one write unit, as the model counts them."""
    user_id = 2**53 - 1
    users(user_id)
    huge = {name: 10**15 for name in aggregation.COUNTED}
    assert aggregate(rollup_change(user_id, "qwen-vl-max-latest", None, huge)) == {"batchItemFailures": []}
    rows = deployment_statistics_rows.statistics_rows(DAY, DAY)
    (ranking,) = rows.ranking
    assert ranking["username"] == f"user{user_id}"
    for row in (ranking, *rows.daily):
        assert sum(len(name) + len(str(value)) for name, value in row.items()) <= 1024
