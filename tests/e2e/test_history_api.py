"""API-call history (spec 5.1) and conversation statistics (5.2) over HTTP, checked against the
activity the test itself created: calls through the proxy (several models, one failure), a
conversation with replies, and another user whose data must never show."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from tests.support.model_client import (
    HISTORY_PATH,
    PROXY_PATH,
    SEND_ENDPOINT,
    STATISTICS_PATH,
    ApiUser,
    all_calls,
    chat_body,
    create_conversation,
    history,
    history_page,
    proxy,
    send,
    sign_up,
    statistics,
    statistics_data,
    text_part,
)

pytestmark = pytest.mark.needs_handlers

BAD_DATES = ["2024-13-01", "2024-1-1", "yesterday", "2024-02-30", "2024-01-01T00:00:00"]


@dataclass
class Activity:
    """What a user did, as the API answered it: the expected history and statistics."""

    user: ApiUser
    calls: list[tuple[str, str, int]] = field(default_factory=list)  # model, endpoint, status; in order
    conversations: list[dict] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (model, created_at)


@pytest.fixture(scope="module")
def http(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


def call_proxy(http: httpx.Client, activity: Activity, model: str, text: str, status: int = 200) -> None:
    response = proxy(http, activity.user, chat_body(text, model=model))
    assert response.status_code == status, response.text
    activity.calls.append((model, PROXY_PATH, status))


@pytest.fixture(scope="module")
def alice(http) -> Activity:
    activity = Activity(sign_up(http, "alice"))
    call_proxy(http, activity, "qwen-plus", "one")
    call_proxy(http, activity, "qwen-turbo", "two")
    call_proxy(http, activity, "qwen-plus", "three #fault:400", status=400)
    call_proxy(http, activity, "qwen-plus", "four")
    conversation = create_conversation(http, activity.user, "qwen-max")
    activity.conversations.append(conversation)
    cid = conversation["conversation_id"]
    for text in ["hello", "how are you"]:
        data = send(http, activity.user, cid, [text_part(text)]).json()["data"]
        activity.calls.append(("qwen-max", SEND_ENDPOINT, 200))
        activity.messages += [("qwen-max", data["created_at"]), ("qwen-max", data["reply"]["created_at"])]
    data = send(http, activity.user, cid, [text_part("note")], generate=False).json()["data"]
    activity.messages.append(("qwen-max", data["created_at"]))
    data = send(http, activity.user, cid, [text_part("#fault:503")]).json()["data"]
    assert data["reply_error"]["code"] == 503
    activity.calls.append(("qwen-max", SEND_ENDPOINT, 503))
    activity.messages.append(("qwen-max", data["created_at"]))
    idle = create_conversation(http, activity.user, "qwen-turbo")
    activity.conversations.append(idle)
    call_proxy(http, activity, "qwen-turbo", "five")
    return activity


@pytest.fixture(scope="module")
def bob(http, alice) -> Activity:
    activity = Activity(sign_up(http, "bob"))
    call_proxy(http, activity, "qwen-plus", "bob one")
    conversation = create_conversation(http, activity.user, "qwen-plus")
    activity.conversations.append(conversation)
    data = send(http, activity.user, conversation["conversation_id"], [text_part("bob hello")]).json()["data"]
    activity.calls.append(("qwen-plus", SEND_ENDPOINT, 200))
    activity.messages += [("qwen-plus", data["created_at"]), ("qwen-plus", data["reply"]["created_at"])]
    return activity


@pytest.fixture(scope="module")
def alice_calls(http, alice) -> list[dict]:
    calls, total = all_calls(http, alice.user)
    assert total == len(alice.calls)
    return calls


def days_of(calls: list[dict]) -> list[str]:
    return sorted({call["created_at"][:10] for call in calls})


# ---------------------------------------------------------------- 5.1 history


def test_history_lists_the_callers_calls_newest_first(http, alice, alice_calls):
    data = history_page(http, alice.user)

    assert data["pagination"] == {"current_page": 1, "per_page": 10, "total": 8, "total_pages": 1}
    assert data["api_calls"] == alice_calls
    assert [(c["model_name"], c["api_endpoint"], c["status_code"]) for c in alice_calls] == alice.calls[::-1]
    ids = [c["id"] for c in alice_calls]
    assert ids == sorted(ids, reverse=True)
    created = [c["created_at"] for c in alice_calls]
    assert created == sorted(created, reverse=True)
    assert {c["user_id"] for c in alice_calls} == {alice.user.user_id}
    assert {c["client_ip"] for c in alice_calls} == {"127.0.0.1"}
    failed = [c for c in alice_calls if c["status_code"] != 200]
    assert [c["total_tokens"] for c in failed] == [0, 0]
    assert all(
        c["total_tokens"] == c["request_tokens"] + c["response_tokens"] > 0
        for c in alice_calls
        if c not in failed
    )


def test_reply_calls_name_their_conversation_and_message(alice, alice_calls):
    cid = alice.conversations[0]["conversation_id"]
    reply_calls = [c for c in alice_calls if c["api_endpoint"] == SEND_ENDPOINT]
    proxy_calls = [c for c in alice_calls if c["api_endpoint"] == PROXY_PATH]

    assert {c["conversation_id"] for c in reply_calls} == {cid}
    assert all(isinstance(c["message_id"], int) for c in reply_calls)
    assert len({c["message_id"] for c in reply_calls}) == 3
    assert {(c["conversation_id"], c["message_id"]) for c in proxy_calls} == {(None, None)}


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_pages_cover_every_call_once_with_exact_totals(http, alice, alice_calls, limit):
    pages = -(-8 // limit)
    seen = []
    for page in range(1, pages + 2):
        data = history_page(http, alice.user, page=page, limit=limit)
        assert data["pagination"] == {
            "current_page": page,
            "per_page": limit,
            "total": 8,
            "total_pages": pages,
        }
        seen.extend(data["api_calls"])
        if page == pages + 1:
            assert data["api_calls"] == []

    assert seen == alice_calls


def test_the_limit_may_be_100(http, alice, alice_calls):
    assert history_page(http, alice.user, limit=100)["api_calls"] == alice_calls


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_out_of_range_paging_is_400(http, alice, params, field):
    response = history(http, alice.user, **params)

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}: ")
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    ("model", "count"), [("qwen-plus", 3), ("qwen-turbo", 2), ("qwen-max", 3), ("qwen-vl-max", 0)]
)
def test_the_model_filter(http, alice, alice_calls, model, count):
    data = history_page(http, alice.user, model_name=model, limit=100)

    assert data["api_calls"] == [c for c in alice_calls if c["model_name"] == model]
    assert data["pagination"]["total"] == count


def test_the_model_filter_pages_too(http, alice, alice_calls):
    plus = [c for c in alice_calls if c["model_name"] == "qwen-plus"]

    second = history_page(http, alice.user, model_name="qwen-plus", limit=2, page=2)

    assert second["api_calls"] == plus[2:]
    assert second["pagination"] == {"current_page": 2, "per_page": 2, "total": 3, "total_pages": 2}


def test_dates_are_inclusive_utc_days(http, alice, alice_calls):
    days = days_of(alice_calls)
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    before, after = (first - timedelta(days=1)).isoformat(), (last + timedelta(days=1)).isoformat()

    same = history_page(http, alice.user, start_date=days[0], end_date=days[-1], limit=100)
    from_first = history_page(http, alice.user, start_date=days[0], limit=100)
    until_last = history_page(http, alice.user, end_date=days[-1], limit=100)
    earlier = history_page(http, alice.user, start_date="2020-01-01", end_date=before)
    later = history_page(http, alice.user, start_date=after)

    assert same["api_calls"] == from_first["api_calls"] == until_last["api_calls"] == alice_calls
    assert same["pagination"]["total"] == 8
    assert earlier["api_calls"] == later["api_calls"] == []
    assert earlier["pagination"]["total"] == later["pagination"]["total"] == 0
    for day in days:  # one day at a time (two only when the module ran across midnight UTC)
        one = history_page(http, alice.user, start_date=day, end_date=day, limit=100)
        assert one["api_calls"] == [c for c in alice_calls if c["created_at"].startswith(day)]


def test_dates_and_model_together(http, alice, alice_calls):
    days = days_of(alice_calls)

    data = history_page(http, alice.user, model_name="qwen-turbo", start_date=days[0], end_date=days[-1])

    assert data["api_calls"] == [c for c in alice_calls if c["model_name"] == "qwen-turbo"]


@pytest.mark.parametrize("raw", ["2026-12-+2", "2026-12-%202", "2026-+2-02"])
@pytest.mark.parametrize("path", [HISTORY_PATH, STATISTICS_PATH])
def test_a_plus_in_a_url_date_is_400_not_a_wrong_total(http, alice, path, raw):
    """'+' in a query string is a space: "2026-12- 2" once passed strptime and filtered wrongly."""
    response = http.get(f"{path}?end_date={raw}", headers=alice.user.headers)

    assert response.status_code == 400, response.text
    assert response.json()["message"] == "end_date: must be a date in YYYY-MM-DD format"


@pytest.mark.parametrize("bad", BAD_DATES)
@pytest.mark.parametrize("field_name", ["start_date", "end_date"])
def test_a_bad_date_is_400(http, alice, field_name, bad):
    response = history(http, alice.user, **{field_name: bad})

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field_name}: ")
    assert response.json()["data"] is None


def test_start_after_end_is_400(http, alice):
    response = history(http, alice.user, start_date="2024-03-02", end_date="2024-03-01")

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "start_date: must not be after end_date", "data": None}


def test_only_the_callers_calls_are_listed(http, alice, bob, alice_calls):
    bob_calls, bob_total = all_calls(http, bob.user)

    assert bob_total == 2
    assert {c["user_id"] for c in bob_calls} == {bob.user.user_id}
    assert not {c["id"] for c in bob_calls} & {c["id"] for c in alice_calls}
    assert all_calls(http, alice.user) == (alice_calls, 8)  # Bob's activity changed nothing for Alice
    for model in ("qwen-plus", "qwen-max"):
        filtered = history_page(http, bob.user, model_name=model, limit=100)
        assert {c["user_id"] for c in filtered["api_calls"]} <= {bob.user.user_id}


def test_history_requires_authentication(api):
    response = api.get("/api/history/api-calls")

    assert response.status_code == 401


# ---------------------------------------------------------------- 5.2 statistics


def expected_statistics(activity: Activity, calls: list[dict], model: str | None = None, days=None) -> dict:
    """The statistics the activity should produce: conversations and messages by the day they were
    created, tokens as the sum of the logged calls' total_tokens."""
    rows: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0, 0, Decimal(0)])
    for conversation in activity.conversations:
        rows[(conversation["created_at"][:10], conversation["model_name"])][0] += 1
    for message_model, created_at in activity.messages:
        rows[(created_at[:10], message_model)][1] += 1
    for call in calls:
        rows[(call["created_at"][:10], call["model_name"])][2] += call["total_tokens"]
        rows[(call["created_at"][:10], call["model_name"])][3] += Decimal(call["cost"])  # issue 12
    rows = {
        key: value
        for key, value in rows.items()
        if (model is None or key[1] == model) and (days is None or key[0] in days)
    }

    def counts(selected: list[list[int]]) -> dict:
        return {
            "conversation_count": sum(r[0] for r in selected),
            "message_count": sum(r[1] for r in selected),
            "token_count": sum(r[2] for r in selected),
            "cost": f"{sum(r[3] for r in selected):.9f}",
        }

    models = sorted({key[1] for key in rows})
    dates = sorted({key[0] for key in rows})
    totals = counts(list(rows.values()))
    return {
        "total_conversations": totals["conversation_count"],
        "total_messages": totals["message_count"],
        "total_tokens": totals["token_count"],
        "total_cost": totals["cost"],  # the sum of 5.1's costs, exactly
        "currency": "USD",
        "model_statistics": [
            {"model_name": m, **counts([v for k, v in rows.items() if k[1] == m])} for m in models
        ],
        "daily_statistics": [{"date": d, **counts([v for k, v in rows.items() if k[0] == d])} for d in dates],
    }


