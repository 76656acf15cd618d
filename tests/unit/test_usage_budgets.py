"""Spend limits on a moto table: a reservation of the worst case before the call (refused as a
whole when it would cross any limit), settlement to the exact cost in the call log's transaction,
reservations of dead functions released after their lease and never counted as spent, the key's
monthly_budget, the budget routes, and the /v1 error shape."""

import json
from decimal import Decimal

import pytest
from bailian_chat import clock
from bailian_chat.api import openai_errors
from bailian_chat.auth.callers import KeyGrant
from bailian_chat.errors import BadRequest, BudgetExceeded, RateLimited, UpstreamUnavailable
from bailian_chat.store import budget_items, dynamodb, keys
from bailian_chat.usage import budgets, money, spend_limits
from bailian_chat.usage.model_calls import CallSource, call_model
from bailian_chat.usage.spend_limits import BudgetUpdate

USER = 31
MODEL = "qwen-plus"


def payload(text: str = "hello", max_tokens: int = 100) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": max_tokens}


def source(key: KeyGrant | None = None) -> CallSource:
    return CallSource(user_id=USER, client_ip="203.0.113.9", api_endpoint="/v1/chat/completions", api_key=key)


def today() -> dict:
    return spend_limits.budget(USER)["today"]


def test_the_worst_case_bounds_prompt_bytes_and_max_tokens_at_the_output_price():
    request = payload("x" * 1000, max_tokens=500)
    prompt_bound = budgets.prompt_token_bound(request)
    assert prompt_bound >= 1000
    assert budgets.worst_case_cost(request) == money.quantize(
        (prompt_bound * Decimal("0.4") + 500 * Decimal("1.2")) / 1_000_000
    )
    # without max_tokens, the model's output cap; thinking adds its budget at the thinking price
    thinking = {**payload("x"), "max_tokens": None, "enable_thinking": True}
    bound = budgets.prompt_token_bound(thinking)
    assert budgets.worst_case_cost(thinking) == money.quantize(
        (bound * Decimal("0.4") + 2 * 32_768 * 4) / 1_000_000
    )


def test_without_a_limit_nothing_is_reserved_but_the_cost_is_still_counted(upstream):
    call_model(source(), payload())

    assert budget_items.open_reservations(USER) == []
    spent = today()
    assert Decimal(spent["spent"]) > 0 and spent["reserved"] == "0.000000000" and spent["limit"] is None


def test_a_call_that_would_cross_the_daily_limit_is_refused_before_the_upstream(upstream, unit_env):
    worst = budgets.worst_case_cost(payload())
    limit = worst * 3 / 2
    unit_env(DAILY_SPEND_LIMIT=str(limit))

    made = []
    with pytest.raises(BudgetExceeded) as refused:
        for _ in range(100):  # each call costs less than its worst case: several fit
            made.append(call_model(source(), payload()))

    assert len(made) > 1
    assert refused.value.status_code == 429 and refused.value.message == "Budget exceeded"
    assert refused.value.data == {"limit": "daily", "amount": money.text(limit), "currency": "USD"}
    view = today()
    spent = Decimal(view["spent"])
    assert spent <= limit < spent + worst  # refused exactly when the worst case no longer fits
    assert view["reserved"] == "0.000000000"  # every reservation settled


def test_with_a_limit_the_rate_limit_is_counted_in_the_reservation_and_refuses_it_whole(
    upstream, unit_env, monkeypatch
):
    """The per-minute count rides in the reservation's transaction: a refused count holds nothing."""
    unit_env(DAILY_SPEND_LIMIT="100", RATE_LIMIT_PER_MINUTE="2")
    monkeypatch.setattr(clock, "now_seconds", lambda: 1_700_000_050)
    call_model(source(), payload())
    call_model(source(), payload())

    with pytest.raises(RateLimited) as limited:
        call_model(source(), payload())

    assert limited.value.retry_after >= 1
    assert budget_items.open_reservations(USER) == []
    assert today()["reserved"] == "0.000000000"


