"""bailian_chat.usage.statistics and .history on a moto table: statistics are aggregated from the
daily per-model rollup rows alone, history totals come from the rollups' call counts and the page
items from the time-ordered call log."""

import pytest
from bailian_chat.clock import iso_from_epoch
from bailian_chat.paging import PageRequest
from bailian_chat.store import keys, model_call_items
from bailian_chat.usage.dates import date_range
from bailian_chat.usage.history import api_call_page
from bailian_chat.usage.responses import ApiCall
from bailian_chat.usage.statistics import statistics

from tests.support import payloads
from tests.support.environment import UNIT_ENV

USER = 21
OTHER_USER = 22
ALL_TIME = date_range(None, None)


@pytest.fixture
def put_rollup(ddb):
    """`put_rollup(user, day, model, conversations=.., messages=.., tokens=.., calls=..)`: one rollup
    row as the writers leave it (a counter never added to is absent)."""

    def _put(user_id: int, day: str, model: str, **counters: int) -> None:
        pk, sk = keys.daily_rollup(user_id, day, model)
        item = {"PK": {"S": pk}, "SK": {"S": sk}, "date": {"S": day}, "model_name": {"S": model}}
        item.update({name: {"N": str(value)} for name, value in counters.items()})
        ddb.put_item(TableName=UNIT_ENV["TABLE_NAME"], Item=item)

    return _put


@pytest.fixture
def activity(put_rollup):
    """Three days, two models, and another user's rows that must never count."""
    put_rollup(
        USER,
        "2024-03-01",
        "qwen-plus",
        conversations=2,
        messages=6,
        tokens=100,
        calls=3,
        cost_nanos=1_500_000,
    )
    put_rollup(USER, "2024-03-01", "qwen-vl-max-latest", conversations=1, messages=2, tokens=400, calls=1)
    put_rollup(USER, "2024-03-02", "qwen-plus", tokens=50, calls=2, cost_nanos=7)  # proxy calls only
    put_rollup(USER, "2024-03-04", "qwen-vl-max-latest", messages=4, tokens=30, calls=2)
    put_rollup(USER, "2024-03-04", "qwen-plus", conversations=1)  # created, never used
    put_rollup(OTHER_USER, "2024-03-01", "qwen-plus", conversations=9, messages=9, tokens=9999, calls=9)
    put_rollup(OTHER_USER, "2024-03-03", "qwen-max", conversations=1, messages=1, tokens=1, calls=1)


def counts(conversations: int, messages: int, tokens: int, cost: str = "0.000000000") -> dict:
    return {
        "conversation_count": conversations,
        "message_count": messages,
        "token_count": tokens,
        "cost": cost,
    }


def test_all_time_statistics_add_up_per_model_and_per_day(activity):
    assert statistics(USER, ALL_TIME, None) == {
        "total_conversations": 4,
        "total_messages": 12,
        "total_tokens": 580,
        "total_cost": "0.001500007",  # cost added exactly, in nano-USD
        "currency": "USD",
        "model_statistics": [
            {"model_name": "qwen-plus", **counts(3, 6, 150, "0.001500007")},
            {"model_name": "qwen-vl-max-latest", **counts(1, 6, 430)},
        ],
        "daily_statistics": [
            {"date": "2024-03-01", **counts(3, 8, 500, "0.001500000")},
            {"date": "2024-03-02", **counts(0, 0, 50, "0.000000007")},
            {"date": "2024-03-04", **counts(1, 4, 30)},
        ],
    }


def test_the_date_range_is_inclusive(activity):
    data = statistics(USER, date_range("2024-03-02", "2024-03-04"), None)

    assert (data["total_conversations"], data["total_messages"], data["total_tokens"]) == (1, 4, 80)
    assert [day["date"] for day in data["daily_statistics"]] == ["2024-03-02", "2024-03-04"]
    assert data["model_statistics"] == [
        {"model_name": "qwen-plus", **counts(1, 0, 50, "0.000000007")},
        {"model_name": "qwen-vl-max-latest", **counts(0, 4, 30)},
    ]


def test_one_day(activity):
    data = statistics(USER, date_range("2024-03-02", "2024-03-02"), None)

    assert data == {
        "total_conversations": 0,
        "total_messages": 0,
        "total_tokens": 50,
        "total_cost": "0.000000007",
        "currency": "USD",
        "model_statistics": [{"model_name": "qwen-plus", **counts(0, 0, 50, "0.000000007")}],
        "daily_statistics": [{"date": "2024-03-02", **counts(0, 0, 50, "0.000000007")}],
    }


def test_the_model_filter(activity):
    data = statistics(USER, ALL_TIME, "qwen-vl-max-latest")

    assert data == {
        "total_conversations": 1,
        "total_messages": 6,
        "total_tokens": 430,
        "total_cost": "0.000000000",
        "currency": "USD",
        "model_statistics": [{"model_name": "qwen-vl-max-latest", **counts(1, 6, 430)}],
        "daily_statistics": [
            {"date": "2024-03-01", **counts(1, 2, 400)},
            {"date": "2024-03-04", **counts(0, 4, 30)},
        ],
    }


