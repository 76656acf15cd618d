"""DynamoDB calls and round trips per request (issue 15's targets), authorizer included, counted on
the application's client so that a change adding a read or a write to a request shows up here: the
proxied model call (access token, API key, spend limits, a key's own rate limit), the message send
with its reply, login, and the reads: those whose page and total are one Query, and those whose
parts live in different partitions, read at once (calls made at once are one round trip, as
bench_endpoint_calls counts them)."""

import time
from collections import Counter
from dataclasses import replace

import pytest
from bailian_chat import clock
from bailian_chat.store import budget_items, dynamodb
from bailian_chat.store.concurrent_reads import read_concurrently
from bailian_chat.usage import budgets

from bench.support import CallCounter, round_trips
from tests.support import payloads

PROXY = "/api/bailian/chat/completions"
BODY = {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}
TEXT = {"content": [{"type": "text", "text": "hi"}]}


def proxied_call(gateway, dynamodb_calls: list[str], token: str) -> list[str]:
    dynamodb_calls.clear()
    response = gateway.request("POST", PROXY, BODY, token=token)
    assert response.status == 200, response
    return list(dynamodb_calls)


def new_key(gateway, signed_in, **body) -> str:
    response = gateway.request("POST", "/api/keys", {"name": "bench", **body}, token=signed_in.access_token)
    assert response.status == 200, response
    return response.body["data"]["key"]


def test_with_an_access_token(gateway, signed_in, model, dynamodb_calls):
    assert proxied_call(gateway, dynamodb_calls, signed_in.access_token) == [
        "BatchGetItem",  # authorizer: session + user + the user's spend limits (issue 15)
        "UpdateItem",  # the user's rate-limit window
        "TransactWriteItems",  # call log item + daily rollup + the cost in the user's day and month
    ]


@pytest.fixture
def daily_spend_limit(model, unit_env) -> None:
    unit_env(DAILY_SPEND_LIMIT="10")  # before `dynamodb_calls`: it renews the client that counts


def test_with_an_access_token_and_a_daily_spend_limit(gateway, signed_in, daily_spend_limit, dynamodb_calls):
    assert proxied_call(gateway, dynamodb_calls, signed_in.access_token) == [
        "BatchGetItem",  # authorizer: session + user + the user's spend limits (issue 15)
        "TransactWriteItems",  # the reservation and the user's rate-limit window: one conditional write
        "TransactWriteItems",  # call log + rollup + settlement (spent, reservation released)
    ]


def test_with_an_api_key(gateway, signed_in, model, dynamodb_calls):
    secret = new_key(gateway, signed_in)

    first = proxied_call(gateway, dynamodb_calls, secret)
    steady = proxied_call(gateway, dynamodb_calls, secret)

    assert steady == [
        "BatchGetItem",  # authorizer: the key (its secret names the user), the user, their spend limits
        "UpdateItem",  # the user's rate-limit window
        "TransactWriteItems",  # call log item + daily rollup + the key's daily rollup + spend periods
    ]
    # The first use in a minute also writes last_used_at (once a minute per key at most).
    assert first == [steady[0], "UpdateItem", *steady[1:]]


def test_with_an_api_key_that_has_its_own_rate_limit(gateway, signed_in, model, dynamodb_calls):
    secret = new_key(gateway, signed_in, rate_limit_per_minute=10)
    proxied_call(gateway, dynamodb_calls, secret)

    steady = proxied_call(gateway, dynamodb_calls, secret)

    assert steady == [
        "BatchGetItem",
        "TransactWriteItems",  # the key's own rate-limit window and the user's, in one write
        "TransactWriteItems",  # call log item + daily rollups
    ]


def test_with_an_api_key_that_has_a_monthly_budget(gateway, signed_in, model, dynamodb_calls):
    secret = new_key(gateway, signed_in, monthly_budget="5")
    proxied_call(gateway, dynamodb_calls, secret)

    steady = proxied_call(gateway, dynamodb_calls, secret)

    assert steady == [
        "BatchGetItem",  # authorizer: the key, its user and their spend limits
        "TransactWriteItems",  # the reservation against the key's budget + the user's rate window
        "TransactWriteItems",  # call log + rollups + settlement
    ]


def test_a_message_send_with_its_reply_is_at_most_6(gateway, signed_in, model, dynamodb_calls):
    token = signed_in.access_token
    created = gateway.request("POST", "/api/conversations", {"model_name": "qwen-plus"}, token=token)
    path = f"/api/conversations/{created.body['data']['conversation_id']}/messages"
    dynamodb_calls.clear()

    response = gateway.request("POST", path, {"content": [{"type": "text", "text": "hi"}]}, token=token)

    assert response.status == 200 and response.body["data"]["reply"] is not None, response
    assert dynamodb_calls == [
        "BatchGetItem",  # authorizer: session + user + spend limits
        "GetItem",  # the conversation (owner, model)
        "TransactWriteItems",  # the message + pointer + conversation + rollup + the reply's rate count
        "Query",  # the context: the newest messages up to this one
        "TransactWriteItems",  # call log + rollup + spend periods
        "TransactWriteItems",  # the reply message + pointer + conversation + rollup
    ]