def test_settlement_is_the_exact_cost_of_the_logged_call(upstream, unit_env, ddb):
    unit_env(MONTHLY_SPEND_LIMIT="5")
    call_model(source(), payload("settle me"))

    from bailian_chat.paging import PageRequest
    from bailian_chat.usage.dates import date_range
    from bailian_chat.usage.history import api_call_page

    [call] = api_call_page(USER, PageRequest(page=1, limit=10), None, date_range(None, None))["api_calls"]
    view = spend_limits.budget(USER)
    assert call["cost"] == view["today"]["spent"] == view["this_month"]["spent"]
    assert view["this_month"]["reserved"] == "0.000000000" and view["this_month"]["limit"] == "5.000000000"


def test_a_failed_call_releases_its_reservation_and_costs_nothing(upstream, unit_env):
    unit_env(DAILY_SPEND_LIMIT="1")
    with pytest.raises(UpstreamUnavailable):
        call_model(source(), payload("fail #fault:503"))

    view = today()
    assert (view["spent"], view["reserved"]) == ("0.000000000", "0.000000000")
    assert budget_items.open_reservations(USER) == []


def test_a_dead_functions_reservation_is_released_after_its_lease_and_never_spent(
    table, unit_env, monkeypatch
):
    unit_env(DAILY_SPEND_LIMIT="0.05")
    request = payload(max_tokens=20_000)  # worst case ~0.024: two fit, not three
    first = budgets.reserve(USER, None, request, deadline_seconds=10)
    budgets.reserve(USER, None, request, deadline_seconds=10)  # these two functions "die" here
    assert first is not None
    with pytest.raises(BudgetExceeded):
        budgets.reserve(USER, None, request, deadline_seconds=10)
    assert Decimal(today()["reserved"]) == 2 * money.from_nanos(first.amount_nanos)

    later = clock.now_epoch() + 10 + budgets.LEASE_MARGIN_SECONDS + 1
    monkeypatch.setattr(clock, "now_epoch", lambda: later)
    assert budgets.reserve(USER, None, request, deadline_seconds=10) is not None  # room again

    view = today()
    assert view["spent"] == "0.000000000"
    assert Decimal(view["reserved"]) == money.from_nanos(first.amount_nanos)  # only the live one


def test_a_late_settlement_after_its_reservation_was_released_still_counts_the_cost(
    table, unit_env, monkeypatch
):
    unit_env(DAILY_SPEND_LIMIT="1")
    reservation = budgets.reserve(USER, None, payload(), deadline_seconds=1)
    later = clock.now_epoch() + 1 + budgets.LEASE_MARGIN_SECONDS + 1
    monkeypatch.setattr(clock, "now_epoch", lambda: later)
    assert budgets.release_expired(USER) == 1

    from bailian_chat.store import model_call_items

    cost = Decimal("0.000001234")
    now = clock.instant()
    call = {"user_id": USER, "model_name": MODEL, "total_tokens": 3, "cost": money.text(cost)}
    settle = budgets.settle_actions(USER, None, now.day, cost, reservation)
    unreserved = budgets.settle_actions(USER, None, now.day, cost, None)
    model_call_items.record_call(call, now.epoch_ms, now.day, money.to_nanos(cost), settle, unreserved)

    view = today()
    assert (view["spent"], view["reserved"]) == ("0.000001234", "0.000000000")


def test_an_api_keys_monthly_budget_is_enforced_apart_from_the_users(upstream):
    key = KeyGrant(key_id=7, monthly_budget="0.0001")
    with pytest.raises(BudgetExceeded) as refused:
        call_model(source(key), payload(max_tokens=1000))  # worst case 0.0012 > 0.0001

    assert refused.value.data["limit"] == "api_key_monthly"
    call_model(source(KeyGrant(key_id=8, monthly_budget="1")), payload())  # another key has room
    call_model(source(), payload())  # and the user without a key