def by_model(data: dict) -> dict[str, dict]:
    named = {row["model_name"]: row for row in data["model_statistics"]}
    assert len(named) == len(data["model_statistics"])
    return named


def test_all_time_statistics_match_the_activity(http, alice, alice_calls):
    data = statistics_data(http, alice.user)

    expected = expected_statistics(alice, alice_calls)
    assert data["total_conversations"] == 2
    assert data["total_messages"] == 6  # 2 sent + 2 replies + 1 unanswered (503) + 1 generate=false
    assert data["total_tokens"] == sum(c["total_tokens"] for c in alice_calls)
    assert by_model(data) == by_model(expected)
    assert data["daily_statistics"] == expected["daily_statistics"]  # ascending dates
    assert data == {**expected, "model_statistics": data["model_statistics"]}


def test_per_model_numbers(http, alice, alice_calls):
    rows = by_model(statistics_data(http, alice.user))

    def tokens(model: str) -> int:
        return sum(c["total_tokens"] for c in alice_calls if c["model_name"] == model)

    def cost(model: str) -> str:
        return f"{sum(Decimal(c['cost']) for c in alice_calls if c['model_name'] == model):.9f}"

    assert rows == {
        "qwen-max": {
            "model_name": "qwen-max",
            "conversation_count": 1,
            "message_count": 6,
            "token_count": tokens("qwen-max"),
            "cost": cost("qwen-max"),
        },
        "qwen-plus": {
            "model_name": "qwen-plus",
            "conversation_count": 0,
            "message_count": 0,
            "token_count": tokens("qwen-plus"),
            "cost": cost("qwen-plus"),
        },
        "qwen-turbo": {
            "model_name": "qwen-turbo",
            "conversation_count": 1,
            "message_count": 0,
            "token_count": tokens("qwen-turbo"),
            "cost": cost("qwen-turbo"),
        },
    }


