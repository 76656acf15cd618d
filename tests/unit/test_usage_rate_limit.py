"""bailian_chat.usage.rate_limit: the per-user sliding-window limit on model calls, counted in
DynamoDB (moto) so it holds across Lambda instances; and its 429 + Retry-After over a handler.

The limit: at most N calls in any 60-second span (issue 9, item 3: it was a calendar minute, so
N calls at :46-:54 and N more at :00-:02 all passed). Calls are counted in 2-second buckets: a
used slot comes back 60 to 62 s after its call, never sooner."""

import random
from types import SimpleNamespace

import pytest
from bailian_chat import clock
from bailian_chat.errors import RateLimited
from bailian_chat.store import rate_limit_items
from bailian_chat.usage import rate_limit

from local.fake_bailian import serve

MINUTE = 1_700_000_040  # a minute boundary (divisible by 60)
ITEM_BOUNDARY = 1_700_000_160  # where one counter item's buckets end and the next one's begin
USER = 7
OTHER_USER = 8


@pytest.fixture
def now(monkeypatch) -> SimpleNamespace:
    """The limiter's clock: set `now.value` (epoch seconds, with fractions)."""
    virtual = SimpleNamespace(value=MINUTE + 10.5)
    monkeypatch.setattr(clock, "now_seconds", lambda: virtual.value)
    return virtual


@pytest.fixture
def limit_3(table, unit_env):
    unit_env(RATE_LIMIT_PER_MINUTE="3")


def take_n(user_id: int, n: int) -> None:
    for _ in range(n):
        rate_limit.pending_model_call(user_id).take()


def admitted(user_id: int = USER) -> bool:
    try:
        rate_limit.pending_model_call(user_id).take()
    except RateLimited:
        return False
    return True


def retry_after_now(user_id: int = USER) -> int:
    with pytest.raises(RateLimited) as raised:
        rate_limit.pending_model_call(user_id).take()
    return raised.value.retry_after


def test_the_item_boundary_constant_matches_the_store():
    assert ITEM_BOUNDARY % (rate_limit_items.BUCKETS_PER_ITEM * rate_limit.BUCKET_SECONDS) == 0


def test_the_limit_lets_n_calls_through_then_raises_with_retry_after(limit_3, now):
    take_n(USER, 3)

    with pytest.raises(RateLimited) as raised:
        rate_limit.pending_model_call(USER).take()

    assert raised.value.status_code == 429
    assert raised.value.message == "Request rate limit exceeded"
    # The calls' bucket began at :10, so their slots come back at :10 + 62 = 61.5 s from now.
    assert raised.value.retry_after == 62


def test_calls_in_the_seconds_before_a_minute_boundary_still_count_after_it(table, now):
    """The attack run's case: 60 calls at :46-:54, then 60 more at :00-:02 must all be refused."""
    for step in range(60):
        now.value = MINUTE + 46 + step * 8 / 60
        rate_limit.pending_model_call(USER).take()

    refused = []
    for step in range(60):
        now.value = MINUTE + 60 + step * 2 / 60
        refused.append(not admitted())

    assert all(refused)


def test_a_new_minute_does_not_start_a_new_allowance(limit_3, now):
    now.value = MINUTE + 59
    take_n(USER, 3)

    now.value = MINUTE + 60
    assert not admitted()
    now.value = MINUTE + 118.999
    assert not admitted()  # 59.999 s after the calls


def test_a_slot_comes_back_60_to_62_seconds_after_its_call(limit_3, now):
    now.value = MINUTE + 10.5
    take_n(USER, 3)

    now.value = MINUTE + 70.5  # exactly 60 s later
    assert not admitted()
    now.value = MINUTE + 72  # the end of the calls' bucket + 60 s
    take_n(USER, 3)
    assert not admitted()


def test_slots_come_back_one_at_a_time_as_their_calls_leave_the_window(limit_3, now):
    for offset in (0.0, 20.0, 40.0):
        now.value = MINUTE + offset
        rate_limit.pending_model_call(USER).take()

    now.value = MINUTE + 50.0
    assert retry_after_now() == 12  # the first call's slot: its bucket [0, 2) + 60 s
    now.value = MINUTE + 62.0
    assert admitted()
    assert retry_after_now() == 20  # the next: the call at :20, back at :82


@pytest.mark.parametrize("offset", [0.0, 0.2, 1.999, 10.5, 58.5, 59.0, 59.999])
def test_retry_after_is_exact_to_the_second(limit_3, now, offset):
    now.value = MINUTE + offset
    take_n(USER, 3)
    retry_after = retry_after_now()

    now.value = MINUTE + offset + retry_after - 1
    assert not admitted()
    now.value = MINUTE + offset + retry_after
    assert admitted()
    assert 60 <= retry_after <= 62


def test_refused_calls_are_not_counted(limit_3, now):
    take_n(USER, 3)
    for _ in range(5):
        assert not admitted()

    now.value += retry_after_now()

    take_n(USER, 3)  # all three slots came back: the refused calls took none
    assert not admitted()