def test_on_v1_a_budget_refusal_is_insufficient_quota_and_not_retried():
    error = openai_errors.from_domain_error(BudgetExceeded(data={"limit": "daily"}))

    assert error.status == 429
    assert error.body["error"]["type"] == "insufficient_quota"
    assert error.body["error"]["code"] == "budget_exceeded"
    assert error.body["error"]["message"] == "Budget exceeded"
    assert error.headers["x-should-retry"] == "false"  # the OpenAI SDK would retry a 429 otherwise


def test_the_budget_routes(gateway, signed_in, unit_env):
    token = signed_in.access_token
    empty = gateway.request("GET", "/api/usage/budget", token=token)
    assert empty.status == 200, empty
    assert empty.body["data"]["daily_limit"] is None and empty.body["data"]["today"]["spent"] == "0.000000000"

    updated = gateway.request(
        "PUT", "/api/usage/budget", {"daily_limit": "2.5", "monthly_limit": 40}, token=token
    )
    assert updated.status == 200 and updated.body["message"] == "Update successful"
    data = updated.body["data"]
    assert (data["daily_limit"], data["monthly_limit"]) == ("2.500000000", "40.000000000")
    assert data["today"]["limit"] == "2.500000000" and data["currency"] == "USD"

    bad = gateway.request("PUT", "/api/usage/budget", {"daily_limit": "-1"}, token=token)
    assert bad.status == 400 and bad.body["message"].startswith("daily_limit:")
    bad = gateway.request("PUT", "/api/usage/budget", {"monthly_limit": "lots"}, token=token)
    assert bad.status == 400 and bad.body["message"].startswith("monthly_limit:")

    unit_env(DAILY_SPEND_LIMIT="2")
    above = gateway.request("PUT", "/api/usage/budget", {"daily_limit": "3"}, token=token)
    assert above.status == 400, above
    assert above.body["message"] == "daily_limit: must not exceed the highest limit allowed, 2.000000000 USD"
    cleared = gateway.request("PUT", "/api/usage/budget", {"daily_limit": None}, token=token)
    assert cleared.body["data"]["daily_limit"] is None
    assert cleared.body["data"]["today"]["limit"] == "2.000000000"  # the deployment's still applies


def test_put_accepts_numbers_without_binary_float_drift():
    assert BudgetUpdate.model_validate(json.loads('{"daily_limit": 0.1}')).daily_limit == "0.1"


def test_a_reservation_that_keeps_meeting_concurrent_ones_is_429_not_500(table, unit_env, monkeypatch):
    from bailian_chat.errors import RateLimited
    from bailian_chat.store import dynamodb

    unit_env(DAILY_SPEND_LIMIT="1")

    def contended(_actions):
        raise dynamodb.TransactionCancelled(["None", "TransactionConflict", "None"])

    monkeypatch.setattr(dynamodb, "transact_write", contended)
    with pytest.raises(RateLimited) as refused:
        budgets.reserve(USER, None, payload(), deadline_seconds=5)

    assert not isinstance(refused.value, BudgetExceeded) and refused.value.retry_after == 1


def test_an_admins_ceiling_lowers_the_limit_that_applies_and_caps_the_users_own(upstream, unit_env):
    """Issue 13: ceilings an admin sets on the user item hold on the model path and on PUT."""
    ceiling = (budgets.worst_case_cost(payload()) * 3 / 2).quantize(Decimal("0.000001"))
    unit_env(DAILY_SPEND_LIMIT="100")
    dynamodb.update_item(*keys.user(USER), "SET daily_limit_ceiling = :c", {":c": str(ceiling)})

    made = []
    with pytest.raises(BudgetExceeded):
        for _ in range(100):
            made.append(call_model(source(), payload()))

    assert 1 <= len(made) < 100
    assert Decimal(today()["spent"]) <= ceiling
    with pytest.raises(BadRequest) as above:
        spend_limits.update(USER, BudgetUpdate(daily_limit=str(ceiling * 2)))
    assert above.value.param == "daily_limit"
    spend_limits.update(USER, BudgetUpdate(daily_limit=str(ceiling)))  # up to the ceiling: allowed
