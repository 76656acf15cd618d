"""The per-minute model-call limit under real concurrency on DynamoDB Local (issue 9, item 3): a
burst just before a minute boundary (and the counter items' boundary, where a call is one
TransactWriteItems over two items) still counts just after it."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from bailian_chat import clock
from bailian_chat.errors import RateLimited
from bailian_chat.store import rate_limit_items
from bailian_chat.usage import rate_limit

pytestmark = pytest.mark.usefixtures("services")
BOUNDARY = 1_800_000_000  # a minute boundary, and one between counter items
THREADS = 20


def burst(user_id: int, count: int) -> list:
    """A model call counted (pending_model_call().take()) on THREADS threads released together,
    `count` calls in all."""
    start = threading.Barrier(THREADS)

    def calls(share: int) -> list:
        start.wait()
        outcomes = []
        for _ in range(share):
            try:
                outcomes.append(rate_limit.pending_model_call(user_id).take())
            except RateLimited as refused:
                outcomes.append(refused)
        return outcomes

    shares = [count // THREADS + (i < count % THREADS) for i in range(THREADS)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [outcome for outcomes in pool.map(calls, shares) for outcome in outcomes]


@pytest.fixture
def virtual_now(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(clock, "now_seconds", lambda: now[0])
    return now


def test_the_boundary_is_a_counter_item_boundary():
    assert BOUNDARY % 60 == 0
    assert BOUNDARY % (rate_limit_items.BUCKETS_PER_ITEM * rate_limit.BUCKET_SECONDS) == 0


def test_a_burst_before_a_minute_boundary_still_counts_after_it(monkeypatch, unique, virtual_now):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "5")
    rate_limit.get_settings.cache_clear()
    user_id = int(unique, 16) % 10**9

    virtual_now[0] = BOUNDARY - 5.5  # each call spans both counter items: transactions that contend
    before = burst(user_id, 40)
    virtual_now[0] = BOUNDARY + 2.5
    after = burst(user_id, 40)

    assert sum(outcome is None for outcome in before) == 5
    assert sum(outcome is None for outcome in after) == 0
    assert {refused.retry_after for refused in after} == {54}  # the burst's bucket [-6, -4): back at +56