@pytest.mark.parametrize(
    ("days", "model"),
    [
        (date_range("2024-02-01", "2024-02-29"), None),
        (date_range("2024-03-03", "2024-03-03"), None),  # only the other user was active
        (ALL_TIME, "qwen-max"),
        (ALL_TIME, "qwen-turbo"),
    ],
)
def test_no_activity_is_all_zero_and_empty_lists(activity, days, model):
    assert statistics(USER, days, model) == {
        "total_conversations": 0,
        "total_messages": 0,
        "total_tokens": 0,
        "total_cost": "0.000000000",
        "currency": "USD",
        "model_statistics": [],
        "daily_statistics": [],
    }


def test_a_new_user_has_empty_statistics(table):
    assert statistics(999, ALL_TIME, None)["model_statistics"] == []


# ---------------------------------------------------------------- history (5.1)

DAY_MS = 86_400_000
MARCH_1 = 1_709_251_200_000  # 2024-03-01T00:00:00Z


def record(
    user_id: int, created_ms: int, model: str = "qwen-plus", tokens: int = 10, status: int = 200
) -> dict:
    created_at = iso_from_epoch(created_ms / 1000)
    call = payloads.model_call(user_id, created_at, model=model, tokens=tokens, status=status)
    return model_call_items.record_call(call, created_ms, created_at[:10])


@pytest.fixture
def calls(table) -> list[dict]:
    """Seven calls of USER over three days (the first and last milliseconds of 2024-03-02 among
    them), oldest first, and two of another user's."""
    made = [
        record(USER, MARCH_1 + 1000),
        record(USER, MARCH_1 + DAY_MS - 1, model="qwen-turbo"),
        record(USER, MARCH_1 + DAY_MS, status=503, tokens=0),
        record(USER, MARCH_1 + DAY_MS + 5000, model="qwen-turbo"),
        record(USER, MARCH_1 + 2 * DAY_MS - 1),
        record(USER, MARCH_1 + 2 * DAY_MS),
        record(USER, MARCH_1 + 2 * DAY_MS + 1, model="qwen-turbo"),
    ]
    record(OTHER_USER, MARCH_1 + DAY_MS + 10)
    record(OTHER_USER, MARCH_1 + 2 * DAY_MS + 10, model="qwen-turbo")
    return made


def ids(data: dict) -> list[int]:
    return [call["id"] for call in data["api_calls"]]


def newest_first(made: list[dict]) -> list[int]:
    return [call["id"] for call in reversed(made)]


def test_history_is_newest_first_with_exact_totals(calls):
    data = api_call_page(USER, PageRequest(1, 10), None, ALL_TIME)

    assert ids(data) == newest_first(calls)
    assert data["pagination"] == {"current_page": 1, "per_page": 10, "total": 7, "total_pages": 1}
    public_fields = list(ApiCall.model_fields)
    # An item logged without client_disconnected (as before streaming existed) shows it false.
    expected = {field: calls[0].get(field) for field in public_fields} | {"client_disconnected": False}
    assert data["api_calls"][-1] == expected
    assert list(data["api_calls"][0]) == list(public_fields)


@pytest.mark.parametrize(
    ("page", "expected"), [(1, slice(0, 3)), (2, slice(3, 6)), (3, slice(6, 7)), (4, None)]
)
def test_history_pages(calls, page, expected):
    data = api_call_page(USER, PageRequest(page, 3), None, ALL_TIME)

    assert ids(data) == (newest_first(calls)[expected] if expected else [])
    assert data["pagination"] == {"current_page": page, "per_page": 3, "total": 7, "total_pages": 3}


def test_history_model_filter(calls):
    data = api_call_page(USER, PageRequest(1, 10), "qwen-turbo", ALL_TIME)

    assert ids(data) == newest_first([c for c in calls if c["model_name"] == "qwen-turbo"])
    assert data["pagination"]["total"] == 3


def test_history_dates_are_whole_inclusive_utc_days(calls):
    data = api_call_page(USER, PageRequest(1, 10), None, date_range("2024-03-02", "2024-03-02"))

    assert ids(data) == newest_first(calls[2:5])
    assert data["pagination"]["total"] == 3


def test_history_dates_and_model_together(calls):
    data = api_call_page(USER, PageRequest(1, 10), "qwen-turbo", date_range("2024-03-02", "2024-03-03"))

    assert ids(data) == [calls[6]["id"], calls[3]["id"]]
    assert data["pagination"]["total"] == 2


def test_history_of_a_range_without_calls(calls):
    data = api_call_page(USER, PageRequest(1, 10), None, date_range("2024-02-01", "2024-02-29"))

    assert data == {
        "api_calls": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }


def test_the_history_total_is_the_rollups_call_count(calls, put_rollup):
    """Totals are read from the rollups (no count Query): the total is their `calls` sum."""
    put_rollup(USER, "2023-01-01", "qwen-plus", calls=40, tokens=0)

    data = api_call_page(USER, PageRequest(1, 100), None, ALL_TIME)

    assert data["pagination"]["total"] == 47
    assert len(data["api_calls"]) == 7
