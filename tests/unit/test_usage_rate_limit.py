"""bailian_chat.usage.rate_limit: the per-user fixed-window limit on model calls, counted in
DynamoDB (moto) so it holds across Lambda instances; and its 429 + Retry-After over a handler."""

from types import SimpleNamespace

import pytest
from bailian_chat.errors import RateLimited
from bailian_chat.store import keys
from bailian_chat.usage import rate_limit

from local.fake_bailian import serve

MINUTE = 1_700_000_040  # a minute boundary (divisible by 60)
USER = 7
OTHER_USER = 8


@pytest.fixture
def now(monkeypatch) -> SimpleNamespace:
    """The limiter's clock: set `now.value` (epoch seconds). Only the limiter sees it."""
    clock = SimpleNamespace(value=MINUTE + 10.5)
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: clock.value))
    return clock


@pytest.fixture
def limit_3(table, unit_env):
    unit_env(RATE_LIMIT_PER_MINUTE="3")


def take_n(user_id: int, n: int) -> None:
    for _ in range(n):
        rate_limit.take_model_call(user_id)


def test_the_limit_lets_n_calls_through_then_raises_with_retry_after(limit_3, now):
    take_n(USER, 3)

    with pytest.raises(RateLimited) as raised:
        rate_limit.take_model_call(USER)

    assert raised.value.status_code == 429
    assert raised.value.message == "Request rate limit exceeded"
    assert raised.value.retry_after == 50  # the window ends 49.5 s later: rounded up


def test_refused_calls_are_not_counted(limit_3, now, get_item):
    take_n(USER, 3)
    for _ in range(5):
        with pytest.raises(RateLimited):
            rate_limit.take_model_call(USER)

    window = get_item(keys.rate_window(USER, MINUTE))
    assert window == {
        "PK": f"RATE#{USER}",
        "SK": str(MINUTE),
        "count": 3,
        "expires_at": MINUTE + 120,  # TTL: the table forgets old windows
    }


def test_another_user_has_a_limit_of_their_own(limit_3, now):
    take_n(USER, 3)

    take_n(OTHER_USER, 3)

    with pytest.raises(RateLimited):
        rate_limit.take_model_call(OTHER_USER)
    with pytest.raises(RateLimited):
        rate_limit.take_model_call(USER)


def test_a_new_minute_starts_a_new_window(limit_3, now):
    take_n(USER, 3)
    now.value = MINUTE + 59.999
    with pytest.raises(RateLimited):
        rate_limit.take_model_call(USER)

    now.value = MINUTE + 60
    take_n(USER, 3)

    with pytest.raises(RateLimited) as raised:
        rate_limit.take_model_call(USER)
    assert raised.value.retry_after == 60


@pytest.mark.parametrize(
    ("offset", "retry_after"),
    [(0.0, 60), (0.2, 60), (10.5, 50), (58.5, 2), (59.0, 1), (59.999, 1)],
)
def test_retry_after_is_the_rest_of_the_window_rounded_up_within_1_to_60(limit_3, now, offset, retry_after):
    now.value = MINUTE + offset
    take_n(USER, 3)

    with pytest.raises(RateLimited) as raised:
        rate_limit.take_model_call(USER)

    assert raised.value.retry_after == retry_after


def test_the_default_limit_is_60_a_minute(table, now):
    take_n(USER, 60)

    with pytest.raises(RateLimited):
        rate_limit.take_model_call(USER)


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
    assert second.headers["retry-after"] == "50"