def test_another_user_has_a_limit_of_their_own(limit_3, now):
    take_n(USER, 3)

    take_n(OTHER_USER, 3)

    with pytest.raises(RateLimited):
        rate_limit.pending_model_call(OTHER_USER).take()
    with pytest.raises(RateLimited):
        rate_limit.pending_model_call(USER).take()


def test_the_limit_holds_across_the_counter_items_boundary(limit_3, now):
    """Calls just before an item boundary count in the next item's windows too (one
    TransactWriteItems); Retry-After reads the sums that refused the call from both items."""
    now.value = ITEM_BOUNDARY - 30.5
    take_n(USER, 2)
    now.value = ITEM_BOUNDARY - 0.5
    rate_limit.pending_model_call(USER).take()

    now.value = ITEM_BOUNDARY + 20
    assert retry_after_now() == 10  # the first two calls' bucket [-32, -30): back at +30
    now.value = ITEM_BOUNDARY + 30
    take_n(USER, 2)
    assert retry_after_now() == 30  # the call at -0.5, bucket [-2, 0): back at +60


def test_no_60_second_span_ever_holds_more_than_the_limit(table, unit_env, now):
    """Random bursts over five minutes (across minute and item boundaries): no 60-s span holds more
    than the limit, and a call is refused only when the 62 s before it hold the limit already."""
    unit_env(RATE_LIMIT_PER_MINUTE="5")
    arrivals = random.Random(9).sample(range(0, 300_000, 250), 200)
    taken: list[float] = []
    for arrival_ms in sorted(arrivals):
        now.value = ITEM_BOUNDARY - 150 + arrival_ms / 1000
        if admitted():
            taken.append(now.value)
        else:
            assert sum(now.value - 62 < t for t in taken) >= 5, now.value

    assert max(sum(start <= t < start + 60 for t in taken) for start in taken) == 5
    assert len(taken) >= 5 * 300 // 62


def test_the_default_limit_is_60_a_minute(table, now):
    take_n(USER, 60)

    with pytest.raises(RateLimited):
        rate_limit.pending_model_call(USER).take()


def test_the_proxy_answers_429_with_retry_after_once_the_limit_is_used(unit_env, gateway, signed_in, now):
    """Through the real handler: the first call in the minute passes, the second is refused with the
    envelope and a Retry-After header, and is never sent to the model."""
    with serve("127.0.0.1", 0, "sk-unit-rate-limit", access_log=False) as fake:
        unit_env(
            RATE_LIMIT_PER_MINUTE="1",
            BAILIAN_BASE_URL=fake.base_url,
            DASHSCOPE_API_KEY="sk-unit-rate-limit",
        )
        body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}

        first = gateway.request("POST", "/api/bailian/chat/completions", body, token=signed_in.access_token)
        second = gateway.request("POST", "/api/bailian/chat/completions", body, token=signed_in.access_token)

    assert first.status == 200, first
    assert second.status == 429
    assert second.body == {"code": 429, "message": "Request rate limit exceeded", "data": None}
    assert second.headers["retry-after"] == "62"


@pytest.mark.parametrize(
    ("at", "request_name"),
    [(MINUTE + 10.5, "UpdateItem"), (ITEM_BOUNDARY - 10.5, "TransactWriteItems")],
    ids=["inside-an-item", "across-two-items"],
)
def test_a_call_is_one_conditional_write_admitted_or_refused(limit_3, dynamodb_calls, now, at, request_name):
    now.value = at
    take_n(USER, 3)
    assert not admitted()

    assert dynamodb_calls == [request_name] * 4


def test_a_keys_and_its_users_counts_refused_together_and_by_name(limit_3, now):
    # One transaction of both counts: the key's own limit (2) refuses first, and counts nothing.
    key_limited = rate_limit.pending_model_call(USER, key_id=7, key_limit=2)
    key_limited.take()
    rate_limit.pending_model_call(USER, key_id=7, key_limit=2).take()

    with pytest.raises(RateLimited) as raised:
        rate_limit.pending_model_call(USER, key_id=7, key_limit=2).take()

    assert raised.value.message == "API key rate limit exceeded (2 requests per minute)"
    assert admitted()  # the user's third slot was not used by the refused call


def test_both_counts_contended_past_the_retries_are_429_not_500(limit_3, now, monkeypatch):
    from bailian_chat.store import dynamodb, transactions

    def contended(actions):
        raise dynamodb.TransactionCancelled([transactions.CONFLICT, "None"])

    monkeypatch.setattr(transactions, "write", contended)

    with pytest.raises(RateLimited) as raised:
        rate_limit.pending_model_call(USER, key_id=7, key_limit=2).take()

    assert (raised.value.message, raised.value.retry_after) == (rate_limit.CONTENDED_MESSAGE, 1)