def test_a_read_is_at_most_2(gateway, signed_in, model, dynamodb_calls):
    token = signed_in.access_token
    created = gateway.request("POST", "/api/conversations", {"model_name": "qwen-plus"}, token=token)
    dynamodb_calls.clear()

    response = gateway.request(
        "GET", f"/api/conversations/{created.body['data']['conversation_id']}", token=token
    )

    assert response.status == 200, response
    assert dynamodb_calls == ["BatchGetItem", "GetItem"]  # authorizer; the conversation


@pytest.mark.parametrize(
    "path",
    [
        "/api/conversations",
        "/api/conversations?model_name=qwen-plus",
        "/api/conversations/{conversation_id}/messages",
        "/api/keys",
        "/api/auth/audit",
        "/api/admin/users/{user_id}/audit",
    ],
)
def test_a_list_and_its_total_are_one_query(gateway, signed_in, model, dynamodb_calls, path):
    """The count item heads its list (conversations, keys), the conversation its messages, the
    user's profile their events: page 1 is one Query, the authorizer's batch the other call."""
    from bailian_chat.auth import admin_users

    token = signed_in.access_token
    admin_users.make_admin(signed_in.registration["username"])
    created = gateway.request("POST", "/api/conversations", {"model_name": "qwen-plus"}, token=token)
    conversation_id = created.body["data"]["conversation_id"]
    gateway.request("POST", f"/api/conversations/{conversation_id}/messages", TEXT, token=token)
    new_key(gateway, signed_in)
    dynamodb_calls.clear()

    url = path.format(conversation_id=conversation_id, user_id=signed_in.user_id)
    response = gateway.request("GET", url, token=token)

    assert response.status == 200, response
    assert response.body["data"]["pagination"]["total"] >= 1, response
    assert dynamodb_calls == ["BatchGetItem", "Query"]


def test_a_login_is_at_most_4(gateway, register, dynamodb_calls):
    registration = register()
    dynamodb_calls.clear()

    response = gateway.login(payloads.login_for(registration))

    assert response.status == 200, response
    assert dynamodb_calls == [
        "GetItem",  # the username claim (consistent: a just-registered user can log in)
        "GetItem",  # the user
        "UpdateItem",  # the login throttle's attempt slot, taken before the password is checked
        "TransactWriteItems",  # session + pointer + last_login_at + audit + the slot's clearing
    ]


def test_a_login_whose_clearing_lost_a_race_still_starts_its_session(gateway, register, dynamodb_calls):
    """A later success (or a new window) got there first: the clearing's condition fails, so the
    session is written again without it, and the login succeeds."""
    from bailian_chat.store import login_failure_items

    registration = register()
    real_action = login_failure_items.clear_through_action

    def stale_clearing(account, client_ip, slot, max_attempts):
        return real_action(account, client_ip, replace(slot, window_ends=slot.window_ends - 1), max_attempts)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(login_failure_items, "clear_through_action", stale_clearing)
        dynamodb_calls.clear()
        response = gateway.login(payloads.login_for(registration))

    assert response.status == 200, response
    assert dynamodb_calls[-2:] == ["TransactWriteItems", "TransactWriteItems"]
    token = response.body["data"]["access_token"]
    assert gateway.request("GET", "/api/auth/user", token=token).status == 200


# ------------------------------------------------------- round trips: calls made at once count once


def test_round_trips_are_groups_of_overlapping_calls():
    assert round_trips([]) == 0
    assert round_trips([(0, 1), (2, 3)]) == 2
    assert round_trips([(1, 3), (0, 2), (4, 5)]) == 2  # in the order the calls ended
    assert round_trips([(0, 10), (1, 2), (3, 4)]) == 1  # within a longer one


# Each call's latency, as a network's: reads made at once overlap, on a loaded machine too.
NETWORK_SECONDS = 0.1


@pytest.fixture
def counted(table) -> CallCounter:
    """Calls and round trips of the application's client from now on."""
    client = dynamodb.client()
    client.meta.events.register(
        "before-sign.dynamodb", lambda **_: time.sleep(NETWORK_SECONDS), unique_id="network-latency"
    )
    return CallCounter(client)