@pytest.mark.parametrize("model", ["qwen-max", "qwen-turbo", "qwen-vl-plus"])
def test_statistics_model_filter(http, alice, alice_calls, model):
    data = statistics_data(http, alice.user, model_name=model)

    assert data == expected_statistics(alice, alice_calls, model=model)


def test_statistics_date_filters(http, alice, alice_calls):
    days = days_of(alice_calls)
    first = date.fromisoformat(days[0])

    in_range = statistics_data(http, alice.user, start_date=days[0], end_date=days[-1])
    before = statistics_data(
        http, alice.user, start_date="2020-01-01", end_date=(first - timedelta(days=1)).isoformat()
    )

    assert by_model(in_range) == by_model(expected_statistics(alice, alice_calls))
    assert before == {
        "total_conversations": 0,
        "total_messages": 0,
        "total_tokens": 0,
        "total_cost": "0.000000000",
        "currency": "USD",
        "model_statistics": [],
        "daily_statistics": [],
    }
    last = days[-1]
    one_day = statistics_data(http, alice.user, start_date=last, end_date=last)
    assert (
        one_day["daily_statistics"]
        == expected_statistics(alice, alice_calls, days={last})["daily_statistics"]
    )


@pytest.mark.parametrize("bad", BAD_DATES)
@pytest.mark.parametrize("field_name", ["start_date", "end_date"])
def test_statistics_bad_date_is_400(http, alice, field_name, bad):
    response = statistics(http, alice.user, **{field_name: bad})

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field_name}: ")


def test_statistics_start_after_end_is_400(http, alice):
    response = statistics(http, alice.user, start_date="2025-01-02", end_date="2025-01-01")

    assert response.status_code == 400
    assert response.json()["message"] == "start_date: must not be after end_date"


def test_statistics_are_only_the_callers(http, alice, bob, alice_calls):
    bob_calls, _ = all_calls(http, bob.user)

    assert statistics_data(http, bob.user) == expected_statistics(bob, bob_calls)
    assert statistics_data(http, bob.user)["total_conversations"] == 1
    assert by_model(statistics_data(http, alice.user)) == by_model(expected_statistics(alice, alice_calls))


def test_a_new_user_has_empty_statistics(api):
    newcomer = sign_up(api, "newcomer")

    assert statistics_data(api, newcomer) == {
        "total_conversations": 0,
        "total_messages": 0,
        "total_tokens": 0,
        "total_cost": "0.000000000",
        "currency": "USD",
        "model_statistics": [],
        "daily_statistics": [],
    }
    assert history_page(api, newcomer)["pagination"] == {
        "current_page": 1,
        "per_page": 10,
        "total": 0,
        "total_pages": 0,
    }
