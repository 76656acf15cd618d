"""docs/capacity.md's claims, from the code's own constants (bench/capacity_model.py): per-user
partitions stay far under a partition's write limit at the rate limit; the deployment-wide rows
need the write shards the document names, and with them each shard stays under the limit."""

import pytest
from bailian_chat.store import dynamodb, keys, rate_limit_items
from bailian_chat.usage import aggregation, rate_limit

from bench import capacity_model as model

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


@pytest.mark.parametrize(("rate", "ranking_shards", "daily_shards"), [(1000, 4, 1), (10_000, 40, 6)])
def test_the_deployment_rows_need_the_shards_the_document_names(rate, ranking_shards, daily_shards):
    loads = {load.item: load for load in model.deployment_loads(rate, models_per_chunk=3)}
    ranking = loads["top-users rows of the day"]
    daily = loads["deployment daily rows (all models)"]
    assert model.shards_needed(ranking.wcu_per_second) == ranking_shards
    assert model.shards_needed(daily.wcu_per_second) == daily_shards
    # With them, every shard's rate is under half a partition's limit.
    for load, shards in ((ranking, ranking_shards), (daily, daily_shards)):
        assert load.wcu_per_second / shards <= HALF
    # The busiest model's own row: one transactional ADD per CHUNK records.
    one_model = loads["deployment daily row (one model)"]
    assert one_model.wcu_per_second == pytest.approx(rate / aggregation.CHUNK * 2)


def test_at_1000_calls_per_second_only_the_ranking_partition_is_over():
    over = [load.item for load in model.deployment_loads(1000, 3) if load.wcu_per_second > HALF]
    assert over == ["top-users rows of the day"]