def test_two_calls_at_once_are_one_round_trip_and_one_after_the_other_two(counted):
    at_once = counted.mark()
    read_concurrently(lambda: dynamodb.get_item("A", "A"), lambda: dynamodb.get_item("B", "B"))
    in_turn = counted.mark()
    dynamodb.get_item("A", "A")
    dynamodb.get_item("B", "B")

    assert counted.calls == 4
    assert all(end - start >= NETWORK_SECONDS for start, end in counted.intervals)  # each timed whole
    assert counted.round_trips_since(in_turn) == 2
    assert round_trips(counted.intervals[at_once:in_turn]) == 1


def read(gateway, dynamodb_calls, counted, path: str, token: str) -> tuple[Counter, int]:
    """A GET's DynamoDB dynamodb_calls (authorizer included; those made at once in any order) and
    round trips."""
    dynamodb_calls.clear()
    mark = counted.mark()
    response = gateway.request("GET", path, token=token)
    assert response.status == 200, response
    return Counter(dynamodb_calls), counted.round_trips_since(mark)


@pytest.mark.parametrize(
    "filters",
    ["", "&start_date=2026-01-01&end_date=2026-12-31", "&model_name=qwen-plus", "&api_key_id=1"],
)
def test_the_call_history_reads_its_total_and_its_page_at_once(
    gateway, signed_in, dynamodb_calls, counted, filters
):
    path = f"/api/history/api-calls?page=1&limit=10{filters}"

    made, trips = read(gateway, dynamodb_calls, counted, path, signed_in.access_token)

    # authorizer; the daily rollups (the total) and the page, at once
    assert made == Counter({"BatchGetItem": 1, "Query": 2}) and trips == 2


def test_the_budget_takes_the_limits_from_the_authorizer(gateway, signed_in, dynamodb_calls, counted):
    made, trips = read(gateway, dynamodb_calls, counted, "/api/usage/budget", signed_in.access_token)

    # authorizer (session, user, spend limits); today's and this month's periods. Nothing held:
    # no reservation to sweep.
    assert made == Counter({"BatchGetItem": 2}) and trips == 2


def hold(user_id: int, reservation_id: str, lease_until: int) -> None:
    """A reservation of 1,000 nanos in today's and this month's periods, leased until `lease_until`."""
    periods = budgets.periods_of(user_id, clock.instant().day)[:2]
    budget_items.reserve(user_id, reservation_id, 1_000, periods, lease_until)


def test_the_budget_with_a_reservation_held_reads_the_reservations(
    gateway, signed_in, dynamodb_calls, counted
):
    hold(signed_in.user_id, "live", int(time.time()) + 600)

    made, trips = read(gateway, dynamodb_calls, counted, "/api/usage/budget", signed_in.access_token)

    # ... then the open reservations (none dead: nothing more), a round trip of its own
    assert made == Counter({"BatchGetItem": 2, "Query": 1}) and trips == 3


def test_the_budget_with_a_dead_reservation_releases_it_and_reads_the_periods_again(
    gateway, signed_in, dynamodb_calls, counted
):
    hold(signed_in.user_id, "dead", int(time.time()) - 1)

    made, trips = read(gateway, dynamodb_calls, counted, "/api/usage/budget", signed_in.access_token)

    assert made == Counter({"BatchGetItem": 3, "Query": 1, "TransactWriteItems": 1}) and trips == 5
    assert budget_items.open_reservations(signed_in.user_id) == []


@pytest.mark.parametrize(
    ("query", "made", "trips"),
    [
        # authorizer; a search's username entries (the user items themselves, what the page shows
        # read with them) and its email entries, at once
        ("?query=admin_&status=1", {"BatchGetItem": 1, "Query": 2}, 2),
        # a user matched by email alone is read again
        ("?query=admin.", {"BatchGetItem": 2, "Query": 2}, 3),
        # no search: the user list (by id, newest first) headed by its counts, in one Query
        ("", {"BatchGetItem": 1, "Query": 1}, 2),
        ("?status=1", {"BatchGetItem": 1, "Query": 1}, 2),
    ],
)
def test_the_admin_user_list_reads_the_directory_at_once(
    gateway, admin, dynamodb_calls, counted, query, made, trips
):
    assert read(gateway, dynamodb_calls, counted, f"/api/admin/users{query}", admin.access_token) == (
        Counter(made),
        trips,
    )


def test_the_admin_user_detail_reads_the_user_and_their_month_at_once(
    gateway, admin, dynamodb_calls, counted
):
    path = f"/api/admin/users/{admin.user_id}"

    made, trips = read(gateway, dynamodb_calls, counted, path, admin.access_token)

    # authorizer; the user and the month's daily rollups (another partition), at once
    assert made == Counter({"BatchGetItem": 1, "GetItem": 1, "Query": 1}) and trips == 2
